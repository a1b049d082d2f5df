#pragma once
// least_loaded: nodes gossip their loads periodically; each client invocation goes
// to the least loaded peer this node remembers hearing from, when that (possibly
// stale) load is below its own.
#include <chrono>
#include <cstdint>

#include "fogsched/core/policy.h"
#include "fogsched/core/time.h"
#include "fogsched/policies/registry.h"

namespace fogsched::policies {

class LeastLoaded final : public Policy {
 public:
  // Most peers one gossip round may name when fanout is set: bounds inline storage.
  static constexpr std::uint32_t kMaxFanout = 64;

  struct Config {
    Duration gossip_interval = std::chrono::seconds{1};  // time between gossip rounds, > 0
    std::uint32_t fanout = 0;                            // peers told per round, chosen at random; 0 = all peers
  };

  static PolicyInfo info();

  explicit LeastLoaded(Config config);
  const Config& config() const { return config_; }

  // A client invocation goes to the least loaded peer among those the node remembers
  // (ctx.least_loaded_known_peer(): ties uniformly at random) when that load is
  // strictly below this node's; otherwise it runs here or is rejected. Forwarded
  // arrivals run here or are rejected. One query, constant time per decision.
  Decision decide(const Invocation& invocation, NodeContext& ctx) override;
  // Arms the first gossip round at a random phase in [0, gossip_interval), so the
  // nodes of a cluster do not gossip in lockstep.
  void on_start(NodeContext& ctx) override;
  // Sends this node's load (to all peers, or to `fanout` random distinct peers) and
  // re-arms the timer one interval later.
  void on_timer(NodeContext& ctx) override;

 private:
  Config config_;
};

}  // namespace fogsched::policies
