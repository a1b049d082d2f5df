#pragma once
// Policy plugins: shared objects built with fogsched_add_policy() (the CMake package)
// whose policies register with FOGSCHED_REGISTER_POLICY.
#include <filesystem>
#include <string>
#include <vector>

#include "fogsched/policies/registry.h"

namespace fogsched {

// Loads the plugin at `path` (once per process: later calls reuse it) and adds its
// policies to `registry`; returns their names. Throws PolicyError naming the file and
// the problem: not found, not a plugin, built against another fogsched (checked
// before any of its code runs), a name already taken, or what dlopen() reports.
std::vector<std::string> load_plugin(PolicyRegistry& registry, const std::filesystem::path& path);

// Loads each plugin a file names; errors start with the entry's location
// ("FILE:LINE: plugins.0: plugin PATH: ...").
void load_plugins(PolicyRegistry& registry, const std::vector<PluginSpec>& plugins);

// The text a plugin carries to say what it was built against, and this build's.
std::string plugin_stamp_of(const std::filesystem::path& path);  // empty if none
std::string plugin_stamp();

}  // namespace fogsched
