// The simulated NodeContext: what a policy at a node sees and may do (peers, known
// loads, its Rng, timers, gossip), and its decisions applied under the runtime's
// checks.
#include "node_runtime.h"

namespace fogsched::sim {

namespace {

// Gossip messages carry running and queued in 16 bits each (saturating).
std::uint32_t pack_load(const LoadReport& load) {
  const std::uint32_t running = std::min<std::uint32_t>(load.running, 0xffff);
  const std::uint32_t queued = std::min<std::uint32_t>(load.queued, 0xffff);
  return running << 16 | queued;
}

}  // namespace

std::size_t Simulation::peer_count() const noexcept { return city_.camera_count() > 0 ? city_.camera_count() - 1 : 0; }

NodeId Simulation::peer(std::size_t index) const noexcept {
  // Every camera but self, in index order.
  const auto i = static_cast<std::uint32_t>(index);
  return NodeId{i < bound_node_ ? i : i + 1};
}

std::optional<KnownLoad> Simulation::known_load(NodeId peer) const noexcept {
  return node_extras_[bound_node_].known_loads.find(peer, now());
}

std::optional<KnownPeer> Simulation::least_loaded_known_peer() noexcept {
  return node_extras_[bound_node_].known_loads.least_loaded(now(), nodes_[bound_node_].rng);
}

Rng& Simulation::rng() noexcept { return nodes_[bound_node_].rng; }

void Simulation::gossip_load(std::span<const NodeId> peers) {
  check_gossip(peers, rules_of(bound_node_));
  const std::uint32_t packed = pack_load(load_of(bound_node_));
  for (NodeId p : peers) send_gossip(p.value, packed);
}

void Simulation::gossip_load_to_all() {
  const std::uint32_t packed = pack_load(load_of(bound_node_));
  for (std::size_t i = 0; i < peer_count(); ++i) send_gossip(peer(i).value, packed);
}

void Simulation::send_gossip(std::uint32_t to, std::uint32_t packed_load) {
  events_.push(now_ns_ + city_.one_way(bound_node_, to, scenario_.network.gossip_bytes).count(), kGossipArrive, to,
               bound_node_, packed_load);
  if (now_ns_ >= warmup_ns_) ++metrics_.gossip_messages;
}

void Simulation::set_timer(Duration after) {
  check_timer(after, rules_of(bound_node_));
  const std::uint32_t generation = ++node_extras_[bound_node_].timer_generation;
  events_.push(now_ns_ + after.count(), kTimer, bound_node_, generation);
}

void Simulation::on_timer(std::uint32_t node, std::uint32_t generation) {
  if (generation != node_extras_[node].timer_generation) return;  // replaced by a later set_timer()
  bind(node, {}, false);
  nodes_[node].policy->on_timer(*this);
}

void Simulation::on_gossip_arrive(std::uint32_t to, std::uint32_t from, std::uint32_t packed_load) {
  if (down(to)) return;
  const NodeState& sender = nodes_[from];
  node_extras_[to].known_loads.record(NodeId{from},
                                      LoadReport{.running = packed_load >> 16,
                                                 .queued = packed_load & 0xffff,
                                                 .slots = sender.slots,
                                                 .queue_capacity = sender.queue_capacity},
                                      // The load was read when the message left the sender.
                                      now() - city_.one_way(from, to, scenario_.network.gossip_bytes));
}

// ---------------------------------------------------------------------------------
// Decisions and the runtime's invariants

DecisionRules Simulation::rules_of(std::uint32_t node) const {
  // Peers are the other cameras (peer()), down or not: a forward to a down one falls
  // back at the sender after the fault timeout.
  const std::uint32_t cameras = city_.camera_count();
  return DecisionRules{.self = NodeId{node},
                       .hop_limit = scenario_.hop_limit,
                       .policy_name = policy_.canonical,
                       .is_peer = [cameras, node](NodeId n) { return n.value < cameras && n.value != node; },
                       .cloud = city_.cloud()};
}

void Simulation::decide(std::uint32_t inv, std::uint32_t node, std::span<const ProbeAnswer> answers, bool reentry) {
  if (is_cloud(node)) {
    // The cloud runs what reaches it, or rejects it when full: it never forwards.
    run_or_reject(inv, node);
    return;
  }
  bind(node, answers, reentry);
  const Decision decision = nodes_[node].policy->decide(invocations_[inv].inv, *this);
  const CheckedDecision checked = check_decision(decision, invocations_[inv].inv, reentry, rules_of(node));
  switch (checked.step) {
    case Step::run_local:
      if (checked.hop_limit_enforced) {
        enforce_hop_limit(inv, node);
      } else {
        run_or_reject(inv, node);
      }
      break;
    case Step::reject:
      invocations_[inv].node = node;
      finish(inv, Outcome::rejected, node);
      break;
    case Step::forward: forward(inv, node, checked.peer.value); break;
    case Step::probe: start_probe(inv, node, *checked.probe_peers); break;
  }
}

void Simulation::enforce_hop_limit(std::uint32_t inv, std::uint32_t node) {
  if (invocations_[inv].measured) ++metrics_.hop_limit_enforced;
  run_or_reject(inv, node);
}

}  // namespace fogsched::sim
