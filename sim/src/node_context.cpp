// The simulated NodeContext: what a policy at a node sees and may do (peers, known
// loads, its Rng, timers, gossip), and its decisions applied under the runtime's
// checks.
#include <variant>

#include <fmt/format.h>

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

std::size_t Simulation::peer_count() const noexcept {
  return city_.camera_count() > 0 ? city_.camera_count() - 1 : 0;
}

NodeId Simulation::peer(std::size_t index) const noexcept {
  // Every camera but self, in index order.
  const auto i = static_cast<std::uint32_t>(index);
  return NodeId{i < bound_node_ ? i : i + 1};
}

std::optional<KnownLoad> Simulation::known_load(NodeId peer) const noexcept {
  const auto& known = nodes_[bound_node_].known;
  if (peer.value >= known.size() || !known[peer.value].valid) return std::nullopt;
  const KnownEntry& e = known[peer.value];
  return KnownLoad{e.load, now() - e.measured_at};
}

Rng& Simulation::rng() noexcept { return nodes_[bound_node_].rng; }

void Simulation::gossip_load(std::span<const NodeId> peers) {
  const std::uint32_t packed = pack_load(load_of(bound_node_));
  for (NodeId p : peers) {
    if (p.value >= city_.camera_count() || p.value == bound_node_) {
      throw PolicyContractError(fmt::format("policy '{}' at node {} gossiped to node {}, which is not a peer",
                                            policy_.canonical, bound_node_, p.value));
    }
    send_gossip(p.value, packed);
  }
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
  if (after <= Duration::zero()) {
    throw PolicyContractError(fmt::format("policy '{}' at node {} armed a timer {} ns from now; it must be positive",
                                          policy_.canonical, bound_node_, after.count()));
  }
  NodeState& n = nodes_[bound_node_];
  ++n.timer_generation;
  events_.push(now_ns_ + after.count(), kTimer, bound_node_, n.timer_generation);
}

void Simulation::on_timer(std::uint32_t node, std::uint32_t generation) {
  NodeState& n = nodes_[node];
  if (generation != n.timer_generation) return;  // replaced by a later set_timer()
  bind(node, {}, false);
  n.policy->on_timer(*this);
}

void Simulation::on_gossip_arrive(std::uint32_t to, std::uint32_t from, std::uint32_t packed_load) {
  if (down(to)) return;
  auto& known = nodes_[to].known;
  if (known.empty()) known.resize(city_.camera_count());
  const NodeState& sender = nodes_[from];
  known[from] = KnownEntry{
      .load = LoadReport{.running = packed_load >> 16,
                         .queued = packed_load & 0xffff,
                         .slots = sender.slots,
                         .queue_capacity = sender.queue_capacity},
      // The load was read when the message left the sender.
      .measured_at = now() - city_.one_way(from, to, scenario_.network.gossip_bytes),
      .valid = true};
}

// ---------------------------------------------------------------------------------
// Decisions and the runtime's invariants

void Simulation::check_target(std::uint32_t inv, std::uint32_t node, NodeId target, const char* action) const {
  if (target.value == node) {
    throw PolicyContractError(fmt::format("policy '{}' at node {} tried to {} invocation {} to itself",
                                          policy_.canonical, node, action, invocations_[inv].inv.id.value));
  }
  if (target.value >= city_.node_count()) {
    throw PolicyContractError(fmt::format("policy '{}' at node {} tried to {} invocation {} to node {}, which does "
                                          "not exist",
                                          policy_.canonical, node, action, invocations_[inv].inv.id.value,
                                          target.value));
  }
}

void Simulation::decide(std::uint32_t inv, std::uint32_t node, std::span<const ProbeAnswer> answers, bool reentry) {
  if (is_cloud(node)) {
    // The cloud runs what reaches it, or rejects it when full: it never forwards.
    run_or_reject(inv, node);
    return;
  }
  bind(node, answers, reentry);
  const Decision decision = nodes_[node].policy->decide(invocations_[inv].inv, *this);
  const bool at_hop_limit = invocations_[inv].inv.hops >= scenario_.hop_limit;

  std::visit(Overloaded{
                 [&](RunLocal) { run_or_reject(inv, node); },
                 [&](Reject) {
                   invocations_[inv].node = node;
                   finish(inv, Outcome::rejected, node);
                 },
                 [&](Forward f) {
                   check_target(inv, node, f.peer, "forward");
                   if (at_hop_limit) {
                     enforce_hop_limit(inv, node);
                   } else {
                     forward(inv, node, f.peer.value);
                   }
                 },
                 [&](const Probe& p) {
                   if (reentry) {
                     throw PolicyContractError(fmt::format(
                         "policy '{}' at node {} answered a probe's results with another Probe (invocation {})",
                         policy_.canonical, node, invocations_[inv].inv.id.value));
                   }
                   if (p.peers.empty()) {
                     throw PolicyContractError(fmt::format("policy '{}' at node {} returned a Probe with no peers",
                                                           policy_.canonical, node));
                   }
                   for (std::size_t i = 0; i < p.peers.size(); ++i) {
                     check_target(inv, node, p.peers[i], "probe for");
                     for (std::size_t j = 0; j < i; ++j) {
                       if (p.peers[j] == p.peers[i]) {
                         throw PolicyContractError(fmt::format("policy '{}' at node {} probed node {} twice at once",
                                                               policy_.canonical, node, p.peers[i].value));
                       }
                     }
                   }
                   if (at_hop_limit) {
                     enforce_hop_limit(inv, node);
                   } else {
                     start_probe(inv, node, p.peers);
                   }
                 },
             },
             decision);
}

void Simulation::enforce_hop_limit(std::uint32_t inv, std::uint32_t node) {
  if (invocations_[inv].measured) ++metrics_.hop_limit_enforced;
  run_or_reject(inv, node);
}

}  // namespace fogsched::sim
