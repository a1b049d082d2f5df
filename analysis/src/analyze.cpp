#include "fogsched/analysis/analyze.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "fogsched/analysis/ctmc.h"
#include "fogsched/analysis/mean_field.h"
#include "fogsched/analysis/queueing.h"

namespace fogsched::analysis {

const char* to_string(Model model) noexcept {
  switch (model) {
    case Model::erlang_b: return "erlang_b";
    case Model::ctmc: return "ctmc";
    case Model::mean_field: return "mean_field";
  }
  return "?";
}

namespace {

ModelResult erlang_b_model(const std::vector<NodeModel>& nodes) {
  ModelResult result;
  result.model = Model::erlang_b;
  result.applies = true;
  double arrival_rate = 0;
  double rejected_rate = 0;
  result.mean_busy = 0;
  bool queues = false;
  for (const NodeModel& node : nodes) {
    const StationMetrics station = station_metrics(node);
    arrival_rate += node.arrival_rate_per_s;
    rejected_rate += node.arrival_rate_per_s * station.blocking_probability;
    result.mean_busy += station.mean_busy;
    result.mean_busy_per_node.push_back(station.mean_busy);
    queues = queues || node.queue > 0;
  }
  result.rejection_probability = arrival_rate > 0 ? rejected_rate / arrival_rate : 0.0;
  result.forwarded_fraction = 0;
  result.detail = queues ? "each camera an M/M/K/K+Q station" : "Erlang-B per camera (M/M/K/K)";
  return result;
}

// Why the state space of `nodes` is too large for `what`, if it is.
std::optional<FailedAssumption> too_many_states(const std::vector<NodeModel>& nodes, std::string_view what) {
  const std::uint64_t states = ctmc_state_count(nodes);
  if (states <= kMaxCtmcStates) return std::nullopt;
  // log10 of the product, so even astronomically large spaces can be named.
  double digits = 0;
  for (const NodeModel& node : nodes) digits += std::log10(static_cast<double>(node.capacity()) + 1);
  const std::string size = digits < 15 ? fmt::format("{}", states) : fmt::format("about 10^{:.0f}", digits);
  return FailedAssumption{"cluster.cameras.count",
                          fmt::format("{} cameras make {} states (the product of slots + queue + 1 over the "
                                      "cameras); {} is solved up to {} states",
                                      nodes.size(), size, what, kMaxCtmcStates)};
}

ModelResult ctmc_model(const std::vector<NodeModel>& nodes, const MarkovPolicy& policy) {
  ModelResult result;
  result.model = Model::ctmc;
  if (std::optional<FailedAssumption> failed = too_many_states(nodes, "the exact chain")) {
    result.failed.push_back(std::move(*failed));
    return result;
  }
  const CtmcSolution solution = solve_ctmc(nodes, policy);
  result.applies = true;
  result.rejection_probability = solution.metrics.rejection_probability;
  result.forwarded_fraction = solution.metrics.forwarded_fraction;
  result.probes_per_arrival = solution.metrics.probes_per_arrival;
  result.mean_busy = solution.metrics.mean_busy;
  result.mean_busy_per_node = solution.metrics.mean_busy_per_node;
  result.detail = fmt::format("exact Markov chain, {} states, residual {:.1e}", solution.states, solution.residual);
  return result;
}

ModelResult mean_field_model(const std::vector<NodeModel>& nodes, const MarkovPolicy& policy) {
  ModelResult result;
  result.model = Model::mean_field;
  const NodeModel& first = nodes.front();
  const auto differ = [&](auto field) {
    return std::any_of(nodes.begin(), nodes.end(), [&](const NodeModel& n) { return field(n) != field(first); });
  };
  if (differ([](const NodeModel& n) { return n.arrival_rate_per_s; })) {
    result.failed.push_back({"workload.0.arrivals",
                             "cameras receive different rates (hot spots, per-camera rates "
                             "or a camera list); the mean-field limit needs identical cameras"});
  }
  if (differ([](const NodeModel& n) { return n.slots; })) {
    result.failed.push_back(
        {"cluster.cameras.slots", "differs between cameras; the mean-field limit needs identical cameras"});
  }
  if (differ([](const NodeModel& n) { return n.service_rate_per_s; })) {
    result.failed.push_back(
        {"cluster.cameras.speed", "differs between cameras; the mean-field limit needs identical cameras"});
  }
  if (std::any_of(nodes.begin(), nodes.end(), [](const NodeModel& n) { return n.queue > 0; })) {
    result.failed.push_back({"cluster.cameras.queue", "is not 0; the mean-field limit is for loss nodes"});
  }
  if (nodes.size() < kMeanFieldMinCameras) {
    result.failed.push_back(
        {"cluster.cameras.count", fmt::format("is {}; the mean-field limit (N -> infinity) is shown from {} cameras on",
                                              nodes.size(), kMeanFieldMinCameras)});
  }
  if (!result.failed.empty()) return result;

  const MeanFieldSolution solution = solve_mean_field(first, policy);
  const auto cameras = static_cast<double>(nodes.size());
  result.applies = true;
  result.rejection_probability = solution.rejection_probability;
  result.forwarded_fraction = solution.forwarded_fraction;
  result.mean_busy = solution.mean_busy_per_node * cameras;
  result.detail = fmt::format("mean-field limit N -> infinity, drift {:.1e}/s", solution.drift);
  return result;
}

}  // namespace

PolicyAnalysis analyze(const Scenario& scenario, const PolicyConfig& policy) {
  PolicyAnalysis analysis;
  analysis.policy = policy.canonical;
  analysis.failed = check_assumptions(scenario, policy);
  if (!analysis.failed.empty()) return analysis;

  const std::vector<NodeModel> nodes = cluster_nodes(scenario);
  const MarkovPolicy markov = *markov_policy(policy);
  switch (markov.kind) {
    case PolicyKind::local:
      analysis.models.push_back(erlang_b_model(nodes));
      analysis.models.push_back(ctmc_model(nodes, markov));
      break;
    case PolicyKind::random: analysis.models.push_back(ctmc_model(nodes, markov)); break;
    case PolicyKind::threshold_random:
    case PolicyKind::power_of_d:
      analysis.models.push_back(ctmc_model(nodes, markov));
      analysis.models.push_back(mean_field_model(nodes, markov));
      break;
  }
  return analysis;
}

OptimalAnalysis analyze_optimal(const Scenario& scenario, const OptimalCosts& costs) {
  check_costs(costs);
  OptimalAnalysis analysis;
  analysis.costs = costs;
  // The optimum forwards without probing.
  analysis.failed = check_scenario_assumptions(scenario, true, false);
  if (!analysis.failed.empty()) return analysis;
  std::vector<NodeModel> nodes = cluster_nodes(scenario);
  if (std::optional<FailedAssumption> failed = too_many_states(nodes, "the optimal policy")) {
    analysis.failed.push_back(std::move(*failed));
    return analysis;
  }
  analysis.solution = solve_optimal(nodes, costs);
  analysis.nodes = std::move(nodes);
  analysis.applies = true;
  analysis.detail =
      fmt::format("relative value iteration, {} states, {} iterations, bounds {:.10f} .. {:.10f}",
                  analysis.solution->states, analysis.solution->iterations, analysis.solution->lower_bound,
                  analysis.solution->upper_bound);
  return analysis;
}

const ModelResult* exact_chain(const PolicyAnalysis& analysis) {
  for (const ModelResult& model : analysis.models) {
    if (model.model == Model::ctmc && model.applies) return &model;
  }
  return nullptr;
}

}  // namespace fogsched::analysis
