#include "analyze_command.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "command_exit.h"
#include "fogsched/analysis/optimal.h"
#include "fogsched/app/model_comparison.h"
#include "fogsched/app/optimal_table.h"
#include "fogsched/app/run_settings.h"
#include "fogsched/core/units.h"
#include "fogsched/sim/runner.h"
#include "plural.h"
#include "run_control.h"
#include "simulation_args.h"

namespace fogsched::cli {
namespace {

std::string format_estimate(const Estimate& e) {
  return std::isnan(e.ci95) ? fmt::format("{:.4f}", e.mean) : fmt::format("{:.4f} ± {:.4f}", e.mean, e.ci95);
}

std::string format_within(std::optional<bool> within) {
  if (!within) return "-";
  return *within ? "yes" : "no";
}

// "±" is two bytes and one column.
std::size_t columns(const std::string& cell) { return cell.size() - (cell.find("±") != std::string::npos ? 1 : 0); }

// Columns: metric, simulated, then per applicable model its value and whether it
// lies within the simulated interval. Below, the models' details and why the others
// do not apply.
std::string format_policy(const app::PolicyComparison& policy) {
  const analysis::PolicyAnalysis& analysis = policy.analysis;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"metric", "simulated"};
  for (const app::ModelValue& v : policy.metrics.front().models) {
    header.emplace_back(analysis::to_string(v.model));
    header.emplace_back("in CI");
  }
  rows.push_back(header);
  for (const app::ComparedMetric& m : policy.metrics) {
    std::vector<std::string> row = {std::string(m.label), format_estimate(m.simulated)};
    for (const app::ModelValue& v : m.models) {
      row.push_back(fmt::format("{:.4f}", v.value));
      row.push_back(format_within(v.within_ci95));
    }
    rows.push_back(row);
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], columns(row[i]));
  }
  std::string out = analysis.policy + "\n";
  for (const auto& row : rows) {
    std::string line = " ";
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += " " + row[i] + std::string(widths[i] - columns(row[i]) + (i + 1 < row.size() ? 1 : 0), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  for (const analysis::FailedAssumption& f : analysis.failed) out += "  no exact model: " + f.to_string() + "\n";
  for (const analysis::ModelResult& model : analysis.models) {
    if (model.applies) {
      out += fmt::format("  {}: {}\n", analysis::to_string(model.model), model.detail);
    } else {
      for (const analysis::FailedAssumption& f : model.failed) {
        out += fmt::format("  {} does not apply: {}\n", analysis::to_string(model.model), f.to_string());
      }
    }
  }
  return out;
}

// The optimum of the cluster, or why there is none.
std::string format_optimal(const analysis::OptimalAnalysis& optimal) {
  std::string out = fmt::format(
      "\noptimal policy (forward cost {}, probe cost {}; it sees every camera's load, "
      "so no camera could run it: a bound)\n",
      optimal.costs.forward, optimal.costs.probe);
  if (!optimal.solution) {
    for (const analysis::FailedAssumption& f : optimal.failed) out += "  does not apply: " + f.to_string() + "\n";
    return out;
  }
  const analysis::OptimalSolution& solution = *optimal.solution;
  out += fmt::format("  cost per arrival {:.4f}: rejection probability {:.4f}, forwarded fraction {:.4f}\n",
                     solution.cost_per_arrival, solution.rejection_probability, solution.forwarded_fraction);
  out += fmt::format("  {}\n", optimal.detail);
  return out;
}

std::string format_gap(const app::PolicyComparison& policy) {
  if (!policy.optimal_gap) return "  gap to the optimum: none (no exact chain for this policy)\n";
  return fmt::format("  cost per arrival {:.4f} (exact chain), gap to the optimum {:.4f}\n",
                     policy.optimal_gap->cost_per_arrival, policy.optimal_gap->gap);
}

std::string format_table(const app::ModelComparison& comparison) {
  std::string table = fmt::format(
      "scenario {}, seed {}, {} of {} (warm-up {}); ± is the 95 % confidence half-width (Student t over "
      "replications); in CI: the model's value lies within it\n",
      comparison.scenario, comparison.seed, plural(comparison.replications, "replication"),
      format_duration(comparison.duration), format_duration(comparison.warmup));
  if (comparison.optimal) table += format_optimal(*comparison.optimal);
  const bool gaps = comparison.optimal && comparison.optimal->solution;
  for (const app::PolicyComparison& policy : comparison.policies) {
    table += "\n" + format_policy(policy) + (gaps ? format_gap(policy) : "");
  }
  return table;
}

struct AnalyzeArgs : SimulationArgs {
  bool optimal = false;
  analysis::OptimalCosts costs;
  std::optional<std::string> table_path;
};

// The optimum when asked for, its table written before the simulation starts.
std::optional<analysis::OptimalAnalysis> optimal_analysis(const AnalyzeArgs& args, const Scenario& scenario) {
  if (!args.optimal) return std::nullopt;
  try {
    analysis::check_costs(args.costs);
  } catch (const analysis::AnalysisError& e) {
    throw InputError(fmt::format("--forward-cost, --probe-cost: {}", e.what()));
  }
  analysis::OptimalAnalysis optimal = analysis::analyze_optimal(scenario, args.costs);
  if (args.table_path) {
    if (optimal.applies) {
      app::write_optimal_table(*args.table_path, app::optimal_table(optimal));
    } else {
      std::cerr << fmt::format("fogsched: {} not written: the optimal policy does not apply to this scenario\n",
                               *args.table_path);
    }
  }
  return optimal;
}

int analyze_command(const AnalyzeArgs& args) {
  const app::PreparedRun prepared = prepare_run(args);
  // The models first: they take milliseconds, the simulation may take minutes.
  std::vector<analysis::PolicyAnalysis> analyses = app::analyze_policies(prepared.scenario, prepared.policies);
  std::optional<analysis::OptimalAnalysis> optimal = optimal_analysis(args, prepared.scenario);

  sim::RunOptions options;
  options.threads = args.threads;
  announce_cost(prepared.scenario, prepared.policies, options);
  std::optional<ProgressBar> progress;
  attach_run_control(options, progress);
  const sim::RunOutput output = sim::run_scenario(prepared.scenario, prepared.policies, options);
  progress.reset();

  const app::ModelComparison comparison =
      app::compare_with_models(prepared.scenario, std::move(analyses), output, std::move(optimal));
  std::cout << (args.json ? app::to_json(comparison) + "\n" : format_table(comparison)) << std::flush;
  return kExitOk;
}

}  // namespace

void add_analyze_command(CLI::App& app) {
  auto args = std::make_shared<AnalyzeArgs>();
  CLI::App* analyze = app.add_subcommand(
      "analyze", "Simulate a scenario and set exact answers beside it (Erlang-B, exact Markov chain, mean-field)");
  add_simulation_args(*analyze, *args, "to analyse");
  analyze->add_flag("--json", args->json, "Print the comparison as JSON instead of tables");
  CLI::Option* optimal = analyze->add_flag(
      "--optimal", args->optimal,
      "Also solve the optimal policy of the cluster (it sees every camera's load: a bound) and give each "
      "policy's gap to it");
  analyze->add_option("--forward-cost", args->costs.forward, "The cost of a forward, in rejections (default 0)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("X")
      ->needs(optimal);
  analyze->add_option("--probe-cost", args->costs.probe, "The cost of a probe message, in rejections (default 0)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("Y")
      ->needs(optimal);
  analyze->add_option("--optimal-table", args->table_path, "Write the optimum's decision table as JSON to FILE")
      ->type_name("FILE")
      ->needs(optimal);
  analyze->callback([args] { throw CommandExit{analyze_command(*args)}; });
}

}  // namespace fogsched::cli
