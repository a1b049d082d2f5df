// The city world in the simulator: outages and failures, trace replay, MMPP
// arrivals, traffic-triggered recognitions, blacklist alerts over the uplink.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <vector>

#include "fogsched/core/trace_csv.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/runner.h"
#include "sim_fixtures.h"

namespace fogsched::sim {
namespace {

using namespace std::chrono_literals;
using namespace fogsched::sim::testing;

// --- Faults -----------------------------------------------------------------------

Scenario with_outage(Scenario s, std::vector<std::uint32_t> cameras, Duration at, Duration length) {
  OutageSpec outage;
  outage.cameras = std::move(cameras);
  outage.at = at;
  outage.length = length;
  s.faults.outages.push_back(outage);
  s.faults.timeout = 200ms;
  return s;
}

TEST(Outages, InFlightWorkFailsAndEveryInvocationStillEndsOnce) {
  // A quarter of 16 cameras down from 100 s to 200 s; forwarding policies must go
  // around them, and every invocation must still be accounted for.
  Scenario base = loss_cluster(16, 2, 0.8, 300s);
  base.cameras.queue = 1;
  base.network.latency_base = 2ms;
  base.replications = 2;
  base.warmup = 0s;
  const Scenario s = with_outage(base, {0, 5, 10, 15}, 100s, 100s);
  for (const char* spec : {"local", "random", "power_of_d(d=2,threshold=1)", "least_loaded"}) {
    const RunOutput out = run_scenario(s, {builtin(spec)}, options(1, true));
    for (std::size_t r = 0; r < out.replications[0].size(); ++r) {
      const MetricsCollector& m = out.replications[0][r].metrics;
      EXPECT_TRUE(conserved(m)) << spec;
      EXPECT_GT(m.failed, m.arrivals_at_down_nodes) << spec << ": in-flight work on failing nodes must fail";
      EXPECT_GT(m.arrivals_at_down_nodes, 0u) << spec;
      std::uint64_t failed_on_outage_cameras = 0;
      for (const InvocationRecord& rec : out.traces[r].records) {
        if (rec.outcome != Outcome::failed) continue;
        const bool outage_camera = rec.executed_on % 5 == 0;
        failed_on_outage_cameras += outage_camera;
        // Work fails only on a down camera, and only while the outage lasts.
        EXPECT_TRUE(outage_camera || rec.origin % 5 == 0) << spec;
        EXPECT_GE(rec.end, Time{100s}) << spec;
        EXPECT_LE(rec.end, Time{200s}) << spec;
      }
      EXPECT_GT(failed_on_outage_cameras, 0u) << spec;
    }
  }
}

TEST(Outages, ForwardsAndProbesToADeadNodeTimeOutAndFallBack) {
  // Camera 1 is down the whole run; camera 0 sends everything to it (random with two
  // cameras) or probes it (power_of_d): the runtime must count the timeouts and fall
  // back, never losing an invocation.
  Scenario s = with_outage(loss_cluster(2, 4, 0.5, 200s), {1}, 0s, 1000s);
  s.replications = 1;
  s.warmup = 0s;
  s.workload[0].cameras = {0};
  {
    const RunOutput out = run_scenario(s, {builtin("random")}, options(1, true));
    const MetricsCollector& m = out.replications[0][0].metrics;
    EXPECT_TRUE(conserved(m));
    EXPECT_EQ(m.forward_timeouts, m.client_invocations - m.in_flight_at_end);
    for (const InvocationRecord& rec : out.traces[0].records) {
      EXPECT_EQ(rec.executed_on, 0u);
      EXPECT_EQ(rec.hops, 0u);  // the forward never happened
      // It ran (or was rejected) at its origin once the 200 ms timeout had passed.
      if (rec.outcome != Outcome::rejected) {
        EXPECT_GE(rec.start - rec.arrival, 200ms);
      }
    }
  }
  {
    const RunOutput out = run_scenario(s, {builtin("power_of_d(d=1,threshold=1)")}, options(1, true));
    const MetricsCollector& m = out.replications[0][0].metrics;
    EXPECT_TRUE(conserved(m));
    EXPECT_GT(m.probe_timeouts, 0u);
    // Every probe timed out, but for those of invocations still deciding at the end.
    EXPECT_LE(m.probe_timeouts, m.probe_messages);
    EXPECT_LE(m.probe_messages - m.probe_timeouts, m.in_flight_at_end);
    EXPECT_EQ(m.forwarded, 0u);
  }
}

TEST(Outages, DrawnCamerasAreAFixedShareOfTheFleet) {
  Scenario s = loss_cluster(40, 2, 0.5, 100s);
  OutageSpec outage;
  outage.fraction = 0.25;
  outage.at = 10s;
  outage.length = 20s;
  s.faults.outages.push_back(outage);
  const City city(s);
  ASSERT_EQ(city.outages().size(), 1u);
  const std::vector<std::uint32_t>& cameras = city.outages()[0].cameras;
  EXPECT_EQ(cameras.size(), 10u);
  EXPECT_TRUE(std::is_sorted(cameras.begin(), cameras.end()));
  EXPECT_EQ(std::adjacent_find(cameras.begin(), cameras.end()), cameras.end());
  EXPECT_EQ(city.outages()[0].start, Time{10s});
  EXPECT_EQ(city.outages()[0].end, Time{30s});
}

TEST(Failures, RandomFailuresAndRepairsConserveInvocations) {
  Scenario s = loss_cluster(10, 2, 0.7, 2000s);
  s.replications = 2;
  s.faults.failures = FailureProcessSpec{.mean_time_to_failure = 200s, .mean_time_to_repair = 20s, .cameras = {}};
  const RunOutput out = run_scenario(s, {builtin("power_of_d")});
  for (const ReplicationResult& r : out.replications[0]) {
    EXPECT_TRUE(conserved(r.metrics));
    // About 1/11 of the time down: a clear share of invocations fails.
    EXPECT_GT(r.summary.failed_fraction, 0.02);
    EXPECT_LT(r.summary.failed_fraction, 0.3);
  }
}

// --- Arrival processes ----------------------------------------------------------------

TEST(TraceReplay, ReproducesTheTraceExactly) {
  std::istringstream csv(
      "time,camera,function,payload_bytes\n"
      "0s,0,f,\n"
      "250ms,2,f,10KB\n"
      "250ms,1,f,\n"
      "1.5s,2,f,2KB\n"
      "4s,0,f,\n");
  auto trace = std::make_shared<Trace>(parse_trace_csv(csv, "t.csv"));
  Scenario s = loss_cluster(3, 4, 0.5, 10s);
  s.warmup = 0s;
  s.replications = 1;
  s.workload[0].arrivals = ArrivalSpec{};
  s.workload[0].arrivals.process = ArrivalProcess::trace;
  s.workload[0].arrivals.trace_functions = resolve_trace(*trace, s);
  s.workload[0].arrivals.trace = trace;
  const RunOutput out = run_scenario(s, {builtin("local")}, options(1, true));
  std::vector<InvocationRecord> records = out.traces[0].records;
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  ASSERT_EQ(records.size(), trace->arrivals.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].arrival, Time{trace->arrivals[i].at});
    EXPECT_EQ(records[i].origin, trace->arrivals[i].camera);
    EXPECT_EQ(records[i].function, 0u);
  }
}

