// Mapping an Azure Functions trace onto the city: which functions replay (all, top
// K, a list, a sample with the scenario seed), at which cameras (per app, spread,
// weighted), over which window and how fast, and the errors of these keys.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fogsched/core/azure2019.h"
#include "fogsched/core/azure2021.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/workload_sources.h"
#include "scenario_text.h"

namespace fogsched {
namespace {

using testing::ScenarioFiles;

// Function fK of app a(K % 3) is invoked K+1 times, once a second from K seconds on,
// each invocation lasting 10 ms.
std::string trace_2021() {
  std::string text = "app,func,end_timestamp,duration\n";
  for (int k = 0; k < 6; ++k) {
    for (int i = 0; i <= k; ++i) text += fmt::format("a{},f{},{}.01,0.01\n", k % 3, k, k + i);
  }
  return text;
}

class AzureMapping : public ScenarioFiles {
 protected:
  Scenario load(const std::string& arrivals_extra, const std::string& workload_extra = "", std::uint64_t seed = 1,
                int cameras = 4) {
    write("t.csv", trace_2021());
    return load_scenario(write("s.yaml", fmt::format(R"(name: m
seed: {}
duration: 1h
cluster: {{cameras: {{count: {}}}}}
functions:
  fn: {{service_time: {{dist: exponential, mean: 1s}}}}
workload:
  - function: fn{}
    arrivals: {{process: azure2021, file: t.csv{}}}
)",
                                                     seed, cameras, workload_extra, arrivals_extra)));
  }
  std::string error_of(const std::string& arrivals_extra, const std::string& workload_extra = "") {
    return testing::error_from([&] { load(arrivals_extra, workload_extra); });
  }
};

const AzureInvocations2021& trace_of(const Scenario& s) { return *s.workload[0].arrivals.azure.trace2021; }

std::vector<sim::ClientArrival> arrivals_of(const Scenario& scenario, std::uint64_t seed = 3) {
  const sim::City city(scenario);
  return sim::enumerate_arrivals(scenario, city, seed);
}

TEST_F(AzureMapping, FunctionsAllTopAListOrASampleWithTheScenarioSeed) {
  EXPECT_EQ(trace_of(load("")).functions, (std::vector<std::string>{"f0", "f1", "f2", "f3", "f4", "f5"}));
  EXPECT_EQ(trace_of(load(", functions: {top: 2}")).functions, (std::vector<std::string>{"f4", "f5"}));
  const Scenario listed = load(", functions: [f3, f1]");
  EXPECT_EQ(trace_of(listed).functions, (std::vector<std::string>{"f1", "f3"}));
  EXPECT_EQ(trace_of(listed).invocations_expected, 6u);
  EXPECT_EQ(arrivals_of(listed).size(), 6u);

  // A sample is the same for a seed, and the seeds do not all draw the same one.
  std::set<std::vector<std::string>> samples;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const std::vector<std::string> sample = trace_of(load(", functions: {sample: 3}", "", seed)).functions;
    EXPECT_EQ(sample.size(), 3u);
    EXPECT_EQ(trace_of(load(", functions: {sample: 3}", "", seed)).functions, sample);
    samples.insert(sample);
  }
  EXPECT_GT(samples.size(), 1u);
}

TEST_F(AzureMapping, PerAppDealsTheAppsToTheReceivingCameras) {
  // Apps a0, a1, a2 (in order of first row) to cameras 3, 1, 3.
  std::map<std::uint32_t, int> per_camera;
  for (const sim::ClientArrival& a : arrivals_of(load(", placement: per_app", "\n    cameras: [3, 1]"))) {
    ++per_camera[a.invocation.camera];
  }
  // a0: f0 + f3 = 1 + 4, a1: f1 + f4 = 2 + 5, a2: f2 + f5 = 3 + 6.
  EXPECT_EQ(per_camera, (std::map<std::uint32_t, int>{{3, 5 + 9}, {1, 7}}));
}

TEST_F(AzureMapping, SpreadAndWeightedDrawEachInvocationsCamera) {
  std::map<std::uint32_t, int> spread;
  for (const sim::ClientArrival& a : arrivals_of(load(", placement: spread"))) ++spread[a.invocation.camera];
  EXPECT_EQ(spread.size(), 4u);
  std::map<std::uint32_t, int> weighted;
  for (const sim::ClientArrival& a : arrivals_of(load(", placement: weighted, weights: [0, 1, 0, 3]"))) {
    ++weighted[a.invocation.camera];
  }
  EXPECT_EQ(weighted.count(0), 0u);
  EXPECT_EQ(weighted.count(2), 0u);
  EXPECT_EQ(weighted[1] + weighted[3], 21);
}

