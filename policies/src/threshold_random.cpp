#include "fogsched/policies/threshold_random.h"

#include <cassert>
#include <memory>

#include "builtin_params.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo ThresholdRandom::info() {
  return PolicyInfo{.name = "threshold_random",
                    .doc = "run here while load < threshold, else forward to a uniformly random peer",
                    .params = {detail::threshold_param(Config{}.threshold)},
                    .configure = [](const ParamValues& values) -> PolicyMaker {
                      const Config config{.threshold = detail::unsigned_param(values, "threshold")};
                      return [config] { return std::make_unique<ThresholdRandom>(config); };
                    }};
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
