#include "fogsched/policies/power_of_d.h"

#include <cassert>
#include <memory>

#include "builtin_params.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo PowerOfD::info() {
  return PolicyDefinition<PowerOfD>("power_of_d",
                                    "run here while load < threshold, else probe d random peers and forward to the "
                                    "least loaded if it is less loaded than this node")
      .param("d", &Config::d, {.min = 1, .max = static_cast<double>(kMaxProbePeers)},
             "distinct random peers to probe when busy")
      .param("threshold", &Config::threshold, detail::kThresholdRange, detail::kThresholdDoc)
      .info();
}

PowerOfD::PowerOfD(Config config) : config_(config) {
  assert(config_.d >= 1 && config_.d <= kMaxProbePeers);
  assert(config_.threshold >= 1);
}

Decision PowerOfD::decide(const Invocation& invocation, NodeContext& ctx) {
  if (invocation.hops != 0) return detail::run_here_or_reject(ctx);
  const LoadReport load = ctx.local_load();

  if (ctx.probed()) {
    detail::LeastLoadedPeer best;
    for (const ProbeAnswer& answer : ctx.probe_answers()) {
      if (answer.peer != ctx.self()) best.offer(answer.peer, answer.load.load(), ctx.rng());
    }
    if (best.peer() && best.load() < load.load()) return detail::forward_to(*best.peer(), ctx);
    return detail::run_here_or_reject(ctx);
  }

  if (load.load() < config_.threshold && load.can_accept()) return RunLocal{};
  Probe probe;
  detail::sample_distinct_peers(ctx, config_.d, probe.peers);
  if (probe.peers.empty()) return detail::run_here_or_reject(ctx);
  return probe;
}

}  // namespace fogsched::policies

FOGSCHED_REGISTER_POLICY(fogsched::policies::PowerOfD)
