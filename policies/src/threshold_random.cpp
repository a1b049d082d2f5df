#include "fogsched/policies/threshold_random.h"

#include <cassert>
#include <memory>

#include "builtin_params.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo ThresholdRandom::info() {
  return PolicyDefinition<ThresholdRandom>("threshold_random",
                                           "run here while load < threshold, else forward to a uniformly random peer")
      .param("threshold", &Config::threshold, detail::kThresholdRange, detail::kThresholdDoc)
      .info();
}

ThresholdRandom::ThresholdRandom(Config config) : config_(config) { assert(config_.threshold >= 1); }

Decision ThresholdRandom::decide(const Invocation& invocation, NodeContext& ctx) {
  const LoadReport load = ctx.local_load();
  if (invocation.hops == 0 && !(load.load() < config_.threshold && load.can_accept())) {
    if (const auto peer = detail::random_peer(ctx)) return detail::forward_to(*peer, ctx);
  }
  return detail::run_here_or_reject(ctx);
}

}  // namespace fogsched::policies

FOGSCHED_REGISTER_POLICY(fogsched::policies::ThresholdRandom)
