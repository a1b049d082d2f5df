#include "fogsched/app/run_settings.h"

#include <cmath>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "fogsched/app/policy_list.h"
#include "fogsched/core/units.h"
#include "fogsched/plugins/plugin.h"
#include "fogsched/sim/runner.h"

namespace fogsched::app {

SettingError::SettingError(std::string_view setting, std::string_view problem)
    : std::invalid_argument(fmt::format("{}: {}", setting, problem)) {}

ScenarioDocument load_document(const std::string& path, const std::vector<std::string>& overrides) {
  ScenarioDocument document = ScenarioDocument::load_file(path);
  std::vector<Override> parsed;
  parsed.reserve(overrides.size());
  for (const std::string& text : overrides) parsed.push_back(parse_override(text));
  document.apply(parsed);
  return document;
}

Duration warmup_for_duration(const Scenario& scenario, Duration duration) {
  if (scenario.warmup < duration || scenario.duration <= Duration::zero()) return scenario.warmup;
  // In floating point: the product of two durations in nanoseconds overflows int64.
  const double share = static_cast<double>(duration.count()) / static_cast<double>(scenario.duration.count());
  return Duration{std::llround(static_cast<double>(scenario.warmup.count()) * share)};
}

Scenario with_duration(Scenario scenario, Duration duration) {
  scenario.warmup = warmup_for_duration(scenario, duration);
  scenario.duration = duration;
  return scenario;
}

void set_duration(ScenarioDocument& document, std::string_view duration_text) {
  Duration duration{};
  try {
    duration = parse_duration(duration_text);
  } catch (const UnitError& e) {
    throw SettingError("duration", e.what());
  }
  if (duration <= Duration::zero()) throw SettingError("duration", "must be positive");
  const Scenario as_written = document.parse();
  document.set("duration", format_duration(duration));
  const Duration warmup = warmup_for_duration(as_written, duration);
  if (warmup != as_written.warmup) document.set("warmup", format_duration(warmup));
}

PreparedRun prepare_run(ScenarioDocument document, const RunSettings& settings, PolicyRegistry registry) {
  if (settings.seed) document.set("seed", std::to_string(*settings.seed));
  if (settings.replications) document.set("replications", std::to_string(*settings.replications));
  if (settings.duration) set_duration(document, *settings.duration);
  std::vector<PolicyConfig> policies;
  if (settings.policies) {
    if (settings.policies->empty()) {
      throw SettingError("policies", "give at least one policy, or none for the scenario's list");
    }
    // The given policies may come from the scenario's plugins.
    load_plugins(registry, document.parse().plugins);
    policies = set_policies(document, *settings.policies, registry);
  }
  Scenario scenario = document.parse();
  if (!settings.policies) {
    load_plugins(registry, scenario.plugins);
    policies = sim::configure_policies(scenario, registry);
  }
  return {std::move(document), std::move(scenario), std::move(policies), std::move(registry)};
}

}  // namespace fogsched::app
