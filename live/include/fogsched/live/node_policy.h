#pragma once
// The node's policy: a built-in one, or one written in Python named
// "python:package.module:ClassName", which the separately built
// fogsched_python_policy module (python/) loads into the process on demand, so the
// executable and the Docker image need no Python.
#include <filesystem>
#include <string_view>

#include "fogsched/core/policy_spec.h"
#include "fogsched/policies/registry.h"

namespace fogsched::live {

// Whether `spec` names a Python policy ("python:...").
bool is_python_policy(std::string_view spec);

// The folder a policy's relative file parameters (a model) are taken from: the
// configuration file's when `where` is in one, else the working directory (a
// variable's or a flag's value).
std::filesystem::path policy_files_folder(const SourceLocation& where);

// The configured policy `spec` names ("local" when its name is empty), from
// `policies` or Python. Throws
// PolicyError, for a Python policy naming the spec and Python's error (ImportError
// text) or why the embedding cannot be loaded.
PolicyConfig configure_node_policy(const PolicyRegistry& policies, const PolicySpec& spec);

}  // namespace fogsched::live
