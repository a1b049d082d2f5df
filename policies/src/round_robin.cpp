#include "fogsched/policies/round_robin.h"

#include <memory>

#include "fogsched/policies/policy_definition.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo RoundRobin::info() {
  return PolicyDefinition<RoundRobin>("round_robin",
                                      "forward client invocations to the peers in turn, starting at a random peer")
      .info();
}

Decision RoundRobin::decide(const Invocation& invocation, NodeContext& ctx) {
  const std::size_t count = ctx.peer_count();
  if (invocation.hops != 0 || count == 0) return detail::run_here_or_reject(ctx);
  if (!next_) next_ = static_cast<std::size_t>(ctx.rng().uniform_index(count));
  // The modulo keeps the cursor valid should the peer list shrink (live mode).
  const std::size_t index = *next_ % count;
  next_ = (index + 1) % count;
  return detail::forward_to(ctx.peer(index), ctx);
}

}  // namespace fogsched::policies

FOGSCHED_REGISTER_POLICY(fogsched::policies::RoundRobin)