TEST_F(AzureMapping, AWindowAndASpeedupMoveAndCompressTraceTime) {
  // The invocations starting in [3s, 5s) of trace time (fK starts at K + i, i <= K),
  // replayed from time 0 four times faster.
  const Scenario s = load(", window: {from: 3s, for: 2s}, speedup: 4");
  std::vector<std::int64_t> at;
  for (const sim::ClientArrival& a : arrivals_of(s)) at.push_back(a.at.time_since_epoch().count());
  std::vector<std::int64_t> expected;
  for (int start = 3; start < 5; ++start) {
    for (int k = 0; k < 6; ++k) {
      if (start >= k && start - k <= k) expected.push_back((start - 3) * 1'000'000'000 / 4);
    }
  }
  EXPECT_EQ(at, expected);
  EXPECT_EQ(trace_of(s).invocations_expected, expected.size());
}

TEST_F(AzureMapping, TheKeysAreChecked) {
  struct Case {
    std::string arrivals_extra;
    std::string workload_extra;
    std::string message;  // a part of what() naming the key and the problem
  };
  const Case cases[] = {
      {", functions: {top: 0}", "", "workload.0.arrivals.functions.top: "},
      {", functions: {top: 2, sample: 2}", "",
       "workload.0.arrivals.functions: expected exactly one of 'top' and 'sample'"},
      {", functions: some", "",
       "workload.0.arrivals.functions: expected all, a list of function hashes, {top: K} or {sample: K}, got 'some'"},
      {", functions: [f1, f9]", "", "s.yaml:9: workload.0.arrivals.functions.1: function 'f9' is not in the trace"},
      {", placement: weighted", "", "workload.0.arrivals.placement: placement: weighted needs 'weights'"},
      {", weights: [1, 1, 1, 1]", "", "workload.0.arrivals.weights: only used with placement: weighted"},
      {", placement: weighted, weights: [1, 2]", "",
       "workload.0.arrivals.weights: expected 4 weights (one per camera receiving the workload), got 2"},
      {", speedup: 0", "", "workload.0.arrivals.speedup: "},
      {", scale: 2", "", "workload.0.arrivals.scale: only used with process: azure2019 (process is azure2021)"},
      {", window: {from: 1h}", "", "workload.0.arrivals: no invocation of the chosen functions falls in the window"},
      {", rate: 1/s", "", "workload.0.arrivals.rate: only used with process: poisson"},
      {"", "\n    cameras: [9]", "workload.0.cameras.0: camera 9 does not exist"},
  };
  for (const Case& c : cases) {
    const std::string error = error_of(c.arrivals_extra, c.workload_extra);
    EXPECT_NE(error.find(c.message), std::string::npos) << c.arrivals_extra << c.workload_extra << ": " << error;
  }
}

class AzureScale : public ScenarioFiles {};

TEST_F(AzureScale, AScaleMultipliesTheCountsAndCarriesFractions) {
  // One function counted 3 a minute for 4 minutes; scale 0.5 gives 1, 2, 1, 2.
  write("inv.csv", "HashOwner,HashApp,HashFunction,Trigger,1,2,3,4\no,a,f,http,3,3,3,3\n");
  write("dur.csv",
        "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
        "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,"
        "percentile_Average_100\no,a,f,1,1,1,1,1,1,1,1,1,1,1\n");
  const Scenario s = load_scenario(write("s.yaml", R"(name: m
duration: 1h
cluster: {cameras: {count: 1}}
functions:
  fn: {service_time: {dist: exponential, mean: 1s}}
workload:
  - function: fn
    arrivals: {process: azure2019, invocations: inv.csv, durations: dur.csv, scale: 0.5, window: {from: 1min}}
)"));
  std::vector<int> per_minute(3, 0);
  for (const sim::ClientArrival& a : arrivals_of(s)) {
    ++per_minute[static_cast<std::size_t>(a.at.time_since_epoch().count() / 60'000'000'000)];
    EXPECT_DOUBLE_EQ(a.invocation.work_s, 0.001);
  }
  EXPECT_EQ(per_minute, (std::vector<int>{1, 2, 1}));  // minutes 2..4 of the trace
}

}  // namespace
}  // namespace fogsched
