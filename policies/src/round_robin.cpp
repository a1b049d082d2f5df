#include "fogsched/policies/round_robin.h"

#include <memory>

#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo RoundRobin::info() {
  return PolicyInfo{
      .name = "round_robin",
      .doc = "forward client invocations to the peers in turn, starting at a random peer",
      .params = {},
      .configure = [](const ParamValues&) -> PolicyMaker { return [] { return std::make_unique<RoundRobin>(); }; }};
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
