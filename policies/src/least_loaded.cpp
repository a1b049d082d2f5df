#include "fogsched/policies/least_loaded.h"

#include <cassert>
#include <memory>
#include <optional>
#include <span>

#include "builtin_params.h"
#include "fogsched/core/units.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo LeastLoaded::info() {
  return PolicyDefinition<LeastLoaded>("least_loaded",
                                       "gossip loads every interval; forward to the least loaded remembered peer "
                                       "when its last known load is below this node's")
      .param("gossip_interval", &Config::gossip_interval, {.min = 1e-3, .max = 86'400},
             "time between two gossip rounds of a node")
      .param("fanout", &Config::fanout, {.min = 0, .max = kMaxFanout},
             "random peers told per round; 0 tells every peer")
      .info();
}

LeastLoaded::LeastLoaded(Config config) : config_(config) {
  assert(config_.gossip_interval > Duration::zero());
  assert(config_.fanout <= kMaxFanout);
}

Decision LeastLoaded::decide(const Invocation& invocation, NodeContext& ctx) {
  if (invocation.hops != 0) return detail::run_here_or_reject(ctx);
  // The runtime keeps the remembered peers ranked by load: one query, not a pass
  // over every peer.
  const std::optional<KnownPeer> least = ctx.least_loaded_known_peer();
  if (least && least->known.load.load() < ctx.local_load().load()) return detail::forward_to(least->peer, ctx);
  return detail::run_here_or_reject(ctx);
}

void LeastLoaded::on_start(NodeContext& ctx) {
  // A phase uniform in (0, interval]: a draw of 0 stands for a whole interval, since
  // timers must be armed strictly in the future (every other draw is unchanged).
  const auto draw = ctx.rng().uniform_index(static_cast<std::uint64_t>(config_.gossip_interval.count()));
  ctx.set_timer(draw == 0 ? config_.gossip_interval : Duration{static_cast<Duration::rep>(draw)});
}

void LeastLoaded::on_timer(NodeContext& ctx) {
  if (config_.fanout == 0 || config_.fanout >= ctx.peer_count()) {
    ctx.gossip_load_to_all();
  } else {
    boost::container::static_vector<NodeId, kMaxFanout> peers;
    detail::sample_distinct_peers(ctx, config_.fanout, peers);
    ctx.gossip_load(std::span<const NodeId>(peers.data(), peers.size()));
  }
  ctx.set_timer(config_.gossip_interval);
}

}  // namespace fogsched::policies

FOGSCHED_REGISTER_POLICY(fogsched::policies::LeastLoaded)
