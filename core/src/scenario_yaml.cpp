// Scenario files: the YAML tree as written, overrides applied to it, and the one
// parser that turns it into a validated Scenario.
//
// Every problem is a ScenarioError located at the YAML node it concerns (yaml-cpp
// marks are 0-based; messages are 1-based). Values that came from `--set` carry no
// useful mark, so errors about them, or about nodes created for them, are located at
// "--set" instead.
#include "fogsched/core/scenario_yaml.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "fogsched/core/trace_csv.h"
#include "fogsched/core/units.h"
#include "fogsched/core/yaml_describe.h"

namespace fogsched {

double ServiceTimeSpec::mean_seconds() const {
  switch (dist) {
    case ServiceDist::exponential:
    case ServiceDist::deterministic:
    case ServiceDist::lognormal:
      return to_seconds(mean);
    case ServiceDist::uniform:
      return (to_seconds(min) + to_seconds(max)) / 2;
    case ServiceDist::empirical:
      if (samples_s.empty()) return 0;
      return std::accumulate(samples_s.begin(), samples_s.end(), 0.0) / static_cast<double>(samples_s.size());
  }
  return 0;
}

double CameraValueSpread::mean() const {
  switch (kind) {
    case Kind::list:
      return values.empty() ? 0 : std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
    case Kind::uniform:
      return (min + max) / 2;
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

namespace {

const SourceLocation kSetLocation{"--set", 0, 0};

// Deeper than any scenario needs; guards the recursive walks against alias cycles
// ("&a [*a]"), which yaml-cpp builds as real cycles.
constexpr int kMaxDepth = 64;

std::string join(const std::string& path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return fmt::format("{}.{}", path, key);
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}


std::string with_article(std::string_view noun) {
  const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun.front()) != std::string_view::npos;
  return fmt::format("{} {}", vowel ? "an" : "a", noun);
}

template <typename Range>
std::string comma_list(const Range& items) {
  std::string list;
  for (const auto& item : items) {
    if (!list.empty()) list += ", ";
    list += item;
  }
  return list;
}

bool is_identifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// Function names are URL path segments in live mode and key path segments in
// overrides, so no dots, slashes or spaces.
bool is_function_name(std::string_view text) {
  if (text.empty() || !std::isalnum(static_cast<unsigned char>(text.front()))) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    segments.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return segments;
}

// Whether walking the whole tree is unsafe: deeper than kMaxDepth (or cyclic) or,
// through repeated aliases, larger than kMaxNodes ("billion laughs").
constexpr long kMaxNodes = 1'000'000;
bool too_big(const YAML::Node& node, int depth, long& budget) {
  if (depth > kMaxDepth || --budget < 0) return true;
  if (node.IsSequence()) {
    for (const auto& item : node) {
      if (too_big(item, depth + 1, budget)) return true;
    }
  } else if (node.IsMap()) {
    for (const auto& entry : node) {
      if (too_big(entry.first, depth + 1, budget) || too_big(entry.second, depth + 1, budget)) return true;
    }
  }
  return false;
}

bool too_big(const YAML::Node& node) {
  long budget = kMaxNodes;
  return too_big(node, 0, budget);
}

enum class Bound : std::uint8_t { any, non_negative, positive };

std::string bounded(Bound bound, std::string_view noun) {
  switch (bound) {
    case Bound::positive:
      return fmt::format("a positive {}", noun);
    case Bound::non_negative:
      return fmt::format("a non-negative {}", noun);
    case Bound::any:
      break;
  }
  return with_article(noun);
}

template <typename T>
bool within(Bound bound, const T& value, const T& zero) {
  switch (bound) {
    case Bound::positive:
      return value > zero;
    case Bound::non_negative:
      return value >= zero;
    case Bound::any:
      break;
  }
  return true;
}

// The document as the parser sees it.
struct DocumentView {
  const std::string& origin;
  const YAML::Node& root;
  const std::vector<Override>& overrides;
  const std::vector<YAML::Node>& created;  // nodes that exist only because of set()
};

class Parser;

// A YAML map with a fixed set of allowed keys. Construction rejects non-maps,
// unknown keys, duplicate keys and keys that are not plain scalars.
class Map {
 public:
  Map(const Parser& parser, const YAML::Node& node, std::string path, std::initializer_list<std::string_view> keys);

  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  std::string path(std::string_view key) const { return join(path_, key); }
  bool has(std::string_view key) const { return static_cast<bool>(node_[std::string(key)]); }
  // The value at `key`; an invalid node when absent (test with has()).
  YAML::Node get(std::string_view key) const { return node_[std::string(key)]; }
  YAML::Node require(std::string_view key) const;

 private:
  const Parser& parser_;
  YAML::Node node_;
  std::string path_;
};

// Reads the document into a Scenario. One instance per parse() call.
class Parser {
 public:
  explicit Parser(const DocumentView& doc) : doc_(doc) {}

  Scenario parse();

  SourceLocation where(const YAML::Node& node, const std::string& path) const {
    for (const auto& o : doc_.overrides) {
      if (path == o.path || (path.size() > o.path.size() && path.starts_with(o.path) && path[o.path.size()] == '.')) {
        return kSetLocation;
      }
    }
    for (const auto& created : doc_.created) {
      if (node.is(created)) return kSetLocation;
    }
    YAML::Mark mark = node.Mark();
    if (node.IsNull()) {
      // yaml-cpp marks an empty value at the token after it, often the next line;
      // the key it belongs to is where the reader looks.
      for (const auto& [value, key_mark] : empty_values_) {
        if (node.is(value)) mark = key_mark;
      }
    }
    if (mark.is_null()) return SourceLocation{doc_.origin, 0, 0};
    return SourceLocation{doc_.origin, mark.line + 1, mark.column + 1};
  }

  // Remembers the key of an empty value, to locate errors about the value there.
  void note_empty_value(const YAML::Node& value, const YAML::Mark& key_mark) const {
    empty_values_.emplace_back(value, key_mark);
  }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& path, const std::string& problem) const {
    throw ScenarioError(where(node, path), path, problem);
  }

  // ---- scalars -------------------------------------------------------------------

  std::string scalar(const YAML::Node& node, const std::string& path, std::string_view expected) const {
    if (!node.IsScalar()) fail(node, path, fmt::format("expected {}, got {}", expected, describe_yaml_node(node)));
    return node.Scalar();
  }

  std::string text(const YAML::Node& node, const std::string& path, std::string_view expected) const {
    std::string value = scalar(node, path, expected);
    if (trim(value).empty()) fail(node, path, fmt::format("expected {}, got ''", expected));
    return value;
  }

  std::uint64_t integer(const YAML::Node& node, const std::string& path, Bound bound,
                        std::uint64_t max = std::numeric_limits<std::uint32_t>::max()) const {
    const std::string expected = bounded(bound, "integer");
    const std::string value = scalar(node, path, expected);
    const auto number = parse_unsigned(trim(value));
    if (!number || !within(bound, *number, std::uint64_t{0})) {
      fail(node, path, fmt::format("expected {}, got '{}'", expected, value));
    }
    if (*number > max) fail(node, path, fmt::format("expected {} no larger than {}, got '{}'", expected, max, value));
    return *number;
  }

  std::uint32_t count(const YAML::Node& node, const std::string& path, Bound bound) const {
    return static_cast<std::uint32_t>(integer(node, path, bound));
  }

  bool boolean(const YAML::Node& node, const std::string& path) const {
    const std::string value = scalar(node, path, "true or false");
    if (value == "true" || value == "True" || value == "TRUE") return true;
    if (value == "false" || value == "False" || value == "FALSE") return false;
    fail(node, path, fmt::format("expected true or false, got '{}'", value));
  }

  // One of `choices`, returned as its index.
  std::size_t choice(const YAML::Node& node, const std::string& path,
                     std::initializer_list<std::string_view> choices) const {
    const std::string value = scalar(node, path, fmt::format("one of {}", comma_list(choices)));
    const auto found = std::find(choices.begin(), choices.end(), value);
    if (found == choices.end()) {
      fail(node, path, fmt::format("expected one of {}, got '{}'", comma_list(choices), value));
    }
    return static_cast<std::size_t>(found - choices.begin());
  }

  // A quantity read by one of the units.h parsers, then checked against `bound`.
  template <typename T, typename Parse>
  T quantity(const YAML::Node& node, const std::string& path, std::string_view noun, Bound bound, const T& zero,
             Parse parse_text) const {
    const std::string expected = bounded(bound, noun);
    const std::string value = scalar(node, path, expected);
    T parsed{};
    try {
      parsed = parse_text(value);
    } catch (const UnitError& error) {
      fail(node, path, error.what());
    }
    if (!within(bound, parsed, zero)) fail(node, path, fmt::format("expected {}, got '{}'", expected, value));
    return parsed;
  }

  double number(const YAML::Node& node, const std::string& path, Bound bound) const {
    return quantity(node, path, "number", bound, 0.0, parse_number);
  }
  Duration duration(const YAML::Node& node, const std::string& path, Bound bound) const {
    return quantity(node, path, "duration", bound, Duration{0}, parse_duration);
  }
  double rate(const YAML::Node& node, const std::string& path, Bound bound) const {
    return quantity(node, path, "rate", bound, 0.0, parse_rate);
  }
  std::uint64_t bytes(const YAML::Node& node, const std::string& path, Bound bound) const {
    return quantity(node, path, "size", bound, std::uint64_t{0}, parse_bytes);
  }
  double bandwidth(const YAML::Node& node, const std::string& path) const {
    return quantity(node, path, "bandwidth", Bound::non_negative, 0.0, parse_bandwidth);
  }
  double distance(const YAML::Node& node, const std::string& path, Bound bound) const {
    return quantity(node, path, "distance", bound, 0.0, parse_distance);
  }
  double speed(const YAML::Node& node, const std::string& path) const {
    return quantity(node, path, "speed", Bound::positive, 0.0, parse_speed);
  }

  // A number between 0 and 1; `interval` ("[0, 1)", ...) says which ends it may take.
  double share(const YAML::Node& node, const std::string& path, std::string_view noun,
               std::string_view interval) const {
    const std::string expected = fmt::format("{} in {}", with_article(noun), interval);
    const std::string value = scalar(node, path, expected);
    double parsed = 0;
    try {
      parsed = parse_number(value);
    } catch (const UnitError&) {
      fail(node, path, fmt::format("expected {}, got '{}'", expected, value));
    }
    const bool above_low = interval.front() == '[' ? parsed >= 0 : parsed > 0;
    const bool below_high = interval.back() == ']' ? parsed <= 1 : parsed < 1;
    if (!above_low || !below_high) fail(node, path, fmt::format("expected {}, got '{}'", expected, value));
    return parsed;
  }

  // ---- structure -----------------------------------------------------------------

  void require_sequence(const YAML::Node& node, const std::string& path, std::string_view expected) const {
    if (!node.IsSequence()) fail(node, path, fmt::format("expected {}, got {}", expected, describe_yaml_node(node)));
  }

  std::uint32_t camera_index(const YAML::Node& node, const std::string& path) const {
    const std::uint64_t index = integer(node, path, Bound::non_negative);
    if (index >= camera_count_) {
      fail(node, path,
           fmt::format("camera {} does not exist (the cluster has {} cameras, numbered 0 to {})", index, camera_count_,
                       camera_count_ - 1));
    }
    return static_cast<std::uint32_t>(index);
  }

  // A non-empty list of distinct camera indices.
  std::vector<std::uint32_t> camera_list(const YAML::Node& node, const std::string& path) const {
    require_sequence(node, path, "a list of camera indices");
    if (node.size() == 0) fail(node, path, "expected at least one camera index");
    std::vector<std::uint32_t> cameras;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string item_path = join(path, std::to_string(i));
      const std::uint32_t camera = camera_index(node[i], item_path);
      if (std::find(cameras.begin(), cameras.end(), camera) != cameras.end()) {
        fail(node[i], item_path, fmt::format("camera {} is listed twice", camera));
      }
      cameras.push_back(camera);
    }
    return cameras;
  }

 private:
  void parse_cameras(const Map& cluster, CamerasSpec& cameras);
  void parse_camera_overrides(const YAML::Node& node, const std::string& path, CamerasSpec& cameras);
  Point parse_position(const YAML::Node& node, const std::string& path) const;
  CameraValueSpread parse_camera_values(const YAML::Node& node, const std::string& path, std::uint32_t camera_count,
                                        bool integers) const;
  CloudSpec parse_cloud(const YAML::Node& node, const std::string& path) const;
  NetworkSpec parse_network(const YAML::Node& node, const std::string& path) const;
  UplinkSpec parse_uplink(const YAML::Node& node, const std::string& path) const;
  std::vector<FunctionSpec> parse_functions(const YAML::Node& node, const std::string& path);
  ServiceTimeSpec parse_service_time(const YAML::Node& node, const std::string& path) const;
  void read_samples(const YAML::Node& node, const std::string& path, ServiceTimeSpec& spec) const;
  std::vector<WorkloadSpec> parse_workload(const YAML::Node& node, const std::string& path,
                                           const Scenario& scenario) const;
  ArrivalProcess arrival_process(const YAML::Node& arrivals, const std::string& path) const;
  ArrivalSpec parse_arrivals(const YAML::Node& node, const std::string& path, const Scenario& scenario,
                             const std::vector<std::uint32_t>& workload_cameras) const;
  void parse_base_rate(const Map& map, ArrivalSpec& arrivals) const;
  void parse_hotspots(const Map& map, ArrivalSpec& arrivals, const std::vector<std::uint32_t>& workload_cameras) const;
  void parse_camera_rates(const Map& map, ArrivalSpec& arrivals,
                          const std::vector<std::uint32_t>& workload_cameras) const;
  void parse_profile(const Map& map, ArrivalSpec& arrivals) const;
  void parse_mmpp(const Map& map, ArrivalSpec& arrivals) const;
  void parse_mmpp_transitions(const YAML::Node& node, const std::string& path, ArrivalSpec& arrivals) const;
  void read_trace(const Map& map, const Scenario& scenario, ArrivalSpec& arrivals) const;
  void parse_traffic(const Map& map, const Scenario& scenario, TrafficSpec& traffic) const;
  void parse_vehicle_speed(const YAML::Node& node, const std::string& path, TrafficSpec& traffic) const;
  RoadGraphSpec parse_road_graph(const YAML::Node& node, const std::string& path) const;
  void parse_blacklist(const YAML::Node& node, const std::string& path, TrafficSpec& traffic) const;
  void check_until_leaves_view(const Scenario& scenario) const;
  FaultsSpec parse_faults(const YAML::Node& node, const std::string& path) const;
  OutageSpec parse_outage(const YAML::Node& node, const std::string& path) const;
  std::vector<PolicySpec> parse_policies(const YAML::Node& node, const std::string& path) const;
  PolicySpec parse_compact_policy(const YAML::Node& node, const std::string& path) const;

  const DocumentView& doc_;
  std::uint32_t camera_count_ = 0;
  mutable std::vector<std::pair<YAML::Node, YAML::Mark>> empty_values_;
  // `deadline: until_leaves_view` nodes by function index, to locate the error when
  // such a function is used by a workload without vehicles.
  std::vector<std::pair<std::uint32_t, YAML::Node>> leaves_view_deadlines_;
};

Map::Map(const Parser& parser, const YAML::Node& node, std::string path, std::initializer_list<std::string_view> keys)
    : parser_(parser), node_(node), path_(std::move(path)) {
  if (!node_.IsMap()) parser_.fail(node_, path_, fmt::format("expected a map, got {}", describe_yaml_node(node_)));
  std::set<std::string, std::less<>> seen;
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) parser_.fail(entry.first, path_, "keys must be plain names");
    const std::string& key = entry.first.Scalar();
    const std::string key_path = join(path_, key);
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      parser_.fail(entry.first, key_path, fmt::format("unknown key (expected one of: {})", comma_list(keys)));
    }
    if (!seen.insert(key).second) parser_.fail(entry.first, key_path, "duplicate key");
    if (entry.second.IsNull()) parser_.note_empty_value(entry.second, entry.first.Mark());
  }
}

