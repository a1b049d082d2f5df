#include "fogsched/policies/cloud_offload.h"

#include <cassert>
#include <memory>

#include "builtin_params.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo CloudOffload::info() {
  return PolicyDefinition<CloudOffload>("cloud_offload",
                                        "run here while load < threshold, else send the invocation to the cloud node")
      .param("threshold", &Config::threshold, detail::kThresholdRange, detail::kThresholdDoc)
      .info();
}

CloudOffload::CloudOffload(Config config) : config_(config) { assert(config_.threshold >= 1); }

Decision CloudOffload::decide(const Invocation& invocation, NodeContext& ctx) {
  const LoadReport load = ctx.local_load();
  if (invocation.hops == 0 && !(load.load() < config_.threshold && load.can_accept())) {
    if (const auto cloud = ctx.cloud()) return detail::forward_to(*cloud, ctx);
  }
  return detail::run_here_or_reject(ctx);
}

}  // namespace fogsched::policies

FOGSCHED_REGISTER_POLICY(fogsched::policies::CloudOffload)
