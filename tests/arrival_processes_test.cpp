// The Markov-modulated Poisson process against closed forms: its stationary
// distribution, long-run rate, counts (Poisson for one state, the MMPP-2 index of
// dispersion for two), the rate profile hook, and every config refusal.
//
// Statistical tests use fixed seeds and accept within 3 standard errors, the
// standard error estimated from independent replications (batch means).
#include "fogsched/sim/arrival_processes.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "fogsched/core/rng.h"
#include "replication_statistics.h"

namespace fogsched::sim {
namespace {

using namespace std::chrono_literals;

using BatchMeans = fogsched::testing::MeanAndError;
using fogsched::testing::mean_and_error;

// Arrival counts in consecutive windows of `window` over [0, windows x window).
std::vector<double> counts_per_window(MmppArrivals& arrivals, Duration window, std::size_t windows) {
  std::vector<double> counts(windows, 0.0);
  const Time end = time_at(window * static_cast<std::int64_t>(windows));
  for (Time t = arrivals.next(Time{}); t < end; t = arrivals.next(t)) {
    counts[static_cast<std::size_t>(t.time_since_epoch() / window)] += 1;
  }
  return counts;
}

double mean_of(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double variance_of(const std::vector<double>& values) {
  const double mean = mean_of(values);
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return squares / static_cast<double>(values.size() - 1);
}

// The bursty camera of the issue: 1/s for 30 s on average, 10/s for 10 s.
MmppConfig bursty_camera() {
  return MmppConfig{.states = {{.rate_per_s = 1.0, .mean_sojourn = 30s}, {.rate_per_s = 10.0, .mean_sojourn = 10s}},
                    .transition = {},
                    .initial_state = std::nullopt};
}

TEST(Mmpp, TwoStateStationaryDistributionMatchesClosedForm) {
  const MmppConfig config = bursty_camera();
  const MmppArrivals arrivals(config, Rng(1));
  // Two states alternate, so the time fractions are the sojourns' shares.
  const double m0 = 30, m1 = 10;
  ASSERT_EQ(arrivals.stationary_distribution().size(), 2u);
  EXPECT_NEAR(arrivals.stationary_distribution()[0], m0 / (m0 + m1), 1e-12);
  EXPECT_NEAR(arrivals.stationary_distribution()[1], m1 / (m0 + m1), 1e-12);
  EXPECT_NEAR(arrivals.stationary_rate(), (m0 * 1.0 + m1 * 10.0) / (m0 + m1), 1e-12);
}

TEST(Mmpp, StationaryDistributionSolvesTheBalanceEquations) {
  const MmppConfig config{.states = {{.rate_per_s = 2, .mean_sojourn = 5s},
                                     {.rate_per_s = 0, .mean_sojourn = 20s},
                                     {.rate_per_s = 30, .mean_sojourn = 500ms},
                                     {.rate_per_s = 1, .mean_sojourn = 1min}},
                          .transition = {{0, 0.5, 0.5, 0}, {1, 0, 0, 0}, {0.2, 0, 0, 0.8}, {0, 0.3, 0.7, 0}},
                          .initial_state = std::nullopt};
  const MmppArrivals arrivals(config, Rng(1));
  const auto pi = arrivals.stationary_distribution();
  ASSERT_EQ(pi.size(), 4u);
  const std::size_t n = pi.size();
  double total = 0;
  double rate = 0;
  for (std::size_t j = 0; j < n; ++j) {
    // (pi Q)_j = sum_i pi_i q_i P_ij - pi_j q_j with q_i = 1 / mean sojourn.
    double flow = -pi[j] / to_seconds(config.states[j].mean_sojourn);
    for (std::size_t i = 0; i < n; ++i)
      flow += pi[i] / to_seconds(config.states[i].mean_sojourn) * config.transition[i][j];
    EXPECT_NEAR(flow, 0.0, 1e-12) << "state " << j;
    EXPECT_GT(pi[j], 0.0);
    total += pi[j];
    rate += pi[j] * config.states[j].rate_per_s;
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_NEAR(arrivals.stationary_rate(), rate, 1e-12);
}

TEST(Mmpp, UniformJumpsWhenNoMatrixIsGiven) {
  // Equal sojourns and uniform jumps: every state equally likely.
  const MmppConfig config{.states = {{1, 2s}, {2, 2s}, {3, 2s}}, .transition = {}, .initial_state = std::nullopt};
  const MmppArrivals arrivals(config, Rng(1));
  for (double p : arrivals.stationary_distribution()) EXPECT_NEAR(p, 1.0 / 3, 1e-12);
}

// Seed 42; 20 replications of 10^4 s (2 x 10^5 s in all, about 650 000 arrivals).
TEST(MmppStatistics, LongRunRateMatchesStationaryRate) {
  const MmppConfig config = bursty_camera();
  constexpr int kReplications = 20;
  const Time end = time_at(10'000s);
  std::vector<double> rates;
  std::vector<double> high_state_shares;  // fraction of arrivals seen in state 1
  double expected_rate = 0;
  double expected_high_share = 0;
  for (int r = 0; r < kReplications; ++r) {
    MmppArrivals arrivals(config, Rng(derive_seed(42, {static_cast<std::uint64_t>(r)})));
    expected_rate = arrivals.stationary_rate();
    expected_high_share = arrivals.stationary_distribution()[1] * config.states[1].rate_per_s / expected_rate;
    double count = 0;
    double in_high_state = 0;
    for (Time t = arrivals.next(Time{}); t < end; t = arrivals.next(t)) {
      count += 1;
      if (arrivals.state() == 1) in_high_state += 1;
    }
    rates.push_back(count / to_seconds(end));
    high_state_shares.push_back(in_high_state / count);
  }
  const BatchMeans rate = mean_and_error(rates);
  EXPECT_NEAR(rate.mean, expected_rate, 3 * rate.standard_error);
  EXPECT_LT(rate.standard_error, 0.02 * expected_rate) << "too few arrivals for the test to mean anything";
  // Arrivals come in state i in proportion to pi_i * rate_i (the chain as arrivals see it).
  const BatchMeans share = mean_and_error(high_state_shares);
  EXPECT_NEAR(share.mean, expected_high_share, 3 * share.standard_error);
}

// Seed 7; 10^5 windows of 1 s. Standard errors: mean sqrt(l/n); the sample variance
// of Poisson counts sqrt((l + 2 l^2) / n).
TEST(MmppStatistics, SingleStateIsPoisson) {
  constexpr double kRate = 5.0;
  constexpr std::size_t kWindows = 100'000;
  MmppArrivals arrivals(MmppConfig{.states = {{kRate, 1s}}, .transition = {}, .initial_state = std::nullopt}, Rng(7));
  EXPECT_DOUBLE_EQ(arrivals.stationary_rate(), kRate);
  const std::vector<double> counts = counts_per_window(arrivals, 1s, kWindows);
  const auto n = static_cast<double>(kWindows);
  EXPECT_NEAR(mean_of(counts), kRate, 3 * std::sqrt(kRate / n));
  EXPECT_NEAR(variance_of(counts), kRate, 3 * std::sqrt((kRate + 2 * kRate * kRate) / n));
  EXPECT_EQ(arrivals.state(), 0u);
}

// Index of dispersion of counts in a window t for a stationary two-state MMPP
// (Heffes & Lucantoni, 1986): with r_i the rates of leaving state i, r = r0 + r1,
// I(t) = 1 + 2 (l0 - l1)^2 r0 r1 / (r^3 mean_rate) * (1 - (1 - e^{-rt}) / (rt)).
// Seed 11; 20 replications of 2000 windows of 10 s.
TEST(MmppStatistics, TwoStateCountsHaveTheMmppDispersion) {
  const MmppConfig config = bursty_camera();
  constexpr Duration kWindow = 10s;
  constexpr std::size_t kWindows = 2000;
  constexpr int kReplications = 20;
  std::vector<double> dispersions;
  for (int r = 0; r < kReplications; ++r) {
    MmppArrivals arrivals(config, Rng(derive_seed(11, {static_cast<std::uint64_t>(r)})));
    const std::vector<double> counts = counts_per_window(arrivals, kWindow, kWindows);
    dispersions.push_back(variance_of(counts) / mean_of(counts));
  }
  const double l0 = config.states[0].rate_per_s, l1 = config.states[1].rate_per_s;
  const double r0 = 1 / to_seconds(config.states[0].mean_sojourn), r1 = 1 / to_seconds(config.states[1].mean_sojourn);
  const double r = r0 + r1;
  const double mean_rate = (r1 * l0 + r0 * l1) / r;
  const double rt = r * to_seconds(kWindow);
  const double expected =
      1 + 2 * (l0 - l1) * (l0 - l1) * r0 * r1 / (r * r * r * mean_rate) * (1 - (1 - std::exp(-rt)) / rt);
  const BatchMeans dispersion = mean_and_error(dispersions);
  EXPECT_NEAR(dispersion.mean, expected, 3 * dispersion.standard_error);
  EXPECT_LT(dispersion.standard_error, 0.05 * expected);
}

// Seed 3; 20 000 fresh processes. Binomial standard error of the share.
TEST(MmppStatistics, FirstStateIsDrawnFromTheStationaryDistribution) {
  constexpr int kDraws = 20'000;
  int in_first = 0;
  double pi0 = 0;
  for (int i = 0; i < kDraws; ++i) {
    const MmppArrivals arrivals(bursty_camera(), Rng(derive_seed(3, {static_cast<std::uint64_t>(i)})));
    pi0 = arrivals.stationary_distribution()[0];
    if (arrivals.state() == 0) ++in_first;
  }
  EXPECT_NEAR(in_first / double{kDraws}, pi0, 3 * std::sqrt(pi0 * (1 - pi0) / kDraws));
}

TEST(Mmpp, FixedInitialState) {
  MmppConfig config = bursty_camera();
  config.initial_state = 1;
  for (std::uint64_t seed = 0; seed < 20; ++seed) EXPECT_EQ(MmppArrivals(config, Rng(seed)).state(), 1u);
}

TEST(Mmpp, SameSeedSameArrivalsOtherSeedOthers) {
  MmppArrivals a(bursty_camera(), Rng(5));
  MmppArrivals b(bursty_camera(), Rng(5));
  MmppArrivals c(bursty_camera(), Rng(6));
  Time ta{}, tb{}, tc{};
  int differ = 0;
  for (int i = 0; i < 1000; ++i) {
    ta = a.next(ta);
    tb = b.next(tb);
    tc = c.next(tc);
    ASSERT_EQ(ta, tb);
    if (tc != ta) ++differ;
  }
  EXPECT_GT(differ, 990);
}

// Seed 9; the profile silences the first 100 s and triples the rate afterwards.
// 5 x 10^4 s at 6/s: Poisson standard error sqrt(6 / 5e4) on the rate.
TEST(MmppProfile, MultipliesEveryStatesRate) {
  const RateProfile profile({{.at = 0s, .factor = 0.0}, {.at = 100s, .factor = 3.0}}, Duration{});
  MmppArrivals arrivals(MmppConfig{.states = {{2.0, 1s}}, .transition = {}, .initial_state = std::nullopt}, Rng(9),
                        profile);
  const Time first = arrivals.next(Time{});
  EXPECT_GE(first, time_at(100s));
  const Time end = time_at(100s + 50'000s);
  double count = 0;
  for (Time t = first; t < end; t = arrivals.next(t)) count += 1;
  const double rate = count / 50'000;
  EXPECT_NEAR(rate, 6.0, 3 * std::sqrt(6.0 / 50'000));
}

TEST(MmppProfile, SilentForeverEndsTheStream) {
  const RateProfile profile({{.at = 50s, .factor = 0.0}}, Duration{});
  MmppArrivals arrivals(bursty_camera(), Rng(4), profile);
  Time t = arrivals.next(Time{});
  int count = 0;
  for (; t != Time::max(); t = arrivals.next(t)) {
    ASSERT_LT(t, time_at(50s));
    ++count;
  }
  EXPECT_GT(count, 0);
  EXPECT_EQ(arrivals.next(time_at(60s)), Time::max());
}

TEST(Mmpp, AllStatesSilentNeverArrives) {
  MmppArrivals arrivals(MmppConfig{.states = {{0, 1s}, {0, 2s}}, .transition = {}, .initial_state = std::nullopt},
                        Rng(1));
  EXPECT_EQ(arrivals.stationary_rate(), 0.0);
  EXPECT_EQ(arrivals.next(Time{}), Time::max());
}

// A draw beyond the end of representable time (about 292 years) saturates rather
// than overflowing: at 10^-15/s the mean wait is 10^15 s (seed 2; the chance of a
// draw below 9.2 x 10^9 s is 10^-5).
TEST(Mmpp, TinyRateSaturatesInsteadOfOverflowing) {
  MmppArrivals arrivals(MmppConfig{.states = {{1e-15, 1s}}, .transition = {}, .initial_state = std::nullopt}, Rng(2));
  EXPECT_EQ(arrivals.next(time_at(1h)), Time::max());
}

// A silent state in the cycle: no arrival is ever returned while the chain is in it.
TEST(Mmpp, SilentStateProducesNoArrivals) {
  MmppConfig config{.states = {{0, 5s}, {50, 1s}}, .transition = {}, .initial_state = std::nullopt};
  MmppArrivals arrivals(config, Rng(21));
  Time t{};
  for (int i = 0; i < 10'000; ++i) {
    t = arrivals.next(t);
    ASSERT_EQ(arrivals.state(), 1u);
  }
}

// ---- config refusals ------------------------------------------------------------------

struct BadConfig {
  const char* name;
  MmppConfig config;
  const char* key;
  const char* message;
};

TEST(MmppConfigCheck, EachProblemHasItsMessage) {
  const std::vector<MmppState> two = {{1, 30s}, {10, 10s}};
  const std::vector<MmppState> three = {{1, 30s}, {10, 10s}, {5, 1s}};
  const std::vector<BadConfig> cases = {
      {"no states", {{}, {}, std::nullopt}, "states", "expected at least one state"},
      {"negative rate", {{{1, 1s}, {-2, 1s}}, {}, std::nullopt}, "states.1.rate", "must not be negative, got -2/s"},
      {"infinite rate", {{{INFINITY, 1s}}, {}, std::nullopt}, "states.0.rate", "must be finite, got inf"},
      {"zero sojourn", {{{1, 1s}, {1, 0s}}, {}, std::nullopt}, "states.1.mean_sojourn", "must be positive, got 0"},
      {"negative sojourn", {{{1, -250ms}}, {}, std::nullopt}, "states.0.mean_sojourn", "must be positive, got -250ms"},
      {"matrix for one state",
       {{{1, 1s}}, {{0}}, std::nullopt},
       "transition",
       "a single state has no transitions; leave the matrix out"},
      {"too few rows",
       {three, {{0, 1, 0}, {1, 0, 0}}, std::nullopt},
       "transition",
       "expected 3 rows (one per state), got 2"},
      {"short row",
       {three, {{0, 1, 0}, {1, 0}, {1, 0, 0}}, std::nullopt},
       "transition.1",
       "expected 3 entries (one per state), got 2"},
      {"negative entry",
       {three, {{0, 1.5, -0.5}, {1, 0, 0}, {1, 0, 0}}, std::nullopt},
       "transition.0.1",
       "must be a probability in [0, 1], got 1.5"},
      {"nan entry",
       {two, {{0, NAN}, {1, 0}}, std::nullopt},
       "transition.0.1",
       "must be a probability in [0, 1], got nan"},
      {"non-zero diagonal",
       {three, {{0, 1, 0}, {0, 0.5, 0.5}, {1, 0, 0}}, std::nullopt},
       "transition.1.1",
       "must be 0 (a sojourn always ends in another state), got 0.5"},
      {"row not summing to 1",
       {three, {{0, 0.5, 0.4}, {1, 0, 0}, {1, 0, 0}}, std::nullopt},
       "transition.0",
       "entries must sum to 1, got 0.9"},
      {"unreachable state",
       {three, {{0, 1, 0}, {1, 0, 0}, {1, 0, 0}}, std::nullopt},
       "transition",
       "state 2 cannot be reached from state 0 (the chain must be irreducible)"},
      {"absorbing pair",
       {three, {{0, 0.5, 0.5}, {0, 0, 1}, {0, 1, 0}}, std::nullopt},
       "transition",
       "state 0 cannot be reached from state 1 (the chain must be irreducible)"},
      {"initial state out of range", {two, {}, 2}, "initial_state", "no state 2 (the states are 0 to 1)"},
  };
  for (const BadConfig& c : cases) {
    SCOPED_TRACE(c.name);
    const auto problem = check_mmpp_config(c.config);
    ASSERT_TRUE(problem.has_value());
    EXPECT_EQ(problem->key, c.key);
    EXPECT_EQ(problem->message, c.message);
    try {
      MmppArrivals arrivals(c.config, Rng(1));
      ADD_FAILURE() << "constructed";
    } catch (const std::invalid_argument& error) {
      EXPECT_EQ(std::string(error.what()), std::string(c.key) + ": " + c.message);
    }
  }
}

TEST(MmppConfigCheck, GoodConfigsPass) {
  EXPECT_FALSE(check_mmpp_config(bursty_camera()).has_value());
  EXPECT_FALSE(check_mmpp_config({{{0, 1s}}, {}, 0}).has_value());
  // Hand-written thirds sum to 1 within rounding.
  EXPECT_FALSE(check_mmpp_config(
                   {{{1, 1s}, {2, 1s}, {3, 1s}, {4, 1s}},
                    {{0, 0.333333333333, 0.333333333333, 0.333333333334}, {1, 0, 0, 0}, {0, 0, 0, 1}, {0, 0.5, 0.5, 0}},
                    std::nullopt})
                   .has_value());
}

}  // namespace
}  // namespace fogsched::sim
