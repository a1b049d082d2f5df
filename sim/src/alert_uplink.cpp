// Blacklisted vehicles: watched from entering the city to leaving it, and the alert
// a recognised plate sends to the cloud through the uplink of the camera that saw it.
#include <algorithm>

#include "node_runtime.h"

namespace fogsched::sim {

void Simulation::watch_vehicle(std::uint32_t source, const VehicleEntered& entered) {
  if (entered.blacklisted) watched_[source][entered.vehicle] = VehicleWatch{.measured = now_ns_ >= warmup_ns_};
}

void Simulation::watch_trigger(std::uint32_t source, const Trigger& trigger) {
  if (!trigger.blacklisted) return;
  if (auto it = watched_[source].find(trigger.vehicle); it != watched_[source].end()) {
    it->second.last_view_leave = std::max(it->second.last_view_leave, trigger.view_leave);
  }
}

void Simulation::end_watch(std::uint32_t source, const VehicleLeft& left) {
  if (!left.blacklisted) return;
  auto& watched = watched_[source];
  const auto it = watched.find(left.vehicle);
  if (it == watched.end()) return;
  if (it->second.measured) {
    ++metrics_.blacklisted_vehicles;
    if (it->second.first_recognised > it->second.last_view_leave) ++metrics_.blacklisted_missed;
  }
  watched.erase(it);
}

void Simulation::plate_recognised(std::uint32_t node, std::uint32_t inv) {
  InvocationState& st = invocations_[inv];
  const VehicleSighting& vehicle = invocation_extras_[inv].vehicle;
  const std::uint32_t origin = st.inv.origin.value;
  auto& watched = watched_[vehicle.source];
  if (auto it = watched.find(vehicle.vehicle); it != watched.end()) {
    it->second.first_recognised = std::min(it->second.first_recognised, now());
  }
  st.alert_pending = true;
  events_.push(now_ns_ + city_.one_way(node, origin, workload_.alert_bytes(vehicle.source)).count(), kAlertAtUplink,
               origin, inv);
}

void Simulation::on_alert_at_uplink(std::uint32_t camera, std::uint32_t inv) {
  InvocationState& st = invocations_[inv];
  InvocationExtras& extras = invocation_extras_[inv];
  st.alert_pending = false;
  if (st.measured) ++metrics_.alerts_sent;
  NodeExtras& n = node_extras_[camera];
  const UplinkSpec& uplink = scenario_.network.uplink;
  if (down(camera)) {
    if (st.measured) ++metrics_.alerts_lost;
  } else {
    // One FIFO per camera: the alert is sent once earlier alerts have gone.
    const double bits = static_cast<double>(workload_.alert_bytes(extras.vehicle.source)) * 8.0;
    const std::int64_t transmit = uplink.bandwidth_bps > 0 ? from_seconds(bits / uplink.bandwidth_bps).count() : 0;
    const std::int64_t start = std::max(now_ns_, n.uplink_free_ns);
    n.uplink_free_ns = start + transmit;
    n.uplink_busy_ns += measured_ns(start, start + transmit);
    const std::int64_t delivered = start + transmit + uplink.latency.count();
    if (uplink.loss_probability > 0 && n.uplink_rng.bernoulli(uplink.loss_probability)) {
      if (st.measured) ++metrics_.alerts_lost;
    } else if (delivered <= end_ns_) {
      extras.alert_delivered = Time{Duration{delivered}};
      if (st.measured) metrics_.record_alert_delivered(extras.alert_delivered - extras.vehicle.view_enter);
      if (extras.trace_index != kNone) trace_[extras.trace_index].alert_delivered = extras.alert_delivered;
    }
  }
  if (st.finished) release_invocation(inv);
}

}  // namespace fogsched::sim
