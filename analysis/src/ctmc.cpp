#include "fogsched/analysis/ctmc.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <Eigen/IterativeLinearSolvers>
#include <Eigen/SparseLU>

#include "fogsched/core/decision.h"

namespace fogsched::analysis {

std::uint64_t ctmc_state_count(std::span<const NodeModel> nodes) {
  std::uint64_t count = 1;
  for (const NodeModel& node : nodes) {
    const std::uint64_t levels = std::uint64_t{node.capacity()} + 1;
    if (count > std::numeric_limits<std::uint64_t>::max() / levels) return std::numeric_limits<std::uint64_t>::max();
    count *= levels;
  }
  return count;
}

ClusterChain::ClusterChain(std::vector<NodeModel> nodes, MarkovPolicy policy)
    : nodes_(std::move(nodes)), policy_(policy) {
  build();
}

ClusterChain::ClusterChain(std::vector<NodeModel> nodes, DecisionTable table)
    : nodes_(std::move(nodes)), table_(std::move(table)) {
  if (table_.actions.empty()) throw AnalysisError("a decision table needs one action per state and node");
  build();
}

void ClusterChain::build() {
  if (nodes_.empty()) throw AnalysisError("the exact chain needs at least one node");
  for (const NodeModel& node : nodes_) {
    if (node.slots == 0) throw AnalysisError("a node needs at least one slot");
    if (!(node.service_rate_per_s > 0)) throw AnalysisError("a node's service rate must be positive");
    if (!(node.arrival_rate_per_s >= 0)) throw AnalysisError("a node's arrival rate must be >= 0");
  }
  const std::uint64_t count = ctmc_state_count(nodes_);
  if (count > kMaxCtmcStates) {
    throw AnalysisError(fmt::format(
        "the exact chain of {} nodes has {} states, more than the {} it is solved for", nodes_.size(),
        count == std::numeric_limits<std::uint64_t>::max() ? std::string("over 1.8e19") : std::to_string(count),
        kMaxCtmcStates));
  }
  state_count_ = static_cast<std::size_t>(count);
  strides_.resize(nodes_.size());
  std::size_t stride = 1;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    strides_[i] = stride;
    stride *= nodes_[i].capacity() + 1;
  }
  if (!table_.actions.empty()) {
    if (table_.actions.size() != state_count_ * nodes_.size()) {
      throw AnalysisError(fmt::format("a decision table of {} nodes and {} states needs {} actions, not {}",
                                      nodes_.size(), state_count_, state_count_ * nodes_.size(),
                                      table_.actions.size()));
    }
    const auto nodes = static_cast<std::int32_t>(nodes_.size());
    for (const std::int32_t action : table_.actions) {
      if (action < -1 || action >= nodes) {
        throw AnalysisError(fmt::format("decision table action {} is neither -1 nor a node below {}", action, nodes));
      }
    }
  }
  binomial_.assign(nodes_.size(), std::vector<double>(nodes_.size(), 0.0));
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    binomial_[n][0] = 1;
    for (std::size_t k = 1; k <= n; ++k) binomial_[n][k] = binomial_[n - 1][k - 1] + (k < n ? binomial_[n - 1][k] : 0);
  }

  std::vector<Eigen::Triplet<double>> entries;
  entries.reserve(state_count_ * (2 * nodes_.size() + 1));
  std::vector<std::uint32_t> current(nodes_.size(), 0);
  for (std::size_t s = 0; s < state_count_; ++s) {
    double exit_rate = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const NodeModel& node = nodes_[i];
      if (current[i] > 0) {
        const double rate = std::min(current[i], node.slots) * node.service_rate_per_s;
        entries.emplace_back(static_cast<int>(s), static_cast<int>(s - strides_[i]), rate);
        exit_rate += rate;
      }
      if (node.arrival_rate_per_s == 0) continue;
      dispatch(current, i, [&](std::ptrdiff_t runs_on, bool /*forwarded*/, double probability) {
        if (runs_on < 0 || probability == 0) return;
        const double rate = node.arrival_rate_per_s * probability;
        entries.emplace_back(static_cast<int>(s), static_cast<int>(s + strides_[static_cast<std::size_t>(runs_on)]),
                             rate);
        exit_rate += rate;
      });
    }
    entries.emplace_back(static_cast<int>(s), static_cast<int>(s), -exit_rate);
    advance(current);
  }
  const auto size = static_cast<Eigen::Index>(state_count_);
  generator_.resize(size, size);
  generator_.setFromTriplets(entries.begin(), entries.end());
}

