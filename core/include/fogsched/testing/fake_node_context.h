#pragma once
// A NodeContext for policy unit tests: every answer is set by the test, every effect
// (timers armed, gossip sent) is recorded, and the policy is held to exactly the
// rules the simulator and live mode apply, by the same code (decision_rules.h):
//
//   fogsched::testing::FakeNodeContext ctx;           // node 0, peers none, seed 1
//   ctx.set_peers({NodeId{1}, NodeId{2}});
//   ctx.set_local_load({.running = 4, .queued = 0, .slots = 4, .queue_capacity = 0});
//   const Decision d = ctx.decide(policy, invocation);  // throws PolicyContractError
//                                                       // on a decision no runtime takes
//   policy.on_start(ctx);                             // set_timer(0) throws here
//   ctx.timers();                                     // what it armed
//
// Only core's public headers are used, so policies built out of tree can test with it.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fogsched/core/decision_rules.h"
#include "fogsched/core/known_loads.h"
#include "fogsched/core/policy.h"

namespace fogsched::testing {

class FakeNodeContext final : public NodeContext {
 public:
  // One call to gossip_load() or gossip_load_to_all().
  struct GossipSent {
    std::vector<NodeId> peers;  // for gossip_load_to_all(), the peers listed then
    bool to_all = false;
    LoadReport load;  // local_load() when it was sent
  };

  explicit FakeNodeContext(std::uint64_t seed = 1) : rng_(seed) {}

  // --- What the runtime would answer. A runtime never lists self or the cloud among
  // the peers; a test may, to see that a policy copes.
  void set_now(Time now) { now_ = now; }
  void advance(Duration by) { now_ += by; }
  void set_self(NodeId self) { self_ = self; }
  void set_peers(std::vector<NodeId> peers) { peers_ = std::move(peers); }
  void set_cloud(std::optional<NodeId> cloud) { cloud_ = cloud; }
  void set_local_load(LoadReport load) { local_load_ = load; }
  // As if `peer` gossiped `load` `age` ago: the age grows as the clock advances. The
  // node remembers gossip_memory peers (128 unless set); one more forgets the peer
  // heard from longest ago, as in the runtimes.
  void set_known_load(NodeId peer, LoadReport load, Duration age) { known_.record(peer, load, now_ - age); }
  void forget_known_load(NodeId peer) { known_.forget(peer); }
  // Forgets every known load and remembers up to `peers` (>= 1) from now on.
  void set_gossip_memory(std::size_t peers) { known_ = KnownLoads(peers); }
  // The next decide() calls are the re-entry after a Probe, with these answers (in
  // the order the probe listed its peers; a peer that did not answer is left out).
  void set_probe_answers(std::vector<ProbeAnswer> answers) {
    probed_ = true;
    answers_ = std::move(answers);
  }
  void clear_probe_answers() {
    probed_ = false;
    answers_.clear();
  }
  void set_hop_limit(std::uint32_t hop_limit) { hop_limit_ = hop_limit; }
  void set_policy_name(std::string name) { policy_name_ = std::move(name); }

  // --- Running a policy under the runtimes' rules.
  // Checks `decision`, taken for `invocation` in the context's present state, as a
  // runtime does; throws PolicyContractError when no runtime would accept it.
  CheckedDecision check(const Decision& decision, const Invocation& invocation) const {
    return check_decision(decision, invocation, probed_, rules());
  }
  // policy.decide(invocation, *this), checked; returns the policy's own answer.
  Decision decide(Policy& policy, const Invocation& invocation) {
    Decision decision = policy.decide(invocation, *this);
    check(decision, invocation);
    return decision;
  }

  // --- What the policy did.
  const std::vector<Duration>& timers() const noexcept { return timers_; }
  const std::vector<GossipSent>& gossip_sent() const noexcept { return gossip_; }
  void clear_effects() {
    timers_.clear();
    gossip_.clear();
  }

  // --- NodeContext
  Time now() const noexcept override { return now_; }
  NodeId self() const noexcept override { return self_; }
  LoadReport local_load() const noexcept override { return local_load_; }
  std::size_t peer_count() const noexcept override { return peers_.size(); }
  NodeId peer(std::size_t index) const noexcept override { return peers_[index]; }
  std::optional<NodeId> cloud() const noexcept override { return cloud_; }
  std::optional<KnownLoad> known_load(NodeId peer) const noexcept override { return known_.find(peer, now_); }
  std::optional<KnownPeer> least_loaded_known_peer() noexcept override { return known_.least_loaded(now_, rng_); }
  bool probed() const noexcept override { return probed_; }
  std::span<const ProbeAnswer> probe_answers() const noexcept override { return answers_; }
  Rng& rng() noexcept override { return rng_; }
  void gossip_load(std::span<const NodeId> peers) override {
    check_gossip(peers, rules());
    gossip_.push_back({.peers = {peers.begin(), peers.end()}, .to_all = false, .load = local_load_});
  }
  void gossip_load_to_all() override { gossip_.push_back({.peers = peers_, .to_all = true, .load = local_load_}); }
  void set_timer(Duration after) override {
    check_timer(after, rules());
    timers_.push_back(after);
  }

 private:
  DecisionRules rules() const {
    return DecisionRules{.self = self_,
                         .hop_limit = hop_limit_,
                         .policy_name = policy_name_,
                         .is_peer = [this](NodeId node) { return is_listed_peer(node); },
                         .cloud = cloud_};
  }
  bool is_listed_peer(NodeId node) const {
    for (NodeId peer : peers_) {
      if (peer == node) return true;
    }
    return false;
  }

  Time now_{};
  NodeId self_{0};
  std::vector<NodeId> peers_;
  std::optional<NodeId> cloud_;
  LoadReport local_load_{.running = 0, .queued = 0, .slots = 4, .queue_capacity = 0};
  KnownLoads known_{kDefaultGossipMemory};
  bool probed_ = false;
  std::vector<ProbeAnswer> answers_;
  Rng rng_;
  std::uint32_t hop_limit_ = 1;
  std::string policy_name_ = "policy under test";

  std::vector<Duration> timers_;
  std::vector<GossipSent> gossip_;
};

}  // namespace fogsched::testing
