#include "fogsched/policies/random.h"

#include <memory>

#include "fogsched/policies/policy_definition.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo RandomPeer::info() {
  return PolicyDefinition<RandomPeer>("random", "forward each client invocation to a uniformly random peer").info();
}

Decision RandomPeer::decide(const Invocation& invocation, NodeContext& ctx) {
  if (invocation.hops == 0) {
    if (const auto peer = detail::random_peer(ctx)) return detail::forward_to(*peer, ctx);
  }
  return detail::run_here_or_reject(ctx);
}

}  // namespace fogsched::policies

FOGSCHED_REGISTER_POLICY(fogsched::policies::RandomPeer)