void ClusterChain::advance(std::vector<std::uint32_t>& loads) const {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (++loads[i] <= nodes_[i].capacity()) return;
    loads[i] = 0;
  }
}

std::vector<std::uint32_t> ClusterChain::loads(std::size_t state) const {
  std::vector<std::uint32_t> out(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const std::size_t levels = nodes_[i].capacity() + 1;
    out[i] = static_cast<std::uint32_t>(state % levels);
    state /= levels;
  }
  return out;
}

std::size_t ClusterChain::state_of(std::span<const std::uint32_t> loads) const {
  if (loads.size() != nodes_.size()) throw AnalysisError("one load per node expected");
  std::size_t state = 0;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (loads[i] > nodes_[i].capacity()) throw AnalysisError("a load exceeds its node's slots + queue");
    state += loads[i] * strides_[i];
  }
  return state;
}

template <typename Visit>
void ClusterChain::dispatch(std::span<const std::uint32_t> loads, std::size_t origin, Visit&& visit) const {
  const auto can_accept = [&](std::size_t node) { return loads[node] < nodes_[node].capacity(); };
  const auto run_here_or_reject = [&](std::size_t node, bool forwarded, double probability) {
    visit(can_accept(node) ? static_cast<std::ptrdiff_t>(node) : std::ptrdiff_t{-1}, forwarded, probability);
  };
  if (!table_.actions.empty()) {
    std::size_t state = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) state += loads[i] * strides_[i];
    const std::int32_t action = table_.actions[state * nodes_.size() + origin];
    if (action < 0) {
      visit(std::ptrdiff_t{-1}, false, 1.0);
    } else {
      const auto target = static_cast<std::size_t>(action);
      run_here_or_reject(target, target != origin, 1.0);
    }
    return;
  }
  const std::size_t peers = nodes_.size() - 1;
  const std::uint32_t own = loads[origin];

  if (policy_.kind == PolicyKind::local || peers == 0) {
    run_here_or_reject(origin, false, 1.0);
    return;
  }
  if (policy_.kind != PolicyKind::random && own < policy_.threshold && can_accept(origin)) {
    visit(static_cast<std::ptrdiff_t>(origin), false, 1.0);
    return;
  }
  if (policy_.kind == PolicyKind::random || policy_.kind == PolicyKind::threshold_random) {
    const double each = 1.0 / static_cast<double>(peers);
    for (std::size_t j = 0; j < nodes_.size(); ++j) {
      if (j != origin) run_here_or_reject(j, true, each);
    }
    return;
  }

  // power_of_d: m distinct peers, each m-subset equally likely. The chosen peer is a
  // least loaded probed one, uniform among the tied. For a peer j at load L, with
  // `at` peers at load L and `above` peers above it, the sample holds no peer below
  // L and at least one at L with probability [C(at + above, m) - C(above, m)] /
  // C(peers, m), shared equally by the `at` peers. It is forwarded to when L < own.
  const std::size_t probed = std::min<std::size_t>({policy_.d, peers, kMaxProbePeers});
  const double subsets = binomial_[peers][probed];
  const auto choose = [&](std::size_t n) { return n < probed ? 0.0 : binomial_[n][probed]; };
  const auto peers_at_least = [&](std::uint32_t level) {
    std::size_t count = 0;
    for (std::size_t j = 0; j < nodes_.size(); ++j) count += j != origin && loads[j] >= level;
    return count;
  };
  for (std::size_t j = 0; j < nodes_.size(); ++j) {
    if (j == origin || loads[j] >= own) continue;
    const std::size_t at_or_above = peers_at_least(loads[j]);
    const std::size_t above = peers_at_least(loads[j] + 1);
    const double probability =
        (choose(at_or_above) - choose(above)) / subsets / static_cast<double>(at_or_above - above);
    run_here_or_reject(j, true, probability);
  }
  run_here_or_reject(origin, false, choose(peers_at_least(own)) / subsets);
}

double ClusterChain::probes(std::span<const std::uint32_t> loads, std::size_t origin) const {
  // power_of_d probes when the threshold rule does not keep the invocation, and a
  // node without peers has none to probe (policies/src/power_of_d.cpp).
  if (!table_.actions.empty() || policy_.kind != PolicyKind::power_of_d) return 0;
  const std::size_t peers = nodes_.size() - 1;
  if (loads[origin] < policy_.threshold && loads[origin] < nodes_[origin].capacity()) return 0;
  return static_cast<double>(std::min<std::size_t>({policy_.d, peers, kMaxProbePeers}));
}

