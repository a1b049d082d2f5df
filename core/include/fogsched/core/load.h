#pragma once
// A node's load as policies see it: load = running + queued.
#include <cstdint>

#include "fogsched/core/ids.h"
#include "fogsched/core/time.h"

namespace fogsched {

struct LoadReport {
  std::uint32_t running = 0;         // executions holding a slot
  std::uint32_t queued = 0;          // waiting for a slot
  std::uint32_t slots = 0;           // K: parallel executions (OpenFaaS max_inflight)
  std::uint32_t queue_capacity = 0;  // Q: 0 means a loss node

  constexpr std::uint32_t load() const { return running + queued; }
  constexpr bool has_free_slot() const { return running < slots; }
  // A slot or a queue place is free: a RunLocal now would not be rejected.
  constexpr bool can_accept() const { return running < slots || queued < queue_capacity; }
  friend constexpr bool operator==(const LoadReport&, const LoadReport&) = default;
};

// Load of a peer as last learned (from gossip), with how old that knowledge is.
struct KnownLoad {
  LoadReport load;
  Duration age{};
};

// A peer and the load last learned from it.
struct KnownPeer {
  NodeId peer;
  KnownLoad known;
};

}  // namespace fogsched
