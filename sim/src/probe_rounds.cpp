// Probe rounds: a policy's Probe sent to its peers, their answers and the round's
// timeout, and the policy asked again with what came back.
#include <boost/container/static_vector.hpp>

#include "node_runtime.h"

namespace fogsched::sim {

void Simulation::start_probe(std::uint32_t inv, std::uint32_t node, const PeerSet& peers) {
  const std::uint32_t round = allocate_round();
  ProbeRound& r = rounds_[round];
  r.inv = inv;
  r.node = node;
  r.peers = peers;
  r.answered = 0;
  r.resolved = 0;
  r.pending_events = 0;
  r.decided = false;
  const auto arrival = [&](std::uint32_t slot) {
    return now_ns_ + city_.one_way(node, peers[slot].value, scenario_.network.probe_bytes).count();
  };
  const auto count = static_cast<std::uint32_t>(peers.size());
  for (std::uint32_t first = 0; first < count;) {
    const std::int64_t at = arrival(first);
    std::uint32_t end = first + 1;
    while (end < count && arrival(end) == at) ++end;
    events_.push(at, kProbeArrive, peers[first].value, round, SlotRange{first, end - first}.packed());
    ++r.pending_events;
    first = end;
  }
  if (scenario_.network.probe_timeout > Duration::zero()) {
    events_.push(now_ns_ + scenario_.network.probe_timeout.count(), kProbeTimeout, node, round);
    ++r.pending_events;
  }
  InvocationState& st = invocations_[inv];
  st.phase = Phase::probing;
  if (keep_trace_) invocation_extras_[inv].probes += static_cast<std::uint32_t>(peers.size());
  if (st.measured) metrics_.add_probe_messages(peers.size());
}

void Simulation::on_probe_arrive(std::uint32_t round, std::uint32_t packed_slots) {
  const SlotRange slots = SlotRange::unpack(packed_slots);
  ProbeRound& r = rounds_[round];
  --r.pending_events;
  // Answers leaving at the same time share one reply event, as the probes shared
  // one arrival event; a lost probe in between ends the shared run.
  SlotRange replies{};
  std::int64_t reply_at = 0;
  const auto send_replies = [&] {
    if (replies.count == 0) return;
    events_.push(reply_at, kProbeReply, r.node, round, replies.packed());
    ++r.pending_events;
    replies = {};
  };
  for (std::uint32_t slot = slots.first; slot < slots.first + slots.count; ++slot) {
    const std::uint32_t peer = r.peers[slot].value;
    if (down(peer)) {
      // No answer: the prober gives up on this peer after the fault timeout.
      send_replies();
      const std::int64_t sent = now_ns_ - city_.one_way(r.node, peer, scenario_.network.probe_bytes).count();
      events_.push(std::max(now_ns_, sent + scenario_.faults.timeout.count()), kProbeLost, r.node, round, slot);
      ++r.pending_events;
      continue;
    }
    r.loads[slot] = load_of(peer);  // the load the peer reports as the probe reaches it
    const std::int64_t at = now_ns_ + city_.one_way(peer, r.node, scenario_.network.probe_bytes).count();
    if (replies.count > 0 && at != reply_at) send_replies();
    if (replies.count == 0) {
      replies.first = slot;
      reply_at = at;
    }
    ++replies.count;
  }
  send_replies();
}

void Simulation::on_probe_reply(std::uint32_t round, std::uint32_t packed_slots) {
  const SlotRange slots = SlotRange::unpack(packed_slots);
  --rounds_[round].pending_events;
  for (std::uint32_t slot = slots.first; slot < slots.first + slots.count; ++slot) {
    probe_slot_resolved(round, slot, true);
  }
  release_round_if_done(round);
}

void Simulation::probe_slot_resolved(std::uint32_t round, std::uint32_t slot, bool answered) {
  ProbeRound& r = rounds_[round];
  if (r.decided) return;
  ++r.resolved;
  if (answered) r.answered |= 1u << slot;
  // The last slot resolved: decide() may start rounds and move rounds_, so the
  // caller looks the round up again.
  if (r.resolved == r.peers.size()) finish_probe(round);
}

void Simulation::on_probe_timeout(std::uint32_t round) {
  --rounds_[round].pending_events;
  if (!rounds_[round].decided) finish_probe(round);
  release_round_if_done(round);
}

void Simulation::finish_probe(std::uint32_t round) {
  ProbeRound& r = rounds_[round];
  r.decided = true;
  boost::container::static_vector<ProbeAnswer, kMaxProbePeers> answers;
  for (std::uint32_t i = 0; i < r.peers.size(); ++i) {
    if (r.answered & (1u << i)) answers.push_back({r.peers[i], r.loads[i]});
  }
  // decide() may start new probe rounds and move rounds_: copy what it needs first.
  const std::uint32_t inv = r.inv;
  const std::uint32_t node = r.node;
  decide(inv, node, std::span<const ProbeAnswer>(answers.data(), answers.size()), true);
}

void Simulation::release_round_if_done(std::uint32_t round) {
  ProbeRound& r = rounds_[round];
  if (!r.decided || r.pending_events > 0) return;
  r.inv = free_round_;
  free_round_ = round;
}

std::uint32_t Simulation::allocate_round() {
  std::uint32_t idx = free_round_;
  if (idx != kNone) {
    free_round_ = rounds_[idx].inv;
  } else {
    idx = static_cast<std::uint32_t>(rounds_.size());
    rounds_.emplace_back();
  }
  return idx;
}

}  // namespace fogsched::sim
