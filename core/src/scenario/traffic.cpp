// Arrivals of process: traffic (vehicles on the street grid or a road graph, blacklists).
#include "parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace fogsched::scenario_parsing {
namespace keys = scenario_keys;

void Parser::parse_traffic(const ConfigMap& map, const Scenario& scenario, TrafficSpec& traffic) const {
  if (map.has("roads")) {
    traffic.roads = parse_road_graph(map.get("roads"), map.path("roads"));
  } else if (scenario.cameras.layout != Layout::grid) {
    fail(map.node(), map.path(), "traffic needs the cameras' grid layout or an explicit roads graph");
  } else if (scenario.cameras.count < 2) {
    fail(map.node(), map.path(), "traffic on the cameras' grid needs at least two cameras (one street)");
  }
  traffic.entry_rate_per_s = rate(map.require("entry_rate"), map.path("entry_rate"), Bound::positive);
  if (map.has("speed")) parse_vehicle_speed(map.get("speed"), map.path("speed"), traffic);
  if (map.has("turns")) {
    const ConfigMap turns = section(map.get("turns"), map.path("turns"), keys::kTurns);
    traffic.turn_straight = number(turns.require("straight"), turns.path("straight"), Bound::non_negative);
    traffic.turn_left = number(turns.require("left"), turns.path("left"), Bound::non_negative);
    traffic.turn_right = number(turns.require("right"), turns.path("right"), Bound::non_negative);
    if (traffic.turn_straight + traffic.turn_left + traffic.turn_right <= 0) {
      fail(turns.node(), turns.path(), "every weight is 0 (at least one must be positive)");
    }
  }
  if (map.has("view_radius")) {
    traffic.view_radius_m = distance(map.get("view_radius"), map.path("view_radius"), Bound::positive);
  }
  if (map.has("trigger")) {
    traffic.per_frame = choice(map.get("trigger"), map.path("trigger"), {"per_frame", "once_per_pass"}) == 0;
  }
  if (map.has("frame_interval")) {
    if (!traffic.per_frame) {
      fail(map.get("frame_interval"), map.path("frame_interval"),
           "only used with trigger: per_frame (trigger is once_per_pass)");
    }
    traffic.frame_interval = duration(map.get("frame_interval"), map.path("frame_interval"), Bound::positive);
  }
  if (map.has("blacklist")) parse_blacklist(map.get("blacklist"), map.path("blacklist"), traffic);
}

void Parser::parse_vehicle_speed(const YAML::Node& node, const std::string& path, TrafficSpec& traffic) const {
  if (node.IsScalar()) {
    traffic.speed_dist = VehicleSpeedDist::deterministic;
    traffic.speed_mean_mps = speed(node, path);
    return;
  }
  if (!node.IsMap())
    fail(node, path, fmt::format("expected a speed or a map with 'dist', got {}", describe_yaml_node(node)));
  const ConfigMap map = section(node, path, keys::kVehicleSpeed);
  const bool normal = choice(map.require("dist"), map.path("dist"), {"uniform", "normal"}) == 1;
  for (const std::string_view key : {"mean", "sd"}) {
    if (!normal && map.has(key)) fail(map.get(key), map.path(key), "not used with dist: uniform (only with normal)");
  }
  traffic.speed_dist = normal ? VehicleSpeedDist::normal : VehicleSpeedDist::uniform;
  if (normal) {
    traffic.speed_mean_mps = speed(map.require("mean"), map.path("mean"));
    traffic.speed_sd_mps = speed(map.require("sd"), map.path("sd"));
  }
  // Bounds are required for the normal too: a vehicle never stands still or races.
  traffic.speed_min_mps = speed(map.require("min"), map.path("min"));
  traffic.speed_max_mps = speed(map.require("max"), map.path("max"));
  if (traffic.speed_max_mps < traffic.speed_min_mps) {
    fail(map.get("max"), map.path("max"), fmt::format("must not be less than min ({})", map.get("min").Scalar()));
  }
  if (normal && (traffic.speed_mean_mps < traffic.speed_min_mps || traffic.speed_mean_mps > traffic.speed_max_mps)) {
    fail(map.get("mean"), map.path("mean"),
         fmt::format("must lie between min ({}) and max ({})", map.get("min").Scalar(), map.get("max").Scalar()));
  }
}

