#pragma once
// The four answers a policy may give for an invocation.
#include <cstdint>
#include <variant>

#include <boost/container/static_vector.hpp>

#include "fogsched/core/ids.h"

namespace fogsched {

// Most peers one Probe may ask: bounds the inline storage, so no decision allocates.
inline constexpr std::size_t kMaxProbePeers = 16;
using PeerSet = boost::container::static_vector<NodeId, kMaxProbePeers>;

enum class RejectReason : std::uint8_t {
  no_capacity,  // no slot and no queue place
  policy,       // the policy chose to drop it (admission control)
  hop_limit,    // a forward at the hop limit found no capacity
  no_peer,      // nowhere to send it
};
const char* to_string(RejectReason) noexcept;

struct RunLocal {
  friend bool operator==(RunLocal, RunLocal) = default;
};
struct Forward {
  NodeId peer;
  friend bool operator==(Forward, Forward) = default;
};
struct Reject {
  RejectReason reason = RejectReason::no_capacity;
  friend bool operator==(Reject, Reject) = default;
};
// Not final: the runtime asks these peers for their load and calls decide() again
// with the answers (NodeContext::probe_answers()).
struct Probe {
  PeerSet peers;
  friend bool operator==(const Probe&, const Probe&) = default;
};

using Decision = std::variant<RunLocal, Forward, Reject, Probe>;

// The decision as recorded for an invocation (Probe never is: it is not final).
enum class DecisionKind : std::uint8_t { run_local, forward, reject };
const char* to_string(DecisionKind) noexcept;

}  // namespace fogsched