YAML::Node Map::require(std::string_view key) const {
  YAML::Node value = get(key);
  if (!value) parser_.fail(node_, path_, fmt::format("missing required key '{}'", key));
  return value;
}

// ---- top level -------------------------------------------------------------------

Scenario Parser::parse() {
  const YAML::Node& root = doc_.root;
  if (!root.IsDefined() || root.IsNull()) {
    throw ScenarioError(SourceLocation{doc_.origin, 1, 1}, "",
                        "the scenario is empty (expected a map with name, duration, cluster, functions, workload)");
  }
  const Map top(*this, root, "",
                {"name", "seed", "duration", "warmup", "replications", "hop_limit", "cluster", "network", "functions",
                 "workload", "policies", "faults"});
  Scenario scenario;
  scenario.source_file = doc_.origin;
  scenario.name = text(top.require("name"), "name", "a scenario name");
  if (top.has("seed")) {
    scenario.seed = integer(top.get("seed"), "seed", Bound::non_negative, std::numeric_limits<std::uint64_t>::max());
  }
  scenario.duration = duration(top.require("duration"), "duration", Bound::positive);
  if (top.has("warmup")) {
    scenario.warmup = duration(top.get("warmup"), "warmup", Bound::non_negative);
    if (scenario.warmup >= scenario.duration) {
      fail(top.get("warmup"), "warmup",
           fmt::format("must be shorter than duration ({})", top.get("duration").Scalar()));
    }
  }
  if (top.has("replications")) scenario.replications = count(top.get("replications"), "replications", Bound::positive);
  if (top.has("hop_limit")) scenario.hop_limit = count(top.get("hop_limit"), "hop_limit", Bound::non_negative);

  const Map cluster(*this, top.require("cluster"), "cluster", {"cameras", "cloud"});
  parse_cameras(cluster, scenario.cameras);
  if (cluster.has("cloud")) scenario.cloud = parse_cloud(cluster.get("cloud"), cluster.path("cloud"));
  if (top.has("network")) scenario.network = parse_network(top.get("network"), "network");
  scenario.functions = parse_functions(top.require("functions"), "functions");
  scenario.workload = parse_workload(top.require("workload"), "workload", scenario);
  check_until_leaves_view(scenario);
  if (top.has("policies")) {
    scenario.policies = parse_policies(top.get("policies"), "policies");
  } else {
    scenario.policies.push_back(PolicySpec{"local", {}, where(root, "policies")});
  }
  if (top.has("faults")) scenario.faults = parse_faults(top.get("faults"), "faults");
  return scenario;
}

