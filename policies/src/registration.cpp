#include "fogsched/policies/registration.h"

#include <mutex>
#include <utility>

#include "fogsched/policies/policy_definition.h"

namespace fogsched {
namespace detail {
namespace {

struct RegistrationList {
  std::mutex mutex;
  std::vector<Registered> entries;
  std::string loading_plugin;  // set by PluginRegistrationScope
};

// Function-local: static initialisers of other libraries may run before this file's.
RegistrationList& registration_list() {
  static RegistrationList list;
  return list;
}

}  // namespace

std::vector<Registered> registered_policies() {
  RegistrationList& list = registration_list();
  const std::scoped_lock lock(list.mutex);
  return list.entries;
}

PluginRegistrationScope::PluginRegistrationScope(std::string plugin) {
  RegistrationList& list = registration_list();
  const std::scoped_lock lock(list.mutex);
  list.loading_plugin = std::move(plugin);
}

PluginRegistrationScope::~PluginRegistrationScope() {
  RegistrationList& list = registration_list();
  const std::scoped_lock lock(list.mutex);
  list.loading_plugin.clear();
}

}  // namespace detail

PolicyRegistration::PolicyRegistration(PolicyInfo (*info)()) noexcept {
  detail::RegistrationList& list = detail::registration_list();
  const std::scoped_lock lock(list.mutex);
  list.entries.push_back({info, list.loading_plugin});
}

}  // namespace fogsched
