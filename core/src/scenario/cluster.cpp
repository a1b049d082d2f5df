// The cluster section: cameras (layout, positions, slots, speeds, per-camera
// overrides) and the cloud.
#include "parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <unordered_map>

namespace fogsched {

double CameraValueSpread::mean() const {
  switch (kind) {
    case Kind::list:
      return values.empty() ? 0
                            : std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
    case Kind::uniform: return (min + max) / 2;
    case Kind::choice: {
      double weighted = 0;
      double total = 0;
      for (std::size_t i = 0; i < values.size(); ++i) {
        weighted += values[i] * weights[i];
        total += weights[i];
      }
      return total > 0 ? weighted / total : 0;
    }
  }
  return 0;
}

}  // namespace fogsched

namespace fogsched::scenario_parsing {
namespace keys = scenario_keys;

void Parser::parse_cameras(const ConfigMap& cluster, CamerasSpec& cameras) {
  const ConfigMap map = section(cluster.require("cameras"), cluster.path("cameras"), keys::kCameras);
  cameras.count = count(map.require("count"), map.path("count"), Bound::positive);
  camera_count_ = cameras.count;
  if (map.has("layout")) {
    constexpr Layout kLayouts[] = {Layout::grid, Layout::random, Layout::explicit_positions};
    cameras.layout = kLayouts[choice(map.get("layout"), map.path("layout"), {"grid", "random", "explicit"})];
  }
  const auto layout_name = [](Layout layout) {
    switch (layout) {
      case Layout::grid: return "grid";
      case Layout::random: return "random";
      case Layout::explicit_positions: break;
    }
    return "explicit";
  };
  // Keys of one layout are mistakes under another; say so rather than ignore them.
  const auto only_with = [&](std::string_view key, Layout layout) {
    if (map.has(key) && cameras.layout != layout) {
      fail(map.get(key), map.path(key),
           fmt::format("only used with layout: {} (layout is {})", layout_name(layout), layout_name(cameras.layout)));
    }
  };
  only_with("spacing", Layout::grid);
  only_with("columns", Layout::grid);
  only_with("area", Layout::random);
  only_with("positions", Layout::explicit_positions);

  switch (cameras.layout) {
    case Layout::grid:
      if (map.has("spacing")) cameras.spacing_m = distance(map.get("spacing"), map.path("spacing"), Bound::positive);
      if (map.has("columns")) cameras.columns = count(map.get("columns"), map.path("columns"), Bound::positive);
      break;
    case Layout::random: {
      const ConfigMap area = section(map.require("area"), map.path("area"), keys::kArea);
      cameras.area_width_m = distance(area.require("width"), area.path("width"), Bound::positive);
      cameras.area_height_m = distance(area.require("height"), area.path("height"), Bound::positive);
      break;
    }
    case Layout::explicit_positions: {
      const YAML::Node positions = map.require("positions");
      const std::string path = map.path("positions");
      require_sequence(positions, path, "a list of positions");
      if (positions.size() != cameras.count) {
        fail(
            positions, path,
            fmt::format("has {} positions but count is {} (one position per camera)", positions.size(), cameras.count));
      }
      for (std::size_t i = 0; i < positions.size(); ++i) {
        cameras.positions.push_back(parse_position(positions[i], join_key_path(path, std::to_string(i))));
      }
      break;
    }
  }
  if (map.has("slots")) {
    if (map.get("slots").IsScalar()) {
      cameras.slots = count(map.get("slots"), map.path("slots"), Bound::positive);
    } else {
      cameras.slots_spread = parse_camera_values(map.get("slots"), map.path("slots"), cameras.count, true);
    }
  }
  if (map.has("queue")) cameras.queue = count(map.get("queue"), map.path("queue"), Bound::non_negative);
  if (map.has("speed")) {
    if (map.get("speed").IsScalar()) {
      cameras.speed = number(map.get("speed"), map.path("speed"), Bound::positive);
    } else {
      cameras.speed_spread = parse_camera_values(map.get("speed"), map.path("speed"), cameras.count, false);
    }
  }
  if (map.has("overrides")) parse_camera_overrides(map.get("overrides"), map.path("overrides"), cameras);
}

CameraValueSpread Parser::parse_camera_values(const YAML::Node& node, const std::string& path,
                                              std::uint32_t camera_count, bool integers) const {
  const auto value = [&](const YAML::Node& item, const std::string& item_path) {
    return integers ? static_cast<double>(count(item, item_path, Bound::positive))
                    : number(item, item_path, Bound::positive);
  };
  const auto values = [&](const YAML::Node& list, const std::string& list_path) {
    require_sequence(list, list_path, "a list of values");
    std::vector<double> out;
    for (std::size_t i = 0; i < list.size(); ++i)
      out.push_back(value(list[i], join_key_path(list_path, std::to_string(i))));
    return out;
  };
  CameraValueSpread spread;
  if (node.IsSequence()) {
    spread.values = values(node, path);
    if (spread.values.size() != camera_count) {
      fail(node, path,
           fmt::format("has {} values but count is {} (one value per camera)", spread.values.size(), camera_count));
    }
    return spread;
  }
  if (!node.IsMap())
    fail(node, path, fmt::format("expected a value, a list or a map, got {}", describe_yaml_node(node)));
  if (node["choice"]) {
    const ConfigMap map = section(node, path, keys::kValueChoice);
    spread.kind = CameraValueSpread::Kind::choice;
    spread.values = values(map.get("choice"), map.path("choice"));
    if (spread.values.empty()) fail(map.get("choice"), map.path("choice"), "expected at least one option");
    if (map.has("weights")) {
      const YAML::Node weights = map.get("weights");
      require_sequence(weights, map.path("weights"), "a list of weights");
      for (std::size_t i = 0; i < weights.size(); ++i) {
        spread.weights.push_back(
            number(weights[i], join_key_path(map.path("weights"), std::to_string(i)), Bound::positive));
      }
      if (spread.weights.size() != spread.values.size()) {
        fail(weights, map.path("weights"),
             fmt::format("has {} weights for {} options", spread.weights.size(), spread.values.size()));
      }
    } else {
      spread.weights.assign(spread.values.size(), 1.0);
    }
    return spread;
  }
  const ConfigMap map = section(node, path, keys::kValueUniform);
  choice(map.require("dist"), map.path("dist"), {"uniform"});
  spread.kind = CameraValueSpread::Kind::uniform;
  spread.min = value(map.require("min"), map.path("min"));
  spread.max = value(map.require("max"), map.path("max"));
  if (spread.max < spread.min) {
    fail(map.get("max"), map.path("max"), fmt::format("must not be less than min ({})", spread.min));
  }
  return spread;
}

Point Parser::parse_position(const YAML::Node& node, const std::string& path) const {
  if (node.IsSequence()) {
    if (node.size() != 2) fail(node, path, fmt::format("expected [x, y], got a list of {} values", node.size()));
    return Point{distance(node[0], join_key_path(path, "0"), Bound::any),
                 distance(node[1], join_key_path(path, "1"), Bound::any)};
  }
  if (!node.IsMap())
    fail(node, path, fmt::format("expected [x, y] or {{x: ..., y: ...}}, got {}", describe_yaml_node(node)));
  const ConfigMap map = section(node, path, keys::kPosition);
  return Point{distance(map.require("x"), map.path("x"), Bound::any),
               distance(map.require("y"), map.path("y"), Bound::any)};
}

void Parser::parse_camera_overrides(const YAML::Node& node, const std::string& path, CamerasSpec& cameras) {
  require_sequence(node, path, "a list of overrides");
  // Which override set each camera, so a camera overridden twice is reported; only
  // the cameras named, so parsing costs what the file holds, not cameras.count.
  std::unordered_map<std::uint32_t, std::size_t> overridden_by;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = join_key_path(path, std::to_string(i));
    const ConfigMap map = section(node[i], item_path, keys::kCameraOverride);
    CameraOverride entry;
    entry.where = where(map.node(), item_path);
    if (map.has("camera") == map.has("cameras")) {
      fail(map.node(), item_path, "expected exactly one of 'camera' and 'cameras'");
    }
    const std::string cameras_key = map.has("camera") ? "camera" : "cameras";
    if (map.has("camera")) {
      entry.cameras.push_back(camera_index(map.get("camera"), map.path("camera")));
    } else {
      entry.cameras = camera_list(map.get("cameras"), map.path("cameras"));
    }
    for (const std::uint32_t camera : entry.cameras) {
      const auto [earlier, inserted] = overridden_by.try_emplace(camera, i);
      if (!inserted) {
        fail(map.get(cameras_key), map.path(cameras_key),
             fmt::format("camera {} is already overridden by {}.{}", camera, path, earlier->second));
      }
    }
    if (!map.has("slots") && !map.has("queue") && !map.has("speed")) {
      fail(map.node(), item_path, "sets nothing (expected at least one of slots, queue, speed)");
    }
    if (map.has("slots")) entry.slots = count(map.get("slots"), map.path("slots"), Bound::positive);
    if (map.has("queue")) entry.queue = count(map.get("queue"), map.path("queue"), Bound::non_negative);
    if (map.has("speed")) entry.speed = number(map.get("speed"), map.path("speed"), Bound::positive);
    cameras.overrides.push_back(std::move(entry));
  }
}

CloudSpec Parser::parse_cloud(const YAML::Node& node, const std::string& path) const {
  const ConfigMap map = section(node, path, keys::kCloud);
  CloudSpec cloud;
  // Describing a cloud means using it, unless switched off (handy with --set).
  cloud.enabled = map.has("enabled") ? boolean(map.get("enabled"), map.path("enabled")) : true;
  if (map.has("slots")) cloud.slots = count(map.get("slots"), map.path("slots"), Bound::positive);
  if (map.has("queue")) cloud.queue = count(map.get("queue"), map.path("queue"), Bound::non_negative);
  if (map.has("speed")) cloud.speed = number(map.get("speed"), map.path("speed"), Bound::positive);
  if (map.has("latency")) cloud.latency = duration(map.get("latency"), map.path("latency"), Bound::non_negative);
  if (map.has("bandwidth")) cloud.bandwidth_bps = bandwidth(map.get("bandwidth"), map.path("bandwidth"));
  return cloud;
}

}  // namespace fogsched::scenario_parsing