// ---- cluster ---------------------------------------------------------------------

void Parser::parse_cameras(const Map& cluster, CamerasSpec& cameras) {
  const Map map(*this, cluster.require("cameras"), cluster.path("cameras"),
                {"count", "layout", "spacing", "columns", "area", "positions", "slots", "queue", "speed", "overrides"});
  cameras.count = count(map.require("count"), map.path("count"), Bound::positive);
  camera_count_ = cameras.count;
  if (map.has("layout")) {
    constexpr Layout kLayouts[] = {Layout::grid, Layout::random, Layout::explicit_positions};
    cameras.layout = kLayouts[choice(map.get("layout"), map.path("layout"), {"grid", "random", "explicit"})];
  }
  const auto layout_name = [](Layout layout) {
    switch (layout) {
      case Layout::grid:
        return "grid";
      case Layout::random:
        return "random";
      case Layout::explicit_positions:
        break;
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
      const Map area(*this, map.require("area"), map.path("area"), {"width", "height"});
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
        cameras.positions.push_back(parse_position(positions[i], join(path, std::to_string(i))));
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
    for (std::size_t i = 0; i < list.size(); ++i) out.push_back(value(list[i], join(list_path, std::to_string(i))));
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
  if (!node.IsMap()) fail(node, path, fmt::format("expected a value, a list or a map, got {}", describe_yaml_node(node)));
  if (node["choice"]) {
    const Map map(*this, node, path, {"choice", "weights"});
    spread.kind = CameraValueSpread::Kind::choice;
    spread.values = values(map.get("choice"), map.path("choice"));
    if (spread.values.empty()) fail(map.get("choice"), map.path("choice"), "expected at least one option");
    if (map.has("weights")) {
      const YAML::Node weights = map.get("weights");
      require_sequence(weights, map.path("weights"), "a list of weights");
      for (std::size_t i = 0; i < weights.size(); ++i) {
        spread.weights.push_back(number(weights[i], join(map.path("weights"), std::to_string(i)), Bound::positive));
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
  const Map map(*this, node, path, {"dist", "min", "max"});
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
    return Point{distance(node[0], join(path, "0"), Bound::any), distance(node[1], join(path, "1"), Bound::any)};
  }
  if (!node.IsMap()) fail(node, path, fmt::format("expected [x, y] or {{x: ..., y: ...}}, got {}", describe_yaml_node(node)));
  const Map map(*this, node, path, {"x", "y"});
  return Point{distance(map.require("x"), map.path("x"), Bound::any),
               distance(map.require("y"), map.path("y"), Bound::any)};
}

void Parser::parse_camera_overrides(const YAML::Node& node, const std::string& path, CamerasSpec& cameras) {
  require_sequence(node, path, "a list of overrides");
  // Which override set each camera, so a camera overridden twice is reported.
  std::vector<std::optional<std::size_t>> overridden_by(cameras.count);
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = join(path, std::to_string(i));
    const Map map(*this, node[i], item_path, {"camera", "cameras", "slots", "queue", "speed"});
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
      if (overridden_by[camera]) {
        fail(map.get(cameras_key), map.path(cameras_key),
             fmt::format("camera {} is already overridden by {}.{}", camera, path, *overridden_by[camera]));
      }
      overridden_by[camera] = i;
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
  const Map map(*this, node, path, {"enabled", "slots", "queue", "speed", "latency", "bandwidth"});
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

NetworkSpec Parser::parse_network(const YAML::Node& node, const std::string& path) const {
  const Map map(*this, node, path, {"latency", "bandwidth", "probe_bytes", "gossip_bytes", "probe_timeout", "uplink"});
  NetworkSpec network;
  if (map.has("latency")) {
    const YAML::Node latency = map.get("latency");
    if (latency.IsScalar()) {
      network.latency_base = duration(latency, map.path("latency"), Bound::non_negative);
    } else {
      const Map parts(*this, latency, map.path("latency"), {"base", "per_km"});
      if (parts.has("base"))
        network.latency_base = duration(parts.get("base"), parts.path("base"), Bound::non_negative);
      if (parts.has("per_km")) {
        network.latency_per_km = duration(parts.get("per_km"), parts.path("per_km"), Bound::non_negative);
      }
    }
  }
  if (map.has("bandwidth")) network.bandwidth_bps = bandwidth(map.get("bandwidth"), map.path("bandwidth"));
  if (map.has("probe_bytes")) {
    network.probe_bytes = bytes(map.get("probe_bytes"), map.path("probe_bytes"), Bound::non_negative);
  }
  if (map.has("gossip_bytes")) {
    network.gossip_bytes = bytes(map.get("gossip_bytes"), map.path("gossip_bytes"), Bound::non_negative);
  }
  if (map.has("probe_timeout")) {
    network.probe_timeout = duration(map.get("probe_timeout"), map.path("probe_timeout"), Bound::non_negative);
  }
  if (map.has("uplink")) network.uplink = parse_uplink(map.get("uplink"), map.path("uplink"));
  return network;
}

UplinkSpec Parser::parse_uplink(const YAML::Node& node, const std::string& path) const {
  const Map map(*this, node, path, {"bandwidth", "latency", "loss"});
  UplinkSpec uplink;
  if (map.has("bandwidth")) {
    // Unlike the other links, an uplink without transmission time is no model of
    // NB-IoT: alerts must queue behind each other.
    const YAML::Node given = map.get("bandwidth");
    uplink.bandwidth_bps = bandwidth(given, map.path("bandwidth"));
    if (uplink.bandwidth_bps <= 0) {
      fail(given, map.path("bandwidth"), fmt::format("expected a positive bandwidth, got '{}'", given.Scalar()));
    }
  }
  if (map.has("latency")) uplink.latency = duration(map.get("latency"), map.path("latency"), Bound::non_negative);
  if (map.has("loss")) uplink.loss_probability = share(map.get("loss"), map.path("loss"), "probability", "[0, 1)");
  return uplink;
}

// ---- functions -------------------------------------------------------------------

std::vector<FunctionSpec> Parser::parse_functions(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) fail(node, path, fmt::format("expected a map of functions by name, got {}", describe_yaml_node(node)));
  if (node.size() == 0) fail(node, path, "expected at least one function");
  std::vector<FunctionSpec> functions;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) fail(entry.first, path, "function names must be plain names");
    FunctionSpec function;
    function.name = entry.first.Scalar();
    const std::string function_path = join(path, function.name);
    if (!is_function_name(function.name)) {
      fail(entry.first, function_path,
           "function names start with a letter or digit and use only letters, digits, '-' and '_'");
    }
    if (std::any_of(functions.begin(), functions.end(),
                    [&](const FunctionSpec& f) { return f.name == function.name; })) {
      fail(entry.first, function_path, "duplicate key");
    }
    const Map map(*this, entry.second, function_path, {"service_time", "payload", "response", "deadline"});
    function.service_time = parse_service_time(map.require("service_time"), map.path("service_time"));
    if (map.has("payload"))
      function.payload_bytes = bytes(map.get("payload"), map.path("payload"), Bound::non_negative);
    if (map.has("response")) {
      function.response_bytes = bytes(map.get("response"), map.path("response"), Bound::non_negative);
    }
    if (map.has("deadline")) {
      const YAML::Node deadline = map.get("deadline");
      const std::string_view written = deadline.IsScalar() ? trim(deadline.Scalar()) : std::string_view();
      if (written == "until_leaves_view") {
        function.deadline_until_leaves_view = true;
        leaves_view_deadlines_.emplace_back(static_cast<std::uint32_t>(functions.size()), deadline);
      } else if (!written.empty() && std::isalpha(static_cast<unsigned char>(written.front()))) {
        fail(deadline, map.path("deadline"),
             fmt::format("expected a positive duration or until_leaves_view, got '{}'", written));
      } else {
        function.deadline = duration(deadline, map.path("deadline"), Bound::positive);
      }
    }
    functions.push_back(std::move(function));
  }
  return functions;
}

ServiceTimeSpec Parser::parse_service_time(const YAML::Node& node, const std::string& path) const {
  const Map map(*this, node, path, {"dist", "mean", "cv", "min", "max", "file"});
  ServiceTimeSpec spec;
  constexpr ServiceDist kDists[] = {ServiceDist::exponential, ServiceDist::deterministic, ServiceDist::uniform,
                                    ServiceDist::lognormal, ServiceDist::empirical};
  constexpr std::string_view kDistNames[] = {"exponential", "deterministic", "uniform", "lognormal", "empirical"};
  std::size_t dist = 0;
  if (map.has("dist")) {
    dist = choice(map.get("dist"), map.path("dist"),
                  {"exponential", "deterministic", "uniform", "lognormal", "empirical"});
  }
  spec.dist = kDists[dist];

  // The keys each distribution reads; any other key is a mistake worth reporting.
  struct KeyUse {
    std::string_view key;
    std::string_view used_by;  // names of the distributions that read it
  };
  constexpr KeyUse kUses[] = {
      {"mean", "exponential, deterministic, lognormal"},
      {"cv", "lognormal"},
      {"min", "uniform"},
      {"max", "uniform"},
      {"file", "empirical"},
  };
  for (const auto& use : kUses) {
    if (map.has(use.key) && use.used_by.find(kDistNames[dist]) == std::string_view::npos) {
      fail(map.get(use.key), map.path(use.key),
           fmt::format("not used with dist: {} (only with {})", kDistNames[dist], use.used_by));
    }
  }

  switch (spec.dist) {
    case ServiceDist::lognormal:
      if (map.has("cv")) spec.cv = number(map.get("cv"), map.path("cv"), Bound::positive);
      [[fallthrough]];
    case ServiceDist::exponential:
    case ServiceDist::deterministic:
      spec.mean = duration(map.require("mean"), map.path("mean"), Bound::positive);
      break;
    case ServiceDist::uniform:
      spec.min = duration(map.require("min"), map.path("min"), Bound::non_negative);
      spec.max = duration(map.require("max"), map.path("max"), Bound::positive);
      if (spec.max < spec.min) {
        fail(map.get("max"), map.path("max"), fmt::format("must not be less than min ({})", map.get("min").Scalar()));
      }
      break;
    case ServiceDist::empirical:
      read_samples(map.require("file"), map.path("file"), spec);
      break;
  }
  return spec;
}

// Samples of an empirical distribution: a CSV file, path relative to the scenario
// file's directory, one sample in seconds in the first column of each line. Blank
// lines and lines starting with '#' are skipped; the first line may be a header.
void Parser::read_samples(const YAML::Node& node, const std::string& path, ServiceTimeSpec& spec) const {
  const std::string written = text(node, path, "a CSV file name");
  const std::filesystem::path resolved = std::filesystem::path(doc_.origin).parent_path() / written;
  spec.samples_file = resolved.lexically_normal().string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(resolved, error)) {
    fail(node, path, fmt::format("cannot read '{}' (no such file: '{}')", written, spec.samples_file));
  }
  std::ifstream in(resolved);
  if (!in) fail(node, path, fmt::format("cannot read '{}' ('{}')", written, spec.samples_file));

  std::string line;
  int line_number = 0;
  bool seen_content = false;
  while (std::getline(in, line)) {
    ++line_number;
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    const std::string_view field = trim(content.substr(0, content.find(',')));
    const SourceLocation csv_location{spec.samples_file, line_number, 0};
    double sample = 0;
    try {
      sample = parse_number(field);
    } catch (const UnitError&) {
      const bool header = !seen_content;
      seen_content = true;
      if (header) continue;
      throw ScenarioError(csv_location, path, fmt::format("expected a service time in seconds, got '{}'", field));
    }
    seen_content = true;
    if (sample < 0) {
      throw ScenarioError(csv_location, path, fmt::format("service times must not be negative, got '{}'", field));
    }
    spec.samples_s.push_back(sample);
  }
  if (spec.samples_s.empty()) fail(node, path, fmt::format("'{}' holds no samples", written));
  if (spec.mean_seconds() <= 0) fail(node, path, fmt::format("the samples in '{}' average to 0", written));
}

// ---- workload --------------------------------------------------------------------

constexpr std::string_view kProcessNames[] = {"poisson", "mmpp", "trace", "traffic"};

std::string_view process_name(ArrivalProcess process) { return kProcessNames[static_cast<std::size_t>(process)]; }

std::vector<WorkloadSpec> Parser::parse_workload(const YAML::Node& node, const std::string& path,
                                                 const Scenario& scenario) const {
  require_sequence(node, path, "a list of workload entries");
  if (node.size() == 0) fail(node, path, "expected at least one workload entry");
  const std::vector<FunctionSpec>& functions = scenario.functions;
  std::vector<WorkloadSpec> workload;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = join(path, std::to_string(i));
    const Map map(*this, node[i], item_path, {"function", "cameras", "arrivals"});
    WorkloadSpec entry;
    entry.where = where(map.node(), item_path);
    const ArrivalProcess process =
        map.has("arrivals") ? arrival_process(map.get("arrivals"), map.path("arrivals")) : ArrivalProcess::poisson;
    // Traces and traffic decide themselves which cameras see what.
    const auto not_with = [&](std::string_view key, std::string_view why) {
      if (map.has(key)) {
        fail(map.get(key), map.path(key), fmt::format("not used with process: {} ({})", process_name(process), why));
      }
    };
    if (process == ArrivalProcess::trace) {
      not_with("function", "each row of the trace names its function");
      not_with("cameras", "each row of the trace names its camera");
    }
    if (process == ArrivalProcess::traffic) not_with("cameras", "the whole city's vehicles drive past every camera");

    if (process != ArrivalProcess::trace) {
      entry.function = text(map.require("function"), map.path("function"), "a function name");
      const auto found = std::find_if(functions.begin(), functions.end(),
                                      [&](const FunctionSpec& f) { return f.name == entry.function; });
      if (found == functions.end()) {
        std::vector<std::string> names;
        for (const auto& f : functions) names.push_back(f.name);
        fail(map.get("function"), map.path("function"),
             fmt::format("unknown function '{}' (functions: {})", entry.function, comma_list(names)));
      }
      entry.function_index = static_cast<std::uint32_t>(found - functions.begin());
    }
    if (map.has("cameras")) entry.cameras = camera_list(map.get("cameras"), map.path("cameras"));
    entry.arrivals = parse_arrivals(map.require("arrivals"), map.path("arrivals"), scenario, entry.cameras);
    workload.push_back(std::move(entry));
  }
  return workload;
}

