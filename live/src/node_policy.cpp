#include "fogsched/live/node_policy.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fogsched/core/errors.h"

namespace fogsched::live {
namespace {

constexpr std::string_view kPythonPrefix = "python:";
constexpr const char* kModuleFile = "libfogsched_python_policy.so";
// The module's entry point (python/src/embedded_policy.cpp).
using LoadPythonPolicy = bool (*)(const char* spec, PolicyInfo* info, std::string* error);

std::filesystem::path executable_dir() {
  std::error_code error;
  return std::filesystem::read_symlink("/proc/self/exe", error).parent_path();
}

// FOGSCHED_PYTHON_POLICY_MODULE when set, else beside the executable (build tree),
// else in ../lib/fogsched (installed).
std::vector<std::filesystem::path> module_candidates() {
  if (const char* path = std::getenv("FOGSCHED_PYTHON_POLICY_MODULE"); path != nullptr && *path != '\0') return {path};
  const std::filesystem::path dir = executable_dir();
  return {dir / kModuleFile, dir.parent_path() / "lib" / "fogsched" / kModuleFile};
}

LoadPythonPolicy python_policy_loader() {
  std::string failures;
  for (const std::filesystem::path& candidate : module_candidates()) {
    // RTLD_GLOBAL: extension modules the policy imports (numpy, ...) find libpython's symbols.
    void* module = dlopen(candidate.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (module == nullptr) {
      failures += fmt::format("\n  {}", dlerror());
      continue;
    }
    if (void* entry = dlsym(module, "fogsched_python_policy")) return reinterpret_cast<LoadPythonPolicy>(entry);
    failures += fmt::format("\n  {}: no entry point fogsched_python_policy", candidate.string());
  }
  throw PolicyError(
      fmt::format("policies written in Python need {} (built with -DFOGSCHED_BUILD_PYTHON=ON, or named by "
                  "FOGSCHED_PYTHON_POLICY_MODULE); it could not be loaded:{}",
                  kModuleFile, failures));
}

}  // namespace

bool is_python_policy(std::string_view spec) { return spec.starts_with(kPythonPrefix); }

std::filesystem::path policy_files_folder(const SourceLocation& where) {
  // Outside a file, `where` names the variable or flag and its value, no file.
  return where.line > 0 ? std::filesystem::path(where.file).parent_path() : std::filesystem::path();
}

PolicyConfig configure_node_policy(const PolicyRegistry& policies, const PolicySpec& spec) {
  if (spec.name.empty()) return policies.parse("local");
  if (!is_python_policy(spec.name)) {
    try {
      return policies.configure(spec.name, spec.params, policy_files_folder(spec.where));
    } catch (const PolicyError& error) {
      const std::string where = spec.where.to_string();
      throw PolicyError(fmt::format("{}policies: {}", where.empty() ? "" : where + ": ", error.what()));
    }
  }
  if (!spec.params.empty()) throw PolicyError(fmt::format("{}: a Python policy takes no parameters", spec.name));
  static const LoadPythonPolicy load = python_policy_loader();
  PolicyInfo info;
  std::string error;
  if (!load(spec.name.c_str(), &info, &error)) throw PolicyError(fmt::format("{}: {}", spec.name, error));
  PolicyRegistry registry = policies;
  try {
    registry.add(info);
  } catch (const std::logic_error& e) {
    throw PolicyError(fmt::format("{}: {}", spec.name, e.what()));
  }
  return registry.parse(info.name);
}

}  // namespace fogsched::live
