// What a run will cost, estimated before it starts: events against what the runs
// really processed, memory against the sizes that drive it, and the refusal of what
// cannot fit.
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fogsched/app/run_settings.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/known_loads.h"
#include "fogsched/sim/run_cost.h"
#include "fogsched/sim/runner.h"
#include "scenario_text.h"

namespace fogsched::sim {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kScenarios = std::string(FOGSCHED_SOURCE_DIR) + "/scenarios/";

app::PreparedRun prepared(const std::string& file, std::vector<std::string> overrides,
                          const app::RunSettings& settings) {
  return app::prepare_run(app::load_document(kScenarios + file, overrides), settings, PolicyRegistry::with_builtins());
}

app::RunSettings settings(std::uint32_t replications, std::optional<std::string> duration,
                          std::vector<std::string> policies) {
  app::RunSettings settings;
  settings.replications = replications;
  settings.duration = std::move(duration);
  if (!policies.empty()) settings.policies = std::move(policies);
  return settings;
}

// A grid of `cameras` cameras of `slots` slots, one function called once a second
// at each, run for `duration` under `policy`.
Scenario grid_city(std::uint32_t cameras, std::uint32_t slots, std::string_view duration, std::string_view policy) {
  return testing::parse(fmt::format(R"(
name: grid
duration: {}
cluster: {{cameras: {{count: {}, layout: grid, slots: {}}}}}
functions: {{f: {{service_time: {{dist: exponential, mean: 1s}}}}}}
workload: [{{function: f, arrivals: {{process: poisson, rate: 1/s}}}}]
policies: [{}]
)",
                                    duration, cameras, slots, policy));
}

double events_processed(const RunOutput& output) {
  double events = 0;
  for (const auto& policy : output.replications) {
    for (const ReplicationResult& r : policy) events += static_cast<double>(r.engine.events);
  }
  return events;
}

// The sample's events are deterministic (seeded like the run); they are expected
// within a factor of two of what the full run processes, over arrival processes,
// a rush-hour profile, traffic and gossip to every peer.
TEST(RunCost, TheSampledEventCountIsWithinAFactorOfTwoOfTheRun) {
  struct Case {
    std::string file;
    std::vector<std::string> overrides;
    app::RunSettings settings;
  };
  const std::vector<Case> cases = {
      {"erlang-b.yaml", {}, settings(2, "20min", {})},
      {"bursty-mmpp.yaml", {}, settings(1, "20min", {})},
      {"trace-replay.yaml", {}, settings(1, {}, {})},
      {"azure-sample.yaml", {}, settings(1, {}, {"local"})},
      {"city-rush-hour.yaml", {}, settings(1, {}, {"local"})},
      {"city-default.yaml", {"cluster.cameras.count=300"}, settings(1, "20s", {"least_loaded"})},
  };
  for (const Case& c : cases) {
    const app::PreparedRun run = prepared(c.file, c.overrides, c.settings);
    RunOptions options;
    options.threads = 2;
    const RunCost cost = estimate_by_sampling(run.scenario, run.policies, options);
    const double actual = events_processed(run_scenario(run.scenario, run.policies, options));
    ASSERT_TRUE(cost.events.has_value());
    EXPECT_GT(*cost.events, actual / 2) << c.file;
    EXPECT_LT(*cost.events, actual * 2) << c.file;
    EXPECT_GT(*cost.seconds, 0) << c.file;
  }
}

// 1000 loss nodes of 2 slots, Poisson arrivals, 10 minutes, 2 replications.
Scenario sized_cluster() {
  return testing::parse(R"(
name: sizes
duration: 10min
replications: 2
cluster: {cameras: {count: 1000, layout: grid, slots: 2}}
functions: {f: {service_time: {dist: exponential, mean: 1s}}}
workload: [{function: f, arrivals: {process: poisson, rate: 1/s}}]
policies: [local]
)");
}