// The process an arrivals map names (poisson when it names none), read ahead of the
// map itself because it decides which keys of the workload entry apply.
ArrivalProcess Parser::arrival_process(const YAML::Node& arrivals, const std::string& path) const {
  if (!arrivals.IsMap() || !arrivals["process"]) return ArrivalProcess::poisson;
  return static_cast<ArrivalProcess>(
      choice(arrivals["process"], join(path, "process"), {"poisson", "mmpp", "trace", "traffic"}));
}

ArrivalSpec Parser::parse_arrivals(const YAML::Node& node, const std::string& path, const Scenario& scenario,
                                   const std::vector<std::uint32_t>& workload_cameras) const {
  const Map map(*this, node, path,
                {"process", "rate", "load", "hotspots", "rates", "profile", "profile_period", "states", "transitions",
                 "file", "entry_rate", "speed", "turns", "view_radius", "trigger", "frame_interval", "roads",
                 "blacklist"});
  ArrivalSpec arrivals;
  arrivals.process = arrival_process(node, path);

  // The keys each process reads; any other key is a mistake worth reporting.
  using enum ArrivalProcess;
  struct KeyUse {
    std::string_view key;
    std::vector<ArrivalProcess> used_by;
  };
  const KeyUse uses[] = {
      {"rate", {poisson}},         {"load", {poisson}},
      {"rates", {poisson}},        {"hotspots", {poisson, mmpp}},
      {"profile", {poisson, mmpp, traffic}},
      {"profile_period", {poisson, mmpp, traffic}},
      {"states", {mmpp}},          {"transitions", {mmpp}},
      {"file", {trace}},           {"entry_rate", {traffic}},
      {"speed", {traffic}},        {"turns", {traffic}},
      {"view_radius", {traffic}},  {"trigger", {traffic}},
      {"frame_interval", {traffic}}, {"roads", {traffic}},
      {"blacklist", {traffic}},
  };
  for (const auto& use : uses) {
    if (!map.has(use.key) ||
        std::find(use.used_by.begin(), use.used_by.end(), arrivals.process) != use.used_by.end()) {
      continue;
    }
    std::string processes;
    for (auto it = use.used_by.begin(); it != use.used_by.end(); ++it) {
      if (it != use.used_by.begin()) processes += it + 1 == use.used_by.end() ? " or " : ", ";
      processes += process_name(*it);
    }
    fail(map.get(use.key), map.path(use.key),
         fmt::format("only used with process: {} (process is {})", processes, process_name(arrivals.process)));
  }

  switch (arrivals.process) {
    case poisson:
      parse_base_rate(map, arrivals);
      parse_hotspots(map, arrivals, workload_cameras);
      parse_camera_rates(map, arrivals, workload_cameras);
      parse_profile(map, arrivals);
      break;
    case mmpp:
      parse_mmpp(map, arrivals);
      parse_hotspots(map, arrivals, workload_cameras);
      parse_profile(map, arrivals);
      break;
    case trace:
      read_trace(map, scenario, arrivals);
      break;
    case traffic:
      parse_traffic(map, scenario, arrivals.traffic);
      parse_profile(map, arrivals);
      break;
  }
  return arrivals;
}

