#include "fogsched/app/model_comparison.h"

#include <array>
#include <cmath>
#include <utility>

#include <nlohmann/json.hpp>

namespace fogsched::app {

// The models describe the cameras in steady state, deciding every invocation the
// moment it arrives, so each simulated metric is taken over the invocations whose
// answer is known when the replication stops:
// - rejection probability over every client arrival: an invocation still running
//   at the end was admitted, so it is known not to be rejected;
// - forwarded fraction over the invocations that ended: the simulator records
//   where an invocation ran when it ends, so for one still running it is unknown;
//   counting it as not forwarded would bias the fraction down, by more than the
//   interval covers once runs are long;
// - mean busy slots as the cameras' busy slot-time over the window, the time
//   average the models' mean number of busy slots is; it needs no equal slot counts
//   and leaves out the cloud, which no model has.
ModelledMetrics modelled_metrics(const MetricsCollector& metrics, std::uint32_t cameras, Duration window) {
  const auto share = [](std::uint64_t part, std::uint64_t whole) {
    return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
  };
  double busy_slot_seconds = 0;
  for (std::uint32_t c = 0; c < cameras && c < metrics.busy_slot_seconds.size(); ++c) {
    busy_slot_seconds += metrics.busy_slot_seconds[c];
  }
  const std::uint64_t ended = metrics.client_invocations - metrics.in_flight_at_end;
  return {.rejection_probability = share(metrics.rejected, metrics.client_invocations),
          .forwarded_fraction = share(metrics.forwarded, ended),
          .mean_busy = busy_slot_seconds / to_seconds(window)};
}

std::optional<bool> within_ci95(const Estimate& simulated, double value) {
  // The models' values are exact to about 1e-12.
  constexpr double kModelRounding = 1e-9;
  if (std::isnan(simulated.ci95)) return std::nullopt;
  return std::abs(value - simulated.mean) <= simulated.ci95 + kModelRounding;
}

std::vector<analysis::PolicyAnalysis> analyze_policies(const Scenario& scenario,
                                                       const std::vector<PolicyConfig>& policies) {
  std::vector<analysis::PolicyAnalysis> analyses;
  analyses.reserve(policies.size());
  for (const PolicyConfig& policy : policies) analyses.push_back(analysis::analyze(scenario, policy));
  return analyses;
}

namespace {

// The three metrics, each with the value of every model that applies.
std::vector<ComparedMetric> compare(const std::vector<sim::ReplicationResult>& replications,
                                    const analysis::PolicyAnalysis& analysis, std::uint32_t cameras, Duration window) {
  std::vector<double> rejection, forwarded, busy;
  for (const sim::ReplicationResult& replication : replications) {
    const ModelledMetrics m = modelled_metrics(replication.metrics, cameras, window);
    rejection.push_back(m.rejection_probability);
    forwarded.push_back(m.forwarded_fraction);
    busy.push_back(m.mean_busy);
  }
  std::vector<ComparedMetric> metrics = {
      {"rejection_probability", "rejection probability", estimate(rejection), {}},
      {"forwarded_fraction", "forwarded fraction", estimate(forwarded), {}},
      {"mean_busy", "mean busy slots", estimate(busy), {}},
  };
  for (const analysis::ModelResult& model : analysis.models) {
    if (!model.applies) continue;
    const std::array<double, 3> values = {model.rejection_probability, model.forwarded_fraction, model.mean_busy};
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      metrics[i].models.push_back({model.model, values[i], within_ci95(metrics[i].simulated, values[i])});
    }
  }
  return metrics;
}

nlohmann::ordered_json assumptions_json(const std::vector<analysis::FailedAssumption>& failed) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const analysis::FailedAssumption& f : failed) list.push_back({{"key", f.key}, {"problem", f.problem}});
  return list;
}

