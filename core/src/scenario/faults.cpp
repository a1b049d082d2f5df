// The faults section: timeout, scheduled outages, random failures.
#include "parser.h"

#include <fmt/format.h>

#include <cmath>

namespace fogsched::scenario_parsing {
namespace keys = scenario_keys;

FaultsSpec Parser::parse_faults(const YAML::Node& node, const std::string& path) const {
  const ConfigMap map = section(node, path, keys::kFaults);
  FaultsSpec faults;
  if (map.has("timeout")) faults.timeout = duration(map.get("timeout"), map.path("timeout"), Bound::non_negative);
  if (map.has("outages")) {
    const YAML::Node outages = map.get("outages");
    require_sequence(outages, map.path("outages"), "a list of outages");
    for (std::size_t i = 0; i < outages.size(); ++i) {
      faults.outages.push_back(parse_outage(outages[i], join_key_path(map.path("outages"), std::to_string(i))));
    }
  }
  if (map.has("failures")) {
    const ConfigMap failures = section(map.get("failures"), map.path("failures"), keys::kFailures);
    FailureProcessSpec process;
    process.mean_time_to_failure = duration(failures.require("mttf"), failures.path("mttf"), Bound::positive);
    process.mean_time_to_repair = duration(failures.require("mttr"), failures.path("mttr"), Bound::positive);
    if (failures.has("cameras")) process.cameras = camera_list(failures.get("cameras"), failures.path("cameras"));
    faults.failures = std::move(process);
  }
  return faults;
}

OutageSpec Parser::parse_outage(const YAML::Node& node, const std::string& path) const {
  const ConfigMap map = section(node, path, keys::kOutage);
  OutageSpec outage;
  outage.where = where(map.node(), path);
  const int given = int{map.has("cameras")} + int{map.has("count")} + int{map.has("fraction")};
  if (given != 1) fail(map.node(), path, "expected exactly one of 'cameras', 'count' and 'fraction'");
  if (map.has("cameras")) {
    outage.cameras = camera_list(map.get("cameras"), map.path("cameras"));
  } else if (map.has("count")) {
    outage.count = count(map.get("count"), map.path("count"), Bound::positive);
    if (outage.count > camera_count_) {
      fail(map.get("count"), map.path("count"),
           fmt::format("{} cameras but the cluster has {}", outage.count, camera_count_));
    }
  } else {
    const YAML::Node fraction = map.get("fraction");
    outage.fraction = share(fraction, map.path("fraction"), "fraction", "(0, 1]");
    // The simulator draws this many cameras, rounded to the nearest whole camera.
    if (std::lround(outage.fraction * camera_count_) == 0) {
      fail(fraction, map.path("fraction"),
           fmt::format("{} of {} cameras rounds to no camera", fraction.Scalar(), camera_count_));
    }
  }
  outage.at = duration(map.require("at"), map.path("at"), Bound::non_negative);
  outage.length = duration(map.require("for"), map.path("for"), Bound::positive);
  return outage;
}

}  // namespace fogsched::scenario_parsing
