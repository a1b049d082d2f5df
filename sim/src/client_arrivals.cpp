// Client invocations entering the city: each workload source's next arrival
// scheduled as its current one is taken, and the invocation decided at its camera.
#include <variant>

#include "node_runtime.h"

namespace fogsched::sim {

void Simulation::schedule_first_arrivals() {
  for (std::uint32_t s = 0; s < workload_.stream_count(); ++s) {
    if (const std::optional<Time> t = workload_.first_stream_arrival(s)) {
      events_.push(t->time_since_epoch().count(), kArrival, workload_.stream_camera(s), s);
    }
  }
  for (std::uint32_t t = 0; t < workload_.trace_count(); ++t) schedule_next_trace_arrival(t);
  for (std::uint32_t t = 0; t < workload_.traffic_count(); ++t) schedule_next_traffic_event(t);
}

void Simulation::schedule_next_trace_arrival(std::uint32_t source) {
  if (const std::optional<Time> t = workload_.next_trace_arrival(source)) {
    events_.push(t->time_since_epoch().count(), kTraceArrival, 0, source);
  }
}

void Simulation::schedule_next_traffic_event(std::uint32_t source) {
  if (const std::optional<Time> t = workload_.next_traffic_event(source)) {
    events_.push(t->time_since_epoch().count(), kTrafficEvent, 0, source);
  }
}

void Simulation::on_arrival(std::uint32_t stream_index) {
  std::optional<Time> next;
  const SourcedInvocation invocation = workload_.take_stream_arrival(stream_index, now(), next);
  if (next) events_.push(next->time_since_epoch().count(), kArrival, invocation.camera, stream_index);
  client_arrival(invocation, nullptr);
}

void Simulation::on_trace_arrival(std::uint32_t source) {
  const SourcedInvocation invocation = workload_.take_trace_arrival(source);
  schedule_next_trace_arrival(source);
  client_arrival(invocation, nullptr);
}

void Simulation::on_traffic_event(std::uint32_t source) {
  const TrafficEvent event = workload_.take_traffic_event(source);
  schedule_next_traffic_event(source);
  std::visit(Overloaded{
                 [&](const VehicleEntered& v) { watch_vehicle(source, v); },
                 [&](const Trigger& t) {
                   watch_trigger(source, t);
                   const VehicleSighting vehicle{.source = source,
                                                 .vehicle = t.vehicle,
                                                 .blacklisted = t.blacklisted,
                                                 .view_enter = t.view_enter,
                                                 .view_leave = t.view_leave};
                   client_arrival(workload_.triggered(source, t), &vehicle);
                 },
                 [&](const VehicleLeft& v) { end_watch(source, v); },
             },
             event);
}

void Simulation::client_arrival(const SourcedInvocation& invocation, const VehicleSighting* vehicle) {
  const std::uint32_t camera = invocation.camera;
  const std::uint32_t idx = allocate_invocation();
  InvocationState& st = invocations_[idx];
  st.inv = Invocation{.id = InvocationId{next_invocation_id_++},
                      .function = FunctionId{invocation.function},
                      .origin = NodeId{camera},
                      .hops = 0,
                      .arrival = now(),
                      .payload_bytes = invocation.payload_bytes};
  st.work_s = invocation.work_s;
  st.node = camera;
  st.phase = Phase::deciding;
  st.measured = now_ns_ >= warmup_ns_;
  if (vehicle) {
    st.has_vehicle = true;
    invocation_extras_[idx].vehicle = *vehicle;
  }
  if (st.measured) ++metrics_.client_invocations;
  if (down(camera)) {
    if (st.measured) ++metrics_.arrivals_at_down_nodes;
    finish(idx, Outcome::failed, camera);
    return;
  }
  decide(idx, camera, {}, false);
}

}  // namespace fogsched::sim