TEST(Mmpp, LongRunRateIsTheStationaryRate) {
  // Two states: 1/s for 30 s on average, 10/s for 10 s: stationary rate
  // (0.75 * 1 + 0.25 * 10) = 3.25/s per camera. 20 cameras x 4000 s; the count's
  // relative sd is about 1.5 % (burst variance), tolerance 6 %. Seed 7.
  Scenario s = loss_cluster(20, 50, 0.1, 4000s);
  s.warmup = 0s;
  s.replications = 1;
  ArrivalSpec& a = s.workload[0].arrivals;
  a.load.reset();
  a.process = ArrivalProcess::mmpp;
  a.mmpp_states = {{1.0, 30s}, {10.0, 10s}};
  const RunOutput out = run_scenario(s, {builtin("local")});
  const double rate = static_cast<double>(out.replications[0][0].metrics.client_invocations) / 4000.0 / 20.0;
  EXPECT_NEAR(rate, 3.25, 0.06 * 3.25);
}

// --- Traffic and alerts -----------------------------------------------------------

// A 4 x 4 street grid of cameras, 100 m apart, vehicles at 10 m/s seen within 20 m.
Scenario traffic_city(double service_s, std::uint32_t slots) {
  Scenario s = loss_cluster(16, slots, 0.5, 1200s);
  s.warmup = 0s;
  s.replications = 1;
  s.functions[0].service_time.dist = ServiceDist::deterministic;
  s.functions[0].service_time.mean = from_seconds(service_s);
  s.functions[0].deadline_until_leaves_view = true;
  ArrivalSpec& a = s.workload[0].arrivals;
  a = ArrivalSpec{};
  a.process = ArrivalProcess::traffic;
  a.traffic.entry_rate_per_s = 0.2;
  a.traffic.speed_mean_mps = 10;
  a.traffic.view_radius_m = 20;
  a.traffic.frame_interval = 500ms;
  a.traffic.blacklisted_fraction = 0.2;
  a.traffic.alert_bytes = 1500;
  s.network.uplink = UplinkSpec{.bandwidth_bps = 60e3, .latency = 1600ms, .loss_probability = 0};
  return s;
}

