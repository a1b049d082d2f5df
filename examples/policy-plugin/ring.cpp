// ring: run here while the node is lightly loaded, else pass the invocation on to the
// next camera round the ring of node ids (or to the cloud, when asked to and there is
// one). A complete policy: its class, its parameters and its registration.
#include <cstdint>
#include <optional>

#include <fogsched/policies/policy_definition.h>

namespace ring_policy {

class Ring final : public fogsched::Policy {
 public:
  struct Config {
    std::uint32_t threshold = 3;  // run here while load (running + queued) is below this
    bool use_cloud = false;       // busy: the cloud rather than the next camera
  };

  static fogsched::PolicyInfo info() {
    return fogsched::PolicyDefinition<Ring>("ring", "run here while load < threshold, else pass on to the next node id")
        .param("threshold", &Config::threshold, {.min = 1, .max = 1000},
               "run here while load (running + queued) is below this")
        .param("use_cloud", &Config::use_cloud, {}, "when busy, send to the cloud node if there is one")
        .info();
  }

  explicit Ring(Config config) : config_(config) {}

  fogsched::Decision decide(const fogsched::Invocation& invocation, fogsched::NodeContext& ctx) override {
    const fogsched::LoadReport load = ctx.local_load();
    const bool busy = !(load.load() < config_.threshold && load.can_accept());
    if (invocation.hops == 0 && busy) {
      if (config_.use_cloud) {
        if (const std::optional<fogsched::NodeId> cloud = ctx.cloud()) return fogsched::Forward{*cloud};
      }
      if (const std::optional<fogsched::NodeId> next = next_peer(ctx)) return fogsched::Forward{*next};
    }
    if (load.can_accept()) return fogsched::RunLocal{};
    return fogsched::Reject{fogsched::RejectReason::no_capacity};
  }

 private:
  // The peer with the smallest id above this node's, else the smallest id of all.
  static std::optional<fogsched::NodeId> next_peer(const fogsched::NodeContext& ctx) {
    std::optional<fogsched::NodeId> above;
    std::optional<fogsched::NodeId> lowest;
    for (std::size_t i = 0; i < ctx.peer_count(); ++i) {
      const fogsched::NodeId peer = ctx.peer(i);
      if (peer > ctx.self() && (!above || peer < *above)) above = peer;
      if (!lowest || peer < *lowest) lowest = peer;
    }
    return above ? above : lowest;
  }

  Config config_;
};

}  // namespace ring_policy

FOGSCHED_REGISTER_POLICY(ring_policy::Ring)
