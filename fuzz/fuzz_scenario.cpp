// A scenario file's text through what `fogsched validate` does with it: the loader,
// its validation, then the policies' own checks. Bad input is ScenarioError or
// PolicyError; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fogsched/core/errors.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/sim/runner.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const fogsched::Scenario scenario = fogsched::ScenarioDocument::from_string(text, "scenario.yaml").parse();
    fogsched::sim::configure_policies(scenario);
  } catch (const fogsched::ScenarioError&) {
  } catch (const fogsched::PolicyError&) {
  }
  return 0;
}
