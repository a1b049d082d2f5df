#pragma once
// round_robin: client invocations go to the peers in turn.
#include <cstddef>
#include <optional>

#include "fogsched/core/policy.h"
#include "fogsched/policies/registry.h"

namespace fogsched::policies {

class RoundRobin final : public Policy {
 public:
  struct Config {};

  static PolicyInfo info();

  explicit RoundRobin(Config config = {}) : config_(config) {}
  const Config& config() const { return config_; }

  // Client invocations go to the next peer in the node's peer list (run here when
  // there is none); forwarded arrivals run here or are rejected. The first peer is
  // drawn from the node's random stream, so the nodes of a cluster do not all send
  // their first invocations to the same peer.
  Decision decide(const Invocation& invocation, NodeContext& ctx) override;

 private:
  Config config_;
  std::optional<std::size_t> next_;  // index into the peer list; unset until first use
};

}  // namespace fogsched::policies
