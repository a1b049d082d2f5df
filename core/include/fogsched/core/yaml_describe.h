#pragma once
// How a YAML node looks in an error message: "expected a duration, got a list".
// Shared by every loader of hand-written YAML (scenarios, node and host configs).
#include <string>

#include <yaml-cpp/node/node.h>

namespace fogsched {

// "a map", "a list", "'text'" for a scalar, or "nothing".
std::string describe_yaml_node(const YAML::Node& node);

}  // namespace fogsched