TEST(RunCost, MemoryGrowsWithTheSizesAndNamesWhatDrivesIt) {
  const Scenario base = sized_cluster();
  RunOptions one_thread;
  const RunCost small = estimate_from_sizes(base, 1, one_thread);
  Scenario many_cameras = base;
  many_cameras.cameras.count = 100'000;
  const RunCost cameras = estimate_from_sizes(many_cameras, 1, one_thread);
  EXPECT_EQ(cameras.memory_key, "cluster.cameras.count");
  EXPECT_GT(cameras.memory_bytes - small.memory_bytes, 99'000ull * 1000);  // a kilobyte or more a camera
  EXPECT_EQ(cameras.memory_reason, "100000 cameras");

  Scenario many_replications = base;
  many_replications.replications = 1'000'000;
  const RunCost replications = estimate_from_sizes(many_replications, 3, one_thread);
  EXPECT_EQ(replications.memory_key, "replications");
  EXPECT_EQ(replications.memory_reason, "the results of 1000000 replications of 3 policies");
  // Each replication keeps its metrics: at least the histograms' buckets.
  EXPECT_GT(replications.memory_bytes, 3'000'000ull * 1000);
}

// Each camera remembers network.gossip_memory peers at most: the memory is priced
// from that bound up front (no sample), linear in cameras, never their square.
TEST(RunCost, GossipMemoryIsPricedFromItsBound) {
  Scenario city = grid_city(100'000, 4, "10min", "least_loaded");
  RunOptions one_thread;
  const RunCost small = estimate_from_sizes(city, 1, one_thread);
  city.network.gossip_memory = 1000;
  const RunCost large = estimate_from_sizes(city, 1, one_thread);
  const double per_camera = static_cast<double>(KnownLoads::bytes_for(1000, 4) - KnownLoads::bytes_for(kDefaultGossipMemory, 4));
  EXPECT_NEAR(static_cast<double>(large.memory_bytes - small.memory_bytes), 100'000 * per_camera, 2);
  EXPECT_LT(small.memory_bytes, 2'000'000'000u);  // a whole city fits
  city.network.gossip_memory = 4'000'000'000u;    // bounded by the peers there are
  EXPECT_LE(estimate_from_sizes(city, 1, one_thread).memory_bytes,
            small.memory_bytes + 100'000 * std::uint64_t{KnownLoads::bytes_for(99'999, 4)});
}

// Sizes go in unsigned arithmetic of doubles: the largest count is priced, not wrapped.
TEST(RunCost, TheLargestCountsArePricedWithoutOverflow) {
  Scenario scenario = grid_city(4'294'967'295u, 2, "1h", "local");
  scenario.replications = 4'294'967'295u;
  RunOptions options;
  options.threads = 64;
  const RunCost cost = estimate_from_sizes(scenario, 64, options);
  EXPECT_GT(cost.memory_bytes, 1'000'000'000'000'000ull);  // beyond a petabyte
}

// The address-space limit lowered to what the process holds plus `headroom`, for
// the scope's lifetime.
class AddressSpaceLimit {
 public:
  explicit AddressSpaceLimit(std::uint64_t headroom) {
    EXPECT_EQ(getrlimit(RLIMIT_AS, &saved_), 0);
    // The process's address space now, as the limit counts it.
    std::uint64_t vm_kib = 0;
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
      if (line.starts_with("VmSize:")) vm_kib = std::stoull(line.substr(7));
    }
    EXPECT_GT(vm_kib, 0u);
    rlimit lowered = saved_;
    lowered.rlim_cur = vm_kib * 1024 + headroom;
    EXPECT_EQ(setrlimit(RLIMIT_AS, &lowered), 0);
  }
  AddressSpaceLimit(const AddressSpaceLimit&) = delete;
  AddressSpaceLimit& operator=(const AddressSpaceLimit&) = delete;
  ~AddressSpaceLimit() { EXPECT_EQ(setrlimit(RLIMIT_AS, &saved_), 0); }

 private:
  rlimit saved_{};
};

// available_memory() honours the address-space limit: with it lowered to what the
// process holds plus 256 MiB, a run of ten million cameras is refused by name.
TEST(RunCost, WhatCannotFitUnderTheAddressSpaceLimitIsRefused) {
  RunCost cost;
  cost.memory_bytes = 12'000'000'000;
  cost.memory_key = "cluster.cameras.count";
  cost.memory_reason = "10000000 cameras";
  const std::uint64_t before = available_memory();
  std::uint64_t limited = 0;
  std::string message;
  {
    const AddressSpaceLimit limit(std::uint64_t{256} << 20);
    limited = available_memory();
    try {
      check_memory(cost);
    } catch (const ResourceError& e) {
      message = e.what();
    }
  }
  EXPECT_LE(limited, std::uint64_t{256} << 20);
  EXPECT_LE(limited, before);
  EXPECT_THAT(message, StartsWith("cluster.cameras.count: the run needs about 12 GB of memory for 10000000 cameras, "
                                  "more than the "));
  EXPECT_THAT(message, HasSubstr("this process can get; lower cluster.cameras.count"));
}

// A batch (run_scenarios) holds every run's city and results to its end, but has at
// most `threads` replications under way: 24 runs of 4096 cameras on 2 threads fit
// in 256 MiB, where pricing each run alone (a replication under way apiece) would
// refuse them; 160 runs do not fit.
TEST(RunCost, ABatchCountsEveryCityButOnlyTheReplicationsUnderWay) {
  Scenario scenario = sized_cluster();
  scenario.cameras.count = 4096;
  scenario.duration = std::chrono::seconds{10};
  scenario.replications = 1;
  const std::vector<PolicyConfig> local{PolicyRegistry::with_builtins().parse("local")};
  RunOptions one_thread;
  const RunCost alone = estimate_from_sizes(scenario, 1, one_thread);
  const std::vector<ScenarioRun> few(24, {scenario, local});
  const std::vector<ScenarioRun> many(160, {scenario, local});
  // Set before the run: a batch that passes the check is cancelled before it simulates.
  std::atomic<bool> cancel{true};
  RunOptions two_threads;
  two_threads.threads = 2;
  two_threads.cancel = &cancel;
  const auto outcome = [&](const std::vector<ScenarioRun>& runs) -> std::string {
    try {
      run_scenarios(runs, two_threads);
      return "ran";
    } catch (const Cancelled&) {
      return "fits";
    } catch (const ResourceError& e) {
      return e.what();
    }
  };
  std::uint64_t limited = 0;
  std::string few_outcome;
  std::string many_outcome;
  {
    const AddressSpaceLimit limit(std::uint64_t{256} << 20);
    limited = available_memory();
    few_outcome = outcome(few);
    many_outcome = outcome(many);
  }
  EXPECT_GT(few.size() * alone.memory_bytes, limited);
  EXPECT_EQ(few_outcome, "fits");
  // Named as the costliest run alone would be, with the batch's size.
  EXPECT_THAT(many_outcome, StartsWith(alone.memory_key + ": the run needs about "));
  EXPECT_THAT(many_outcome, HasSubstr(alone.memory_reason + ", with 159 more scenarios at once, more than the "));
}

// Parsing costs what the file holds: camera overrides of a scenario with 2^31 - 1
// cameras used to take a table entry per camera (1.5 GB at 10^8 cameras).
TEST(RunCost, ParsingOverridesOfAHugeClusterAllocatesLittle) {
  const std::string yaml = R"(
name: huge
duration: 1h
cluster:
  cameras:
    count: 2147483647
    layout: grid
    slots: 2
    overrides:
      - {cameras: [0, 5, 2147483646], speed: 1.5}
      - {camera: 3, slots: 4}
functions: {f: {service_time: {dist: exponential, mean: 1s}}}
workload: [{function: f, arrivals: {process: poisson, rate: 1/s}}]
policies: [local]
)";
  const std::size_t before = mallinfo2().uordblks;
  std::size_t peak = before;
  {
    const Scenario scenario = testing::parse(yaml);
    peak = std::max(peak, mallinfo2().uordblks);
    EXPECT_EQ(scenario.cameras.overrides.size(), 2u);
  }
  EXPECT_LT(peak - before, std::size_t{16} << 20);
  EXPECT_THAT(testing::error_of(R"(
name: twice
duration: 1h
cluster:
  cameras:
    count: 2147483647
    layout: grid
    overrides:
      - {cameras: [7, 2147483646], speed: 1.5}
      - {camera: 2147483646, slots: 4}
functions: {f: {service_time: {dist: exponential, mean: 1s}}}
workload: [{function: f, arrivals: {process: poisson, rate: 1/s}}]
policies: [local]
)"),
              HasSubstr("camera 2147483646 is already overridden by cluster.cameras.overrides.0"));
}

TEST(RunCost, RoughQuantitiesReadAsAPersonWouldSayThem) {
  EXPECT_EQ(format_rough_bytes(512), "512 B");
  EXPECT_EQ(format_rough_bytes(1.5e9), "1.5 GB");
  EXPECT_EQ(format_rough_bytes(312e9), "312 GB");
  EXPECT_EQ(format_rough_count(973'000), "973 thousand");
  EXPECT_EQ(format_rough_count(4.1e6), "4.1 million");
  EXPECT_EQ(format_rough_count(12), "12");
  EXPECT_EQ(format_rough_seconds(0.2), "under a second");
  EXPECT_EQ(format_rough_seconds(45), "45 s");
  EXPECT_EQ(format_rough_seconds(210), "3.5 min");
  EXPECT_EQ(format_rough_seconds(3 * 86400.0), "3.0 days");
  EXPECT_EQ(format_rough_seconds(5e7), "579 days");
  EXPECT_EQ(format_rough_seconds(5e8), "16 years");
}

}  // namespace
}  // namespace fogsched::sim
