// Student t intervals, the quantile histogram's error bound, and Jain's index.
#include "fogsched/core/stats.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace fogsched {
namespace {

// Printed tables give three decimals.
constexpr double kTableTolerance = 5e-4;

TEST(StudentT, MatchesPrintedTableValues) {
  EXPECT_NEAR(student_t_975(1), 12.706, kTableTolerance);
  EXPECT_NEAR(student_t_975(2), 4.303, kTableTolerance);
  EXPECT_NEAR(student_t_975(4), 2.776, kTableTolerance);
  EXPECT_NEAR(student_t_975(9), 2.262, kTableTolerance);
  EXPECT_NEAR(student_t_975(30), 2.042, kTableTolerance);
  EXPECT_NEAR(student_t_975(1000), 1.962, kTableTolerance);
}

TEST(StudentT, ZeroDegreesOfFreedomIsRejected) { EXPECT_THROW(student_t_975(0), std::invalid_argument); }

TEST(Estimate, MeanAndHalfWidthOfKnownData) {
  // Sample variance of 1..5 is 2.5; t(0.975, 4) = 2.7764451 (tables).
  const std::vector<double> data = {1, 2, 3, 4, 5};
  const Estimate e = estimate(data);
  EXPECT_DOUBLE_EQ(e.mean, 3.0);
  EXPECT_NEAR(e.ci95, 2.7764451 * std::sqrt(2.5) / std::sqrt(5.0), 1e-6);
}

TEST(Estimate, IdenticalReplicationsHaveZeroWidth) {
  const std::vector<double> data = {0.25, 0.25, 0.25};
  const Estimate e = estimate(data);
  EXPECT_DOUBLE_EQ(e.mean, 0.25);
  EXPECT_DOUBLE_EQ(e.ci95, 0.0);
}

TEST(Estimate, SingleReplicationHasNoInterval) {
  const std::vector<double> data = {0.7};
  const Estimate e = estimate(data);
  EXPECT_DOUBLE_EQ(e.mean, 0.7);
  EXPECT_TRUE(std::isnan(e.ci95));
}

TEST(Estimate, NoReplicationsHasNoMean) {
  const Estimate e = estimate({});
  EXPECT_TRUE(std::isnan(e.mean));
  EXPECT_TRUE(std::isnan(e.ci95));
}

// Nearest-rank quantile of sorted data: the ceil(q n)-th smallest value.
double exact_quantile(const std::vector<double>& sorted, double q) {
  const auto rank =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size()))));
  return sorted[rank - 1];
}

// The stated bound: relative error 2^-kSubBucketBits, plus the lowest resolvable
// value (2^-20 s) for values near zero.
double histogram_tolerance(double exact) {
  return std::ldexp(exact, -QuantileHistogram::kSubBucketBits) + std::ldexp(1.0, -20);
}

const std::vector<double> kQuantiles = {0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0};

TEST(QuantileHistogram, QuantilesOfExponentialSamplesWithinRelativeError) {
  std::mt19937_64 rng(20240601);
  std::exponential_distribution<double> service(1.0 / 0.8);  // mean 0.8 s
  std::vector<double> samples(100'000);
  QuantileHistogram histogram;
  for (double& x : samples) {
    x = service(rng);
    histogram.record(x);
  }
  std::sort(samples.begin(), samples.end());

  EXPECT_EQ(histogram.count(), samples.size());
  EXPECT_DOUBLE_EQ(histogram.max(), samples.back());
  double sum = 0;
  for (const double x : samples) sum += x;
  EXPECT_NEAR(histogram.mean(), sum / static_cast<double>(samples.size()), 1e-12);
  for (const double q : kQuantiles) {
    const double exact = exact_quantile(samples, q);
    EXPECT_NEAR(histogram.quantile(q), exact, histogram_tolerance(exact)) << "q = " << q;
  }
}

TEST(QuantileHistogram, RelativeErrorHoldsAcrossMagnitudes) {
  // Log-uniform over 10 µs .. 10^4 s exercises every bucket in between.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-5.0, 4.0);
  std::vector<double> samples(50'000);
  QuantileHistogram histogram;
  for (double& x : samples) {
    x = std::pow(10.0, exponent(rng));
    histogram.record(x);
  }
  std::sort(samples.begin(), samples.end());
  for (const double q : kQuantiles) {
    const double exact = exact_quantile(samples, q);
    EXPECT_NEAR(histogram.quantile(q), exact, histogram_tolerance(exact)) << "q = " << q;
  }
}

TEST(QuantileHistogram, MergeEqualsRecordingEverything) {
  std::mt19937_64 rng(99);
  std::lognormal_distribution<double> response(0.0, 1.0);
  QuantileHistogram all;
  QuantileHistogram first_half;
  QuantileHistogram second_half;
  for (int i = 0; i < 20'000; ++i) {
    const double x = response(rng);
    all.record(x);
    (i % 2 == 0 ? first_half : second_half).record(x);
  }
  // Merging into an empty histogram and into a populated one.
  QuantileHistogram merged;
  merged.merge(first_half);
  merged.merge(second_half);

  EXPECT_EQ(merged.count(), all.count());
  EXPECT_DOUBLE_EQ(merged.max(), all.max());
  EXPECT_NEAR(merged.mean(), all.mean(), 1e-12 * all.mean());
  for (const double q : kQuantiles) EXPECT_EQ(merged.quantile(q), all.quantile(q)) << "q = " << q;
}

TEST(QuantileHistogram, EmptyAndEdgeValues) {
  QuantileHistogram histogram;
  EXPECT_EQ(histogram.quantile(0.5), 0.0);
  EXPECT_EQ(histogram.mean(), 0.0);

  histogram.record(0.0);
  EXPECT_EQ(histogram.quantile(1.0), 0.0);
  histogram.record(3.0);
  EXPECT_NEAR(histogram.quantile(1.0), 3.0, histogram_tolerance(3.0));
  EXPECT_LE(histogram.quantile(1.0), 3.0);  // never above the largest value recorded

  EXPECT_THROW(histogram.record(-1.0), std::invalid_argument);
  EXPECT_THROW(histogram.record(std::nan("")), std::invalid_argument);
  EXPECT_EQ(histogram.count(), 2u);
}

TEST(JainFairness, KnownValues) {
  const std::vector<double> equal = {0.5, 0.5, 0.5, 0.5};
  EXPECT_DOUBLE_EQ(jain_fairness(equal), 1.0);

  const std::vector<double> one_busy = {0.9, 0.0, 0.0, 0.0};
  EXPECT_DOUBLE_EQ(jain_fairness(one_busy), 0.25);

  const std::vector<double> mixed = {1, 2, 3};  // 6^2 / (3 * 14)
  EXPECT_DOUBLE_EQ(jain_fairness(mixed), 36.0 / 42.0);

  const std::vector<double> zeros = {0, 0, 0};
  EXPECT_DOUBLE_EQ(jain_fairness(zeros), 1.0);
  EXPECT_DOUBLE_EQ(jain_fairness({}), 1.0);
}

}  // namespace
}  // namespace fogsched
