#pragma once
// Every model that applies to a scenario run with one policy, in one call that
// returns plain structs (the CLI's `fogsched analyze` and the Python module read
// these). Each model either gives its values or says, naming scenario keys, which of
// its assumptions fail; nothing is approximated silently.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fogsched/analysis/markov_model.h"
#include "fogsched/analysis/optimal.h"
#include "fogsched/core/scenario.h"
#include "fogsched/policies/registry.h"

namespace fogsched::analysis {

enum class Model : std::uint8_t {
  erlang_b,    // local: every camera an M/M/K/K (or M/M/K/K+Q) station, exact
  ctmc,        // the exact Markov chain of the whole cluster (small clusters)
  mean_field,  // the N -> infinity limit (threshold_random, power_of_d; identical loss nodes)
};
const char* to_string(Model model) noexcept;  // "erlang_b", "ctmc", "mean_field"

// Fewest cameras for which the mean-field limit is shown as a prediction: its
// error shrinks like 1/N, and below this the exact chain is the answer to read.
inline constexpr std::uint32_t kMeanFieldMinCameras = 20;

struct ModelResult {
  Model model = Model::erlang_b;
  bool applies = false;
  std::vector<FailedAssumption> failed;  // why it does not apply
  std::string detail;                    // e.g. "exact chain, 27 states, residual 2e-17"
  // Whole-cluster values (NaN when the model does not apply).
  double rejection_probability = std::numeric_limits<double>::quiet_NaN();
  double forwarded_fraction = std::numeric_limits<double>::quiet_NaN();
  double probes_per_arrival = std::numeric_limits<double>::quiet_NaN();  // ctmc
  double mean_busy = std::numeric_limits<double>::quiet_NaN();           // busy slots, all cameras
  std::vector<double> mean_busy_per_node;                                // erlang_b and ctmc
};

struct PolicyAnalysis {
  std::string policy;                    // canonical spec
  std::vector<FailedAssumption> failed;  // assumptions every model shares (check_assumptions)
  // The models relevant to the policy, each applying or saying why not: local has
  // erlang_b and ctmc; random has ctmc; threshold_random and power_of_d have ctmc and
  // mean_field. Empty when `failed` is not.
  std::vector<ModelResult> models;
};

// Throws AnalysisError only for a model failing numerically (never expected).
PolicyAnalysis analyze(const Scenario& scenario, const PolicyConfig& policy);

// The optimal policy of the scenario's cluster (optimal.h), or why it cannot be
// had: the scenario is not Markovian for a policy that forwards (network delays
// count), or the state space is above kMaxCtmcStates.
struct OptimalAnalysis {
  OptimalCosts costs;
  bool applies = false;
  std::vector<FailedAssumption> failed;
  std::string detail;                       // "relative value iteration, 27 states, 167 iterations, bounds ..."
  std::vector<NodeModel> nodes;             // the cluster solved (when it applies)
  std::optional<OptimalSolution> solution;  // when it applies
};

// Throws AnalysisError for negative costs, or a solver failing numerically.
OptimalAnalysis analyze_optimal(const Scenario& scenario, const OptimalCosts& costs);

// The policy's exact chain when it applies (null otherwise): what a policy is set
// beside the optimum with.
const ModelResult* exact_chain(const PolicyAnalysis& analysis);

}  // namespace fogsched::analysis
