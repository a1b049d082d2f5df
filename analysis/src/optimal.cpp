#include "fogsched/analysis/optimal.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "fogsched/analysis/ctmc.h"

namespace fogsched::analysis {

void check_costs(const OptimalCosts& costs) {
  const auto check = [](const char* name, double cost) {
    if (!(cost >= 0) || !std::isfinite(cost)) {
      throw AnalysisError(fmt::format("the {} cost must be a finite number >= 0, not {}", name, cost));
    }
  };
  check("forward", costs.forward);
  check("probe", costs.probe);
}

double cost_per_arrival(const OptimalCosts& costs, double rejection_probability, double forwarded_fraction,
                        double probes_per_arrival) {
  return rejection_probability + costs.forward * forwarded_fraction + costs.probe * probes_per_arrival;
}

namespace {

// The stopping rule: the bounds' span that ends the iteration.
double tolerance(double upper_bound) {
  return std::max(kOptimalRelativeTolerance * upper_bound, kOptimalAbsoluteTolerance);
}

}  // namespace

double gap_to_optimum(const OptimalSolution& optimum, double policy_cost_per_arrival) {
  const double gap = policy_cost_per_arrival - optimum.cost_per_arrival;
  return gap < 0 && gap >= -tolerance(optimum.upper_bound) ? 0.0 : gap;
}

namespace {

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

// The uniformised decision process: per state and node, the transition
// probabilities and where an invocation run on the node takes the state.
class UniformisedProcess {
 public:
  UniformisedProcess(const ClusterChain& chain, double forward_cost) : forward_cost_(forward_cost) {
    const std::vector<NodeModel>& nodes = chain.nodes();
    nodes_ = nodes.size();
    states_ = chain.state_count();
    double total = 0;
    for (const NodeModel& node : nodes) {
      total += node.arrival_rate_per_s + node.slots * node.service_rate_per_s;
      arrival_rate_ += node.arrival_rate_per_s;
    }
    uniformisation_ = kUniformisationMargin * total;
    for (const NodeModel& node : nodes) arrival_.push_back(node.arrival_rate_per_s / uniformisation_);
    std::size_t stride = 1;
    for (const NodeModel& node : nodes) {
      strides_.push_back(stride);
      stride *= node.capacity() + 1;
    }
    completion_.resize(states_ * nodes_);
    accepts_.resize(states_ * nodes_);
    stay_.resize(states_);
    for (std::size_t s = 0; s < states_; ++s) {
      const std::vector<std::uint32_t> loads = chain.loads(s);
      double leave = arrival_rate_ / uniformisation_;
      for (std::size_t i = 0; i < nodes_; ++i) {
        const double completion = std::min(loads[i], nodes[i].slots) * nodes[i].service_rate_per_s / uniformisation_;
        completion_[s * nodes_ + i] = completion;
        accepts_[s * nodes_ + i] = loads[i] < nodes[i].capacity() ? 1 : 0;
        leave += completion;
      }
      stay_[s] = 1 - leave;
    }
  }

  std::size_t states() const { return states_; }
  std::size_t nodes() const { return nodes_; }
  // Per-step gains to costs per client arrival.
  double per_arrival() const { return arrival_rate_ > 0 ? uniformisation_ / arrival_rate_ : 0.0; }

  // The accepting nodes with the least value after an invocation runs on them
  // (lowest index among the tied), and the next such node: the best peer of an
  // origin is `best`, or `second` when the origin is `best` itself.
  struct BestTargets {
    std::size_t best = kNone;
    std::size_t second = kNone;
  };

  BestTargets best_targets(std::size_t s, const std::vector<double>& h) const {
    BestTargets out;
    out.best = least(s, h, kNone);
    if (out.best != kNone) out.second = least(s, h, out.best);
    return out;
  }

  struct Choice {
    std::int32_t action = kReject;
    double value = 0;  // immediate cost + value of the next state
  };

  // The best action for a client arrival at `origin` in state `s`; ties: run here,
  // then reject, then the lowest-index peer.
  Choice choose(std::size_t s, std::size_t origin, const BestTargets& targets, const std::vector<double>& h) const {
    const double reject = 1 + h[s];
    const std::size_t peer = targets.best != origin ? targets.best : targets.second;
    const double forward =
        peer == kNone ? std::numeric_limits<double>::infinity() : forward_cost_ + h[s + strides_[peer]];
    const double best = std::min(reject, forward);
    if (accepts_[s * nodes_ + origin]) {
      const double here = h[s + strides_[origin]];
      if (here <= best + kOptimalTieTolerance) return {static_cast<std::int32_t>(origin), here};
    }
    if (reject <= forward + kOptimalTieTolerance) return {kReject, reject};
    return {static_cast<std::int32_t>(peer), forward};
  }

