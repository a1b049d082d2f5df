// The Azure Functions 2019 traces: reading both files (every row checked, FILE:LINE
// errors), the per-minute counts turned into arrivals (exact totals with the even
// rule, a chi-square test for the Poisson rule) and service times fitted to the
// percentiles (the input's percentiles reproduced).
#include "fogsched/core/azure2019.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fogsched/core/scenario_yaml.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/runner.h"
#include "fogsched/sim/workload_sources.h"
#include "scenario_text.h"

namespace fogsched {
namespace {

using namespace std::chrono_literals;
using testing::ScenarioFiles;

constexpr const char* kDurationsHeader =
    "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
    "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n";

// The invocations header with `minutes` minute columns.
std::string invocations_header(int minutes) {
  std::string header = "HashOwner,HashApp,HashFunction,Trigger";
  for (int m = 1; m <= minutes; ++m) header += fmt::format(",{}", m);
  return header + "\n";
}

std::string durations_row(const std::string& owner, const std::string& app, const std::string& function,
                          const std::string& percentiles = "10,20,50,100,150,300,400") {
  return fmt::format("{},{},{},100,5,10,400,{}\n", owner, app, function, percentiles);
}

constexpr const char* kInvocations =
    "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n"
    "o1,a1,f1,http,2,0,3\n"
    "o1,a2,f2,timer,1,1,1\n"
    "o2,a3,f3,queue,0,5,0\n"  // no durations row: not replayed
    "o1,a1,f4,http,4,4,4\n";

std::string kDurations() {
  return kDurationsHeader + durations_row("o1", "a1", "f1") + durations_row("o1", "a2", "f2") +
         durations_row("o1", "a1", "f4", "1,2,3,4,5,6,7");
}

std::string scenario_yaml(const std::string& extra, int cameras = 3, const std::string& duration = "3min") {
  return fmt::format(R"(name: azure
duration: {}
cluster: {{cameras: {{count: {}, slots: 1}}}}
functions:
  fn: {{service_time: {{dist: exponential, mean: 1s}}}}
workload:
  - function: fn
    arrivals: {{process: azure2019, invocations: inv.csv, durations: dur.csv{}}}
)",
                     duration, cameras, extra);
}

class Azure2019 : public ScenarioFiles {
 protected:
  Scenario load(const std::string& invocations, const std::string& durations, const std::string& extra = "",
                int cameras = 3, const std::string& duration = "3min") {
    write("inv.csv", invocations);
    write("dur.csv", durations);
    return load_scenario(write("s.yaml", scenario_yaml(extra, cameras, duration)));
  }
  std::string error_of(const std::string& invocations, const std::string& durations, const std::string& extra = "") {
    return testing::error_from([&] { load(invocations, durations, extra); });
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
};

std::vector<sim::ClientArrival> arrivals_of(const Scenario& scenario, std::uint64_t seed = 7) {
  const sim::City city(scenario);
  return sim::enumerate_arrivals(scenario, city, seed);
}

TEST_F(Azure2019, LoadingCountsRowsFunctionsAndInvocations) {
  const Scenario s = load(kInvocations, kDurations());
  const AzureInvocations2019& t = *s.workload[0].arrivals.azure.trace2019;
  EXPECT_EQ(t.rows_read, 4u);
  EXPECT_EQ(t.duration_rows_read, 3u);
  EXPECT_EQ(t.minutes, 3u);
  EXPECT_EQ(t.functions, (std::vector<std::string>{"f1", "f2", "f4"}));
  EXPECT_EQ(t.functions_without_durations, 1u);
  EXPECT_EQ(t.apps, (std::vector<std::string>{"o1,a1", "o1,a2"}));
  EXPECT_EQ(t.invocations_expected, 20u);
  // Function-major counts of the kept functions, zeros left out.
  EXPECT_EQ(t.function_start, (std::vector<std::uint64_t>{0, 2, 5, 8}));
  EXPECT_EQ(t.counts[1].minute, 2u);
  EXPECT_EQ(t.counts[1].count, 3u);
}

TEST_F(Azure2019, TheEvenRuleSpreadsEachMinutesCountExactly) {
  // Three functions, each its own app (so its own camera), five minutes.
  const int counts[3][5] = {{3, 0, 1, 7, 2}, {1, 1, 1, 1, 1}, {0, 12, 0, 0, 5}};
  std::string invocations = invocations_header(5);
  std::string durations = kDurationsHeader;
  for (int f = 0; f < 3; ++f) {
    invocations += fmt::format("o,a{},f{},http", f, f);
    for (int m = 0; m < 5; ++m) invocations += fmt::format(",{}", counts[f][m]);
    invocations += "\n";
    durations += durations_row("o", fmt::format("a{}", f), fmt::format("f{}", f));
  }
  const Scenario s = load(invocations, durations, ", within_minute: even", 3, "5min");
  std::map<std::pair<std::uint32_t, std::int64_t>, std::vector<std::int64_t>> times;  // (camera, minute) -> ns
  for (const sim::ClientArrival& a : arrivals_of(s)) {
    const std::int64_t ns = a.at.time_since_epoch().count();
    times[{a.invocation.camera, ns / 60'000'000'000}].push_back(ns % 60'000'000'000);
  }
  for (std::uint32_t f = 0; f < 3; ++f) {
    for (int m = 0; m < 5; ++m) {
      const int c = counts[f][m];
      std::vector<std::int64_t> expected;
      for (int i = 0; i < c; ++i) expected.push_back(i * 60'000'000'000 / c);
      EXPECT_EQ(times[std::make_pair(f, std::int64_t{m})], expected) << "function " << f << " minute " << m + 1;
    }
  }
}

// Wilson-Hilferty: the q-quantile of chi-square with k degrees of freedom, z the
// standard normal q-quantile.
double chi_square_quantile(double k, double z) {
  const double a = 2.0 / (9.0 * k);
  return k * std::pow(1.0 - a + z * std::sqrt(a), 3);
}

TEST_F(Azure2019, ThePoissonRuleDrawsEachMinutesCountAsAPoissonMean) {
  // One function over 300 minutes with counts 20..50. Each minute's number of
  // arrivals N_m is Poisson(c_m), so sum (N_m - c_m)^2 / c_m is about chi-square
  // with 300 degrees of freedom. Seed: replication seed 7; tolerance: two-sided,
  // 0.1% on each side (z = 3.09).
  constexpr int kMinutes = 300;
  std::string invocations = invocations_header(kMinutes) + "o,a,f,http";
  std::vector<int> counts;
  for (int m = 0; m < kMinutes; ++m) {
    counts.push_back(20 + (m * 7) % 31);
    invocations += fmt::format(",{}", counts.back());
  }
  invocations += "\n";
  const Scenario s =
      load(invocations, kDurationsHeader + durations_row("o", "a", "f"), ", within_minute: poisson", 1, "300min");
  std::vector<int> observed(kMinutes, 0);
  for (const sim::ClientArrival& a : arrivals_of(s)) ++observed[a.at.time_since_epoch().count() / 60'000'000'000];
  double statistic = 0;
  for (int m = 0; m < kMinutes; ++m) statistic += std::pow(observed[m] - counts[m], 2) / counts[m];
  EXPECT_GT(statistic, chi_square_quantile(kMinutes, -3.09));
  EXPECT_LT(statistic, chi_square_quantile(kMinutes, 3.09));
}

TEST(AzurePercentiles, TheQuantileFunctionIsLinearBetweenTheGivenPercentiles) {
  const PercentileServiceTime service({0.01, 0.02, 0.05, 0.1, 0.15, 0.3, 0.4});
  for (std::size_t i = 0; i < kAzurePercentileLevels.size(); ++i) {
    EXPECT_DOUBLE_EQ(service.quantile_s(kAzurePercentileLevels[i]), service.percentiles_s()[i]);
  }
  EXPECT_DOUBLE_EQ(service.quantile_s(0.125), 0.02 + 0.03 * (0.125 - 0.01) / 0.24);
  EXPECT_DOUBLE_EQ(service.quantile_s(0.995), 0.35);
}

TEST_F(Azure2019, DrawnServiceTimesReproduceTheInputPercentiles) {
  // 600 invocations a minute for 100 minutes: 60,000 draws of one function.
  std::string invocations = invocations_header(100) + "o,a,f,http";
  for (int m = 0; m < 100; ++m) invocations += ",600";
  const std::string percentiles_ms = "10,20,50,100,150,300,400";
  const Scenario s =
      load(invocations + "\n", kDurationsHeader + durations_row("o", "a", "f", percentiles_ms), "", 1, "100min");
  std::vector<double> work;
  for (const sim::ClientArrival& a : arrivals_of(s)) work.push_back(a.invocation.work_s);
  ASSERT_EQ(work.size(), 60000u);
  std::sort(work.begin(), work.end());
  const double given[] = {0.010, 0.020, 0.050, 0.100, 0.150, 0.300, 0.400};
  EXPECT_GE(work.front(), given[0]);
  EXPECT_LE(work.back(), given[6]);
  // At each given percentile the share of draws not above it is the level, within
  // four standard errors of a share of 60,000 draws.
  for (std::size_t i = 1; i + 1 < kAzurePercentileLevels.size(); ++i) {
    const double p = kAzurePercentileLevels[i];
    const double share = static_cast<double>(std::upper_bound(work.begin(), work.end(), given[i]) - work.begin()) /
                         static_cast<double>(work.size());
    EXPECT_NEAR(share, p, 4 * std::sqrt(p * (1 - p) / static_cast<double>(work.size()))) << "level " << p;
  }
}

TEST_F(Azure2019, MalformedRowsAreReportedAtTheirFileAndLine) {
  const std::string inv = path("inv.csv");
  const std::string dur = path("dur.csv");
  const std::string inv_key = "workload.0.arrivals.invocations";
  const std::string dur_key = "workload.0.arrivals.durations";
  EXPECT_EQ(error_of("HashOwner,HashApp,HashFunction,Trigger,1,3\n", kDurations()),
            fmt::format("{}:1: {}: bad header 'HashOwner,HashApp,HashFunction,Trigger,1,3' (expected "
                        "'HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440'; a sample may stop before minute "
                        "1440)",
                        inv, inv_key));
  EXPECT_EQ(error_of(std::string(kInvocations) + "o1,a9,f9,http,1,2\n", kDurations()),
            fmt::format("{}:6: {}: expected 7 columns, got 6", inv, inv_key));
  EXPECT_EQ(error_of("HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,many\n", kDurations()),
            fmt::format("{}:2: {}: minute 2: expected a count (a non-negative integer below 2^32), got 'many'", inv,
                        inv_key));
  EXPECT_EQ(error_of(std::string(kInvocations) + "o1,a1,f1,http,1,1,1\n", kDurations()),
            fmt::format("{}:6: {}: the function is listed twice (first at line 2)", inv, inv_key));
  EXPECT_EQ(error_of(kInvocations, kDurations() + durations_row("o", "a", "f", "10,20,15,100,150,300,400")),
            fmt::format("{}:5: {}: percentile_Average_25 (15) is below percentile_Average_1 (20): percentiles must "
                        "not decrease",
                        dur, dur_key));
  EXPECT_EQ(error_of(kInvocations, kDurations() + "o,a,f,1,2\n"),
            fmt::format("{}:5: {}: expected 14 columns, got 5", dur, dur_key));
  EXPECT_TRUE(error_of(kInvocations, "HashOwner,HashApp\n")
                  .starts_with(fmt::format("{}:1: {}: bad header 'HashOwner,HashApp' (expected "
                                           "'HashOwner,HashApp,HashFunction,Average,Count,",
                                           dur, dur_key)));
}

TEST_F(Azure2019, AWindowMustBeWholeMinutes) {
  const std::string error = error_of(kInvocations, kDurations(), ", window: {from: 30s}");
  EXPECT_NE(error.find("s.yaml:8: workload.0.arrivals.window.from: must be whole minutes with process: azure2019"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace fogsched
