#pragma once
// The policy contract: written once against NodeContext, the same compiled policy
// decides in the simulator (sim/) and in live mode (live/).
//
// One Policy object per node. decide() is synchronous, cheap and deterministic given
// the context; time and randomness come only from the context.
#include <cstddef>
#include <optional>
#include <span>

#include "fogsched/core/decision.h"
#include "fogsched/core/invocation.h"
#include "fogsched/core/learned_model.h"
#include "fogsched/core/load.h"
#include "fogsched/core/rng.h"
#include "fogsched/core/time.h"

namespace fogsched {

// A peer's answer to a probe.
struct ProbeAnswer {
  NodeId peer;
  LoadReport load;
};

// What the runtime tells the origin node when one of its client invocations ends.
struct Completion {
  InvocationId id;
  FunctionId function;
  NodeId executed_on;  // equals the origin for local runs and rejections at the origin
  Outcome outcome = Outcome::completed;
  Duration response_time{};  // arrival at the origin to the answer back at the origin
};

// The node's view of the cluster, implemented by the simulator and by live mode.
class NodeContext {
 public:
  virtual Time now() const noexcept = 0;
  virtual NodeId self() const noexcept = 0;

  // This node's load for the invocation being decided (or the node's overall load
  // in hooks).
  virtual LoadReport local_load() const noexcept = 0;

  // Peers this node may forward to or probe; never contains self or the cloud.
  virtual std::size_t peer_count() const noexcept = 0;
  virtual NodeId peer(std::size_t index) const noexcept = 0;

  // The cloud node, when the scenario has one.
  virtual std::optional<NodeId> cloud() const noexcept = 0;

  // Last load this node heard from `peer` by gossip, with its age; none if never
  // heard or forgotten. A node remembers a bounded number of peers (the scenario's
  // network.gossip_memory): hearing from a new one when full forgets the peer heard
  // from longest ago.
  virtual std::optional<KnownLoad> known_load(NodeId peer) const noexcept = 0;
  // The remembered peer with the least last-known load (running + queued), ties
  // broken uniformly with one draw of rng() (none without a tie); none when this
  // node remembers no peer. Constant time, whatever the number of peers.
  virtual std::optional<KnownPeer> least_loaded_known_peer() noexcept = 0;

  // True when this decide() call is the re-entry after a Probe.
  virtual bool probed() const noexcept = 0;
  // Answers to the Probe, in the order its peers were listed; peers that did not
  // answer in time are absent.
  virtual std::span<const ProbeAnswer> probe_answers() const noexcept = 0;

  // This node's random stream for policy use.
  virtual Rng& rng() noexcept = 0;

  // Sends this node's current load to each listed peer, never self or the cloud (each
  // message costs network time and counts as a gossip message). The peers'
  // known_load() sees it on arrival.
  virtual void gossip_load(std::span<const NodeId> peers) = 0;
  // Sends this node's current load to every peer.
  virtual void gossip_load_to_all() = 0;

  // Arms a one-shot timer: on_timer() runs `after` (> 0) from now. Re-arming replaces it.
  virtual void set_timer(Duration after) = 0;

 protected:
  ~NodeContext() = default;
};

class Policy {
 public:
  virtual ~Policy() = default;

  // Decides where an invocation runs. Called once per arrival at this node, and once
  // more after a Probe (then ctx.probed() is true and a further Probe is a contract
  // violation). Forward to a listed peer or to ctx.cloud(); Probe listed peers only.
  // Every runtime checks decisions, timers and gossip with the same code and throws
  // PolicyContractError on a breach; the rules are in decision_rules.h.
  virtual Decision decide(const Invocation& invocation, NodeContext& ctx) = 0;

  // Called once before the first arrival: arm timers here.
  virtual void on_start(NodeContext& /*ctx*/) {}
  // Called when the timer armed with set_timer() fires.
  virtual void on_timer(NodeContext& /*ctx*/) {}
  // Called on the origin node when one of its client invocations ends.
  virtual void on_complete(const Completion& /*completion*/, NodeContext& /*ctx*/) {}

  // What a learning policy has learned at this node, for the runtime to save
  // (`fogsched train` after each episode, a live node periodically and on SIGTERM);
  // none for policies that do not learn.
  virtual std::optional<LearnedTable> learned_table() const { return std::nullopt; }
};

}  // namespace fogsched
