#pragma once
// The arguments the scenario commands share: the scenario file with its --set
// overrides (validate, run, analyze) and the run settings (run, analyze).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "fogsched/app/run_settings.h"
#include "fogsched/core/scenario_yaml.h"

namespace fogsched::cli {

struct ScenarioArgs {
  std::string path;
  std::vector<std::string> overrides;  // "key.path=value"
  std::vector<std::string> plugins;    // policy plugin files (--plugin)
};

// What every simulating command takes.
struct SimulationArgs {
  ScenarioArgs scenario;
  std::vector<std::string> policies;
  std::optional<std::uint32_t> replications;
  std::optional<std::uint64_t> seed;
  std::uint32_t threads = 0;
  std::optional<std::string> duration;
  bool json = false;
};

void add_scenario_args(CLI::App& command, ScenarioArgs& args);

// --plugin PATH (repeatable), for every command that names policies.
void add_plugin_option(CLI::App& command, std::vector<std::string>& plugins);

// The built-in policies and those of `plugins`; throws PolicyError.
PolicyRegistry policy_registry(const std::vector<std::string>& plugins);

// The scenario arguments and --policy (described with `policy_verb`, "to run"),
// --replications, --seed, --threads, --duration.
void add_simulation_args(CLI::App& command, SimulationArgs& args, std::string_view policy_verb);

// The scenario file with its overrides applied.
ScenarioDocument load_document(const ScenarioArgs& args);

// The scenario with every setting applied and its policies configured; --policy
// replaces the scenario's list when given.
app::PreparedRun prepare_run(const SimulationArgs& args);

}  // namespace fogsched::cli
