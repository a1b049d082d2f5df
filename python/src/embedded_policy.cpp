// fogsched_python_policy: the module `fogsched serve` loads (dlopen) for a policy
// spec "python:package.module:ClassName", so the executable itself never links
// libpython. It starts Debian's python3 once (sys.path: the current directory, then
// PYTHONPATH, which must reach the `fogsched` package), imports the class and asks
// fogsched._core for its registry entry: the same adapter the simulator uses, taking
// the GIL for every call from the node's threads.
#include <pybind11/embed.h>

#include <mutex>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "fogsched/policies/registry.h"
#include "python_policy.h"

namespace py = pybind11;

namespace {

// Starts the interpreter and lets go of the GIL, once per process.
void start_interpreter() {
  static std::once_flag started;
  std::call_once(started, [] {
    if (Py_IsInitialized() != 0) return;
    py::initialize_interpreter(/*init_signal_handlers=*/false);
    py::module_::import("sys").attr("path").attr("insert")(0, py::module_::import("os").attr("getcwd")());
    PyEval_SaveThread();  // the node's threads take the GIL per call
  });
}

// "ModuleNotFoundError: No module named 'x'", and the traceback when there is one.
std::string python_error_text(py::error_already_set& error) {
  const py::object lines = py::module_::import("traceback").attr("format_exception_only")(error.type(), error.value());
  std::string text;
  for (const py::handle line : lines) text += line.cast<std::string>();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

fogsched::PolicyInfo load(std::string_view module_name, std::string_view attribute) {
  py::object policy = py::module_::import(std::string(module_name).c_str()).attr(std::string(attribute).c_str());
  const py::module_ policies = py::module_::import("fogsched._policy");
  if (!policies.attr("is_python_policy")(policy).cast<bool>()) {
    throw std::invalid_argument(fmt::format("{}.{} is {}, not a fogsched.Policy subclass or instance", module_name,
                                            attribute, py::repr(policy).cast<std::string>()));
  }
  const py::object name = policies.attr("policy_name")(policy);
  const py::object capsule =
      py::module_::import("fogsched._core").attr("policy_info_capsule")(name, policies.attr("policy_factory")(policy));
  return *static_cast<const fogsched::PolicyInfo*>(
      PyCapsule_GetPointer(capsule.ptr(), fogsched::python::kPolicyInfoCapsule));
}

}  // namespace

// The registry entry of the Python policy "python:package.module:ClassName" in
// *info; false with *error set when it cannot be had.
extern "C" __attribute__((visibility("default"))) bool fogsched_python_policy(const char* spec,
                                                                              fogsched::PolicyInfo* info,
                                                                              std::string* error) {
  constexpr std::string_view kPrefix = "python:";
  std::string_view text = spec;
  const auto colon = text.rfind(':');
  if (!text.starts_with(kPrefix) || colon < kPrefix.size() + 1 || colon + 1 == text.size()) {
    *error = "expected python:package.module:ClassName";
    return false;
  }
  try {
    start_interpreter();
    py::gil_scoped_acquire gil;
    try {
      *info = load(text.substr(kPrefix.size(), colon - kPrefix.size()), text.substr(colon + 1));
      return true;
    } catch (py::error_already_set& e) {
      *error = python_error_text(e);
    }
  } catch (const std::exception& e) {
    *error = e.what();
  }
  return false;
}
