// The Azure Functions 2021 invocation trace: reading (every row checked, FILE:LINE
// errors), exact replay of starts and durations, and a replay that streams.
#include "fogsched/core/azure2021.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fogsched/core/scenario_yaml.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/runner.h"
#include "fogsched/sim/workload_sources.h"
#include "scenario_text.h"

namespace fogsched {
namespace {

using namespace std::chrono_literals;
using testing::ScenarioFiles;

// Sorted by end, as the published trace is: starts (end - duration) are not.
constexpr const char* kTrace =
    "app,func,end_timestamp,duration\n"
    "a1,f1,1.0,0.25\n"  // start 0.75
    "a1,f2,1.5,1.2\n"   // start 0.3
    "a2,f3,2.0,0.5\n"   // start 1.5
    "a1,f1,2.5,0.1\n"   // start 2.4
    "a2,f3,2.5,2.3\n"   // start 0.2
    "a3,f4,3.0,0.0\n";  // start 3.0

std::string scenario_yaml(const std::string& arrivals_extra = "", const std::string& workload_extra = "") {
  return fmt::format(R"(name: azure
duration: 10s
cluster: {{cameras: {{count: 3, slots: 1}}}}
functions:
  fn: {{service_time: {{dist: exponential, mean: 1s}}, payload: 10KB}}
workload:
  - function: fn{}
    arrivals: {{process: azure2021, file: trace.csv{}}}
)",
                     workload_extra, arrivals_extra);
}

class Azure2021 : public ScenarioFiles {
 protected:
  Scenario load(const std::string& trace, const std::string& arrivals_extra = "",
                const std::string& workload_extra = "") {
    write("trace.csv", trace);
    return load_scenario(write("s.yaml", scenario_yaml(arrivals_extra, workload_extra)));
  }
  std::string error_of(const std::string& trace, const std::string& arrivals_extra = "") {
    return testing::error_from([&] { load(trace, arrivals_extra); });
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
};

struct Replayed {
  std::int64_t at_ns;
  std::uint32_t camera;
  double work_s;
  friend bool operator==(const Replayed&, const Replayed&) = default;
};

std::vector<Replayed> replay(const Scenario& scenario) {
  const sim::City city(scenario);
  std::vector<Replayed> out;
  for (const sim::ClientArrival& a : sim::enumerate_arrivals(scenario, city, 7)) {
    out.push_back({a.at.time_since_epoch().count(), a.invocation.camera, a.invocation.work_s});
  }
  return out;
}

TEST_F(Azure2021, LoadingCountsRowsFunctionsAndInvocations) {
  const Scenario s = load(kTrace);
  const AzureInvocations2021& t = *s.workload[0].arrivals.azure.trace2021;
  EXPECT_EQ(t.rows_read, 6u);
  EXPECT_EQ(t.functions_seen, 4u);
  EXPECT_EQ(t.functions, (std::vector<std::string>{"f1", "f2", "f3", "f4"}));
  EXPECT_EQ(t.apps, (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(t.invocations_expected, 6u);
  EXPECT_EQ(t.reorder_lag, 2200ms);  // row 5 starts at 0.2s, after a row starting at 2.4s
}

TEST_F(Azure2021, ReplaysRecordedStartsAndDurationsExactly) {
  const std::vector<Replayed> expected = {
      {200'000'000, 1, 2.3},   // a2 -> camera 1 (apps dealt in order of first row)
      {300'000'000, 0, 1.2},   // a1 -> camera 0
      {750'000'000, 0, 0.25},  //
      {1'500'000'000, 1, 0.5}, {2'400'000'000, 0, 0.1}, {3'000'000'000, 2, 0.0},  // a3 -> camera 2
  };
  EXPECT_EQ(replay(load(kTrace)), expected);
}

TEST_F(Azure2021, EqualStartsKeepTheFileOrder) {
  const Scenario s = load("app,func,end_timestamp,duration\na1,f1,2,1\na2,f2,1.5,0.5\na3,f3,1,0\n");
  const std::vector<Replayed> replayed = replay(s);
  ASSERT_EQ(replayed.size(), 3u);
  EXPECT_EQ(replayed[0].camera, 0u);
  EXPECT_EQ(replayed[1].camera, 1u);
  EXPECT_EQ(replayed[2].camera, 2u);
}

TEST_F(Azure2021, TheSimulatorSeesTheReplayedInvocations) {
  const Scenario s = load(kTrace);
  const sim::ReplicationResult run =
      sim::simulate_replication(s, PolicyRegistry::with_builtins().parse("local"), 7, true);
  EXPECT_EQ(run.metrics.client_invocations, 6u);
}

TEST_F(Azure2021, TheReplayHoldsOnlyRowsThatALaterRowMayOvertake) {
  // 20,000 invocations over 200 s, sorted by end, each lasting at most 0.5 s: at
  // most the invocations of about 0.5 s (50) are ever held back.
  std::string text = "app,func,end_timestamp,duration\n";
  for (int i = 0; i < 20000; ++i)
    text += fmt::format("a{},f{},{:.3f},{:.3f}\n", i % 3, i % 5, 1 + i * 0.01, (i % 7) * 0.07);
  write("big.csv", text);
  const AzureInvocations2021 trace = read_azure2021(path("big.csv"), AzureSelection{});
  EXPECT_EQ(trace.rows_read, 20000u);
  AzureReplay2021 reader(trace);
  std::size_t most_held = 0;
  std::size_t replayed = 0;
  Duration previous{};
  while (const auto call = reader.next()) {
    most_held = std::max(most_held, reader.held());
    ASSERT_GE(call->start, previous);
    previous = call->start;
    ++replayed;
  }
  EXPECT_EQ(replayed, 20000u);
  EXPECT_LE(most_held, 60u);
}

TEST_F(Azure2021, MalformedRowsAreReportedAtTheirFileAndLine) {
  const std::string file = path("trace.csv");
  const std::string key = "workload.0.arrivals.file";
  EXPECT_EQ(error_of("app,func,end,duration\na,f,1,1\n"),
            fmt::format("{}:1: {}: bad header 'app,func,end,duration' (expected 'app,func,end_timestamp,duration')",
                        file, key));
  EXPECT_EQ(error_of("app,func,end_timestamp,duration\na,f,1,1\na,f,2\n"),
            fmt::format("{}:3: {}: expected 4 columns, got 3", file, key));
  EXPECT_EQ(error_of("app,func,end_timestamp,duration\na,f,soon,1\n"),
            fmt::format("{}:2: {}: end_timestamp: expected a non-negative number, got 'soon'", file, key));
  EXPECT_EQ(error_of("app,func,end_timestamp,duration\na,f,1,1\n\na,f,2,-1\n"),
            fmt::format("{}:4: {}: duration: expected a non-negative number, got '-1'", file, key));
  EXPECT_EQ(error_of("app,func,end_timestamp,duration\n,f,1,1\n"),
            fmt::format("{}:2: {}: app: missing app hash", file, key));
}

TEST_F(Azure2021, AnEmptyTraceOrAMissingFileIsReportedAtTheKey) {
  const std::string empty = error_of("app,func,end_timestamp,duration\n");
  EXPECT_NE(empty.find("s.yaml:8: workload.0.arrivals.file: 'trace.csv': the trace holds no invocation"),
            std::string::npos)
      << empty;
  write("s.yaml",
        "name: azure\nduration: 10s\ncluster: {cameras: {count: 3}}\nfunctions:\n  fn: {service_time: "
        "{dist: exponential, mean: 1s}}\nworkload:\n  - function: fn\n    arrivals: {process: azure2021, "
        "file: missing.csv}\n");
  const std::string missing = testing::error_from([&] { load_scenario(path("s.yaml")); });
  EXPECT_NE(missing.find("workload.0.arrivals.file: cannot read 'missing.csv'"), std::string::npos) << missing;
}

}  // namespace
}  // namespace fogsched
