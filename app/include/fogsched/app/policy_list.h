#pragma once
// Policy lists given to a front-end ("power_of_d(d=2,threshold=3)", ...), turned
// into configurations and written back into the scenario's `policies` list.
#include <string>
#include <vector>

#include "fogsched/core/scenario_yaml.h"
#include "fogsched/policies/registry.h"

namespace fogsched::app {

// A configured policy as a scenario file writes it: "power_of_d(d=2,threshold=3)"
// becomes "{name: power_of_d, d: 2, threshold: 3}".
std::string policy_as_yaml(const PolicyConfig& policy);

// Parses every spec (PolicyError on a bad one) and replaces the document's
// `policies` list with them; returns them in the order given.
std::vector<PolicyConfig> set_policies(ScenarioDocument& document, const std::vector<std::string>& specs,
                                       const PolicyRegistry& registry);

}  // namespace fogsched::app
