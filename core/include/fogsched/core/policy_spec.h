#pragma once
// A policy as a user names it (a scenario's entry, a node's config key): validated
// against a PolicyRegistry by policies/.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "fogsched/core/errors.h"

namespace fogsched {

struct PolicySpec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;  // as written, in order
  SourceLocation where;
};

// A policy plugin a user names (a scenario's or node config's `plugins` entry).
struct PluginSpec {
  std::filesystem::path path;  // resolved against the naming file's folder
  SourceLocation where;
};

}  // namespace fogsched
