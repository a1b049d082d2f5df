#include "simulation_args.h"

#include <charconv>
#include <filesystem>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "fogsched/core/quote_input.h"
#include "fogsched/core/text_file.h"
#include "fogsched/plugins/plugin.h"

namespace fogsched::cli {
namespace {

// A non-negative integer that fits 64 bits: CLI11 alone would read "-3" as 2^64 - 3
// and saturate values that overflow.
CLI::Validator unsigned_integer() {
  return CLI::Validator(
      [](std::string& text) {
        std::uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value);
        const bool ok = !text.empty() && error == std::errc{} && stop == end;
        return ok ? std::string()
                  : fmt::format("expected a non-negative integer below 2^64, got {}", quote_input(text));
      },
      "");
}

// A path that names a file, checked with the other arguments so that a wrong one
// is answered with the command's usage.
CLI::Validator existing_file() {
  return CLI::Validator(
      [](std::string& path) {
        std::error_code error;
        return std::filesystem::exists(path, error) ? std::string() : fmt::format("{}: no such file", path);
      },
      "");
}

}  // namespace

void add_scenario_args(CLI::App& command, ScenarioArgs& args) {
  command.add_option("scenario", args.path, "Scenario file (YAML)")
      ->type_name("SCENARIO")
      ->required()
      ->check(existing_file());
  command.add_option("--set", args.overrides, "Override a scenario value, e.g. --set cluster.cameras.slots=8")
      ->type_name("KEY.PATH=VALUE")
      ->allow_extra_args(false);
  add_plugin_option(command, args.plugins);
}

void add_plugin_option(CLI::App& command, std::vector<std::string>& plugins) {
  command
      .add_option("--plugin", plugins,
                  "Load the policies of a plugin (.so built with fogsched_add_policy); repeat for several")
      ->type_name("PATH")
      ->allow_extra_args(false);
}

PolicyRegistry policy_registry(const std::vector<std::string>& plugins) {
  PolicyRegistry registry = PolicyRegistry::with_builtins();
  registry.read_files_with(read_text_file);
  for (const std::string& plugin : plugins) load_plugin(registry, plugin);
  return registry;
}

void add_simulation_args(CLI::App& command, SimulationArgs& args, std::string_view policy_verb) {
  add_scenario_args(command, args.scenario);
  command
      .add_option("--policy", args.policies,
                  fmt::format("Policy {}, e.g. 'power_of_d(d=2,threshold=3)'; repeat for several. "
                              "Replaces the scenario's list",
                              policy_verb))
      ->type_name("SPEC")
      ->allow_extra_args(false);
  command.add_option("--replications", args.replications, "Replications per policy (default: the scenario's)")
      ->type_name("N")
      ->check(unsigned_integer())
      ->check(CLI::Range(1u, 1'000'000u).description(""));
  command.add_option("--seed", args.seed, "Seed of the run (default: the scenario's)")
      ->type_name("S")
      ->check(unsigned_integer());
  command.add_option("--threads", args.threads, "Worker threads; 0 = one per core (default)")
      ->type_name("N")
      ->check(unsigned_integer())
      ->check(CLI::Range(0u, 4096u).description(""));
  command
      .add_option("--duration", args.duration,
                  "Simulated time per replication, warm-up included, e.g. 10min (default: the scenario's)")
      ->type_name("D");
}

ScenarioDocument load_document(const ScenarioArgs& args) { return app::load_document(args.path, args.overrides); }

app::PreparedRun prepare_run(const SimulationArgs& args) {
  std::optional<std::vector<std::string>> policies;
  if (!args.policies.empty()) policies = args.policies;
  return app::prepare_run(load_document(args.scenario),
                          {.seed = args.seed,
                           .replications = args.replications,
                           .duration = args.duration,
                           .policies = std::move(policies)},
                          policy_registry(args.scenario.plugins));
}

}  // namespace fogsched::cli