TEST(Traffic, FastRecognitionMeetsEveryDeadlineAndMissesNoVehicle) {
  const Scenario s = traffic_city(0.05, 16);
  const RunOutput out = run_scenario(s, {builtin("local")}, options(1, true));
  const MetricsCollector& m = out.replications[0][0].metrics;
  EXPECT_TRUE(conserved(m));
  EXPECT_GT(m.client_invocations, 1000u);
  EXPECT_EQ(m.deadline_missed, 0u);
  EXPECT_EQ(m.rejected, 0u);
  EXPECT_GT(m.blacklisted_vehicles, 10u);
  EXPECT_EQ(m.blacklisted_missed, 0u);
  EXPECT_GT(m.alerts_delivered, 0u);
  // Each alert waits at least its transmission (1500 B at 60 kbps = 200 ms) plus the
  // uplink latency after the recognition started.
  const Duration floor = 200ms + 1600ms;
  std::uint64_t with_alert = 0;
  for (const InvocationRecord& rec : out.traces[0].records) {
    EXPECT_GE(rec.vehicle, 0);
    if (rec.alert_delivered == Time::max()) continue;
    ++with_alert;
    EXPECT_TRUE(rec.blacklisted);
    EXPECT_GE(rec.alert_delivered - rec.start, floor);
  }
  EXPECT_EQ(with_alert, m.alerts_delivered);
  EXPECT_GE(out.replications[0][0].summary.alert_latency_mean_s, to_seconds(floor));
  EXPECT_GT(out.replications[0][0].summary.uplink_utilization, 0.0);
}

TEST(Traffic, RecognitionSlowerThanTheViewMissesItsDeadline) {
  // 10 s of work while a vehicle stays 4 s in a camera's view: every recognition
  // ends after the vehicle left that camera's view. A blacklisted vehicle still counts
  // as recognised when that happens while another camera (100 m on, 10 s later) sees it.
  const Scenario s = traffic_city(10, 64);
  const RunOutput out = run_scenario(s, {builtin("local")});
  const MetricsCollector& m = out.replications[0][0].metrics;
  EXPECT_TRUE(conserved(m));
  EXPECT_GT(m.deadline_missed, 1000u);
  EXPECT_EQ(m.completed, 0u);
  EXPECT_GT(m.blacklisted_vehicles, 10u);
  EXPECT_LT(m.blacklisted_missed, m.blacklisted_vehicles);
}

TEST(Traffic, RecognitionThatNeverEndsMissesEveryBlacklistedVehicle) {
  const Scenario s = traffic_city(5000, 64);
  const RunOutput out = run_scenario(s, {builtin("local")});
  const MetricsCollector& m = out.replications[0][0].metrics;
  EXPECT_TRUE(conserved(m));
  EXPECT_GT(m.blacklisted_vehicles, 10u);
  EXPECT_EQ(m.blacklisted_missed, m.blacklisted_vehicles);
  EXPECT_EQ(m.alerts_sent, 0u);
}

TEST(Traffic, SameSeedSameRunWhateverTheThreads) {
  Scenario s = traffic_city(0.3, 2);
  s.replications = 3;
  s.duration = 300s;
  const std::vector<PolicyConfig> policies{builtin("local"), builtin("power_of_d")};
  EXPECT_EQ(to_json(run_scenario(s, policies, options(1)).report),
            to_json(run_scenario(s, policies, options(2)).report));
}

}  // namespace
}  // namespace fogsched::sim
