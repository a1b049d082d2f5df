// The workload section: entries, their arrival process, rates, hot spots, profiles
// and traces.
#include "parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "fogsched/core/quote_input.h"
#include "fogsched/core/trace_csv.h"

namespace fogsched::scenario_parsing {
namespace keys = scenario_keys;

constexpr std::string_view kProcessNames[] = {"poisson", "mmpp", "trace", "traffic", "azure2019", "azure2021"};

std::string_view process_name(ArrivalProcess process) { return kProcessNames[static_cast<std::size_t>(process)]; }

std::vector<WorkloadSpec> Parser::parse_workload(const YAML::Node& node, const std::string& path,
                                                 const Scenario& scenario) const {
  require_sequence(node, path, "a list of workload entries");
  if (node.size() == 0) fail(node, path, "expected at least one workload entry");
  const std::vector<FunctionSpec>& functions = scenario.functions;
  std::vector<WorkloadSpec> workload;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = join_key_path(path, std::to_string(i));
    const ConfigMap map = section(node[i], item_path, keys::kWorkload);
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

    // Azure traces name the scenario function whose payload and deadline their
    // invocations carry; the trace gives each invocation's service demand.
    if (process != ArrivalProcess::trace) {
      entry.function = text(map.require("function"), map.path("function"), "a function name");
      const auto found = std::find_if(functions.begin(), functions.end(),
                                      [&](const FunctionSpec& f) { return f.name == entry.function; });
      if (found == functions.end()) {
        std::vector<std::string> names;
        names.reserve(functions.size());
        for (const auto& f : functions) names.push_back(f.name);
        fail(map.get("function"), map.path("function"),
             fmt::format("unknown function {} (functions: {})", quote_input(entry.function), fmt::join(names, ", ")));
      }
      entry.function_index = static_cast<std::uint32_t>(found - functions.begin());
    }
    if (map.has("cameras")) entry.cameras = camera_list(map.get("cameras"), map.path("cameras"));
    entry.arrivals = parse_arrivals(map.require("arrivals"), map.path("arrivals"), scenario, entry.cameras,
                                    static_cast<std::uint32_t>(i));
    workload.push_back(std::move(entry));
  }
  return workload;
}

// The process an arrivals map names (poisson when it names none), read ahead of the
// map itself because it decides which keys of the workload entry apply.
ArrivalProcess Parser::arrival_process(const YAML::Node& arrivals, const std::string& path) const {
  if (!arrivals.IsMap() || !arrivals["process"]) return ArrivalProcess::poisson;
  return static_cast<ArrivalProcess>(choice(arrivals["process"], join_key_path(path, "process"), kProcessNames));
}

ArrivalSpec Parser::parse_arrivals(const YAML::Node& node, const std::string& path, const Scenario& scenario,
                                   const std::vector<std::uint32_t>& workload_cameras,
                                   std::uint32_t workload_index) const {
  const ConfigMap map = section(node, path, keys::kArrivals);
  ArrivalSpec arrivals;
  arrivals.process = arrival_process(node, path);

  // The keys each process reads; any other key is a mistake worth reporting.
  using enum ArrivalProcess;
  struct KeyUse {
    std::string_view key;
    std::vector<ArrivalProcess> used_by;
  };
  const KeyUse uses[] = {
      {"rate", {poisson}},
      {"load", {poisson}},
      {"rates", {poisson}},
      {"hotspots", {poisson, mmpp}},
      {"profile", {poisson, mmpp, traffic}},
      {"profile_period", {poisson, mmpp, traffic}},
      {"states", {mmpp}},
      {"transitions", {mmpp}},
      {"file", {trace, azure2021}},
      {"invocations", {azure2019}},
      {"durations", {azure2019}},
      {"within_minute", {azure2019}},
      {"scale", {azure2019}},
      {"functions", {azure2019, azure2021}},
      {"placement", {azure2019, azure2021}},
      {"weights", {azure2019, azure2021}},
      {"window", {azure2019, azure2021}},
      {"speedup", {azure2019, azure2021}},
      {"entry_rate", {traffic}},
      {"speed", {traffic}},
      {"turns", {traffic}},
      {"view_radius", {traffic}},
      {"trigger", {traffic}},
      {"frame_interval", {traffic}},
      {"roads", {traffic}},
      {"blacklist", {traffic}},
  };
  for (const auto& use : uses) {
    if (!map.has(use.key) || std::find(use.used_by.begin(), use.used_by.end(), arrivals.process) != use.used_by.end()) {
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
    case trace: read_trace(map, scenario, arrivals); break;
    case traffic:
      parse_traffic(map, scenario, arrivals.traffic);
      parse_profile(map, arrivals);
      break;
    case azure2019:
    case azure2021: parse_azure(map, scenario, workload_cameras, workload_index, arrivals); break;
  }
  return arrivals;
}

void Parser::parse_base_rate(const ConfigMap& map, ArrivalSpec& arrivals) const {
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

namespace {

// `camera` must be one of the workload's cameras (all when the list is empty).
void check_receives(const Parser& parser, const YAML::Node& at, const std::string& at_path, std::uint32_t camera,
                    const std::vector<std::uint32_t>& workload_cameras, const std::string& arrivals_path) {
  if (workload_cameras.empty() ||
      std::find(workload_cameras.begin(), workload_cameras.end(), camera) != workload_cameras.end()) {
    return;
  }
  const std::string cameras_path = join_key_path(arrivals_path.substr(0, arrivals_path.rfind('.')), "cameras");
  parser.fail(at, at_path, fmt::format("camera {} does not receive this workload (see {})", camera, cameras_path));
}

}  // namespace

void Parser::parse_hotspots(const ConfigMap& map, ArrivalSpec& arrivals,
                            const std::vector<std::uint32_t>& workload_cameras) const {
  if (!map.has("hotspots")) return;
  const ConfigMap hotspots = section(map.get("hotspots"), map.path("hotspots"), keys::kHotspots);
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
      check_receives(*this, hotspots.get("cameras")[i], join_key_path(list_path, std::to_string(i)),
                     arrivals.hotspot_cameras[i], workload_cameras, map.path());
    }
  }
  arrivals.hotspot_factor = number(hotspots.require("factor"), hotspots.path("factor"), Bound::positive);
}

