#include "policies_command.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "command_exit.h"
#include "fogsched/core/units.h"
#include "fogsched/policies/registry.h"
#include "simulation_args.h"

namespace fogsched::cli {
namespace {

std::string format_bound(const ParamSpec& p, double bound) {
  if (std::isinf(bound)) return bound > 0 ? "inf" : "-inf";
  if (p.type == ParamType::duration) return format_duration(from_seconds(bound));
  return fmt::format("{}", bound);
}

int policies_command(const std::vector<std::string>& plugins) {
  const PolicyRegistry registry = policy_registry(plugins);
  const std::vector<const PolicyInfo*> all = registry.all();

  std::size_t name_width = 0;
  std::size_t param_width = 0;
  std::size_t type_width = 0;
  std::size_t default_width = 0;
  std::size_t range_width = 0;
  const auto range_of = [](const ParamSpec& p) {
    return p.type == ParamType::boolean || p.type == ParamType::file
               ? std::string("-")
               : fmt::format("[{}, {}]", format_bound(p, p.min), format_bound(p, p.max));
  };
  for (const PolicyInfo* policy : all) {
    name_width = std::max(name_width, policy->name.size());
    for (const ParamSpec& p : policy->params) {
      param_width = std::max(param_width, p.name.size());
      type_width = std::max(type_width, std::string_view(to_string(p.type)).size());
      default_width = std::max(default_width, p.default_value.size());
      range_width = std::max(range_width, range_of(p).size());
    }
  }

  std::string out;
  for (const PolicyInfo* policy : all) {
    out += fmt::format("{:<{}}  {}\n", policy->name, name_width, policy->doc);
    if (policy->source != PolicyInfo{}.source) out += fmt::format("    from {}\n", policy->source);
    for (const ParamSpec& p : policy->params) {
      out +=
          fmt::format("    {:<{}}  {:<{}}  default {:<{}}  range {:<{}}  {}\n", p.name, param_width, to_string(p.type),
                      type_width, p.default_value, default_width, range_of(p), range_width, p.doc);
    }
  }
  out += "\nUse a policy as NAME or NAME(param=value,...), e.g. --policy 'power_of_d(d=2,threshold=3)'.\n";
  std::cout << out;
  return kExitOk;
}

}  // namespace

void add_policies_command(CLI::App& app) {
  auto plugins = std::make_shared<std::vector<std::string>>();
  CLI::App* policies =
      app.add_subcommand("policies", "List the policies (built in and from --plugin) and their parameters");
  add_plugin_option(*policies, *plugins);
  policies->callback([plugins] { throw CommandExit{policies_command(*plugins)}; });
}

}  // namespace fogsched::cli
