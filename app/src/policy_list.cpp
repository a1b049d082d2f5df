#include "fogsched/app/policy_list.h"

#include <string_view>

#include <fmt/format.h>

namespace fogsched::app {

// Canonical values are plain tokens ("2", "0.5", "1s", "true"), so splitting the
// canonical spec on ',' and '=' is exact.
std::string policy_as_yaml(const PolicyConfig& policy) {
  std::string yaml = "{name: " + policy.name;
  const std::string_view canonical = policy.canonical;
  const auto open = canonical.find('(');
  if (open != std::string_view::npos && canonical.back() == ')') {
    std::string_view params = canonical.substr(open + 1, canonical.size() - open - 2);
    while (!params.empty()) {
      const auto comma = params.find(',');
      const std::string_view param = params.substr(0, comma);
      const auto equals = param.find('=');
      if (equals != std::string_view::npos) {
        yaml += fmt::format(", {}: {}", param.substr(0, equals), param.substr(equals + 1));
      }
      params = comma == std::string_view::npos ? std::string_view{} : params.substr(comma + 1);
    }
  }
  return yaml + "}";
}

std::vector<PolicyConfig> set_policies(ScenarioDocument& document, const std::vector<std::string>& specs,
                                       const PolicyRegistry& registry) {
  std::vector<PolicyConfig> policies;
  std::string yaml_list;
  for (const std::string& spec : specs) {
    policies.push_back(registry.parse(spec));
    yaml_list += (yaml_list.empty() ? "" : ", ") + policy_as_yaml(policies.back());
  }
  document.set("policies", "[" + yaml_list + "]");
  return policies;
}

}  // namespace fogsched::app
