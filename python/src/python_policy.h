#pragma once
// A policy written in Python, run as a C++ fogsched::Policy: each hook takes the GIL,
// hands the Python object a fogsched.Context valid for that call only, and turns
// what comes back into a Decision. One instance per node, made by calling a Python
// factory (the class, or a deep copy of an instance).
#include <pybind11/pybind11.h>

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "fogsched/policies/registry.h"

namespace fogsched::python {

// The name of the capsule fogsched._core.policy_info_capsule() returns, holding a
// PolicyInfo* (read by live mode's embedding).
inline constexpr const char* kPolicyInfoCapsule = "fogsched.PolicyInfo";

// A Python policy raised: the message names the policy, the node, the hook and the
// invocation, and ends with the Python traceback (fogsched.PythonPolicyError).
class PythonPolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The first failure of a run's Python policies, and the flag that cancels the run's
// other replications when it happens (and on Ctrl-C).
class RunFailure {
 public:
  std::atomic<bool>& cancel() { return cancel_; }
  void record(std::exception_ptr error);
  // Rethrows the recorded failure, if any.
  void rethrow_if_any();

 private:
  std::atomic<bool> cancel_{false};
  std::mutex mutex_;
  std::exception_ptr first_;
};

// A registry entry (no parameters) whose per-node instances are `factory()`. Call
// with the GIL held. `failure` is null in live mode, where an error is written to
// stderr as well as thrown.
PolicyInfo python_policy_info(const std::string& name, pybind11::object factory, std::shared_ptr<RunFailure> failure);

}  // namespace fogsched::python
