// The random streams: reproducible, independent per label, and drawing from the
// distributions they claim.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "fogsched/core/rng.h"

namespace fogsched {
namespace {

TEST(Rng, SameSeedSameStreamDifferentSeedDifferentStream) {
  Rng a(123), b(123), c(124);
  bool any_difference = false;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a();
    EXPECT_EQ(x, b());
    any_difference |= x != c();
  }
  EXPECT_TRUE(any_difference);
}

TEST(Rng, DerivedSeedsDependOnEveryLabelAndItsPosition) {
  EXPECT_EQ(derive_seed(1, {2, 3}), derive_seed(1, {2, 3}));
  EXPECT_NE(derive_seed(1, {2, 3}), derive_seed(1, {3, 2}));
  EXPECT_NE(derive_seed(1, {2, 3}), derive_seed(2, {2, 3}));
  EXPECT_NE(derive_seed(1, {2}), derive_seed(1, {2, 0}));
}

TEST(Rng, UniformIndexIsUniform) {
  // 600 000 draws over 6 values; each share within 0.005 of 1/6 (about 5 sd). Seed 9.
  Rng rng(9);
  std::vector<int> counts(6);
  const int draws = 600'000;
  for (int i = 0; i < draws; ++i) ++counts[rng.uniform_index(6)];
  for (int c : counts) EXPECT_NEAR(static_cast<double>(c) / draws, 1.0 / 6.0, 0.005);
}

TEST(Rng, ExponentialAndNormalMoments) {
  // 10^6 draws, seed 11: the exponential's mean within 0.5 % (about 5 sd); the
  // normal's mean within 0.005 and variance within 1 %.
  Rng rng(11);
  const int draws = 1'000'000;
  double exp_sum = 0, norm_sum = 0, norm_sq = 0;
  for (int i = 0; i < draws; ++i) {
    exp_sum += rng.exponential(2.5);
    const double z = rng.standard_normal();
    norm_sum += z;
    norm_sq += z * z;
  }
  EXPECT_NEAR(exp_sum / draws, 2.5, 0.005 * 2.5);
  EXPECT_NEAR(norm_sum / draws, 0.0, 0.005);
  EXPECT_NEAR(norm_sq / draws, 1.0, 0.01);
}

TEST(Rng, Uniform01StaysInItsInterval) {
  Rng rng(5);
  for (int i = 0; i < 100'000; ++i) {
    const double u = rng.uniform01();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    const double v = rng.uniform01_open_low();
    EXPECT_GT(v, 0.0);
    EXPECT_LE(v, 1.0);
  }
}

}  // namespace
}  // namespace fogsched
