#include "fogsched/core/decision_rules.h"

#include <fmt/format.h>

#include "fogsched/core/errors.h"

namespace fogsched {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

enum class Target : std::uint8_t { peer, peer_or_cloud };

void check_target(const DecisionRules& rules, const Invocation& invocation, NodeId target, const char* action,
                  Target allowed) {
  if (target == rules.self) {
    throw PolicyContractError(fmt::format("policy '{}' at node {} tried to {} invocation {} to itself",
                                          rules.policy_name, rules.self.value, action, invocation.id.value));
  }
  if (allowed == Target::peer_or_cloud && rules.cloud == target) return;
  if (!rules.is_peer(target)) {
    throw PolicyContractError(
        fmt::format("policy '{}' at node {} tried to {} invocation {} to node {}, which is "
                    "not one of its peers{}",
                    rules.policy_name, rules.self.value, action, invocation.id.value, target.value,
                    allowed == Target::peer_or_cloud ? " nor its cloud" : ""));
  }
}

}  // namespace

const char* to_string(Step step) noexcept {
  switch (step) {
    case Step::run_local: return "run_local";
    case Step::reject: return "reject";
    case Step::forward: return "forward";
    case Step::probe: return "probe";
  }
  return "unknown";
}

CheckedDecision check_decision(const Decision& decision, const Invocation& invocation, bool reentry,
                               const DecisionRules& rules) {
  const bool at_hop_limit = invocation.hops >= rules.hop_limit;
  CheckedDecision checked;
  std::visit(Overloaded{
                 [&](RunLocal) { checked.step = Step::run_local; },
                 [&](Reject r) {
                   checked.step = Step::reject;
                   checked.reason = r.reason;
                 },
                 [&](Forward f) {
                   check_target(rules, invocation, f.peer, "forward", Target::peer_or_cloud);
                   checked.step = Step::forward;
                   checked.peer = f.peer;
                 },
                 [&](const Probe& p) {
                   if (reentry) {
                     throw PolicyContractError(fmt::format(
                         "policy '{}' at node {} answered a probe's results with another Probe (invocation {})",
                         rules.policy_name, rules.self.value, invocation.id.value));
                   }
                   if (p.peers.empty()) {
                     throw PolicyContractError(fmt::format("policy '{}' at node {} returned a Probe with no peers",
                                                           rules.policy_name, rules.self.value));
                   }
                   for (std::size_t i = 0; i < p.peers.size(); ++i) {
                     check_target(rules, invocation, p.peers[i], "probe for", Target::peer);
                     for (std::size_t j = 0; j < i; ++j) {
                       if (p.peers[j] == p.peers[i]) {
                         throw PolicyContractError(fmt::format("policy '{}' at node {} probed node {} twice at once",
                                                               rules.policy_name, rules.self.value, p.peers[i].value));
                       }
                     }
                   }
                   checked.step = Step::probe;
                   checked.probe_peers = &p.peers;
                 },
             },
             decision);
  if ((checked.step == Step::forward || checked.step == Step::probe) && at_hop_limit) {
    checked.step = Step::run_local;
    checked.hop_limit_enforced = true;
  }
  return checked;
}

void check_timer(Duration after, const DecisionRules& rules) {
  if (after <= Duration::zero()) {
    throw PolicyContractError(fmt::format("policy '{}' at node {} armed a timer {} ns from now; it must be positive",
                                          rules.policy_name, rules.self.value, after.count()));
  }
}

void check_gossip(std::span<const NodeId> peers, const DecisionRules& rules) {
  for (NodeId peer : peers) {
    if (peer == rules.self || !rules.is_peer(peer)) {
      throw PolicyContractError(fmt::format("policy '{}' at node {} gossiped to node {}, which is not a peer",
                                            rules.policy_name, rules.self.value, peer.value));
    }
  }
}

}  // namespace fogsched
