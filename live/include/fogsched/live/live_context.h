#pragma once
// The live NodeContext: one node's scheduling state (functions and their slots,
// peers, loads heard by gossip) and the decide() driver with the contract checks of
// core/decision_rules.h.
//
// No networking here: the node service (node.h) owns the sockets and guards this
// state with one lock, so decisions for one node are serialised. Tests drive it directly,
// which is how the policy conformance suite compares it with the simulator.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fogsched/core/decision_rules.h"
#include "fogsched/core/known_loads.h"
#include "fogsched/core/policy.h"

namespace fogsched::live {

class LiveNodeState final : public NodeContext {
 public:
  // What the policy asks of the network: the node service carries these out.
  struct Effects {
    std::function<void(std::span<const NodeId> peers, LoadReport load)> gossip;
    std::function<void(Duration after)> set_timer;
  };

  // `clock` gives the time on the node's clock (steady, nanoseconds);
  // `gossip_memory`: peers whose gossiped load it remembers (peers.gossip_memory).
  LiveNodeState(NodeId self, Rng rng, std::function<Time()> clock, std::uint32_t hop_limit, std::string policy_name,
                Effects effects, std::size_t gossip_memory = kDefaultGossipMemory);

  // --- Functions: one slot count K per function; running executions against it.
  // Ids are never reused within a process: policies may keep a removed function's id.
  FunctionId function_id(std::string_view name);  // assigned on first sight
  std::optional<FunctionId> find_function(std::string_view name) const;
  const std::string& function_name(FunctionId function) const;
  // Drops an idle function's entry; false when it has running executions or is gone.
  bool remove_function(FunctionId function);
  // The functions held now, in the order of their ids.
  std::uint32_t function_count() const noexcept { return static_cast<std::uint32_t>(functions_.size()); }
  using FunctionVisitor = std::function<void(FunctionId, const std::string& name, const LoadReport& load)>;
  void for_each_function(const FunctionVisitor& visit) const;
  void set_slots(FunctionId function, std::uint32_t slots);
  LoadReport function_load(FunctionId function) const;
  LoadReport total_load() const;  // summed over functions
  // Takes a slot when one is free.
  bool try_acquire_slot(FunctionId function);
  void release_slot(FunctionId function);

  // --- Peers. Ids are stable for the life of the process; `available` is the
  // ordered list the policy sees (peers in back-off are left out); this node's own id
  // is dropped from it. Copied into storage the state keeps, so no allocation once
  // that has grown to the peer count.
  void set_available_peers(std::span<const NodeId> available);
  void set_available_peers(std::initializer_list<NodeId> available) {
    set_available_peers(std::span<const NodeId>(available.begin(), available.size()));
  }
  std::span<const NodeId> available_peers() const noexcept { return peers_; }
  bool is_available_peer(NodeId node) const;
  // The cloud the policy may forward to now (configured and reachable), or none.
  void set_cloud(std::optional<NodeId> cloud) noexcept { cloud_ = cloud; }
  // Load a peer reported, as measured at `measured_at` on this node's clock. The
  // node remembers gossip_memory peers; one more forgets the peer heard from longest ago.
  void record_known_load(NodeId peer, LoadReport load, Time measured_at);
  void forget_known_load(NodeId peer) { known_.forget(peer); }

  // --- Decisions. Binds the context to the invocation (its function's load, the
  // probe answers), asks the policy and checks the answer against the contract.
  // `local_full`: the gateway has just answered 429, so the function counts as full
  // whatever the slot count says (the policy may then send the call elsewhere).
  CheckedDecision decide(Policy& policy, const Invocation& invocation, std::span<const ProbeAnswer> answers,
                         bool reentry, bool local_full = false);
  // Hooks, bound to the node's overall load.
  void start(Policy& policy);
  void timer(Policy& policy);
  void complete(Policy& policy, const Completion& completion);

  // --- NodeContext
  Time now() const noexcept override { return clock_(); }
  NodeId self() const noexcept override { return self_; }
  LoadReport local_load() const noexcept override;
  std::size_t peer_count() const noexcept override { return peers_.size(); }
  NodeId peer(std::size_t index) const noexcept override { return peers_[index]; }
  std::optional<NodeId> cloud() const noexcept override { return cloud_; }
  std::optional<KnownLoad> known_load(NodeId peer) const noexcept override;
  std::optional<KnownPeer> least_loaded_known_peer() noexcept override;
  bool probed() const noexcept override { return bound_probed_; }
  std::span<const ProbeAnswer> probe_answers() const noexcept override { return bound_answers_; }
  Rng& rng() noexcept override { return rng_; }
  void gossip_load(std::span<const NodeId> peers) override;
  void gossip_load_to_all() override;
  void set_timer(Duration after) override;

 private:
  struct FunctionState {
    std::string name;
    std::uint32_t slots = 0;
    std::uint32_t running = 0;
  };
  // The contract's rules as they stand now (available peers, the cloud when available).
  DecisionRules rules() const;

  NodeId self_;
  Rng rng_;
  std::function<Time()> clock_;
  std::uint32_t hop_limit_;
  std::string policy_name_;
  Effects effects_;

  // By id; ids count up from 0 and are never handed out twice.
  std::map<std::uint32_t, FunctionState> functions_;
  std::unordered_map<std::string, FunctionId> function_ids_;
  std::uint32_t next_function_id_ = 0;
  std::vector<NodeId> peers_;
  std::optional<NodeId> cloud_;
  KnownLoads known_;

  PeerSet probe_peers_;  // the last Probe's peers, owned beyond its Decision

  // Bound for one decide() or hook call.
  std::optional<FunctionId> bound_function_;
  std::span<const ProbeAnswer> bound_answers_;
  bool bound_probed_ = false;
  bool bound_full_ = false;
};

}  // namespace fogsched::live