void Parser::parse_base_rate(const Map& map, ArrivalSpec& arrivals) const {
  if (map.has("rate") == map.has("load")) {
    fail(map.node(), map.path(),
         map.has("rate") ? "give either 'rate' or 'load', not both"
                         : "missing 'rate' or 'load' (exactly one is required)");
  }
  if (map.has("rate")) {
    // With explicit per-camera rates, a base rate of 0 silences the other cameras.
    arrivals.rate_per_s =
        rate(map.get("rate"), map.path("rate"), map.has("rates") ? Bound::non_negative : Bound::positive);
  } else {
    arrivals.load = number(map.get("load"), map.path("load"), Bound::positive);
  }
}

// `camera` must be one of the workload's cameras (all when the list is empty).
void check_receives(const Parser& parser, const YAML::Node& at, const std::string& at_path, std::uint32_t camera,
                    const std::vector<std::uint32_t>& workload_cameras, const std::string& arrivals_path) {
  if (workload_cameras.empty() ||
      std::find(workload_cameras.begin(), workload_cameras.end(), camera) != workload_cameras.end()) {
    return;
  }
  const std::string cameras_path = join(arrivals_path.substr(0, arrivals_path.rfind('.')), "cameras");
  parser.fail(at, at_path, fmt::format("camera {} does not receive this workload (see {})", camera, cameras_path));
}

void Parser::parse_hotspots(const Map& map, ArrivalSpec& arrivals,
                            const std::vector<std::uint32_t>& workload_cameras) const {
  if (!map.has("hotspots")) return;
  const Map hotspots(*this, map.get("hotspots"), map.path("hotspots"), {"count", "cameras", "factor"});
  if (hotspots.has("count") == hotspots.has("cameras")) {
    fail(hotspots.node(), hotspots.path(), "expected exactly one of 'count' and 'cameras'");
  }
  if (hotspots.has("count")) {
    arrivals.hotspot_count = count(hotspots.get("count"), hotspots.path("count"), Bound::positive);
    const std::size_t available = workload_cameras.empty() ? camera_count_ : workload_cameras.size();
    if (arrivals.hotspot_count > available) {
      fail(hotspots.get("count"), hotspots.path("count"),
           fmt::format("{} hot spots but only {} cameras receive this workload", arrivals.hotspot_count, available));
    }
  } else {
    const std::string list_path = hotspots.path("cameras");
    arrivals.hotspot_cameras = camera_list(hotspots.get("cameras"), list_path);
    for (std::size_t i = 0; i < arrivals.hotspot_cameras.size(); ++i) {
      check_receives(*this, hotspots.get("cameras")[i], join(list_path, std::to_string(i)),
                     arrivals.hotspot_cameras[i], workload_cameras, map.path());
    }
  }
  arrivals.hotspot_factor = number(hotspots.require("factor"), hotspots.path("factor"), Bound::positive);
}

void Parser::parse_camera_rates(const Map& map, ArrivalSpec& arrivals,
                                const std::vector<std::uint32_t>& workload_cameras) const {
  if (!map.has("rates")) return;
  const YAML::Node rates = map.get("rates");
  const std::string rates_path = map.path("rates");
  if (!rates.IsMap()) {
    fail(rates, rates_path, fmt::format("expected a map of camera index to rate, got {}", describe_yaml_node(rates)));
  }
  for (const auto& entry : rates) {
    const std::string key_path = join(rates_path, entry.first.IsScalar() ? entry.first.Scalar() : "?");
    const std::uint32_t camera = camera_index(entry.first, key_path);
    check_receives(*this, entry.first, key_path, camera, workload_cameras, map.path());
    if (std::any_of(arrivals.camera_rates.begin(), arrivals.camera_rates.end(),
                    [&](const auto& given) { return given.first == camera; })) {
      fail(entry.first, key_path, fmt::format("camera {} is listed twice", camera));
    }
    arrivals.camera_rates.emplace_back(camera, rate(entry.second, key_path, Bound::non_negative));
  }
}