void Parser::parse_camera_rates(const ConfigMap& map, ArrivalSpec& arrivals,
                                const std::vector<std::uint32_t>& workload_cameras) const {
  if (!map.has("rates")) return;
  const YAML::Node rates = map.get("rates");
  const std::string rates_path = map.path("rates");
  if (!rates.IsMap()) {
    fail(rates, rates_path, fmt::format("expected a map of camera index to rate, got {}", describe_yaml_node(rates)));
  }
  for (const auto& entry : rates) {
    const std::string key_path = join_key_path(rates_path, entry.first.IsScalar() ? entry.first.Scalar() : "?");
    const std::uint32_t camera = camera_index(entry.first, key_path);
    check_receives(*this, entry.first, key_path, camera, workload_cameras, map.path());
    if (std::any_of(arrivals.camera_rates.begin(), arrivals.camera_rates.end(),
                    [&](const auto& given) { return given.first == camera; })) {
      fail(entry.first, key_path, fmt::format("camera {} is listed twice", camera));
    }
    arrivals.camera_rates.emplace_back(camera, rate(entry.second, key_path, Bound::non_negative));
  }
}

void Parser::parse_profile(const ConfigMap& map, ArrivalSpec& arrivals) const {
  std::string last_profile_at;  // as written, for messages
  if (map.has("profile")) {
    const YAML::Node profile = map.get("profile");
    const std::string profile_path = map.path("profile");
    require_sequence(profile, profile_path, "a list of {at, factor} steps");
    for (std::size_t i = 0; i < profile.size(); ++i) {
      const ConfigMap step_map =
          section(profile[i], join_key_path(profile_path, std::to_string(i)), keys::kProfileStep);
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

// Data files (traces) are found relative to the scenario file's directory, like
// empirical samples.
std::string Parser::data_file(const ConfigMap& map, std::string_view key, std::string_view expected) const {
  const YAML::Node file = map.require(key);
  const std::string path = map.path(key);
  const std::string written = text(file, path, expected);
  const std::filesystem::path resolved = std::filesystem::path(doc_.origin).parent_path() / written;
  const std::string normal = resolved.lexically_normal().string();
  std::error_code error;
  if (!std::filesystem::is_regular_file(resolved, error)) {
    fail(file, path, fmt::format("cannot read {} (no such file: '{}')", quote_input(written), normal));
  }
  return normal;
}

void Parser::rethrow_data_file_error(const ConfigMap& map, std::string_view key, const ScenarioError& error) const {
  if (error.where().line == 0) {
    fail(map.get(key), map.path(key), fmt::format("{}: {}", quote_input(map.get(key).Scalar()), error.problem()));
  }
  throw ScenarioError(error.where(), map.path(key), error.problem());
}

// Problems inside the trace are reported at the CSV's own file and line, under the
// key that names it.
void Parser::read_trace(const ConfigMap& map, const Scenario& scenario, ArrivalSpec& arrivals) const {
  arrivals.trace_file = data_file(map, "file", "a CSV file name");
  try {
    auto trace = std::make_shared<const Trace>(read_trace_csv(arrivals.trace_file));
    arrivals.trace_functions = resolve_trace(*trace, scenario);
    arrivals.trace = std::move(trace);
  } catch (const ScenarioError& csv_error) {
    rethrow_data_file_error(map, "file", csv_error);
  }
}

}  // namespace fogsched::scenario_parsing
