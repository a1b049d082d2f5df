// A scenario file's text through what `fogsched validate` does with it: the loader,
// its validation, the policies' own checks, then the memory a run would need (its
// sizes' estimate, priced in doubles: no size may overflow it). Bad input is
// ScenarioError or PolicyError; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fogsched/core/errors.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/sim/run_cost.h"
#include "fogsched/sim/runner.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const fogsched::Scenario scenario = fogsched::ScenarioDocument::from_string(text, "scenario.yaml").parse();
    const auto policies = fogsched::sim::configure_policies(scenario, fogsched::PolicyRegistry::with_builtins());
    fogsched::sim::estimate_from_sizes(scenario, policies.size(), {});
  } catch (const fogsched::ScenarioError&) {
  } catch (const fogsched::PolicyError&) {
  }
  return 0;
}