void Parser::parse_profile(const Map& map, ArrivalSpec& arrivals) const {
  std::string last_profile_at;  // as written, for messages
  if (map.has("profile")) {
    const YAML::Node profile = map.get("profile");
    const std::string profile_path = map.path("profile");
    require_sequence(profile, profile_path, "a list of {at, factor} steps");
    for (std::size_t i = 0; i < profile.size(); ++i) {
      const Map step_map(*this, profile[i], join(profile_path, std::to_string(i)), {"at", "factor"});
      ProfileStep step;
      const YAML::Node at = step_map.require("at");
      step.at = duration(at, step_map.path("at"), Bound::non_negative);
      step.factor = number(step_map.require("factor"), step_map.path("factor"), Bound::non_negative);
      if (!arrivals.profile.empty() && step.at <= arrivals.profile.back().at) {
        fail(at, step_map.path("at"),
             fmt::format("profile steps must be in increasing order of 'at' ({} is not after {})", at.Scalar(),
                         last_profile_at));
      }
      last_profile_at = at.Scalar();
      arrivals.profile.push_back(step);
    }
  }
  if (map.has("profile_period")) {
    const YAML::Node period = map.get("profile_period");
    const std::string period_path = map.path("profile_period");
    arrivals.profile_period = duration(period, period_path, Bound::positive);
    if (arrivals.profile.empty()) fail(period, period_path, "needs a non-empty 'profile' to repeat");
    if (arrivals.profile_period <= arrivals.profile.back().at) {
      fail(period, period_path, fmt::format("must be longer than the last profile step (at {})", last_profile_at));
    }
  }
}

// ---- mmpp ------------------------------------------------------------------------

void Parser::parse_mmpp(const Map& map, ArrivalSpec& arrivals) const {
  const YAML::Node states = map.require("states");
  const std::string states_path = map.path("states");
  require_sequence(states, states_path, "a list of {rate, sojourn} states");
  if (states.size() == 0) fail(states, states_path, "expected at least one state");
  for (std::size_t i = 0; i < states.size(); ++i) {
    const Map state_map(*this, states[i], join(states_path, std::to_string(i)), {"rate", "sojourn"});
    MmppStateSpec state;
    state.rate_per_s = rate(state_map.require("rate"), state_map.path("rate"), Bound::non_negative);
    state.mean_sojourn = duration(state_map.require("sojourn"), state_map.path("sojourn"), Bound::positive);
    arrivals.mmpp_states.push_back(state);
  }
  if (std::none_of(arrivals.mmpp_states.begin(), arrivals.mmpp_states.end(),
                   [](const MmppStateSpec& state) { return state.rate_per_s > 0; })) {
    fail(states, states_path, "every state has rate 0 (at least one must be positive)");
  }
  if (map.has("transitions")) parse_mmpp_transitions(map.get("transitions"), map.path("transitions"), arrivals);
}

void Parser::parse_mmpp_transitions(const YAML::Node& node, const std::string& path, ArrivalSpec& arrivals) const {
  // Rows must sum to 1 up to rounding in the written decimals (0.1 + 0.2 + 0.7).
  constexpr double kSumTolerance = 1e-9;
  const std::size_t n = arrivals.mmpp_states.size();
  require_sequence(node, path, "a list of rows, one per state");
  if (n == 1) fail(node, path, "a single state has no transitions; leave the matrix out");
  if (node.size() != n) fail(node, path, fmt::format("expected {} rows (one per state), got {}", n, node.size()));
  auto& matrix = arrivals.mmpp_transitions;
  for (std::size_t i = 0; i < n; ++i) {
    const YAML::Node row = node[i];
    const std::string row_path = join(path, std::to_string(i));
    require_sequence(row, row_path, fmt::format("a row of {} probabilities", n));
    if (row.size() != n) fail(row, row_path, fmt::format("expected {} entries (one per state), got {}", n, row.size()));
    std::vector<double> probabilities;
    for (std::size_t j = 0; j < n; ++j) {
      const std::string entry_path = join(row_path, std::to_string(j));
      const double p = number(row[j], entry_path, Bound::non_negative);
      if (p > 1) fail(row[j], entry_path, fmt::format("must be a probability in [0, 1], got '{}'", row[j].Scalar()));
      if (i == j && p != 0) {
        fail(row[j], entry_path,
             fmt::format("must be 0 (a sojourn always ends in another state), got '{}'", row[j].Scalar()));
      }
      probabilities.push_back(p);
    }
    const double sum = std::accumulate(probabilities.begin(), probabilities.end(), 0.0);
    if (std::abs(sum - 1) > kSumTolerance) fail(row, row_path, fmt::format("entries must sum to 1, got {}", sum));
    matrix.push_back(std::move(probabilities));
  }
  // Every state must be reachable from every other, or a run's long-run rate would
  // depend on where the chain started.
  const auto reachable = [&](bool forward) {
    std::vector<bool> seen(n, false);
    std::vector<std::size_t> pending{0};
    seen[0] = true;
    while (!pending.empty()) {
      const std::size_t from = pending.back();
      pending.pop_back();
      for (std::size_t to = 0; to < n; ++to) {
        const double p = forward ? matrix[from][to] : matrix[to][from];
        if (p > 0 && !seen[to]) {
          seen[to] = true;
          pending.push_back(to);
        }
      }
    }
    return seen;
  };
  const std::vector<bool> from_first = reachable(true);
  const std::vector<bool> to_first = reachable(false);
  for (std::size_t j = 1; j < n; ++j) {
    if (!from_first[j]) {
      fail(node, path, fmt::format("state {} cannot be reached from state 0 (the chain must be irreducible)", j));
    }
    if (!to_first[j]) {
      fail(node, path, fmt::format("state 0 cannot be reached from state {} (the chain must be irreducible)", j));
    }
  }
}

// ---- trace -----------------------------------------------------------------------

// The trace file is found relative to the scenario file's directory, like empirical
// samples. Problems inside it are reported at the CSV's own file and line, under the
// key that names it.
void Parser::read_trace(const Map& map, const Scenario& scenario, ArrivalSpec& arrivals) const {
  const YAML::Node file = map.require("file");
  const std::string path = map.path("file");
  const std::string written = text(file, path, "a CSV file name");
  const std::filesystem::path resolved = std::filesystem::path(doc_.origin).parent_path() / written;
  arrivals.trace_file = resolved.lexically_normal().string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(resolved, error)) {
    fail(file, path, fmt::format("cannot read '{}' (no such file: '{}')", written, arrivals.trace_file));
  }
  try {
    auto trace = std::make_shared<const Trace>(read_trace_csv(arrivals.trace_file));
    arrivals.trace_functions = resolve_trace(*trace, scenario);
    arrivals.trace = std::move(trace);
  } catch (const ScenarioError& csv_error) {
    if (csv_error.where().line == 0) fail(file, path, fmt::format("'{}': {}", written, csv_error.problem()));
    throw ScenarioError(csv_error.where(), path, csv_error.problem());
  }
}

// ---- traffic ---------------------------------------------------------------------

