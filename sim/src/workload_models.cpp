#include "workload_models.h"

#include <stdexcept>
#include <string>

namespace fogsched::sim {

MmppConfig make_mmpp_config(const ArrivalSpec& arrivals, double rate_factor) {
  MmppConfig config;
  for (const MmppStateSpec& state : arrivals.mmpp_states) {
    config.states.push_back({state.rate_per_s * rate_factor, state.mean_sojourn});
  }
  config.transition = arrivals.mmpp_transitions;
  return config;
}

TrafficConfig make_traffic_config(const Scenario& scenario, const City& city, std::uint32_t workload) {
  const ArrivalSpec& arrivals = scenario.workload[workload].arrivals;
  const TrafficSpec& spec = arrivals.traffic;
  TrafficConfig config;
  if (spec.roads) {
    config.roads.intersections = spec.roads->intersections;
    for (const auto& [from, to] : spec.roads->roads) config.roads.roads.push_back({from, to});
    config.roads.border = spec.roads->border;
  } else {
    config.roads = grid_roads(city.camera_positions(), city.grid_columns());
  }
  config.entry_rate_per_s = spec.entry_rate_per_s;
  config.entry_profile = city.profile(workload);
  switch (spec.speed_dist) {
    case VehicleSpeedDist::deterministic: config.speed.distribution = SpeedDistribution::deterministic; break;
    case VehicleSpeedDist::uniform: config.speed.distribution = SpeedDistribution::uniform; break;
    case VehicleSpeedDist::normal: config.speed.distribution = SpeedDistribution::normal; break;
  }
  config.speed.mean_mps = spec.speed_mean_mps;
  config.speed.sd_mps = spec.speed_sd_mps;
  config.speed.min_mps = spec.speed_min_mps;
  config.speed.max_mps = spec.speed_max_mps;
  config.turns = {spec.turn_straight, spec.turn_left, spec.turn_right};
  config.view_radius_m = spec.view_radius_m;
  config.trigger = spec.per_frame ? TriggerMode::per_frame : TriggerMode::once_per_pass;
  config.frame_interval = spec.frame_interval;
  config.blacklisted_fraction = spec.blacklisted_fraction;
  config.blacklisted_ids = spec.blacklisted_vehicles;
  return config;
}

void check_workload_models(const Scenario& scenario, const City& city) {
  for (std::uint32_t w = 0; w < scenario.workload.size(); ++w) {
    const WorkloadSpec& work = scenario.workload[w];
    const std::string path = "workload." + std::to_string(w) + ".arrivals";
    try {
      if (work.arrivals.process == ArrivalProcess::mmpp) {
        if (auto problem = check_mmpp_config(make_mmpp_config(work.arrivals, 1.0))) {
          throw ScenarioError(work.where, path + "." + problem->key, problem->message);
        }
      } else if (work.arrivals.process == ArrivalProcess::traffic) {
        // Constructing the model checks the road graph against the configuration.
        TrafficModel model(make_traffic_config(scenario, city, w), city.camera_positions(), 0, Time{});
      }
    } catch (const TrafficConfigError& e) {
      throw ScenarioError(work.where, path, e.what());
    }
  }
}

}  // namespace fogsched::sim
