// The Markov-modulated Poisson process: config checks, the stationary distribution
// of its modulating chain, and exact generation of arrival times.
#include "fogsched/sim/arrival_processes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "fogsched/core/units.h"

namespace fogsched::sim {
namespace {

// Row sums may be off by rounding of hand-written decimals (1/3 as 0.333333333333).
constexpr double kRowSumTolerance = 1e-9;

// Every state reachable from `from` along jumps of positive probability; `forward`
// false follows the jumps backwards (which states reach `from`).
std::vector<bool> reachable(const std::vector<std::vector<double>>& jump, std::size_t from, bool forward) {
  const std::size_t n = jump.size();
  std::vector<bool> seen(n, false);
  std::vector<std::size_t> pending{from};
  seen[from] = true;
  while (!pending.empty()) {
    const std::size_t i = pending.back();
    pending.pop_back();
    for (std::size_t j = 0; j < n; ++j) {
      const double p = forward ? jump[i][j] : jump[j][i];
      if (p > 0 && !seen[j]) {
        seen[j] = true;
        pending.push_back(j);
      }
    }
  }
  return seen;
}

// The jump matrix a valid config implies (explicit, or uniform over the other states).
std::vector<std::vector<double>> jump_matrix(const MmppConfig& config) {
  if (!config.transition.empty()) return config.transition;
  const std::size_t n = config.states.size();
  std::vector<std::vector<double>> jump(n, std::vector<double>(n, 0.0));
  if (n == 1) return jump;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) jump[i][j] = i == j ? 0.0 : 1.0 / static_cast<double>(n - 1);
  }
  return jump;
}

// Solves a x = b for a dense, nonsingular n x n matrix (row-major) by Gaussian
// elimination with partial pivoting. The chains here have a handful of states, so a
// linear-algebra library would add a dependency for a dozen lines.
std::vector<double> solve_dense(std::vector<double> a, std::vector<double> b) {
  const std::size_t n = b.size();
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t row = col + 1; row < n; ++row) {
      if (std::abs(a[row * n + col]) > std::abs(a[pivot * n + col])) pivot = row;
    }
    if (pivot != col) {
      for (std::size_t k = 0; k < n; ++k) std::swap(a[col * n + k], a[pivot * n + k]);
      std::swap(b[col], b[pivot]);
    }
    for (std::size_t row = col + 1; row < n; ++row) {
      const double factor = a[row * n + col] / a[col * n + col];
      if (factor == 0) continue;
      for (std::size_t k = col; k < n; ++k) a[row * n + k] -= factor * a[col * n + k];
      b[row] -= factor * b[col];
    }
  }
  std::vector<double> x(n);
  for (std::size_t row = n; row-- > 0;) {
    double sum = b[row];
    for (std::size_t k = row + 1; k < n; ++k) sum -= a[row * n + k] * x[k];
    x[row] = sum / a[row * n + row];
  }
  return x;
}

// pi with pi Q = 0 and sum pi = 1: the transposed system Q^T pi = 0 with its last
// equation (redundant for an irreducible chain) replaced by the normalisation.
std::vector<double> stationary_distribution_of(const std::vector<MmppState>& states,
                                               const std::vector<std::vector<double>>& jump) {
  const std::size_t n = states.size();
  if (n == 1) return {1.0};
  std::vector<double> a(n * n, 0.0);  // a = Q^T
  for (std::size_t i = 0; i < n; ++i) {
    const double leave_rate = 1.0 / to_seconds(states[i].mean_sojourn);
    for (std::size_t j = 0; j < n; ++j) a[j * n + i] = i == j ? -leave_rate : leave_rate * jump[i][j];
  }
  for (std::size_t k = 0; k < n; ++k) a[(n - 1) * n + k] = 1.0;
  std::vector<double> b(n, 0.0);
  b[n - 1] = 1.0;
  std::vector<double> pi = solve_dense(std::move(a), std::move(b));
  // Rounding can leave -1e-17 for a state visited with tiny probability.
  for (double& p : pi) p = std::max(p, 0.0);
  return pi;
}

// t + seconds, or Time::max() when that does not fit (with a microsecond to spare
// for the rounding of the room to a double near 2^63 ns).
Time add_seconds_saturating(Time t, double seconds) {
  const double room_s = to_seconds(Time::max() - t) - 1e-6;
  if (seconds >= room_s) return Time::max();
  return t + from_seconds(seconds);
}

// Index i with u < cumulative[i], for cumulative weights whose last entry exceeds u.
std::uint32_t pick(std::span<const double> cumulative, double u) {
  const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
  return static_cast<std::uint32_t>(it - cumulative.begin());
}

}  // namespace

