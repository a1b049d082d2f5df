#pragma once
// The scenario parser: turns the YAML tree of a ScenarioDocument into a validated
// Scenario. One file per section of the scenario (top level, cluster, network,
// functions, workload, mmpp, traffic, faults, policies), each reading the maps whose
// keys keys.h lists.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "fogsched/core/config_reader.h"
#include "fogsched/core/quote_input.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/scenario_yaml.h"
#include "keys.h"

namespace fogsched::scenario_parsing {

// Errors about values that came from `--set`, or about nodes made for them, are
// located here: their YAML marks mean nothing.
inline const SourceLocation kSetLocation{"--set", 0, 0};

// The document as the parser sees it.
struct DocumentView {
  const std::string& origin;
  const YAML::Node& root;
  const std::vector<Override>& overrides;
  const std::vector<YAML::Node>& created;  // nodes that exist only because of set()
  bool written_empty;                      // the text held no scenario at all
};

// "poisson", "mmpp", "trace", "traffic", "azure2019", "azure2021", as scenario files write them.
std::string_view process_name(ArrivalProcess process);

// Reads the document into a Scenario. One instance per parse() call.
class Parser final : public ConfigReader {
 public:
  explicit Parser(const DocumentView& doc) : ConfigReader(doc.origin), doc_(doc) {}

  Scenario parse();

  SourceLocation where(const YAML::Node& node, const std::string& path) const override;
  [[noreturn]] void fail_unknown_key(const YAML::Node& key, const std::string& path,
                                     std::span<const std::string_view> known) const override;

  std::uint32_t camera_index(const YAML::Node& node, const std::string& path) const;
  // A non-empty list of distinct camera indices.
  std::vector<std::uint32_t> camera_list(const YAML::Node& node, const std::string& path) const;

 private:
  // cluster.cpp
  void parse_cameras(const ConfigMap& cluster, CamerasSpec& cameras);
  void parse_camera_overrides(const YAML::Node& node, const std::string& path, CamerasSpec& cameras);
  Point parse_position(const YAML::Node& node, const std::string& path) const;
  CameraValueSpread parse_camera_values(const YAML::Node& node, const std::string& path, std::uint32_t camera_count,
                                        bool integers) const;
  CloudSpec parse_cloud(const YAML::Node& node, const std::string& path) const;
  // network.cpp
  NetworkSpec parse_network(const YAML::Node& node, const std::string& path) const;
  UplinkSpec parse_uplink(const YAML::Node& node, const std::string& path) const;
  // functions.cpp
  std::vector<FunctionSpec> parse_functions(const YAML::Node& node, const std::string& path);
  // workload.cpp
  std::vector<WorkloadSpec> parse_workload(const YAML::Node& node, const std::string& path,
                                           const Scenario& scenario) const;
  ArrivalProcess arrival_process(const YAML::Node& arrivals, const std::string& path) const;
  ArrivalSpec parse_arrivals(const YAML::Node& node, const std::string& path, const Scenario& scenario,
                             const std::vector<std::uint32_t>& workload_cameras, std::uint32_t workload_index) const;
  void parse_base_rate(const ConfigMap& map, ArrivalSpec& arrivals) const;
  void parse_hotspots(const ConfigMap& map, ArrivalSpec& arrivals,
                      const std::vector<std::uint32_t>& workload_cameras) const;
  void parse_camera_rates(const ConfigMap& map, ArrivalSpec& arrivals,
                          const std::vector<std::uint32_t>& workload_cameras) const;
  void parse_profile(const ConfigMap& map, ArrivalSpec& arrivals) const;
  void read_trace(const ConfigMap& map, const Scenario& scenario, ArrivalSpec& arrivals) const;
  // The data file `key` names, resolved beside the scenario file; it must exist.
  std::string data_file(const ConfigMap& map, std::string_view key, std::string_view expected) const;
  // A reader's error inside the data file `key` names: at the file's line, under the key.
  [[noreturn]] void rethrow_data_file_error(const ConfigMap& map, std::string_view key,
                                            const ScenarioError& error) const;
  // azure.cpp
  void parse_azure(const ConfigMap& map, const Scenario& scenario, const std::vector<std::uint32_t>& workload_cameras,
                   std::uint32_t workload_index, ArrivalSpec& arrivals) const;
  AzureSelection parse_azure_selection(const ConfigMap& map, const Scenario& scenario, ArrivalProcess process,
                                       std::uint32_t workload_index) const;
  // mmpp.cpp
  void parse_mmpp(const ConfigMap& map, ArrivalSpec& arrivals) const;
  void parse_mmpp_transitions(const YAML::Node& node, const std::string& path, ArrivalSpec& arrivals) const;
  // traffic.cpp
  void parse_traffic(const ConfigMap& map, const Scenario& scenario, TrafficSpec& traffic) const;
  void parse_vehicle_speed(const YAML::Node& node, const std::string& path, TrafficSpec& traffic) const;
  RoadGraphSpec parse_road_graph(const YAML::Node& node, const std::string& path) const;
  void parse_blacklist(const YAML::Node& node, const std::string& path, TrafficSpec& traffic) const;
  void check_until_leaves_view(const Scenario& scenario) const;
  // faults.cpp
  FaultsSpec parse_faults(const YAML::Node& node, const std::string& path) const;
  OutageSpec parse_outage(const YAML::Node& node, const std::string& path) const;
  // policies.cpp
  std::vector<PolicySpec> parse_policies(const YAML::Node& node, const std::string& path) const;
  std::vector<PluginSpec> parse_plugins(const YAML::Node& node, const std::string& path) const;
  PolicySpec parse_compact_policy(const YAML::Node& node, const std::string& path) const;

  const DocumentView& doc_;
  std::uint32_t camera_count_ = 0;
  // `deadline: until_leaves_view` nodes by function index, to locate the error when
  // such a function is used by a workload without vehicles.
  std::vector<std::pair<std::uint32_t, YAML::Node>> leaves_view_deadlines_;
};

}  // namespace fogsched::scenario_parsing
