// Workload sources on their own: ArrivalSequence yields, without simulating a node,
// the client invocations the simulator receives for a replication seed (ids, times,
// cameras, functions, service demands, vehicles), for every kind of source.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "fogsched/core/scenario_yaml.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/runner.h"
#include "fogsched/sim/workload_sources.h"

namespace fogsched::sim {
namespace {

using namespace std::chrono_literals;

Scenario shipped(const std::string& name, Duration duration) {
  Scenario s = load_scenario(std::string(FOGSCHED_SOURCE_DIR) + "/scenarios/" + name + ".yaml");
  s.duration = duration;
  s.warmup = 0s;  // every invocation is measured, so the trace holds all that ended
  return s;
}

// Every invocation the simulator recorded is the enumerated arrival with its id, and
// the simulator counted exactly as many arrivals as were enumerated.
void expect_simulator_sees_the_enumerated_arrivals(const Scenario& scenario, const char* policy) {
  const City city(scenario);
  const std::uint64_t seed = replication_seed(scenario.seed, 1);
  const std::vector<ClientArrival> arrivals = enumerate_arrivals(scenario, city, seed);
  const ReplicationResult run =
      simulate_replication(scenario, PolicyRegistry::with_builtins().parse(policy), seed, true);

  ASSERT_GT(arrivals.size(), 100u) << scenario.name;
  EXPECT_EQ(run.metrics.client_invocations, arrivals.size()) << scenario.name;
  for (std::size_t i = 0; i < arrivals.size(); ++i) {
    ASSERT_EQ(arrivals[i].id, i) << scenario.name;
    ASSERT_LT(arrivals[i].at, time_at(scenario.duration)) << scenario.name;
    if (i > 0) {
      ASSERT_GE(arrivals[i].at, arrivals[i - 1].at) << scenario.name;
    }
  }
  // Most invocations have ended by the end of the run; those are in the trace.
  EXPECT_GT(run.trace.size(), arrivals.size() * 9 / 10) << scenario.name;
  for (const InvocationRecord& r : run.trace) {
    ASSERT_LT(r.id, arrivals.size()) << scenario.name;
    const ClientArrival& a = arrivals[r.id];
    ASSERT_EQ(r.arrival, a.at) << scenario.name << " invocation " << r.id;
    ASSERT_EQ(r.origin, a.invocation.camera) << scenario.name << " invocation " << r.id;
    ASSERT_EQ(r.function, a.invocation.function) << scenario.name << " invocation " << r.id;
    ASSERT_EQ(r.work_s, a.invocation.work_s) << scenario.name << " invocation " << r.id;
    ASSERT_EQ(r.vehicle, a.vehicle ? static_cast<std::int64_t>(a.vehicle->vehicle) : -1) << scenario.name;
    ASSERT_EQ(r.blacklisted, a.vehicle && a.vehicle->blacklisted) << scenario.name;
  }
}

TEST(WorkloadSources, PoissonStreamsWithHotSpotsAndOutagesMatchTheSimulator) {
  expect_simulator_sees_the_enumerated_arrivals(shipped("city-outage", 3min), "power_of_d(d=2,threshold=1)");
}

TEST(WorkloadSources, MmppStreamsMatchTheSimulator) {
  expect_simulator_sees_the_enumerated_arrivals(shipped("bursty-mmpp", 5min), "least_loaded");
}

TEST(WorkloadSources, TraceReplayMatchesTheSimulator) {
  expect_simulator_sees_the_enumerated_arrivals(shipped("trace-replay", 45s), "random");
}

TEST(WorkloadSources, AzureTraceReplaysMatchTheSimulator) {
  expect_simulator_sees_the_enumerated_arrivals(shipped("azure-sample", 3min), "power_of_d(d=2,threshold=2)");
}

TEST(WorkloadSources, TrafficTriggersMatchTheSimulator) {
  const Scenario scenario = shipped("city-rush-hour", 2min);
  expect_simulator_sees_the_enumerated_arrivals(scenario, "local");
  std::size_t blacklisted = 0;
  for (const ClientArrival& a : enumerate_arrivals(scenario, City(scenario), replication_seed(scenario.seed, 1))) {
    ASSERT_TRUE(a.vehicle.has_value());
    EXPECT_LE(a.vehicle->view_enter, a.at);
    EXPECT_GE(a.vehicle->view_leave, a.at);
    blacklisted += a.vehicle->blacklisted;
  }
  EXPECT_GT(blacklisted, 0u);
}

TEST(WorkloadSources, TheSameSeedDrawsTheSameArrivalsAndAnotherSeedOthers) {
  const Scenario scenario = shipped("bursty-mmpp", 2min);
  const City city(scenario);
  const std::vector<ClientArrival> first = enumerate_arrivals(scenario, city, 7);
  const std::vector<ClientArrival> again = enumerate_arrivals(scenario, city, 7);
  const std::vector<ClientArrival> other = enumerate_arrivals(scenario, city, 8);
  ASSERT_EQ(first.size(), again.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].at, again[i].at);
    EXPECT_EQ(first[i].invocation.work_s, again[i].invocation.work_s);
  }
  ASSERT_FALSE(other.empty());
  EXPECT_NE(first.front().at, other.front().at);
}

}  // namespace
}  // namespace fogsched::sim