std::optional<MmppConfigProblem> check_mmpp_config(const MmppConfig& config) {
  const std::size_t n = config.states.size();
  if (n == 0) return MmppConfigProblem{"states", "expected at least one state"};
  for (std::size_t i = 0; i < n; ++i) {
    const MmppState& state = config.states[i];
    if (!std::isfinite(state.rate_per_s)) {
      return MmppConfigProblem{fmt::format("states.{}.rate", i),
                               fmt::format("must be finite, got {}", state.rate_per_s)};
    }
    if (state.rate_per_s < 0) {
      return MmppConfigProblem{fmt::format("states.{}.rate", i),
                               fmt::format("must not be negative, got {}/s", state.rate_per_s)};
    }
    if (state.mean_sojourn <= Duration::zero()) {
      return MmppConfigProblem{fmt::format("states.{}.mean_sojourn", i),
                               fmt::format("must be positive, got {}", format_duration(state.mean_sojourn))};
    }
  }

  const auto& transition = config.transition;
  if (!transition.empty()) {
    if (n == 1) return MmppConfigProblem{"transition", "a single state has no transitions; leave the matrix out"};
    if (transition.size() != n) {
      return MmppConfigProblem{"transition",
                               fmt::format("expected {} rows (one per state), got {}", n, transition.size())};
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (transition[i].size() != n) {
        return MmppConfigProblem{fmt::format("transition.{}", i),
                                 fmt::format("expected {} entries (one per state), got {}", n, transition[i].size())};
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      double sum = 0;
      for (std::size_t j = 0; j < n; ++j) {
        const double p = transition[i][j];
        if (!(p >= 0 && p <= 1)) {  // also refuses NaN
          return MmppConfigProblem{fmt::format("transition.{}.{}", i, j),
                                   fmt::format("must be a probability in [0, 1], got {}", p)};
        }
        if (i == j && p != 0) {
          return MmppConfigProblem{fmt::format("transition.{}.{}", i, j),
                                   fmt::format("must be 0 (a sojourn always ends in another state), got {}", p)};
        }
        sum += p;
      }
      if (std::abs(sum - 1.0) > kRowSumTolerance) {
        return MmppConfigProblem{fmt::format("transition.{}", i), fmt::format("entries must sum to 1, got {}", sum)};
      }
    }
    const std::vector<bool> from_first = reachable(transition, 0, true);
    const std::vector<bool> to_first = reachable(transition, 0, false);
    for (std::size_t j = 1; j < n; ++j) {
      if (!from_first[j]) {
        return MmppConfigProblem{
            "transition", fmt::format("state {} cannot be reached from state 0 (the chain must be irreducible)", j)};
      }
      if (!to_first[j]) {
        return MmppConfigProblem{
            "transition", fmt::format("state 0 cannot be reached from state {} (the chain must be irreducible)", j)};
      }
    }
  }

  if (config.initial_state && *config.initial_state >= n) {
    return MmppConfigProblem{"initial_state",
                             fmt::format("no state {} (the states are 0 to {})", *config.initial_state, n - 1)};
  }
  return std::nullopt;
}

MmppArrivals::MmppArrivals(const MmppConfig& config, Rng rng, RateProfile profile)
    : states_(config.states), rng_(rng), profile_(std::move(profile)) {
  if (const auto problem = check_mmpp_config(config)) {
    throw std::invalid_argument(problem->key + ": " + problem->message);
  }
  const std::size_t n = states_.size();
  const std::vector<std::vector<double>> jump = jump_matrix(config);

  // Per row, the cumulative jump probabilities; from the last reachable target on
  // the entry is above any uniform draw, so rounding in the sum never picks a
  // zero-probability state or runs off the row.
  cumulative_.assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    double sum = 0;
    std::size_t last_positive = 0;
    for (std::size_t j = 0; j < n; ++j) {
      sum += jump[i][j];
      cumulative_[i * n + j] = sum;
      if (jump[i][j] > 0) last_positive = j;
    }
    for (std::size_t j = last_positive; j < n; ++j) cumulative_[i * n + j] = 2.0;
  }

  stationary_ = stationary_distribution_of(states_, jump);
  for (std::size_t i = 0; i < n; ++i) {
    stationary_rate_ += stationary_[i] * states_[i].rate_per_s;
    any_positive_rate_ = any_positive_rate_ || states_[i].rate_per_s > 0;
  }

  std::uint32_t initial = 0;
  if (config.initial_state) {
    initial = *config.initial_state;
  } else {
    std::vector<double> cumulative_pi(n);
    double sum = 0;
    for (std::size_t i = 0; i < n; ++i) cumulative_pi[i] = sum += stationary_[i];
    cumulative_pi[n - 1] = 2.0;
    initial = pick(cumulative_pi, rng_.uniform01());
  }
  enter_state(initial, Time{});
}

void MmppArrivals::enter_state(std::uint32_t state, Time at) {
  state_ = state;
  state_ends_ = states_.size() == 1
                    ? Time::max()
                    : add_seconds_saturating(at, rng_.exponential(to_seconds(states_[state].mean_sojourn)));
}

std::uint32_t MmppArrivals::draw_jump_target() {
  const std::size_t n = states_.size();
  return pick(std::span<const double>(cumulative_).subspan(state_ * n, n), rng_.uniform01());
}

void MmppArrivals::advance_chain_to(Time t) {
  while (state_ends_ <= t) enter_state(draw_jump_target(), state_ends_);
  chain_time_ = t;
}

Time MmppArrivals::next(Time now) {
  assert(now >= chain_time_ && "MmppArrivals::next: time went backwards");
  if (!any_positive_rate_) return Time::max();
  Time t = now;
  advance_chain_to(t);
  for (;;) {
    const double factor = profile_.factor_at(t);
    const Time profile_change = profile_.next_change_after(t);
    if (factor <= 0 && profile_change == Time::max()) return Time::max();
    const Time segment_end = std::min(state_ends_, profile_change);
    const double rate = states_[state_].rate_per_s * factor;
    if (rate > 0) {
      const Time candidate = add_seconds_saturating(t, rng_.exponential(1.0 / rate));
      if (candidate < segment_end) return candidate;
    }
    if (segment_end == Time::max()) return Time::max();
    t = segment_end;
    advance_chain_to(t);
  }
}

}  // namespace fogsched::sim
