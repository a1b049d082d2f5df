#pragma once
// Arrival processes beyond the plain Poisson stream: a Markov-modulated Poisson
// process for bursty cameras, and the replay of a recorded trace.
//
// Both are pull-style generators the simulator drives from its arrival event: ask
// for the next arrival, schedule it, and ask again when it fires. Neither allocates
// after construction.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fogsched/core/rng.h"
#include "fogsched/core/time.h"
#include "fogsched/core/trace_csv.h"
#include "fogsched/sim/city.h"

namespace fogsched::sim {

// ---- Markov-modulated Poisson process ---------------------------------------------

// One state of the modulating chain: arrivals are Poisson at `rate_per_s` while the
// chain is here, and the chain stays an exponential time of mean `mean_sojourn`.
struct MmppState {
  double rate_per_s = 0;    // >= 0 and finite; 0 = a silent state
  Duration mean_sojourn{};  // > 0
};

// A continuous-time Markov chain over `states` modulating a Poisson process.
//
// Suggested scenario keys (the key names in MmppConfigProblem::key follow them):
//   arrivals: {process: mmpp,
//              states: [{rate: 1/s, mean_sojourn: 30s}, {rate: 10/s, mean_sojourn: 10s}],
//              transition: [[0, 1], [1, 0]],   # optional
//              initial_state: 0}               # optional
struct MmppConfig {
  std::vector<MmppState> states;  // at least one
  // Row-stochastic matrix of the embedded jump chain: transition[i][j] is the
  // probability that a sojourn in i ends with a jump to j. Zero diagonal (a jump
  // always changes state); the chain must be irreducible. Empty = from each state,
  // uniform over the other states. Must be empty for a single state.
  std::vector<std::vector<double>> transition;
  // Empty (the default) = the first state is drawn from the stationary distribution,
  // so the process is stationary from time 0 and needs no warm-up for the
  // modulating chain; set it for transient studies (a burst starting at 0).
  std::optional<std::uint32_t> initial_state;
};

// What is wrong with a config: `key` is the dotted path relative to the arrivals
// entry, indices as path segments like the scenario files' key paths ("states",
// "states.1.rate", "states.0.mean_sojourn", "transition", "transition.2",
// "transition.0.1", "initial_state"); a scenario loader prefixes its own path
// ("workload.0.arrivals.") and adds file and line.
struct MmppConfigProblem {
  std::string key;
  std::string message;
};

// The first problem found, in this order: each state (rate, then sojourn); the
// transition matrix's shape (rows, then each row's length); row by row its entries
// (range, diagonal) and sum; irreducibility; the initial state.
std::optional<MmppConfigProblem> check_mmpp_config(const MmppConfig& config);

class MmppArrivals {
 public:
  // Throws std::invalid_argument ("key: message") when check_mmpp_config finds a
  // problem. The chain starts at time 0. `profile` multiplies every state's rate
  // (time-of-day modulation on top of the chain); the chain's own state changes do
  // not depend on it. The default profile is 1 forever.
  MmppArrivals(const MmppConfig& config, Rng rng, RateProfile profile = {});

  // The first arrival at or after `now` (the time of the previous arrival, or 0 at
  // the start): exact, not discretised. Within a state arrivals are Poisson; a draw
  // that crosses a state change or a profile change is discarded and drawn again
  // from there (memorylessness makes this exact). Time::max() when no arrival can
  // come any more (every rate, or the profile from some time on, is zero).
  // Precondition: `now` is not before the arrival the previous call returned (the
  // chain has already been advanced up to that point).
  Time next(Time now);

  // Long-run arrivals per second without the profile: sum_i pi_i * rate_i.
  double stationary_rate() const { return stationary_rate_; }
  // pi: long-run fraction of time in each state, solving pi Q = 0, sum pi = 1, for
  // the generator Q_ij = P_ij / m_i (i != j), Q_ii = -1 / m_i.
  std::span<const double> stationary_distribution() const { return stationary_; }

  // The modulating chain's state at the last time next() reached.
  std::uint32_t state() const { return state_; }
  std::uint32_t state_count() const { return static_cast<std::uint32_t>(states_.size()); }

 private:
  void enter_state(std::uint32_t state, Time at);
  std::uint32_t draw_jump_target();
  void advance_chain_to(Time t);

  std::vector<MmppState> states_;
  std::vector<double> cumulative_;  // n x n row-major: cumulative jump probabilities per row
  std::vector<double> stationary_;
  double stationary_rate_ = 0;
  bool any_positive_rate_ = false;
  Rng rng_;
  RateProfile profile_;
  std::uint32_t state_ = 0;
  Time state_ends_{};  // when the current sojourn ends; Time::max() with one state
  Time chain_time_{};  // the chain is known up to here (the last `now`)
};

// ---- Trace replay -------------------------------------------------------------------

// The arrivals of a trace, in time order (global; each item names its camera).
// Holds a view of the arrivals, not a copy: the trace is read once per scenario and
// shared read-only by every replication, each with its own TraceArrivals cursor.
// The trace must outlive this object.
class TraceArrivals {
 public:
  explicit TraceArrivals(const Trace& trace) : arrivals_(trace.arrivals) {}

  bool exhausted() const { return next_ == arrivals_.size(); }
  std::size_t remaining() const { return arrivals_.size() - next_; }
  // When the next arrival happens; Time::max() once exhausted.
  Time next_time() const { return exhausted() ? Time::max() : Time{arrivals_[next_].at}; }
  // The next arrival, or nullptr once exhausted.
  const TraceArrival* peek() const { return exhausted() ? nullptr : &arrivals_[next_]; }
  // Takes the next arrival. Precondition: !exhausted().
  const TraceArrival& take() { return arrivals_[next_++]; }

 private:
  std::span<const TraceArrival> arrivals_;
  std::size_t next_ = 0;
};

}  // namespace fogsched::sim
