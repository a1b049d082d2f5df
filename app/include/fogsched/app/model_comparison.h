#pragma once
// The simulation set beside the exact and limiting models of analysis/ (Erlang-B,
// the exact Markov chain, the mean-field limit): what `fogsched analyze` prints and
// `fogsched.analyze()` returns, computed here once so both report the same numbers.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fogsched/analysis/analyze.h"
#include "fogsched/core/results.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/stats.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/runner.h"

namespace fogsched::app {

// One replication's values of the metrics the models predict.
struct ModelledMetrics {
  double rejection_probability = 0;
  double forwarded_fraction = 0;
  double mean_busy = 0;  // busy slots summed over the cameras, time-averaged
};

// The metrics of one replication whose cameras are nodes 0 .. cameras-1 and whose
// measurement window (duration - warm-up) is `window`.
ModelledMetrics modelled_metrics(const MetricsCollector& metrics, std::uint32_t cameras, Duration window);

// A model's value of one metric, and whether it lies within the simulated 95 %
// interval (none without one: a single replication).
struct ModelValue {
  analysis::Model model = analysis::Model::erlang_b;
  double value = 0;
  std::optional<bool> within_ci95;
};

struct ComparedMetric {
  std::string_view key;            // "rejection_probability", "forwarded_fraction", "mean_busy"
  std::string_view label;          // "rejection probability", ...
  Estimate simulated;              // over replications
  std::vector<ModelValue> models;  // the models that apply, in the analysis' order
};

// A policy beside the optimum: its exact cost per arrival under the optimum's
// costs (from its exact chain) and how far above the optimum that is.
struct OptimalGap {
  double cost_per_arrival = 0;
  double probes_per_arrival = 0;
  double gap = 0;  // cost_per_arrival - the optimum's
};

struct PolicyComparison {
  analysis::PolicyAnalysis analysis;
  std::uint32_t replications = 0;
  std::uint64_t invocations = 0;        // client invocations over every replication
  std::vector<ComparedMetric> metrics;  // rejection probability, forwarded fraction, mean busy
  // With an optimum that applies and an exact chain of the policy.
  std::optional<OptimalGap> optimal_gap;
};

struct ModelComparison {
  std::string scenario;
  std::uint64_t seed = 0;
  std::uint32_t replications = 0;
  Duration duration{};
  Duration warmup{};
  std::vector<PolicyComparison> policies;            // in the order of the run
  std::optional<analysis::OptimalAnalysis> optimal;  // when asked for
};

// Whether `value` lies within the interval, allowing for the models' own rounding;
// none without an interval.
std::optional<bool> within_ci95(const Estimate& simulated, double value);

// Every model for every policy. They take milliseconds, so a front-end calls this
// before a simulation that may take minutes.
std::vector<analysis::PolicyAnalysis> analyze_policies(const Scenario& scenario,
                                                       const std::vector<PolicyConfig>& policies);

// `output` (a run of `scenario` with the policies `analyses` were made for, in
// their order) beside the models, and beside `optimal` when given.
ModelComparison compare_with_models(const Scenario& scenario, std::vector<analysis::PolicyAnalysis> analyses,
                                    const sim::RunOutput& output,
                                    std::optional<analysis::OptimalAnalysis> optimal = std::nullopt);

// The comparison as `fogsched analyze --json` prints it (without the final newline):
// {"scenario", "seed", "results": [...]}, plus "optimal" (the optimum of the cluster)
// and each result's "optimal_gap" when the comparison has an optimum.
std::string to_json(const ModelComparison& comparison);

}  // namespace fogsched::app
