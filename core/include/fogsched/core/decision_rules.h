#pragma once
// The runtime's side of the policy contract, one copy for every runtime that drives
// policies (the simulator, live mode, fogsched/testing/fake_node_context.h): the
// checks of a policy's decisions, timers and gossip, and the hop limit.
//
// A runtime calls check_decision() on what decide() returned and then carries out
// the resulting Step; it never interprets a Decision itself. Its set_timer() calls
// check_timer() and its gossip_load() calls check_gossip() before doing anything.
//
// The rules (each broken rule throws PolicyContractError naming policy and node):
// - Forward goes to one of the peers the context lists at that moment, or to the
//   context's cloud. The cloud is not a peer: it takes forwards, is never probed or
//   gossiped to, and never forwards further. A node the runtime no longer lists (a
//   live peer in back-off) is not a target, even when it still exists.
// - Probe names 1..kMaxProbePeers distinct listed peers, never self or the cloud,
//   and is not an answer to a probe's results (the re-entry).
// - A Forward or Probe of an invocation that has taken hop_limit hops is not an
//   error: the runtime runs it where it is (or rejects it when full), and counts it.
// - Timers are armed strictly in the future: set_timer(d) needs d > 0.
// - Gossip goes to listed peers only.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "fogsched/core/decision.h"
#include "fogsched/core/invocation.h"
#include "fogsched/core/time.h"

namespace fogsched {

// What the runtime does next.
enum class Step : std::uint8_t {
  run_local,  // run here, or reject when the node has no room
  reject,
  forward,  // to CheckedDecision::peer
  probe,    // ask CheckedDecision::probe_peers, then decide again
};
const char* to_string(Step) noexcept;

// One node's view of the rules, as its runtime sees it at the call being checked.
struct DecisionRules {
  NodeId self;
  std::uint32_t hop_limit = 1;
  std::string_view policy_name;         // for error messages
  std::function<bool(NodeId)> is_peer;  // listed by NodeContext::peer() now?
  std::optional<NodeId> cloud;          // NodeContext::cloud(): a forward target
};

struct CheckedDecision {
  Step step = Step::run_local;
  NodeId peer{};                               // for Step::forward
  const PeerSet* probe_peers = nullptr;        // for Step::probe; points into the Decision
  RejectReason reason = RejectReason::policy;  // for Step::reject
  // A Forward or Probe at the hop limit, turned into run_local (counted by runtimes).
  bool hop_limit_enforced = false;
};

// Throws PolicyContractError when the decision breaks the rules above; `reentry` is
// true when decide() was answering a probe's results.
CheckedDecision check_decision(const Decision& decision, const Invocation& invocation, bool reentry,
                               const DecisionRules& rules);

// Throws PolicyContractError unless `after` is positive.
void check_timer(Duration after, const DecisionRules& rules);

// Throws PolicyContractError when one of `peers` is not a listed peer (self and the
// cloud never are).
void check_gossip(std::span<const NodeId> peers, const DecisionRules& rules);

}  // namespace fogsched
