#pragma once
// The runtime's side of the policy contract, shared by every runtime that drives
// policies: checks a Decision against the contract and applies the hop limit.
//
// A runtime calls check_decision() on what decide() returned and then carries out
// the resulting Step; it never interprets a Decision itself.
#include <cstdint>
#include <functional>
#include <string_view>

#include "fogsched/core/decision.h"
#include "fogsched/core/invocation.h"

namespace fogsched {

// What the runtime does next.
enum class Step : std::uint8_t {
  run_local,  // run here, or reject when the node has no room
  reject,
  forward,    // to CheckedDecision::peer
  probe,      // ask CheckedDecision::probe_peers, then decide again
};
const char* to_string(Step) noexcept;

struct DecisionRules {
  NodeId self;
  std::uint32_t hop_limit = 1;
  std::string_view policy_name;                 // for error messages
  std::function<bool(NodeId)> is_peer;          // may this node forward or probe to it?
};

struct CheckedDecision {
  Step step = Step::run_local;
  NodeId peer{};                                // for Step::forward
  const PeerSet* probe_peers = nullptr;         // for Step::probe; points into the Decision
  RejectReason reason = RejectReason::policy;   // for Step::reject
  // A Forward or Probe at the hop limit, turned into run_local (counted by runtimes).
  bool hop_limit_enforced = false;
};

// Throws PolicyContractError when the decision breaks the contract: a forward or
// probe to self or to a node that is not a peer, an empty Probe, a peer probed twice,
// or a Probe given as the answer to a probe (`reentry`).
CheckedDecision check_decision(const Decision& decision, const Invocation& invocation, bool reentry,
                               const DecisionRules& rules);

}  // namespace fogsched
