#pragma once
// What a policy knows about one function call.
#include <cstdint>

#include "fogsched/core/ids.h"
#include "fogsched/core/time.h"

namespace fogsched {

struct Invocation {
  InvocationId id;
  FunctionId function;
  NodeId origin;           // the node the client called
  std::uint32_t hops = 0;  // forwards so far; 0 for a client invocation
  Time arrival{};          // when the client's call reached `origin`
  std::uint64_t payload_bytes = 0;
};

// How an invocation ended (same names in the simulator and live mode).
enum class Outcome : std::uint8_t {
  completed,
  rejected,
  deadline_missed,  // ran to the end, but finished after its deadline
  failed,           // the node running it went down, or the call errored
};

const char* to_string(Outcome) noexcept;

}  // namespace fogsched
