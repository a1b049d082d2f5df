// Faults: explicit outages and the failure process take nodes down and back up; what
// a down node held fails, and forwards and probes sent to it time out.
#include <algorithm>
#include <vector>

#include "node_runtime.h"

namespace fogsched::sim {

void Simulation::schedule_faults() {
  for (const City::Outage& outage : city_.outages()) {
    for (std::uint32_t camera : outage.cameras) {
      events_.push(outage.start.time_since_epoch().count(), kNodeDown, camera);
      events_.push(outage.end.time_since_epoch().count(), kNodeUp, camera);
    }
  }
  if (const auto& failures = scenario_.faults.failures) {
    std::vector<std::uint32_t> cameras = failures->cameras;
    if (cameras.empty()) {
      for (std::uint32_t i = 0; i < city_.camera_count(); ++i) cameras.push_back(i);
    }
    for (std::uint32_t camera : cameras) {
      const double up_s = node_extras_[camera].failure_rng.exponential(to_seconds(failures->mean_time_to_failure));
      events_.push(from_seconds(up_s).count(), kFailureProcess, camera, 1);
    }
  }
}

void Simulation::on_node_down(std::uint32_t node) {
  if (nodes_[node].down_count++ == 0) fail_node_work(node);
}

void Simulation::on_node_up(std::uint32_t node) {
  NodeState& n = nodes_[node];
  if (n.down_count == 0 || --n.down_count > 0) return;
  // A restarted node runs a fresh policy: whatever it had learned is gone.
  n.policy.make(policy_.make);
  bind(node, {}, false);
  n.policy->on_start(*this);
}

void Simulation::on_failure_process(std::uint32_t node, bool fails) {
  const FailureProcessSpec& process = *scenario_.faults.failures;
  const Duration mean = fails ? process.mean_time_to_repair : process.mean_time_to_failure;
  const std::int64_t next =
      now_ns_ + from_seconds(node_extras_[node].failure_rng.exponential(to_seconds(mean))).count();
  events_.push(next, kFailureProcess, node, fails ? 0 : 1);
  if (fails) {
    on_node_down(node);
  } else {
    on_node_up(node);
  }
}

void Simulation::fail_node_work(std::uint32_t node) {
  NodeState& n = nodes_[node];
  account_busy(node);
  ++n.epoch;                              // its pending completions are void
  ++node_extras_[node].timer_generation;  // and so are its timers
  n.running = 0;
  n.queued = 0;
  n.queue_head = n.queue_tail = kNone;
  for (ProbeRound& r : rounds_) {
    if (!r.decided && r.node == node) r.decided = true;  // answers that still come are ignored
  }
  for (std::uint32_t i = 0; i < invocations_.size(); ++i) {
    const InvocationState& st = invocations_[i];
    if (!st.live || st.finished || st.node != node) continue;
    if (st.phase == Phase::running || st.phase == Phase::queued || st.phase == Phase::probing) {
      finish(i, Outcome::failed, node);
    }
  }
}

void Simulation::on_forward_timeout(std::uint32_t node, std::uint32_t inv) {
  InvocationState& st = invocations_[inv];
  if (st.measured) ++metrics_.forward_timeouts;
  --st.inv.hops;  // the forward never happened
  // Back at its origin before any hop, it is a call run here (or rejected here), as
  // live mode records it: the forwarded fraction counts calls that left.
  if (node == st.inv.origin.value && st.inv.hops == 0) st.decision = DecisionKind::run_local;
  st.node = node;
  if (down(node)) {
    finish(inv, Outcome::failed, node);
    return;
  }
  run_or_reject(inv, node);
}

void Simulation::on_probe_lost(std::uint32_t round, std::uint32_t slot) {
  ProbeRound& r = rounds_[round];
  --r.pending_events;
  if (!r.decided && invocations_[r.inv].measured) ++metrics_.probe_timeouts;
  probe_slot_resolved(round, slot, false);
  release_round_if_done(round);
}

}  // namespace fogsched::sim
