// scenarios/schema.json names exactly the keys the scenario loader accepts: every map
// of the schema against the loader's key tables (scenario_sections()), both ways.
// The shipped scenarios are validated against the schema by check_scenario_schema.py.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "fogsched/core/scenario_yaml.h"

namespace fogsched {
namespace {

using Json = nlohmann::json;
// Map path ("workload.*.arrivals", '*' for list elements and named entries) -> keys.
using KeysByPath = std::map<std::string, std::set<std::string>>;

Json read_schema() {
  std::ifstream in(std::string(FOGSCHED_SOURCE_DIR) + "/scenarios/schema.json");
  EXPECT_TRUE(in) << "cannot read scenarios/schema.json";
  return Json::parse(in);
}

std::string child(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

// Collects the properties of every object the schema allows at each path. Every
// alternative (oneOf, anyOf, allOf, then, else) counts; `if` only tests keys named
// elsewhere.
class SchemaKeys {
 public:
  explicit SchemaKeys(const Json& schema) : root_(schema) {}

  KeysByPath collect() {
    walk(root_, "", 0);
    return keys_;
  }

 private:
  void walk(const Json& node, const std::string& path, int depth) {
    ASSERT_LT(depth, 64) << "schema nesting too deep at " << path;
    if (!node.is_object()) return;
    if (const auto ref = node.find("$ref"); ref != node.end()) {
      const std::string target = ref->get<std::string>();
      ASSERT_TRUE(target.starts_with("#/$defs/")) << target;
      walk(root_.at("$defs").at(target.substr(8)), path, depth + 1);
    }
    for (const char* alternatives : {"oneOf", "anyOf", "allOf"}) {
      if (const auto list = node.find(alternatives); list != node.end()) {
        for (const Json& alternative : *list) walk(alternative, path, depth + 1);
      }
    }
    for (const char* branch : {"then", "else"}) {
      if (const auto found = node.find(branch); found != node.end()) walk(*found, path, depth + 1);
    }
    if (const auto properties = node.find("properties"); properties != node.end()) {
      auto& keys = keys_[path];
      for (const auto& [key, value] : properties->items()) {
        keys.insert(key);
        walk(value, child(path, key), depth + 1);
      }
    }
    if (const auto more = node.find("additionalProperties"); more != node.end() && more->is_object()) {
      walk(*more, child(path, "*"), depth + 1);
    }
    if (const auto items = node.find("items"); items != node.end()) walk(*items, child(path, "*"), depth + 1);
  }

  const Json& root_;
  KeysByPath keys_;
};

KeysByPath loader_keys(std::span<const ScenarioSection> sections) {
  KeysByPath keys;
  for (const ScenarioSection& section : sections) {
    auto& at = keys[std::string(section.path)];
    for (const std::string_view key : section.keys) at.insert(std::string(key));
  }
  return keys;
}

// One line per key only one side knows.
std::vector<std::string> differences(const KeysByPath& schema, const KeysByPath& loader) {
  std::vector<std::string> found;
  const auto one_way = [&](const KeysByPath& from, const KeysByPath& to, const char* only_in) {
    for (const auto& [path, keys] : from) {
      const auto other = to.find(path);
      for (const std::string& key : keys) {
        if (other == to.end() || !other->second.contains(key)) {
          found.push_back(std::string(only_in) + ": " + child(path, key));
        }
      }
    }
  };
  one_way(schema, loader, "only in schema.json");
  one_way(loader, schema, "only in the loader");
  return found;
}

TEST(ScenarioSchema, NamesExactlyTheKeysTheLoaderAccepts) {
  const Json schema = read_schema();
  const KeysByPath from_schema = SchemaKeys(schema).collect();
  const KeysByPath from_loader = loader_keys(scenario_sections());
  ASSERT_GT(from_loader.size(), 20u);
  EXPECT_EQ(differences(from_schema, from_loader), std::vector<std::string>{});
}

TEST(ScenarioSchema, AKeyOnOneSideAloneIsFound) {
  const Json schema = read_schema();
  const KeysByPath from_loader = loader_keys(scenario_sections());

  Json wider = schema;
  wider["properties"]["cluster"]["properties"]["cameras"]["properties"]["colour"] = Json{{"type", "string"}};
  EXPECT_EQ(differences(SchemaKeys(wider).collect(), from_loader),
            std::vector<std::string>{"only in schema.json: cluster.cameras.colour"});

  constexpr std::string_view kExtraKeys[] = {"mtu"};
  std::vector<ScenarioSection> sections(scenario_sections().begin(), scenario_sections().end());
  sections.push_back(ScenarioSection{"network.uplink", kExtraKeys});
  EXPECT_EQ(differences(SchemaKeys(schema).collect(), loader_keys(sections)),
            std::vector<std::string>{"only in the loader: network.uplink.mtu"});
}

// The loader reads through these tables: a key of the table is accepted, any other
// refused with the table's list.
TEST(ScenarioSchema, TheLoaderRefusesKeysOutsideItsTables) {
  const auto error_of = [](const std::string& yaml) -> std::string {
    try {
      ScenarioDocument::from_string(yaml, "x.yaml").parse();
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string scenario = R"(name: t
duration: 1min
cluster: {cameras: {count: 2}}
functions: {f: {service_time: {mean: 1s}}}
workload: [{function: f, arrivals: {rate: 1/s}}]
)";
  EXPECT_EQ(error_of(scenario), "no error");
  EXPECT_EQ(error_of(scenario + "network: {uplink: {mtu: 1500B}}\n"),
            "x.yaml:6: network.uplink.mtu: unknown key (expected one of: bandwidth, latency, loss)");
}

}  // namespace
}  // namespace fogsched
