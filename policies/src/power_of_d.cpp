#include "fogsched/policies/power_of_d.h"

#include <cassert>
#include <memory>

#include "builtin_params.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo PowerOfD::info() {
  const Config defaults;
  return PolicyInfo{.name = "power_of_d",
                    .doc =
                        "run here while load < threshold, else probe d random peers and forward to the "
                        "least loaded if it is less loaded than this node",
                    .params = {ParamSpec{.name = "d",
                                         .type = ParamType::integer,
                                         .default_value = std::to_string(defaults.d),
                                         .min = 1,
                                         .max = static_cast<double>(kMaxProbePeers),
                                         .doc = "distinct random peers to probe when busy"},
                               detail::threshold_param(defaults.threshold)},
                    .configure = [](const ParamValues& values) -> PolicyMaker {
                      const Config config{.d = detail::unsigned_param(values, "d"),
                                          .threshold = detail::unsigned_param(values, "threshold")};
                      return [config] { return std::make_unique<PowerOfD>(config); };
                    }};
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
