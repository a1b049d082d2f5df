// The node runtime beyond node_runtime.h: completions (the next queued invocation
// starts), forwards and responses arriving, and an invocation's outcome recorded.
#include "node_runtime.h"

namespace fogsched::sim {

void Simulation::on_forward_arrive(std::uint32_t node, std::uint32_t inv) {
  InvocationState& st = invocations_[inv];
  if (down(node)) {
    // The sender hears nothing and gives up after the fault timeout.
    const std::uint32_t sender = st.node;
    const std::int64_t sent = now_ns_ - city_.one_way(sender, node, st.inv.payload_bytes).count();
    events_.push(std::max(now_ns_, sent + scenario_.faults.timeout.count()), kForwardTimeout, sender, inv);
    return;
  }
  st.node = node;
  st.phase = Phase::deciding;
  decide(inv, node, {}, false);
}

void Simulation::on_response_arrive(std::uint32_t origin, std::uint32_t inv) {
  // The answer is lost when the origin went down while the invocation ran elsewhere.
  finish(inv, down(origin) ? Outcome::failed : Outcome::completed, invocations_[inv].node);
}

void Simulation::on_complete(std::uint32_t node, std::uint32_t inv) {
  NodeState& n = nodes_[node];
  account_busy(node);
  --n.running;
  if (n.queue_head != kNone) {
    const std::uint32_t next = n.queue_head;
    n.queue_head = invocations_[next].next;
    if (n.queue_head == kNone) n.queue_tail = kNone;
    --n.queued;
    start(next, node);
  }
  InvocationState& st = invocations_[inv];
  const std::uint32_t origin = st.inv.origin.value;
  if (st.has_vehicle && invocation_extras_[inv].vehicle.blacklisted) plate_recognised(node, inv);
  if (node == origin) {
    finish(inv, Outcome::completed, node);
  } else {
    st.phase = Phase::responding;
    const Duration back = city_.one_way(node, origin, functions_[st.inv.function.value].response_bytes);
    events_.push(now_ns_ + back.count(), kResponseArrive, origin, inv);
  }
}

void Simulation::finish(std::uint32_t inv, Outcome outcome, std::uint32_t ended_on) {
  InvocationState& st = invocations_[inv];
  const std::uint32_t origin = st.inv.origin.value;
  const FunctionModel& f = functions_[st.inv.function.value];
  const Time end = now();
  if (outcome == Outcome::completed) {
    const bool late = f.deadline_ns >= 0 && (end - st.inv.arrival).count() > f.deadline_ns;
    const bool out_of_view =
        f.until_leaves_view && st.has_vehicle && end > invocation_extras_[inv].vehicle.view_leave;
    if (late || out_of_view) outcome = Outcome::deadline_missed;
  }
  if (outcome == Outcome::rejected && ended_on == origin && st.inv.hops == 0) st.decision = DecisionKind::reject;

  InvocationRecord record{.id = st.inv.id.value,
                          .function = st.inv.function.value,
                          .origin = origin,
                          .executed_on = ended_on,
                          .hops = st.inv.hops,
                          .decision = st.decision,
                          .outcome = outcome,
                          .arrival = st.inv.arrival,
                          .end = end,
                          .work_s = st.work_s};
  if (st.measured) {
    metrics_.record(record);  // reads none of what follows, kept only for the trace
    if (keep_trace_) {
      InvocationExtras& extras = invocation_extras_[inv];
      const bool started = outcome != Outcome::rejected && st.phase != Phase::deciding &&
                           st.phase != Phase::queued && st.phase != Phase::probing;
      record.probes = extras.probes;
      record.start = started ? extras.start : end;
      if (st.has_vehicle) {
        record.vehicle = static_cast<std::int64_t>(extras.vehicle.vehicle);
        record.blacklisted = extras.vehicle.blacklisted;
      }
      record.alert_delivered = extras.alert_delivered;
      extras.trace_index = static_cast<std::uint32_t>(trace_.size());
      trace_.push_back(record);
    }
  }

  const Completion completion{.id = st.inv.id,
                              .function = st.inv.function,
                              .executed_on = NodeId{ended_on},
                              .outcome = outcome,
                              .response_time = end - st.inv.arrival};
  st.finished = true;
  st.phase = Phase::done;
  if (!st.alert_pending) release_invocation(inv);
  if (completions_heard_ && !down(origin)) {
    bind(origin, {}, false);
    nodes_[origin].policy->on_complete(completion, *this);
  }
}

}  // namespace fogsched::sim