void Parser::parse_traffic(const Map& map, const Scenario& scenario, TrafficSpec& traffic) const {
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
    const Map turns(*this, map.get("turns"), map.path("turns"), {"straight", "left", "right"});
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
  if (!node.IsMap()) fail(node, path, fmt::format("expected a speed or a map with 'dist', got {}", describe_yaml_node(node)));
  const Map map(*this, node, path, {"dist", "mean", "sd", "min", "max"});
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
  const Map map(*this, node, path, {"intersections", "roads", "border"});
  RoadGraphSpec graph;
  const YAML::Node intersections = map.require("intersections");
  require_sequence(intersections, map.path("intersections"), "a list of positions");
  if (intersections.size() < 2) {
    fail(intersections, map.path("intersections"),
         fmt::format("expected at least two intersections, got {}", intersections.size()));
  }
  for (std::size_t i = 0; i < intersections.size(); ++i) {
    graph.intersections.push_back(parse_position(intersections[i], join(map.path("intersections"), std::to_string(i))));
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
    const std::string road_path = join(roads_path, std::to_string(i));
    if (!road.IsSequence() || road.size() != 2) {
      fail(road, road_path, fmt::format("expected [from, to] (two intersection indices), got {}", describe_yaml_node(road)));
    }
    const std::uint32_t from = intersection(road[0], join(road_path, "0"));
    const std::uint32_t to = intersection(road[1], join(road_path, "1"));
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
    const std::string item_path = join(border_path, std::to_string(i));
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
  const Map map(*this, node, path, {"fraction", "vehicles", "alert"});
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
      const std::string item_path = join(list_path, std::to_string(i));
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

// ---- faults ----------------------------------------------------------------------

FaultsSpec Parser::parse_faults(const YAML::Node& node, const std::string& path) const {
  const Map map(*this, node, path, {"timeout", "outages", "failures"});
  FaultsSpec faults;
  if (map.has("timeout")) faults.timeout = duration(map.get("timeout"), map.path("timeout"), Bound::non_negative);
  if (map.has("outages")) {
    const YAML::Node outages = map.get("outages");
    require_sequence(outages, map.path("outages"), "a list of outages");
    for (std::size_t i = 0; i < outages.size(); ++i) {
      faults.outages.push_back(parse_outage(outages[i], join(map.path("outages"), std::to_string(i))));
    }
  }
  if (map.has("failures")) {
    const Map failures(*this, map.get("failures"), map.path("failures"), {"mttf", "mttr", "cameras"});
    FailureProcessSpec process;
    process.mean_time_to_failure = duration(failures.require("mttf"), failures.path("mttf"), Bound::positive);
    process.mean_time_to_repair = duration(failures.require("mttr"), failures.path("mttr"), Bound::positive);
    if (failures.has("cameras")) process.cameras = camera_list(failures.get("cameras"), failures.path("cameras"));
    faults.failures = std::move(process);
  }
  return faults;
}

OutageSpec Parser::parse_outage(const YAML::Node& node, const std::string& path) const {
  const Map map(*this, node, path, {"cameras", "count", "fraction", "at", "for"});
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

// ---- policies --------------------------------------------------------------------

std::vector<PolicySpec> Parser::parse_policies(const YAML::Node& node, const std::string& path) const {
  require_sequence(node, path, "a list of policies");
  if (node.size() == 0) fail(node, path, "expected at least one policy");
  std::vector<PolicySpec> policies;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    const std::string item_path = join(path, std::to_string(i));
    if (item.IsScalar()) {
      policies.push_back(parse_compact_policy(item, item_path));
      continue;
    }
    if (!item.IsMap()) {
      fail(item, item_path, fmt::format("expected a policy name or a map with 'name', got {}", describe_yaml_node(item)));
    }
    PolicySpec spec;
    spec.where = where(item, item_path);
    for (const auto& entry : item) {
      if (!entry.first.IsScalar()) fail(entry.first, item_path, "keys must be plain names");
      const std::string& key = entry.first.Scalar();
      const std::string key_path = join(item_path, key);
      if (key == "name") {
        spec.name = text(entry.second, key_path, "a policy name");
        if (!is_identifier(spec.name)) fail(entry.second, key_path, fmt::format("not a policy name: '{}'", spec.name));
        continue;
      }
      if (!is_identifier(key)) fail(entry.first, key_path, fmt::format("not a parameter name: '{}'", key));
      if (std::any_of(spec.params.begin(), spec.params.end(), [&](const auto& p) { return p.first == key; })) {
        fail(entry.first, key_path, "duplicate key");
      }
      spec.params.emplace_back(key, text(entry.second, key_path, "a parameter value"));
    }
    if (spec.name.empty()) fail(item, item_path, "missing required key 'name'");
    policies.push_back(std::move(spec));
  }
  return policies;
}

// "name" or "name(key=value,key=value)".
PolicySpec Parser::parse_compact_policy(const YAML::Node& node, const std::string& path) const {
  const std::string written = node.Scalar();
  const auto malformed = [&](std::string_view why) {
    fail(node, path, fmt::format("malformed policy '{}': {} (expected NAME or NAME(key=value,...))", written, why));
  };
  PolicySpec spec;
  spec.where = where(node, path);
  const std::string_view text_view = trim(written);
  const auto open = text_view.find('(');
  spec.name = std::string(trim(text_view.substr(0, open)));
  if (!is_identifier(spec.name)) malformed(spec.name.empty() ? "no name" : fmt::format("bad name '{}'", spec.name));
  if (open == std::string_view::npos) return spec;
  if (text_view.back() != ')') malformed("no closing ')'");
  const std::string_view inside = text_view.substr(open + 1, text_view.size() - open - 2);
  if (trim(inside).empty()) return spec;
  std::size_t start = 0;
  while (start <= inside.size()) {
    const auto comma = inside.find(',', start);
    const std::string_view item =
        trim(inside.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) malformed(fmt::format("'{}' is not key=value", item));
    std::string key(trim(item.substr(0, equals)));
    std::string value(trim(item.substr(equals + 1)));
    if (!is_identifier(key)) malformed(fmt::format("bad parameter name '{}'", key));
    if (value.empty()) malformed(fmt::format("no value for '{}'", key));
    if (value.find_first_of("()") != std::string::npos) malformed(fmt::format("stray parenthesis in '{}'", item));
    if (std::any_of(spec.params.begin(), spec.params.end(), [&](const auto& p) { return p.first == key; })) {
      malformed(fmt::format("parameter '{}' given twice", key));
    }
    spec.params.emplace_back(std::move(key), std::move(value));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return spec;
}

// ---- JSON ------------------------------------------------------------------------

using OrderedJson = nlohmann::ordered_json;

OrderedJson scalar_to_json(const YAML::Node& node) {
  const std::string& value = node.Scalar();
  // Quoted scalars ("!" tag) stay strings: the writer meant text.
  if (node.Tag() == "!") return value;
  if (value == "true" || value == "True" || value == "TRUE") return true;
  if (value == "false" || value == "False" || value == "FALSE") return false;
  const char* begin = value.data();
  const char* end = value.data() + value.size();
  if (!value.empty() && value.front() != '+') {
    std::int64_t signed_value = 0;
    if (auto [stop, error] = std::from_chars(begin, end, signed_value); error == std::errc{} && stop == end) {
      return signed_value;
    }
    std::uint64_t unsigned_value = 0;
    if (auto [stop, error] = std::from_chars(begin, end, unsigned_value); error == std::errc{} && stop == end) {
      return unsigned_value;
    }
  }
  try {
    return parse_number(value);
  } catch (const UnitError&) {
    return value;
  }
}

OrderedJson node_to_json(const YAML::Node& node, const std::string& origin) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      OrderedJson array = OrderedJson::array();
      for (const auto& item : node) array.push_back(node_to_json(item, origin));
      return array;
    }
    case YAML::NodeType::Map: {
      OrderedJson object = OrderedJson::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          const YAML::Mark mark = entry.first.Mark();
          throw ScenarioError(SourceLocation{origin, mark.is_null() ? 0 : mark.line + 1, 0}, "",
                              "map keys must be plain names to convert to JSON");
        }
        object[entry.first.Scalar()] = node_to_json(entry.second, origin);
      }
      return object;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return nullptr;
}

// Records where each document of a stream starts, building nothing.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Checks that `text` holds at most one YAML document. yaml-cpp 0.7 does not consume
// some stray tokens (a ',' at block level): the parser then returns empty documents
// forever without moving, so YAML::LoadAll never ends and YAML::Load quietly returns
// null. Reading at most three documents and comparing where they start tells such a
// stall from a real second document.
void check_single_document(const std::string& text, const SourceLocation& origin, const std::string& key_path,
                           std::string_view what) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  for (int document = 0; document < 3 && parser.HandleNextDocument(starts); ++document) {
  }
  const auto& marks = starts.marks;
  const auto stalled_at = [&]() -> std::optional<YAML::Mark> {
    for (std::size_t i = 1; i < marks.size(); ++i) {
      if (marks[i].pos == marks[i - 1].pos) return marks[i];
    }
    return std::nullopt;
  }();
  if (stalled_at) {
    const auto pos = static_cast<std::size_t>(std::max(stalled_at->pos, 0));
    const std::string found = pos < text.size() ? fmt::format("'{}'", text[pos]) : "end of input";
    throw YAML::ParserException(*stalled_at, fmt::format("unexpected {}", found));
  }
  if (marks.size() > 1)
    throw ScenarioError(origin, key_path, fmt::format("{} holds more than one YAML document", what));
}

