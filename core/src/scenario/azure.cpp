// Workloads replaying the public Azure Functions traces (process: azure2019 and
// azure2021): the files, the functions kept, the cameras they arrive at, the window
// and the speed-up. The files are read here, once per scenario.
#include "parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <unordered_set>

#include "fogsched/core/azure2019.h"
#include "fogsched/core/azure2021.h"
#include "fogsched/core/azure_trace.h"
#include "fogsched/core/rng.h"

namespace fogsched::scenario_parsing {
namespace keys = scenario_keys;

AzureSelection Parser::parse_azure_selection(const ConfigMap& map, const Scenario& scenario, ArrivalProcess process,
                                             std::uint32_t workload_index) const {
  AzureSelection selection;
  if (map.has("functions")) {
    const YAML::Node functions = map.get("functions");
    const std::string path = map.path("functions");
    if (functions.IsScalar() && trim(functions.Scalar()) == "all") {
      selection.choice = AzureFunctionChoice::all;
    } else if (functions.IsSequence()) {
      if (functions.size() == 0) fail(functions, path, "expected at least one function hash");
      selection.choice = AzureFunctionChoice::listed;
      std::unordered_set<std::string> listed;
      for (std::size_t i = 0; i < functions.size(); ++i) {
        const std::string item_path = join_key_path(path, std::to_string(i));
        std::string hash = text(functions[i], item_path, "a function hash");
        if (!listed.insert(hash).second)
          fail(functions[i], item_path, fmt::format("{} is listed twice", quote_input(hash)));
        selection.hashes.push_back(std::move(hash));
      }
    } else if (functions.IsMap()) {
      const ConfigMap choice = section(functions, path, keys::kAzureFunctions);
      if (choice.has("top") == choice.has("sample")) {
        fail(functions, path, "expected exactly one of 'top' and 'sample'");
      }
      const std::string_view key = choice.has("top") ? "top" : "sample";
      selection.choice = choice.has("top") ? AzureFunctionChoice::top : AzureFunctionChoice::sample;
      selection.count = count(choice.get(key), choice.path(key), Bound::positive);
      selection.seed = derive_seed(scenario.seed, {kAzureSampleStream, workload_index});
    } else {
      fail(functions, path,
           fmt::format("expected all, a list of function hashes, {{top: K}} or {{sample: K}}, got {}",
                       describe_yaml_node(functions)));
    }
  }
  if (map.has("window")) {
    const ConfigMap window = section(map.get("window"), map.path("window"), keys::kAzureWindow);
    if (window.has("from"))
      selection.window_from = duration(window.get("from"), window.path("from"), Bound::non_negative);
    if (window.has("for")) selection.window_length = duration(window.get("for"), window.path("for"), Bound::positive);
    if (process == ArrivalProcess::azure2019) {
      // The 2019 traces count per minute: a window must not cut a minute.
      constexpr auto kMinute = std::chrono::minutes(1);
      for (const std::string_view key : {"from", "for"}) {
        if (window.has(key) &&
            duration(window.get(key), window.path(key), Bound::non_negative) % kMinute != Duration{}) {
          fail(window.get(key), window.path(key),
               "must be whole minutes with process: azure2019 (it counts per minute)");
        }
      }
    }
  }
  return selection;
}

void Parser::parse_azure(const ConfigMap& map, const Scenario& scenario,
                         const std::vector<std::uint32_t>& workload_cameras, std::uint32_t workload_index,
                         ArrivalSpec& arrivals) const {
  AzureSpec& azure = arrivals.azure;
  azure.selection = parse_azure_selection(map, scenario, arrivals.process, workload_index);
  if (map.has("speedup")) azure.speedup = number(map.get("speedup"), map.path("speedup"), Bound::positive);
  if (map.has("scale")) azure.scale = number(map.get("scale"), map.path("scale"), Bound::positive);
  if (map.has("within_minute")) {
    azure.minute_rule =
        static_cast<AzureMinuteRule>(choice(map.get("within_minute"), map.path("within_minute"), {"even", "poisson"}));
  }
  if (map.has("placement")) {
    azure.placement = static_cast<AzurePlacement>(
        choice(map.get("placement"), map.path("placement"), {"per_app", "spread", "weighted"}));
  }
  const bool weighted = azure.placement == AzurePlacement::weighted;
  if (weighted != map.has("weights")) {
    fail(weighted ? map.get("placement") : map.get("weights"), weighted ? map.path("placement") : map.path("weights"),
         weighted ? "placement: weighted needs 'weights' (one per camera receiving the workload)"
                  : "only used with placement: weighted");
  }
  if (weighted) {
    const YAML::Node weights = map.get("weights");
    const std::string path = map.path("weights");
    require_sequence(weights, path, "a list of weights, one per camera receiving the workload");
    const std::size_t cameras = workload_cameras.empty() ? camera_count_ : workload_cameras.size();
    if (weights.size() != cameras) {
      fail(weights, path,
           fmt::format("expected {} weights (one per camera receiving the workload), got {}", cameras, weights.size()));
    }
    for (std::size_t i = 0; i < weights.size(); ++i) {
      azure.weights.push_back(number(weights[i], join_key_path(path, std::to_string(i)), Bound::non_negative));
    }
    if (std::all_of(azure.weights.begin(), azure.weights.end(), [](double w) { return w == 0; })) {
      fail(weights, path, "at least one weight must be positive");
    }
  }

  // The files, read once; problems inside them are reported at their own lines,
  // under the key that names the file.
  const bool year2021 = arrivals.process == ArrivalProcess::azure2021;
  if (year2021) {
    azure.file = data_file(map, "file", "an invocation trace file name");
  } else {
    azure.file = data_file(map, "invocations", "an invocations file name");
    azure.durations_file = data_file(map, "durations", "a durations file name");
  }
  std::vector<std::string> hashes;
  std::uint64_t expected = 0;
  try {
    if (year2021) {
      auto trace = std::make_shared<const AzureInvocations2021>(read_azure2021(azure.file, azure.selection));
      hashes = trace->functions;
      expected = trace->invocations_expected;
      azure.trace2021 = std::move(trace);
    } else {
      auto trace = std::make_shared<const AzureInvocations2019>(
          read_azure2019(azure.file, azure.durations_file, azure.selection));
      hashes = trace->functions;
      expected = trace->invocations_expected;
      azure.trace2019 = std::move(trace);
    }
  } catch (const ScenarioError& error) {
    const bool in_durations = !year2021 && error.where().file == azure.durations_file;
    rethrow_data_file_error(map, year2021 ? "file" : in_durations ? "durations" : "invocations", error);
  }

  if (azure.selection.choice == AzureFunctionChoice::listed) {
    const std::vector<std::string> unknown = unknown_hashes(hashes, azure.selection);
    if (!unknown.empty()) {
      const auto listed = std::find(azure.selection.hashes.begin(), azure.selection.hashes.end(), unknown.front());
      const auto i = static_cast<std::size_t>(listed - azure.selection.hashes.begin());
      fail(map.get("functions")[i], join_key_path(map.path("functions"), std::to_string(i)),
           fmt::format("function {} is not in the trace{}", quote_input(unknown.front()),
                       arrivals.process == ArrivalProcess::azure2019 ? " (or has no durations row)" : ""));
    }
  }
  if (expected == 0) {
    fail(map.node(), map.path(), "no invocation of the chosen functions falls in the window: nothing to replay");
  }
}

}  // namespace fogsched::scenario_parsing