  // (T h)(s): the expected cost of one uniformised step plus the value after it.
  double bellman(std::size_t s, const std::vector<double>& h) const {
    double value = stay_[s] * h[s];
    for (std::size_t i = 0; i < nodes_; ++i) {
      const double completion = completion_[s * nodes_ + i];
      if (completion > 0) value += completion * h[s - strides_[i]];
    }
    const BestTargets targets = best_targets(s, h);
    for (std::size_t i = 0; i < nodes_; ++i) {
      if (arrival_[i] > 0) value += arrival_[i] * choose(s, i, targets, h).value;
    }
    return value;
  }

 private:
  std::size_t least(std::size_t s, const std::vector<double>& h, std::size_t excluded) const {
    double lowest = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < nodes_; ++j) {
      if (j != excluded && accepts_[s * nodes_ + j]) lowest = std::min(lowest, h[s + strides_[j]]);
    }
    for (std::size_t j = 0; j < nodes_; ++j) {
      if (j != excluded && accepts_[s * nodes_ + j] && h[s + strides_[j]] <= lowest + kOptimalTieTolerance) return j;
    }
    return kNone;
  }

  double forward_cost_ = 0;
  std::size_t nodes_ = 0;
  std::size_t states_ = 0;
  double arrival_rate_ = 0;
  double uniformisation_ = 0;
  std::vector<double> arrival_;  // lambda_i / Lambda
  std::vector<std::size_t> strides_;
  std::vector<double> completion_;     // [s * nodes + i]: min(n_i, K_i) mu_i / Lambda
  std::vector<std::uint8_t> accepts_;  // [s * nodes + i]: n_i < K_i + Q_i
  std::vector<double> stay_;           // the self-loop
};

}  // namespace

OptimalSolution solve_optimal(std::vector<NodeModel> nodes, OptimalCosts costs, std::uint64_t max_iterations) {
  check_costs(costs);
  // The chain of `local` checks the nodes and the size of the state space, and
  // numbers the states.
  const ClusterChain numbering(nodes, MarkovPolicy{});
  const UniformisedProcess process(numbering, costs.forward);
  const std::size_t states = process.states();
  const double per_arrival = process.per_arrival();

  OptimalSolution out;
  out.states = states;
  out.nodes = process.nodes();
  std::vector<double> h(states, 0.0);
  std::vector<double> next(states, 0.0);
  for (;;) {
    if (out.iterations == max_iterations) {
      throw AnalysisError(fmt::format(
          "the optimal policy did not converge in {} iterations (bounds on the cost per arrival {:.12g} .. {:.12g})",
          out.iterations, out.lower_bound, out.upper_bound));
    }
    ++out.iterations;
    double lowest = std::numeric_limits<double>::infinity();
    double highest = -std::numeric_limits<double>::infinity();
    for (std::size_t s = 0; s < states; ++s) {
      next[s] = process.bellman(s, h);
      lowest = std::min(lowest, next[s] - h[s]);
      highest = std::max(highest, next[s] - h[s]);
    }
    out.lower_bound = lowest * per_arrival;
    out.upper_bound = highest * per_arrival;
    if (out.upper_bound - out.lower_bound <= tolerance(out.upper_bound)) break;
    // Relative values: the empty state's is 0, so h stays bounded.
    const double reference = next[0];
    for (std::size_t s = 0; s < states; ++s) h[s] = next[s] - reference;
  }

  out.actions.resize(states * out.nodes);
  for (std::size_t s = 0; s < states; ++s) {
    const UniformisedProcess::BestTargets targets = process.best_targets(s, h);
    for (std::size_t i = 0; i < out.nodes; ++i)
      out.actions[s * out.nodes + i] = process.choose(s, i, targets, h).action;
  }

  const ClusterChain chain(std::move(nodes), DecisionTable{out.actions});
  const ClusterMetrics metrics = chain.metrics(chain.stationary().probabilities);
  out.rejection_probability = metrics.rejection_probability;
  out.forwarded_fraction = metrics.forwarded_fraction;
  out.probes_per_arrival = metrics.probes_per_arrival;
  out.cost_per_arrival =
      cost_per_arrival(costs, out.rejection_probability, out.forwarded_fraction, out.probes_per_arrival);
  return out;
}

}  // namespace fogsched::analysis
