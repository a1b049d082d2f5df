#pragma once
// A scenario made ready to run from what a front-end was given: the file, its
// overrides (`--set`, Scenario.set()), the run settings (seed, replications,
// duration) and a policy list. Every setting is written into the ScenarioDocument,
// so it is validated like the file itself and a document written out is the one
// that ran.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fogsched/core/scenario.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/core/time.h"
#include "fogsched/policies/registry.h"

namespace fogsched::app {

// A run setting given beside the scenario is wrong. The message is
// "SETTING: problem", SETTING being the name without dashes ("duration"), which
// the command line prefixes with "--" and Python uses as its keyword.
class SettingError : public std::invalid_argument {
 public:
  SettingError(std::string_view setting, std::string_view problem);
};

struct RunSettings {
  std::optional<std::uint64_t> seed;
  std::optional<std::uint32_t> replications;
  std::optional<std::string> duration;  // with its unit ("10min"), warm-up included
  // Replace the scenario's list when given; empty is an error (SettingError).
  std::optional<std::vector<std::string>> policies;
};

// The scenario file with overrides ("key.path=value", as --set takes them)
// applied. Throws ScenarioError.
ScenarioDocument load_document(const std::string& path, const std::vector<std::string>& overrides);

// The warm-up of `scenario` run for `duration` instead: unchanged when it still
// fits, else the same share of the shorter run as it had of the full one.
Duration warmup_for_duration(const Scenario& scenario, Duration duration);

// `scenario` run for `duration`, its warm-up shrunk by warmup_for_duration().
Scenario with_duration(Scenario scenario, Duration duration);

// Sets the duration (text with a unit) in `document`, and the warm-up with it.
// Throws SettingError("duration") for text that is no positive duration.
void set_duration(ScenarioDocument& document, std::string_view duration_text);

// A scenario ready to run: the document as it runs, the scenario parsed from it,
// and its policies configured.
struct PreparedRun {
  ScenarioDocument document;
  Scenario scenario;
  std::vector<PolicyConfig> policies;
  PolicyRegistry registry;  // what the policies came from, the scenario's plugins loaded
};

// Writes `settings` into `document` (seed, replications, duration, then the
// policies), parses it and configures the policies (the scenario's own when
// `settings.policies` is not given) from `registry` and the scenario's plugins.
// Throws SettingError, ScenarioError, PolicyError.
PreparedRun prepare_run(ScenarioDocument document, const RunSettings& settings, PolicyRegistry registry);

}  // namespace fogsched::app