RoadGraphSpec Parser::parse_road_graph(const YAML::Node& node, const std::string& path) const {
  const ConfigMap map = section(node, path, keys::kRoadGraph);
  RoadGraphSpec graph;
  const YAML::Node intersections = map.require("intersections");
  require_sequence(intersections, map.path("intersections"), "a list of positions");
  if (intersections.size() < 2) {
    fail(intersections, map.path("intersections"),
         fmt::format("expected at least two intersections, got {}", intersections.size()));
  }
  for (std::size_t i = 0; i < intersections.size(); ++i) {
    graph.intersections.push_back(
        parse_position(intersections[i], join_key_path(map.path("intersections"), std::to_string(i))));
  }
  const auto intersection_count = graph.intersections.size();
  const auto intersection = [&](const YAML::Node& at, const std::string& at_path) {
    const std::uint64_t index = integer(at, at_path, Bound::non_negative);
    if (index >= intersection_count) {
      fail(at, at_path,
           fmt::format("intersection {} does not exist (the graph has {} intersections, numbered 0 to {})", index,
                       intersection_count, intersection_count - 1));
    }
    return static_cast<std::uint32_t>(index);
  };

  const YAML::Node roads = map.require("roads");
  const std::string roads_path = map.path("roads");
  require_sequence(roads, roads_path, "a list of [from, to] roads");
  if (roads.size() == 0) fail(roads, roads_path, "expected at least one road");
  std::vector<bool> has_road(graph.intersections.size(), false);
  for (std::size_t i = 0; i < roads.size(); ++i) {
    const YAML::Node road = roads[i];
    const std::string road_path = join_key_path(roads_path, std::to_string(i));
    if (!road.IsSequence() || road.size() != 2) {
      fail(road, road_path,
           fmt::format("expected [from, to] (two intersection indices), got {}", describe_yaml_node(road)));
    }
    const std::uint32_t from = intersection(road[0], join_key_path(road_path, "0"));
    const std::uint32_t to = intersection(road[1], join_key_path(road_path, "1"));
    if (from == to) fail(road, road_path, fmt::format("a road from intersection {} to itself", from));
    if (graph.intersections[from] == graph.intersections[to]) {
      fail(road, road_path, fmt::format("intersections {} and {} are at the same place", from, to));
    }
    for (std::size_t j = 0; j < graph.roads.size(); ++j) {
      const auto [a, b] = graph.roads[j];
      if ((a == from && b == to) || (a == to && b == from)) {
        fail(road, road_path,
             fmt::format("the road between intersections {} and {} is already {}.{} (roads are two-way)", from, to,
                         roads_path, j));
      }
    }
    graph.roads.emplace_back(from, to);
    has_road[from] = has_road[to] = true;
  }

  const YAML::Node border = map.require("border");
  const std::string border_path = map.path("border");
  require_sequence(border, border_path, "a list of intersection indices");
  if (border.size() == 0) fail(border, border_path, "expected at least one border intersection");
  for (std::size_t i = 0; i < border.size(); ++i) {
    const std::string item_path = join_key_path(border_path, std::to_string(i));
    const std::uint32_t index = intersection(border[i], item_path);
    if (std::find(graph.border.begin(), graph.border.end(), index) != graph.border.end()) {
      fail(border[i], item_path, fmt::format("intersection {} is listed twice", index));
    }
    if (!has_road[index]) {
      fail(border[i], item_path, fmt::format("intersection {} has no road (vehicles could not enter there)", index));
    }
    graph.border.push_back(index);
  }
  return graph;
}

void Parser::parse_blacklist(const YAML::Node& node, const std::string& path, TrafficSpec& traffic) const {
  const ConfigMap map = section(node, path, keys::kBlacklist);
  if (!map.has("fraction") && !map.has("vehicles")) {
    fail(map.node(), path, "blacklists no vehicle (expected 'fraction', 'vehicles' or both)");
  }
  if (map.has("fraction")) {
    traffic.blacklisted_fraction = share(map.get("fraction"), map.path("fraction"), "fraction", "[0, 1]");
  }
  if (map.has("vehicles")) {
    const YAML::Node vehicles = map.get("vehicles");
    const std::string list_path = map.path("vehicles");
    require_sequence(vehicles, list_path, "a list of vehicle ids");
    for (std::size_t i = 0; i < vehicles.size(); ++i) {
      const std::string item_path = join_key_path(list_path, std::to_string(i));
      const std::uint64_t id =
          integer(vehicles[i], item_path, Bound::non_negative, std::numeric_limits<std::uint64_t>::max());
      auto& listed = traffic.blacklisted_vehicles;
      if (std::find(listed.begin(), listed.end(), id) != listed.end()) {
        fail(vehicles[i], item_path, fmt::format("vehicle {} is listed twice", id));
      }
      listed.push_back(id);
    }
  }
  if (map.has("alert")) traffic.alert_bytes = bytes(map.get("alert"), map.path("alert"), Bound::positive);
}

// A deadline tied to a vehicle's view means nothing to invocations without one.
void Parser::check_until_leaves_view(const Scenario& scenario) const {
  for (const auto& [function, deadline] : leaves_view_deadlines_) {
    const std::string deadline_path = fmt::format("functions.{}.deadline", scenario.functions[function].name);
    for (std::size_t w = 0; w < scenario.workload.size(); ++w) {
      const ArrivalSpec& arrivals = scenario.workload[w].arrivals;
      if (arrivals.process == ArrivalProcess::traffic) continue;
      const bool uses = arrivals.process == ArrivalProcess::trace
                            ? std::find(arrivals.trace_functions.begin(), arrivals.trace_functions.end(), function) !=
                                  arrivals.trace_functions.end()
                            : scenario.workload[w].function_index == function;
      if (uses) {
        fail(deadline, deadline_path,
             fmt::format("until_leaves_view needs a traffic workload (workload.{} has process: {})", w,
                         process_name(arrivals.process)));
      }
    }
  }
}

}  // namespace fogsched::scenario_parsing
