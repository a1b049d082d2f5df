#pragma once
// The values a Python policy sees and returns: ids as ints, times and durations as
// float seconds, and the Decision alternatives as classes of their own.
#include <pybind11/pybind11.h>

#include <stdexcept>
#include <string_view>
#include <vector>

#include "fogsched/core/decision.h"
#include "fogsched/core/ids.h"
#include "fogsched/core/time.h"

namespace fogsched::python {

// decide() returned something that is no decision (fogsched.DecisionTypeError, a TypeError).
class DecisionTypeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The Decision a Python object stands for; throws DecisionTypeError naming `policy`.
Decision to_decision(pybind11::handle result, std::string_view policy);

// A duration in seconds as the runtime's nanoseconds; throws ValueError unless finite.
Duration duration_from_seconds(double seconds);

std::vector<NodeId> node_ids(const std::vector<std::uint32_t>& values);

// Binds RejectReason, Outcome, LoadReport, KnownLoad, ProbeAnswer, Invocation,
// Completion and the decisions RunLocal, Forward, Reject, Probe.
void bind_policy_values(pybind11::module_& m);

}  // namespace fogsched::python