nlohmann::ordered_json policy_json(const PolicyComparison& policy, bool has_optimal) {
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const analysis::ModelResult& model : policy.analysis.models) {
    models.push_back({{"model", analysis::to_string(model.model)},
                      {"applies", model.applies},
                      {"detail", model.detail},
                      {"failed_assumptions", assumptions_json(model.failed)}});
  }
  nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
  for (const ComparedMetric& m : policy.metrics) {
    nlohmann::ordered_json values = nlohmann::ordered_json::object();
    for (const ModelValue& v : m.models) {
      values[analysis::to_string(v.model)] = {
          {"value", v.value},
          {"within_ci95", v.within_ci95 ? nlohmann::ordered_json(*v.within_ci95) : nlohmann::ordered_json()}};
    }
    metrics[std::string(m.key)] = {{"simulated", {{"mean", m.simulated.mean}, {"ci95", m.simulated.ci95}}},
                                   {"models", values}};
  }
  nlohmann::ordered_json out = {{"policy", policy.analysis.policy},
                                {"replications", policy.replications},
                                {"invocations", policy.invocations},
                                {"failed_assumptions", assumptions_json(policy.analysis.failed)},
                                {"models", models},
                                {"metrics", metrics}};
  if (has_optimal) {
    out["optimal_gap"] = policy.optimal_gap
                             ? nlohmann::ordered_json{{"cost_per_arrival", policy.optimal_gap->cost_per_arrival},
                                                      {"probes_per_arrival", policy.optimal_gap->probes_per_arrival},
                                                      {"gap", policy.optimal_gap->gap}}
                             : nlohmann::ordered_json();
  }
  return out;
}

nlohmann::ordered_json optimal_json(const analysis::OptimalAnalysis& optimal) {
  const auto value = [&](auto field) {
    return optimal.solution ? nlohmann::ordered_json(field(*optimal.solution)) : nlohmann::ordered_json();
  };
  using Solution = analysis::OptimalSolution;
  return {{"costs", {{"forward", optimal.costs.forward}, {"probe", optimal.costs.probe}}},
          {"applies", optimal.applies},
          {"detail", optimal.detail},
          {"failed_assumptions", assumptions_json(optimal.failed)},
          {"cost_per_arrival", value([](const Solution& s) { return s.cost_per_arrival; })},
          {"lower_bound", value([](const Solution& s) { return s.lower_bound; })},
          {"upper_bound", value([](const Solution& s) { return s.upper_bound; })},
          {"rejection_probability", value([](const Solution& s) { return s.rejection_probability; })},
          {"forwarded_fraction", value([](const Solution& s) { return s.forwarded_fraction; })},
          {"probes_per_arrival", value([](const Solution& s) { return s.probes_per_arrival; })},
          {"iterations", value([](const Solution& s) { return s.iterations; })},
          {"states", value([](const Solution& s) { return s.states; })}};
}

}  // namespace

ModelComparison compare_with_models(const Scenario& scenario, std::vector<analysis::PolicyAnalysis> analyses,
                                    const sim::RunOutput& output, std::optional<analysis::OptimalAnalysis> optimal) {
  ModelComparison comparison{.scenario = scenario.name,
                             .seed = scenario.seed,
                             .replications = scenario.replications,
                             .duration = scenario.duration,
                             .warmup = scenario.warmup,
                             .policies = {},
                             .optimal = std::move(optimal)};
  const Duration window = scenario.duration - scenario.warmup;
  for (std::size_t p = 0; p < analyses.size(); ++p) {
    const PolicyResult& result = output.report.results.at(p);
    std::vector<ComparedMetric> metrics =
        compare(output.replications.at(p), analyses[p], scenario.cameras.count, window);
    comparison.policies.push_back({.analysis = std::move(analyses[p]),
                                   .replications = result.replications,
                                   .invocations = result.invocations,
                                   .metrics = std::move(metrics),
                                   .optimal_gap = std::nullopt});
    const std::optional<analysis::OptimalAnalysis>& optimum = comparison.optimal;
    PolicyComparison& policy = comparison.policies.back();
    if (!optimum || !optimum->solution) continue;
    if (const analysis::ModelResult* chain = analysis::exact_chain(policy.analysis)) {
      const double cost = analysis::cost_per_arrival(optimum->costs, chain->rejection_probability,
                                                     chain->forwarded_fraction, chain->probes_per_arrival);
      policy.optimal_gap = OptimalGap{.cost_per_arrival = cost,
                                      .probes_per_arrival = chain->probes_per_arrival,
                                      .gap = analysis::gap_to_optimum(*optimum->solution, cost)};
    }
  }
  return comparison;
}

std::string to_json(const ModelComparison& comparison) {
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  const bool has_optimal = comparison.optimal.has_value();
  for (const PolicyComparison& policy : comparison.policies) results.push_back(policy_json(policy, has_optimal));
  nlohmann::ordered_json document = {
      {"scenario", comparison.scenario}, {"seed", comparison.seed}, {"results", results}};
  if (has_optimal) document["optimal"] = optimal_json(*comparison.optimal);
  return document.dump(2);
}

}  // namespace fogsched::app