YAML::Node load_yaml(std::string_view text, const SourceLocation& origin, const std::string& key_path,
                     std::string_view what) {
  const std::string owned(text);
  try {
    check_single_document(owned, origin, key_path, what);
    return YAML::Load(owned);
  } catch (const YAML::Exception& error) {
    SourceLocation where = origin;
    if (where.file != kSetLocation.file && !error.mark.is_null()) {
      where.line = error.mark.line + 1;
      where.column = error.mark.column + 1;
    }
    throw ScenarioError(where, key_path, fmt::format("malformed YAML: {}", error.msg));
  }
}

}  // namespace

// ---- ScenarioDocument ------------------------------------------------------------

struct ScenarioDocument::Impl {
  std::string origin;
  std::string text;  // as read, so copies can re-parse with marks intact
  YAML::Node root;
  std::vector<Override> overrides;  // applied in this order
  std::vector<YAML::Node> created;  // nodes set() made

  Impl(std::string origin_, std::string text_)
      : origin(std::move(origin_)),
        text(std::move(text_)),
        root(load_yaml(text, SourceLocation{origin, 0, 0}, "", "the file")) {}

  // yaml-cpp nodes share structure when copied, and YAML::Clone drops marks; so a
  // copy re-reads the text and replays the overrides.
  std::unique_ptr<Impl> clone() const {
    auto copy = std::make_unique<Impl>(origin, text);
    for (const auto& o : overrides) copy->set(o.path, o.value);
    return copy;
  }

  void set(std::string_view path, std::string_view value);
};

void ScenarioDocument::Impl::set(std::string_view path_text, std::string_view value) {
  const std::string path(path_text);
  const auto segments = split_path(path);
  if (std::any_of(segments.begin(), segments.end(), [](const std::string& s) { return s.empty(); })) {
    throw ScenarioError(kSetLocation, path, "empty key in path");
  }
  YAML::Node replacement = load_yaml(value, kSetLocation, path, "the value");
  if (!root.IsDefined() || root.IsNull()) {
    root = YAML::Node(YAML::NodeType::Map);
    created.push_back(root);
  }
  // `current` is rebound with reset(): assigning to a yaml-cpp Node would overwrite
  // the node it refers to.
  YAML::Node current;
  current.reset(root);
  std::string walked;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = segments[i];
    const bool last = i + 1 == segments.size();
    if (current.IsSequence()) {
      const auto index = parse_unsigned(segment);
      if (!index) {
        throw ScenarioError(kSetLocation, path,
                            fmt::format("'{}' is a list; expected an index, got '{}'", walked, segment));
      }
      if (*index >= current.size()) {
        throw ScenarioError(
            kSetLocation, path,
            fmt::format("index {} is past the end of '{}' ({} entries)", *index, walked, current.size()));
      }
      const auto position = static_cast<std::size_t>(*index);
      if (last) {
        current[position] = replacement;
      } else {
        YAML::Node next = current[position];
        current.reset(next);
      }
    } else if (current.IsMap() || current.IsNull()) {
      if (last) {
        current[segment] = replacement;
      } else {
        YAML::Node next = current[segment];
        if (!next.IsDefined() || next.IsNull()) {
          current[segment] = YAML::Node(YAML::NodeType::Map);
          next.reset(current[segment]);
          created.push_back(next);
        }
        current.reset(next);
      }
    } else {
      throw ScenarioError(kSetLocation, path,
                          fmt::format("'{}' is a value, not a map or a list", walked.empty() ? "(top)" : walked));
    }
    walked = join(walked, segment);
  }
  overrides.push_back(Override{path, std::string(value)});
}

Override parse_override(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) {
    throw ScenarioError(kSetLocation, "", fmt::format("expected key.path=value, got '{}'", text));
  }
  Override result{std::string(trim(text.substr(0, equals))), std::string(trim(text.substr(equals + 1)))};
  if (result.path.empty()) throw ScenarioError(kSetLocation, "", fmt::format("no key path in '{}'", text));
  const auto segments = split_path(result.path);
  if (std::any_of(segments.begin(), segments.end(), [](const std::string& s) { return s.empty(); })) {
    throw ScenarioError(kSetLocation, result.path, "empty key in path");
  }
  return result;
}

ScenarioDocument::ScenarioDocument(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ScenarioDocument::ScenarioDocument(const ScenarioDocument& other) : impl_(other.impl_->clone()) {}
ScenarioDocument& ScenarioDocument::operator=(const ScenarioDocument& other) {
  if (this != &other) impl_ = other.impl_->clone();
  return *this;
}
ScenarioDocument::ScenarioDocument(ScenarioDocument&&) noexcept = default;
ScenarioDocument& ScenarioDocument::operator=(ScenarioDocument&&) noexcept = default;
ScenarioDocument::~ScenarioDocument() = default;

ScenarioDocument ScenarioDocument::load_file(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw ScenarioError(SourceLocation{path, 0, 0}, "", "no such file");
  if (std::filesystem::is_directory(path, error)) {
    throw ScenarioError(SourceLocation{path, 0, 0}, "", "is a directory, not a scenario file");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw ScenarioError(SourceLocation{path, 0, 0}, "", "cannot read file");
  return ScenarioDocument(std::make_unique<Impl>(path, std::move(text).str()));
}

ScenarioDocument ScenarioDocument::from_string(std::string_view yaml, std::string origin) {
  return ScenarioDocument(std::make_unique<Impl>(std::move(origin), std::string(yaml)));
}

void ScenarioDocument::set(std::string_view path, std::string_view value) { impl_->set(path, value); }

void ScenarioDocument::apply(const std::vector<Override>& overrides) {
  for (const auto& o : overrides) impl_->set(o.path, o.value);
}

Scenario ScenarioDocument::parse() const {
  const DocumentView view{impl_->origin, impl_->root, impl_->overrides, impl_->created};
  try {
    return Parser(view).parse();
  } catch (const YAML::Exception& error) {
    // Only reachable through a yaml-cpp corner the parser does not foresee; still an
    // input problem, so still a ScenarioError.
    throw ScenarioError(SourceLocation{impl_->origin, error.mark.is_null() ? 0 : error.mark.line + 1, 0}, "",
                        fmt::format("unreadable YAML: {}", error.msg));
  }
}

std::string ScenarioDocument::to_yaml() const {
  if (too_big(impl_->root)) {
    throw ScenarioError(SourceLocation{impl_->origin, 0, 0}, "", "too deeply nested or too large (recursive aliases?)");
  }
  YAML::Emitter out;
  out << impl_->root;
  return std::string(out.c_str()) + "\n";
}

std::string ScenarioDocument::to_json() const {
  if (too_big(impl_->root)) {
    throw ScenarioError(SourceLocation{impl_->origin, 0, 0}, "", "too deeply nested or too large (recursive aliases?)");
  }
  // YAML text is meant to be UTF-8 but yaml-cpp passes any byte through; JSON must
  // be valid, so stray bytes become U+FFFD.
  return node_to_json(impl_->root, impl_->origin).dump(2, ' ', false, OrderedJson::error_handler_t::replace);
}

const std::string& ScenarioDocument::origin() const { return impl_->origin; }

Scenario load_scenario(const std::string& path, const std::vector<Override>& overrides) {
  ScenarioDocument document = ScenarioDocument::load_file(path);
  document.apply(overrides);
  return document.parse();
}

}  // namespace fogsched

namespace fogsched {

std::string describe_yaml_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return fmt::format("'{}'", node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

}  // namespace fogsched
