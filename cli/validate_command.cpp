#include "validate_command.h"

#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "command_exit.h"
#include "fogsched/core/azure2019.h"
#include "fogsched/core/azure2021.h"
#include "fogsched/core/quote_input.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/trace_csv.h"
#include "fogsched/core/units.h"
#include "fogsched/plugins/plugin.h"
#include "fogsched/sim/runner.h"
#include "plural.h"
#include "run_control.h"
#include "simulation_args.h"

namespace fogsched::cli {
namespace {

const char* to_string(Layout layout) {
  switch (layout) {
    case Layout::grid: return "grid";
    case Layout::random: return "random";
    case Layout::explicit_positions: return "explicit positions";
  }
  return "?";
}

std::string describe_function(const FunctionSpec& f) {
  std::string text = fmt::format("{} ({} service, mean {}", f.name, to_string(f.service_time.dist),
                                 format_duration(from_seconds(f.service_time.mean_seconds())));
  if (f.deadline) text += ", deadline " + format_duration(*f.deadline);
  return text + ")";
}

std::string describe_workload(const WorkloadSpec& w) {
  const ArrivalSpec& a = w.arrivals;
  switch (a.process) {
    case ArrivalProcess::trace:
      return fmt::format("a trace of {} arrivals ({})", a.trace ? a.trace->arrivals.size() : 0, a.trace_file);
    case ArrivalProcess::traffic: {
      const TrafficSpec& t = a.traffic;
      std::string text =
          fmt::format("{} for vehicles entering at {}/s, seen within {}m, {}", w.function, t.entry_rate_per_s,
                      t.view_radius_m, t.per_frame ? "every " + format_duration(t.frame_interval) : "once per pass");
      if (t.blacklisted_fraction > 0 || !t.blacklisted_vehicles.empty()) text += ", with blacklist alerts";
      if (!a.profile.empty()) text += fmt::format(", {}-step entry profile", a.profile.size());
      return text;
    }
    case ArrivalProcess::azure2019: {
      const AzureInvocations2019& t = *a.azure.trace2019;
      return fmt::format(
          "{} replaying {} ({} and {}): {} read, {} kept ({} without durations), {} expected in the "
          "window{}",
          w.function, "the Azure Functions 2019 trace", t.invocations_file, t.durations_file,
          plural(t.rows_read, "row"), plural(t.functions.size(), "function"), t.functions_without_durations,
          plural(t.invocations_expected, "invocation"),
          a.azure.scale == 1 ? "" : fmt::format(" (times {})", a.azure.scale));
    }
    case ArrivalProcess::azure2021: {
      const AzureInvocations2021& t = *a.azure.trace2021;
      return fmt::format("{} replaying {} ({}): {} read, {} of {} kept, {} expected in the window", w.function,
                         "the Azure Functions 2021 trace", t.file, plural(t.rows_read, "row"),
                         plural(t.functions.size(), "function"), t.functions_seen,
                         plural(t.invocations_expected, "invocation"));
    }
    case ArrivalProcess::poisson:
    case ArrivalProcess::mmpp: break;
  }
  std::string text = w.function + " at ";
  if (a.process == ArrivalProcess::mmpp) {
    text += fmt::format("a {}-state MMPP", a.mmpp_states.size());
  } else if (a.rate_per_s) {
    text += fmt::format("{}/s", *a.rate_per_s);
  } else if (a.load) {
    text += fmt::format("load {}", *a.load);
  }
  text += w.cameras.empty() ? " per camera" : fmt::format(" on {}", plural(w.cameras.size(), "camera"));
  const std::size_t hot_spots = a.hotspot_cameras.empty() ? a.hotspot_count : a.hotspot_cameras.size();
  if (hot_spots > 0) text += fmt::format(", {} at {}x", plural(hot_spots, "hot spot"), a.hotspot_factor);
  if (!a.camera_rates.empty()) text += fmt::format(", {} with their own rate", plural(a.camera_rates.size(), "camera"));
  if (!a.profile.empty()) text += fmt::format(", {}-step rate profile", a.profile.size());
  return text;
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

// Breaks a paragraph into lines of at most `width` columns at spaces.
std::string wrap(std::string_view paragraph, std::size_t width) {
  std::string out;
  std::size_t line_length = 0;
  while (!paragraph.empty()) {
    const auto space = paragraph.find(' ');
    const std::string_view word = paragraph.substr(0, space);
    if (line_length > 0 && line_length + 1 + word.size() > width) {
      out += '\n';
      line_length = 0;
    } else if (line_length > 0) {
      out += ' ';
      ++line_length;
    }
    out += word;
    line_length += word.size();
    paragraph = space == std::string_view::npos ? std::string_view{} : paragraph.substr(space + 1);
  }
  return out + '\n';
}

int validate_command(const ScenarioArgs& args) {
  const Scenario scenario = load_document(args).parse();
  PolicyRegistry registry = policy_registry(args.plugins);
  load_plugins(registry, scenario.plugins);
  const std::vector<PolicyConfig> policies = sim::configure_policies(scenario, registry);

  const CamerasSpec& cameras = scenario.cameras;
  std::string text = fmt::format("{}: scenario {} is valid. {} ({}, {} per camera, queue {}, speed {}", args.path,
                                 quote_input(scenario.name), plural(cameras.count, "camera"), to_string(cameras.layout),
                                 plural(cameras.slots, "slot"), cameras.queue, cameras.speed);
  if (!cameras.overrides.empty()) text += fmt::format(", {}", plural(cameras.overrides.size(), "override"));
  text += ")";
  if (scenario.cloud.enabled) {
    text += fmt::format(" and a cloud node ({}, {} away)", plural(scenario.cloud.slots, "slot"),
                        format_duration(scenario.cloud.latency));
  }
  std::vector<std::string> functions;
  functions.reserve(scenario.functions.size());
  for (const FunctionSpec& f : scenario.functions) functions.push_back(describe_function(f));
  std::vector<std::string> workload;
  workload.reserve(scenario.workload.size());
  for (const WorkloadSpec& w : scenario.workload) workload.push_back(describe_workload(w));
  std::vector<std::string> policy_names;
  policy_names.reserve(policies.size());
  for (const PolicyConfig& p : policies) policy_names.push_back(p.canonical);

  std::string faults;
  const FaultsSpec& f = scenario.faults;
  if (!f.outages.empty() || f.failures) {
    std::vector<std::string> parts;
    if (!f.outages.empty()) parts.push_back(plural(f.outages.size(), "camera outage"));
    if (f.failures) {
      parts.push_back(fmt::format("random failures (mean {} up, {} down)",
                                  format_duration(f.failures->mean_time_to_failure),
                                  format_duration(f.failures->mean_time_to_repair)));
    }
    faults = fmt::format(" Faults: {}; a dead peer is noticed after {}.", join(parts), format_duration(f.timeout));
  }
  text += fmt::format(". {}: {}. Workload: {}.{} {} of {} (warm-up {}), seed {}, hop limit {}. {}: {}.",
                      scenario.functions.size() == 1 ? "Function" : "Functions", join(functions), join(workload),
                      faults, plural(scenario.replications, "replication"), format_duration(scenario.duration),
                      format_duration(scenario.warmup), scenario.seed, scenario.hop_limit,
                      policies.size() == 1 ? "Policy" : "Policies", join(policy_names));
  // Refused here, like `run` would, when it cannot fit; on one thread per core, as
  // `run` runs by default.
  sim::RunOptions options;
  options.threads = 0;
  text += fmt::format(" Estimate: {}.", describe_cost(sim::checked_estimate(scenario, policies, options), options));
  std::cout << wrap(text, 88);
  return kExitOk;
}

}  // namespace

void add_validate_command(CLI::App& app) {
  auto args = std::make_shared<ScenarioArgs>();
  CLI::App* validate = app.add_subcommand("validate", "Check a scenario and its policies, and summarise it");
  add_scenario_args(*validate, *args);
  validate->callback([args] { throw CommandExit{validate_command(*args)}; });
}

}  // namespace fogsched::cli