namespace {

using SparseColumns = Eigen::SparseMatrix<double>;

// pi Q = 0 with the probability of state `pinned` fixed to 1: the balance
// equations of the other states, in the other states' probabilities (the pinned
// state's column of Q^T moves to the right-hand side). For an irreducible chain
// this system is non-singular; normalising its solution gives pi. (Replacing an
// equation by sum pi = 1 instead would add a dense row, which fills the factors.)
struct PinnedSystem {
  SparseColumns matrix;
  Eigen::VectorXd rhs;
  Eigen::Index pinned = 0;

  Eigen::Index reduced(Eigen::Index state) const { return state < pinned ? state : state - 1; }

  Eigen::VectorXd expand(const Eigen::VectorXd& reduced_solution) const {
    Eigen::VectorXd full(reduced_solution.size() + 1);
    for (Eigen::Index s = 0; s < full.size(); ++s) full(s) = s == pinned ? 1.0 : reduced_solution(reduced(s));
    return full;
  }
};

PinnedSystem pin(const Eigen::SparseMatrix<double, Eigen::RowMajor>& generator, Eigen::Index pinned) {
  const Eigen::Index size = generator.rows();
  PinnedSystem system;
  system.pinned = pinned;
  system.rhs = Eigen::VectorXd::Zero(size - 1);
  std::vector<Eigen::Triplet<double>> entries;
  entries.reserve(static_cast<std::size_t>(generator.nonZeros()));
  for (Eigen::Index row = 0; row < generator.outerSize(); ++row) {
    for (Eigen::SparseMatrix<double, Eigen::RowMajor>::InnerIterator it(generator, row); it; ++it) {
      if (it.col() == pinned) continue;
      if (row == pinned) {
        system.rhs(system.reduced(it.col())) -= it.value();
      } else {
        entries.emplace_back(static_cast<int>(system.reduced(it.col())), static_cast<int>(system.reduced(row)),
                             it.value());
      }
    }
  }
  system.matrix.resize(size - 1, size - 1);
  system.matrix.setFromTriplets(entries.begin(), entries.end());
  system.matrix.makeCompressed();
  return system;
}

// Small chains, and a single node's birth-death chain: factorised exactly.
Eigen::VectorXd solve_direct(const PinnedSystem& system) {
  Eigen::SparseLU<SparseColumns, Eigen::COLAMDOrdering<int>> solver;
  solver.compute(system.matrix);
  if (solver.info() != Eigen::Success) {
    throw AnalysisError("the exact chain could not be factorised: " + solver.lastErrorMessage());
  }
  const Eigen::VectorXd solution = solver.solve(system.rhs);
  if (solver.info() != Eigen::Success) throw AnalysisError("the exact chain could not be solved");
  return system.expand(solution);
}

// Larger chains of several nodes, whose exact factors fill in like a
// many-dimensional grid's: BiCGSTAB with an incomplete-LU preconditioner, from
// `guess` (scaled so that the pinned state has 1).
Eigen::VectorXd solve_iterative(const PinnedSystem& system, const Eigen::VectorXd& guess) {
  Eigen::VectorXd start(system.rhs.size());
  for (Eigen::Index s = 0; s < guess.size(); ++s) {
    if (s != system.pinned) start(system.reduced(s)) = guess(s) / guess(system.pinned);
  }
  Eigen::BiCGSTAB<SparseColumns, Eigen::IncompleteLUT<double>> solver;
  solver.setTolerance(1e-14);
  solver.setMaxIterations(5'000);
  // Coarse incomplete factors: cheap to build, and they bring BiCGSTAB to the
  // tolerance in a few dozen iterations on clusters up to the state limit.
  solver.preconditioner().setDroptol(1e-2);
  solver.preconditioner().setFillfactor(1);
  solver.compute(system.matrix);
  if (solver.info() != Eigen::Success) throw AnalysisError("the exact chain's preconditioner could not be built");
  return system.expand(solver.solveWithGuess(system.rhs, start));
}

}  // namespace

ClusterChain::Stationary ClusterChain::stationary() const {
  // Under `local` the nodes are independent stations: that product form is the
  // iterative solver's starting guess, and its most likely state is pinned (a
  // likely state keeps the pinned system well scaled). A decision table may leave
  // that state transient (a pinned state must be recurrent), so its chain pins the
  // empty state, which completions alone reach from every state.
  std::vector<std::vector<double>> marginals;
  std::vector<std::uint32_t> modes;
  for (const NodeModel& node : nodes_) {
    // In logarithms: the unnormalised terms (A^n / n!) overflow for large A.
    std::vector<double> p(node.capacity() + 1, 0.0);
    for (std::uint32_t n = 1; n <= node.capacity(); ++n) {
      p[n] = p[n - 1] + std::log(node.arrival_rate_per_s / (std::min(n, node.slots) * node.service_rate_per_s));
    }
    const double largest = *std::max_element(p.begin(), p.end());
    for (double& v : p) v = std::exp(v - largest);
    modes.push_back(static_cast<std::uint32_t>(std::max_element(p.begin(), p.end()) - p.begin()));
    marginals.push_back(std::move(p));
  }
  const std::size_t pinned = table_.actions.empty() ? state_of(modes) : 0;
  const PinnedSystem system = pin(generator_, static_cast<Eigen::Index>(pinned));

  Stationary out;
  if (state_count_ <= kDirectSolveStates || nodes_.size() == 1) {
    out.probabilities = solve_direct(system);
  } else {
    Eigen::VectorXd guess(static_cast<Eigen::Index>(state_count_));
    std::vector<std::uint32_t> current(nodes_.size(), 0);
    for (std::size_t s = 0; s < state_count_; ++s) {
      double product = 1;
      for (std::size_t i = 0; i < nodes_.size(); ++i) product *= marginals[i][current[i]];
      guess(static_cast<Eigen::Index>(s)) = product;
      advance(current);
    }
    out.probabilities = solve_iterative(system, guess);
  }

  // Round-off may leave tiny negative probabilities; they are zero.
  out.probabilities = out.probabilities.cwiseMax(0.0);
  out.probabilities /= out.probabilities.sum();
  const Eigen::VectorXd balance = generator_.transpose() * out.probabilities;
  const double largest_exit = (-generator_.diagonal()).maxCoeff();
  out.residual = balance.cwiseAbs().maxCoeff() / std::max(largest_exit, std::numeric_limits<double>::min());
  constexpr double kMaxResidual = 1e-9;
  if (!(out.residual <= kMaxResidual)) {
    throw AnalysisError(
        fmt::format("the exact chain's solution is inaccurate (relative residual {:.3g})", out.residual));
  }
  return out;
}

ClusterMetrics ClusterChain::metrics(const Eigen::VectorXd& probabilities) const {
  if (probabilities.size() != static_cast<Eigen::Index>(state_count_)) {
    throw AnalysisError("one probability per state expected");
  }
  ClusterMetrics m;
  m.mean_busy_per_node.assign(nodes_.size(), 0.0);
  m.mean_in_system_per_node.assign(nodes_.size(), 0.0);
  double total_rate = 0;
  for (const NodeModel& node : nodes_) total_rate += node.arrival_rate_per_s;

  double rejected_rate = 0;
  double forwarded_rate = 0;
  double probe_rate = 0;
  std::vector<std::uint32_t> current(nodes_.size(), 0);
  for (std::size_t s = 0; s < state_count_; ++s) {
    const double p = probabilities(static_cast<Eigen::Index>(s));
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      m.mean_busy_per_node[i] += p * std::min(current[i], nodes_[i].slots);
      m.mean_in_system_per_node[i] += p * current[i];
      const double rate = nodes_[i].arrival_rate_per_s;
      if (rate == 0 || p == 0) continue;
      probe_rate += p * rate * probes(current, i);
      dispatch(current, i, [&](std::ptrdiff_t runs_on, bool forwarded, double probability) {
        if (runs_on < 0) rejected_rate += p * rate * probability;
        if (forwarded) forwarded_rate += p * rate * probability;
      });
    }
    advance(current);
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    m.mean_busy += m.mean_busy_per_node[i];
    m.throughput_per_s += m.mean_busy_per_node[i] * nodes_[i].service_rate_per_s;
  }
  if (total_rate > 0) {
    m.rejection_probability = rejected_rate / total_rate;
    m.forwarded_fraction = forwarded_rate / total_rate;
    m.probes_per_arrival = probe_rate / total_rate;
  }
  return m;
}

CtmcSolution solve_ctmc(std::vector<NodeModel> nodes, MarkovPolicy policy) {
  const ClusterChain chain(std::move(nodes), policy);
  const ClusterChain::Stationary stationary = chain.stationary();
  return {.metrics = chain.metrics(stationary.probabilities),
          .states = chain.state_count(),
          .residual = stationary.residual};
}

}  // namespace fogsched::analysis
