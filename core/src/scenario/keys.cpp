#include "keys.h"

#include "fogsched/core/scenario_yaml.h"

namespace fogsched {

std::span<const ScenarioSection> scenario_sections() {
  using namespace scenario_keys;
  static const ScenarioSection kSections[] = {
      {"", kTop},
      {"cluster", kCluster},
      {"cluster.cameras", kCameras},
      {"cluster.cameras.area", kArea},
      {"cluster.cameras.positions.*", kPosition},
      {"cluster.cameras.slots", kValueChoice},
      {"cluster.cameras.slots", kValueUniform},
      {"cluster.cameras.speed", kValueChoice},
      {"cluster.cameras.speed", kValueUniform},
      {"cluster.cameras.overrides.*", kCameraOverride},
      {"cluster.cloud", kCloud},
      {"network", kNetwork},
      {"network.latency", kLatency},
      {"network.uplink", kUplink},
      {"functions.*", kFunction},
      {"functions.*.service_time", kServiceTimeKeys},
      {"workload.*", kWorkload},
      {"workload.*.arrivals", kArrivals},
      {"workload.*.arrivals.hotspots", kHotspots},
      {"workload.*.arrivals.profile.*", kProfileStep},
      {"workload.*.arrivals.states.*", kMmppState},
      {"workload.*.arrivals.turns", kTurns},
      {"workload.*.arrivals.speed", kVehicleSpeed},
      {"workload.*.arrivals.roads", kRoadGraph},
      {"workload.*.arrivals.roads.intersections.*", kPosition},
      {"workload.*.arrivals.blacklist", kBlacklist},
      {"workload.*.arrivals.functions", kAzureFunctions},
      {"workload.*.arrivals.window", kAzureWindow},
      {"faults", kFaults},
      {"faults.outages.*", kOutage},
      {"faults.failures", kFailures},
      {"policies.*", kPolicy, true},
  };
  return kSections;
}

}  // namespace fogsched
