#pragma once
// A node's slots and queue: the small operations every event path runs, defined
// here so each file of the simulator inlines them as one file did.
#include <algorithm>

#include "simulation_records.h"

namespace fogsched::sim {

inline LoadReport Simulation::load_of(std::uint32_t node) const noexcept {
  const NodeState& n = nodes_[node];
  return LoadReport{.running = n.running, .queued = n.queued, .slots = n.slots, .queue_capacity = n.queue_capacity};
}

inline bool Simulation::down(std::uint32_t node) const noexcept { return nodes_[node].down_count > 0; }

inline std::int64_t Simulation::measured_ns(std::int64_t from, std::int64_t to) const noexcept {
  return std::max<std::int64_t>(0, std::min(to, end_ns_) - std::max(from, warmup_ns_));
}

inline void Simulation::account_busy(std::uint32_t node) {
  NodeState& n = nodes_[node];
  if (now_ns_ <= n.busy_since_ns) return;  // still in the warm-up
  n.busy_slot_ns += static_cast<std::int64_t>(n.running) * (now_ns_ - n.busy_since_ns);
  n.busy_since_ns = now_ns_;
}

inline void Simulation::run_or_reject(std::uint32_t inv, std::uint32_t node) {
  NodeState& n = nodes_[node];
  InvocationState& st = invocations_[inv];
  st.node = node;
  if (n.running < n.slots) {
    start(inv, node);
  } else if (n.queued < n.queue_capacity) {
    st.phase = Phase::queued;
    st.next = kNone;
    if (n.queue_tail == kNone) {
      n.queue_head = inv;
    } else {
      invocations_[n.queue_tail].next = inv;
    }
    n.queue_tail = inv;
    ++n.queued;
  } else {
    finish(inv, Outcome::rejected, node);
  }
}

inline void Simulation::start(std::uint32_t inv, std::uint32_t node) {
  NodeState& n = nodes_[node];
  account_busy(node);
  ++n.running;
  InvocationState& st = invocations_[inv];
  if (keep_trace_) invocation_extras_[inv].start = now();
  st.node = node;
  st.phase = Phase::running;
  const Duration service = from_seconds(st.work_s / n.speed);
  events_.push(now_ns_ + service.count(), kComplete, node, inv, n.epoch);
}

inline void Simulation::forward(std::uint32_t inv, std::uint32_t from, std::uint32_t to) {
  InvocationState& st = invocations_[inv];
  if (from == st.inv.origin.value && st.inv.hops == 0) st.decision = DecisionKind::forward;
  ++st.inv.hops;
  st.phase = Phase::in_transit;
  events_.push(now_ns_ + city_.one_way(from, to, st.inv.payload_bytes).count(), kForwardArrive, to, inv);
}

inline std::uint32_t Simulation::allocate_invocation() {
  std::uint32_t idx = free_invocation_;
  if (idx != kNone) {
    free_invocation_ = invocations_[idx].next;
    invocations_[idx] = InvocationState{};
    if (keeps_invocation_extras_) invocation_extras_[idx] = InvocationExtras{};
  } else {
    idx = static_cast<std::uint32_t>(invocations_.size());
    invocations_.emplace_back();
    if (keeps_invocation_extras_) invocation_extras_.emplace_back();
  }
  invocations_[idx].live = true;
  return idx;
}

inline void Simulation::release_invocation(std::uint32_t inv) {
  InvocationState& st = invocations_[inv];
  st.live = false;
  st.next = free_invocation_;
  free_invocation_ = inv;
}

}  // namespace fogsched::sim
