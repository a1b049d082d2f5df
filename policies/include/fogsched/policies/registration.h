#pragma once
// The process's list of registered policies (FOGSCHED_REGISTER_POLICY), filled by
// static initialisers as each library loads; read by the registry and the plugin
// loader (fogsched/plugins/plugin.h), nothing else.
#include <string>
#include <vector>

#include "fogsched/policies/registry.h"

namespace fogsched::detail {

struct Registered {
  PolicyInfo (*info)() = nullptr;
  std::string plugin;  // the plugin file that registered it; empty when linked in
};

// Every registration so far, in order.
std::vector<Registered> registered_policies();

// Attributes the registrations made while it lives (by the static initialisers a
// dlopen() runs) to `plugin`. One at a time: the loader serialises plugin loads.
class PluginRegistrationScope {
 public:
  explicit PluginRegistrationScope(std::string plugin);
  ~PluginRegistrationScope();
  PluginRegistrationScope(const PluginRegistrationScope&) = delete;
  PluginRegistrationScope& operator=(const PluginRegistrationScope&) = delete;
};

}  // namespace fogsched::detail
