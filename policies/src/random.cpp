#include "fogsched/policies/random.h"

#include <memory>

#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo RandomPeer::info() {
  return PolicyInfo{
      .name = "random",
      .doc = "forward each client invocation to a uniformly random peer",
      .params = {},
      .configure = [](const ParamValues&) -> PolicyMaker { return [] { return std::make_unique<RandomPeer>(); }; }};
}

Decision RandomPeer::decide(const Invocation& invocation, NodeContext& ctx) {
  if (invocation.hops == 0) {
    if (const auto peer = detail::random_peer(ctx)) return detail::forward_to(*peer, ctx);
  }
  return detail::run_here_or_reject(ctx);
}

}  // namespace fogsched::policies
