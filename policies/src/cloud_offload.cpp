#include "fogsched/policies/cloud_offload.h"

#include <cassert>
#include <memory>

#include "builtin_params.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo CloudOffload::info() {
  return PolicyInfo{.name = "cloud_offload",
                    .doc = "run here while load < threshold, else send the invocation to the cloud node",
                    .params = {detail::threshold_param(Config{}.threshold)},
                    .configure = [](const ParamValues& values) -> PolicyMaker {
                      const Config config{.threshold = detail::unsigned_param(values, "threshold")};
                      return [config] { return std::make_unique<CloudOffload>(config); };
                    }};
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
