#pragma once
// The best any dispatcher can do on a small Markovian cluster: the optimal policy of
// the continuous-time Markov decision process over the ClusterChain state space
// (the load n_i in [0, K_i + Q_i] of every node, mixed radix, node 0 fastest).
//
// At each client arrival at node i (rate lambda_i) the decision maker, who sees the
// whole state, chooses: run at i (when n_i < K_i + Q_i), forward to a peer j (runs
// there when n_j < K_j + Q_j, else is rejected there), or reject. Completions come at
// rate min(n_i, K_i) mu_i. The cost per client arrival is
//   rejection probability + forward cost * forwarded fraction
//   (+ probe cost * probes per arrival, which is 0 here: the decision maker sees the
//   state, so it never probes).
// No decentralised policy sees the whole state, so the optimum is a lower bound on
// what the built-in policies can reach, not a policy a node could run as it is.
//
// Solved by relative value iteration after uniformisation: with the constant
// Lambda = kUniformisationMargin * (sum lambda_i + sum K_i mu_i), every state keeps a
// self-loop, so the uniformised chain of every policy is aperiodic; completions
// alone lead from every state to the empty one, so it has a single recurrent class;
// and the iteration converges. Each step applies the Bellman operator T (costs in units of one
// rejection) and subtracts the value of the empty state. By Odoni's bounds,
// min_s (T h - h)(s) <= optimal gain <= max_s (T h - h)(s); converted to costs per
// arrival (times Lambda / sum lambda_i), the iteration stops when
//   upper - lower <= max(kOptimalRelativeTolerance * upper, kOptimalAbsoluteTolerance)
// and throws AnalysisError, naming the iterations, if that takes more than
// kOptimalMaxIterations (by default).
//
// The decision table is the policy greedy for the last h. Its cost lies between the
// bounds (T h = c_greedy + P_greedy h, so its gain is at most max(T h - h)); it is
// evaluated exactly, by solving its chain as ClusterChain solves a built-in policy's.
// Ties between actions (values within kOptimalTieTolerance of one rejection, which
// covers round-off between symmetric states): run here, then reject, then the
// lowest-index peer.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fogsched/analysis/markov_model.h"

namespace fogsched::analysis {

inline constexpr double kUniformisationMargin = 1.05;
inline constexpr double kOptimalRelativeTolerance = 1e-10;
inline constexpr double kOptimalAbsoluteTolerance = 1e-12;
inline constexpr std::uint64_t kOptimalMaxIterations = 100'000;
inline constexpr double kOptimalTieTolerance = 1e-11;

// The price of a forward and of one probe message, in rejections (>= 0).
struct OptimalCosts {
  double forward = 0;
  double probe = 0;
  friend bool operator==(const OptimalCosts&, const OptimalCosts&) = default;
};

// Throws AnalysisError naming the cost that is negative or not a number.
void check_costs(const OptimalCosts& costs);

// The one rule every cost in the analysis follows.
double cost_per_arrival(const OptimalCosts& costs, double rejection_probability, double forwarded_fraction,
                        double probes_per_arrival);

// An action of the decision table: kReject, or the node the invocation is sent to
// (the origin itself: run here).
inline constexpr std::int32_t kReject = -1;

struct OptimalSolution {
  double cost_per_arrival = 0;  // of the decision table, evaluated exactly
  double lower_bound = 0;       // Odoni's bounds on the optimal cost per arrival
  double upper_bound = 0;
  double rejection_probability = 0;
  double forwarded_fraction = 0;
  double probes_per_arrival = 0;  // always 0: the optimum sees the state
  std::uint64_t iterations = 0;
  std::size_t states = 0;
  std::size_t nodes = 0;
  // actions[state * nodes + origin], states in ClusterChain order.
  std::vector<std::int32_t> actions;

  std::int32_t action(std::size_t state, std::size_t origin) const { return actions[state * nodes + origin]; }
};

// A policy's cost per arrival above the optimum's. A policy that is itself optimal
// may come out below it by round-off, within the stopping rule's tolerance: 0.
double gap_to_optimum(const OptimalSolution& optimum, double policy_cost_per_arrival);

// Throws AnalysisError for invalid nodes or costs, a state space above
// kMaxCtmcStates, or an iteration that does not converge within max_iterations.
OptimalSolution solve_optimal(std::vector<NodeModel> nodes, OptimalCosts costs,
                              std::uint64_t max_iterations = kOptimalMaxIterations);

}  // namespace fogsched::analysis
