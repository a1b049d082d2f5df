// Results as they read: the rounding rule and the best-per-metric marks.
#include "fogsched/core/result_text.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace fogsched {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string rounded(double mean, double ci95, double scale = 1.0) {
  return round_to_interval({mean, ci95}, scale).joined();
}

TEST(RoundToInterval, TwoDigitsOfTheHalfWidthWhenItsLeadingDigitsAreAtMost354) {
  EXPECT_EQ(rounded(0.002437, 0.001142), "0.0024 ± 0.0011");
  EXPECT_EQ(rounded(0.2219, 0.0014), "0.2219 ± 0.0014");
  EXPECT_EQ(rounded(998.94, 2.1), "998.9 ± 2.1");
  EXPECT_EQ(rounded(0.5, 0.00354), "0.5000 ± 0.0035");
}

TEST(RoundToInterval, OneDigitWhenTheyAre355To949) {
  EXPECT_EQ(rounded(0.4641, 0.0042), "0.464 ± 0.004");
  EXPECT_EQ(rounded(0.5, 0.00355), "0.500 ± 0.004");
  EXPECT_EQ(rounded(1944.9, 9.49), "1945 ± 9");
}

TEST(RoundToInterval, From950UpTheHalfWidthRoundsUpToTwoDigits) {
  EXPECT_EQ(rounded(0.5, 0.0097), "0.500 ± 0.010");
  EXPECT_EQ(rounded(1944.9, 9.5), "1945 ± 10");
  EXPECT_EQ(rounded(3.0, 0.999), "3.0 ± 1.0");
}

TEST(RoundToInterval, WideIntervalsRoundTheMeanToTensAndHundreds) {
  EXPECT_EQ(rounded(2664.8, 17.6), "2665 ± 18");
  EXPECT_EQ(rounded(12345, 176), "12350 ± 180");  // halves round away from zero
  EXPECT_EQ(rounded(12345, 420), "12300 ± 400");
}

TEST(RoundToInterval, ExactPowersOfTenAndNegativeMeans) {
  EXPECT_EQ(rounded(0.25, 0.001), "0.2500 ± 0.0010");
  EXPECT_EQ(rounded(-0.25, 0.01), "-0.250 ± 0.010");
  EXPECT_EQ(rounded(-0.0001, 0.01), "0.000 ± 0.010");  // no "-0.000"
}

TEST(RoundToInterval, ScaleConvertsBeforeRounding) { EXPECT_EQ(rounded(1.0149, 0.0011, 1000.0), "1014.9 ± 1.1"); }

TEST(RoundToInterval, WithoutAnIntervalTheMeanKeepsFourSignificantDigits) {
  EXPECT_EQ(rounded(4.6, kNaN, 1000.0), "4600");
  EXPECT_EQ(rounded(0.012345, kNaN), "0.01235");
  EXPECT_EQ(rounded(0.125, kNaN), "0.1250");
  EXPECT_TRUE(round_to_interval({0.125, kNaN}).half_width.empty());
}

TEST(RoundToInterval, NoSpreadAndNoValue) {
  EXPECT_EQ(rounded(0, 0), "0 ± 0");
  EXPECT_EQ(rounded(0.75, 0), "0.7500 ± 0");
  EXPECT_EQ(rounded(kNaN, 0.1), "n/a");
  EXPECT_EQ(rounded(0, kNaN), "0");
}

PolicyResult with_rejection(std::string name, double mean) {
  PolicyResult r;
  r.policy = std::move(name);
  r.rejection_probability = {mean, 0.01};
  r.jain_fairness = {1 - mean, 0.01};
  return r;
}

TEST(BestPolicy, LowestOrHighestMeanByTheMetricsDirection) {
  const std::vector<PolicyResult> results{with_rejection("a", 0.2), with_rejection("b", 0.05),
                                          with_rejection("c", 0.1)};
  EXPECT_EQ(best_policy(results, *find_metric("rejection")), 1u);
  EXPECT_EQ(best_policy(results, *find_metric("jain")), 1u);                   // highest
  EXPECT_EQ(best_policy(results, *find_metric("utilization")), std::nullopt);  // no direction
}

TEST(BestPolicy, NoneForATieOrASinglePolicy) {
  std::vector<PolicyResult> results{with_rejection("a", 0.05), with_rejection("b", 0.05), with_rejection("c", 0.1)};
  EXPECT_EQ(best_policy(results, *find_metric("rejection")), std::nullopt);
  results[1].rejection_probability.mean = kNaN;  // a missing value is no contender
  EXPECT_EQ(best_policy(results, *find_metric("rejection")), 0u);
  EXPECT_EQ(best_policy({with_rejection("a", 0.05)}, *find_metric("rejection")), std::nullopt);
}

TEST(MetricCatalogue, NamesAreUniqueAndFound) {
  std::vector<std::string_view> names;
  for (const auto catalogue : {comparison_metrics(), alert_metrics()}) {
    for (const MetricColumn& m : catalogue) {
      EXPECT_EQ(find_metric(m.name), &m);
      for (const std::string_view seen : names) EXPECT_NE(seen, m.name);
      names.push_back(m.name);
    }
  }
  EXPECT_EQ(find_metric("nonsense"), nullptr);
}

}  // namespace
}  // namespace fogsched
