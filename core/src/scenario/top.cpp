// The top level of a scenario (name, seed, duration, warmup, replications,
// hop_limit), the order the sections are read in, and what every section shares:
// error locations and camera indices.
#include "parser.h"

#include <fmt/format.h>

#include <limits>
#include <unordered_set>

namespace fogsched::scenario_parsing {
namespace keys = scenario_keys;

Scenario Parser::parse() {
  const YAML::Node& root = doc_.root;
  // Run settings written into an empty file do not make it a scenario.
  if (doc_.written_empty || !root.IsDefined() || root.IsNull()) {
    throw ScenarioError(SourceLocation{doc_.origin, 1, 1}, "",
                        "the scenario is empty (expected a map with name, duration, cluster, functions, workload)");
  }
  const ConfigMap top = section(root, "", keys::kTop);
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

  const ConfigMap cluster = section(top.require("cluster"), "cluster", keys::kCluster);
  parse_cameras(cluster, scenario.cameras);
  if (cluster.has("cloud")) scenario.cloud = parse_cloud(cluster.get("cloud"), cluster.path("cloud"));
  if (top.has("network")) scenario.network = parse_network(top.get("network"), "network");
  scenario.functions = parse_functions(top.require("functions"), "functions");
  scenario.workload = parse_workload(top.require("workload"), "workload", scenario);
  check_until_leaves_view(scenario);
  if (top.has("plugins")) scenario.plugins = parse_plugins(top.get("plugins"), "plugins");
  if (top.has("policies")) {
    scenario.policies = parse_policies(top.get("policies"), "policies");
  } else {
    scenario.policies.push_back(PolicySpec{"local", {}, where(root, "policies")});
  }
  if (top.has("faults")) scenario.faults = parse_faults(top.get("faults"), "faults");
  return scenario;
}

SourceLocation Parser::where(const YAML::Node& node, const std::string& path) const {
  for (const auto& o : doc_.overrides) {
    if (path == o.path || (path.size() > o.path.size() && path.starts_with(o.path) && path[o.path.size()] == '.')) {
      return kSetLocation;
    }
  }
  for (const auto& created : doc_.created) {
    if (node.is(created)) return kSetLocation;
  }
  return ConfigReader::where(node, path);
}

void Parser::fail_unknown_key(const YAML::Node& key, const std::string& path,
                              std::span<const std::string_view> known) const {
  // A key that is not in the text was made by `--set a.b.c=...`: named as given.
  if (key.Mark().is_null()) {
    for (const auto& o : doc_.overrides) {
      if (o.path == path || (o.path.starts_with(path) && o.path[path.size()] == '.')) {
        throw ScenarioError(kSetLocation, o.path,
                            fmt::format("unknown key {} (expected one of: {})", quote_input(path), comma_list(known)));
      }
    }
  }
  ConfigReader::fail_unknown_key(key, path, known);
}

std::uint32_t Parser::camera_index(const YAML::Node& node, const std::string& path) const {
  const std::uint64_t index = integer(node, path, Bound::non_negative);
  if (index >= camera_count_) {
    fail(node, path,
         fmt::format("camera {} does not exist (the cluster has {} cameras, numbered 0 to {})", index, camera_count_,
                     camera_count_ - 1));
  }
  return static_cast<std::uint32_t>(index);
}

std::vector<std::uint32_t> Parser::camera_list(const YAML::Node& node, const std::string& path) const {
  require_sequence(node, path, "a list of camera indices");
  if (node.size() == 0) fail(node, path, "expected at least one camera index");
  std::vector<std::uint32_t> cameras;
  std::unordered_set<std::uint32_t> listed;  // linear in the list's length, however long
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = join_key_path(path, std::to_string(i));
    const std::uint32_t camera = camera_index(node[i], item_path);
    if (!listed.insert(camera).second) fail(node[i], item_path, fmt::format("camera {} is listed twice", camera));
    cameras.push_back(camera);
  }
  return cameras;
}

}  // namespace fogsched::scenario_parsing
