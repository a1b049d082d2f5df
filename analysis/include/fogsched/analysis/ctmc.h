#pragma once
// The exact continuous-time Markov chain of a small cluster under one policy.
//
// State: the load (running + queued) of every node, n_i in [0, K_i + Q_i], so
// prod_i (K_i + Q_i + 1) states, numbered in mixed radix (node 0 varies fastest).
// Transitions, with zero network delay and instantaneous probes as the simulator
// has them when those costs are zero:
//   - a completion at node i, rate min(n_i, K_i) mu_i: n_i -> n_i - 1 (a queued
//     invocation then takes the freed slot, so the load is all that matters);
//   - a client arrival at node i, rate lambda_i, dispatched by the policy (see
//     PolicyKind): it runs on node j (n_j -> n_j + 1) or is rejected (no change).
//     A forwarded invocation runs at the peer if the peer can accept, else it is
//     rejected there (the hop limit stops a second forward). The policy is a
//     built-in one (MarkovPolicy) or a DecisionTable, which sees the whole state.
// The stationary distribution solves pi Q = 0 with sum pi = 1. Small chains:
// one balance equation is replaced by the normalisation and the system factorised
// by Eigen's SparseLU. Larger ones: one likely state's probability is fixed, the
// rest solved by BiCGSTAB with an incomplete-LU preconditioner, then normalised.
// Either way the result is checked by its residual.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/SparseCore>

#include "fogsched/analysis/markov_model.h"

namespace fogsched::analysis {

// Largest state space the exact chain is built for.
inline constexpr std::uint64_t kMaxCtmcStates = 100'000;
// Up to this many states (and for a single node, a birth-death chain) the chain is
// factorised exactly (SparseLU); beyond, the factors of a many-node chain fill in
// like a many-dimensional grid's and an iterative solver takes over.
inline constexpr std::size_t kDirectSolveStates = 1'000;

// prod_i (K_i + Q_i + 1), saturating at UINT64_MAX.
std::uint64_t ctmc_state_count(std::span<const NodeModel> nodes);

// What the models report for a whole cluster.
struct ClusterMetrics {
  double rejection_probability = 0;  // of client arrivals (forwarded then rejected included)
  double forwarded_fraction = 0;     // of client arrivals sent to another node
  double probes_per_arrival = 0;     // probe messages per client arrival (one per probed peer)
  double throughput_per_s = 0;       // invocations completed per second, whole cluster
  double mean_busy = 0;              // busy slots, whole cluster
  std::vector<double> mean_busy_per_node;
  std::vector<double> mean_in_system_per_node;  // running + queued
};

// A deterministic policy that sees the whole state and never probes:
// actions[state * nodes + origin] is -1 to reject a client arrival at `origin`, or
// the node it is sent to (`origin` itself: run here), where it runs when that node
// can accept and is rejected otherwise.
struct DecisionTable {
  std::vector<std::int32_t> actions;
};

class ClusterChain {
 public:
  // Throws AnalysisError when the state space exceeds kMaxCtmcStates (naming its
  // size) or a node is invalid (no slot, a non-positive service rate).
  ClusterChain(std::vector<NodeModel> nodes, MarkovPolicy policy);
  // As above; also throws when the table does not have one action in [-1, nodes)
  // per state and node.
  ClusterChain(std::vector<NodeModel> nodes, DecisionTable table);

  std::size_t state_count() const { return state_count_; }
  const std::vector<NodeModel>& nodes() const { return nodes_; }

  // Per-node loads of a state, and back.
  std::vector<std::uint32_t> loads(std::size_t state) const;
  std::size_t state_of(std::span<const std::uint32_t> loads) const;

  // The generator Q: Q(s, t) is the rate from s to t, each row sums to zero.
  const Eigen::SparseMatrix<double, Eigen::RowMajor>& generator() const { return generator_; }

  struct Stationary {
    Eigen::VectorXd probabilities;
    double residual = 0;  // max_t |(pi Q)_t| relative to the largest exit rate
  };
  // Throws AnalysisError when the factorisation fails or the residual exceeds 1e-9.
  Stationary stationary() const;

  ClusterMetrics metrics(const Eigen::VectorXd& probabilities) const;

 private:
  // Checks the nodes, numbers the states and builds the generator.
  void build();

  // The loads of the next state in numbering order (mixed radix, node 0 fastest).
  void advance(std::vector<std::uint32_t>& loads) const;

  // Probe messages a client arrival at `origin` sends in the state with `loads`.
  double probes(std::span<const std::uint32_t> loads, std::size_t origin) const;

  // Calls visit(runs_on, forwarded, probability) for each way a client arrival at
  // `origin` may end in the state with `loads`; runs_on < 0 is a rejection.
  template <typename Visit>
  void dispatch(std::span<const std::uint32_t> loads, std::size_t origin, Visit&& visit) const;

  std::vector<NodeModel> nodes_;
  MarkovPolicy policy_;
  DecisionTable table_;  // used instead of policy_ when not empty
  std::vector<std::size_t> strides_;
  std::size_t state_count_ = 0;
  std::vector<std::vector<double>> binomial_;  // binomial_[n][k] = C(n, k), n < node count
  Eigen::SparseMatrix<double, Eigen::RowMajor> generator_;
};

struct CtmcSolution {
  ClusterMetrics metrics;
  std::size_t states = 0;
  double residual = 0;
};

// Builds the chain, solves it and reduces the result.
CtmcSolution solve_ctmc(std::vector<NodeModel> nodes, MarkovPolicy policy);

}  // namespace fogsched::analysis
