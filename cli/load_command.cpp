// `fogsched load`: the scenario's own arrivals, drawn by the simulator's workload
// sources with the same seed, replayed against live nodes.
#include "load_command.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "command_exit.h"
#include "fogsched/app/html_report.h"
#include "fogsched/app/run_settings.h"
#include "fogsched/core/quote_input.h"
#include "fogsched/core/results.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/core/units.h"
#include "fogsched/live/load.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/runner.h"
#include "fogsched/sim/workload_sources.h"
#include "table_options.h"

namespace fogsched::cli {
namespace {

struct LoadArgs {
  std::string scenario_path;
  std::vector<std::string> overrides;
  std::vector<std::string> nodes;
  std::optional<std::uint64_t> seed;
  std::uint32_t replication = 0;
  std::optional<std::string> duration;
  double speedup = 1.0;
  std::size_t max_outstanding = 1024;
  std::string max_payload = "1MiB";
  std::string timeout = "30s";
  std::string hard_stop = "60s";
  std::uint32_t batches = 10;
  std::uint32_t threads = 2;
  bool no_service_times = false;
  std::optional<std::string> json_path;
  std::optional<std::string> trace_path;
  std::optional<std::string> report_path;
  TableOptions table;
};

// Bad input found here; reported as one line and exit code 2.
class LoadInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Scenario load_scenario_with_settings(const LoadArgs& args) {
  ScenarioDocument document = app::load_document(args.scenario_path, args.overrides);
  if (args.seed) document.set("seed", std::to_string(*args.seed));
  if (args.duration) app::set_duration(document, *args.duration);
  return document.parse();
}

live::SteadyDuration real_duration(const std::string& text, const char* option) {
  Duration value{};
  try {
    value = parse_duration(text);
  } catch (const std::exception& e) {
    throw LoadInputError(fmt::format("{}: {}", option, e.what()));
  }
  if (value <= Duration::zero())
    throw LoadInputError(fmt::format("{}: must be positive, got {}", option, quote_input(text)));
  return std::chrono::duration_cast<live::SteadyDuration>(value);
}

// The scenario's arrivals in [0, duration) for one replication, drawn by the
// simulator's own workload sources and random streams: the invocations `fogsched run`
// sees arrive with that replication seed, whatever the policy, with its ids.
live::LoadPlan plan_arrivals(const Scenario& scenario, std::uint32_t replication) {
  live::LoadPlan plan;
  plan.scenario = scenario.name;
  plan.seed = scenario.seed;
  plan.cameras = scenario.cameras.count;
  plan.duration = scenario.duration;
  plan.warmup = scenario.warmup;
  for (const FunctionSpec& f : scenario.functions) {
    plan.functions.push_back({.name = f.name, .payload_bytes = f.payload_bytes, .deadline = f.deadline});
  }
  const sim::City city(scenario);
  sim::ArrivalSequence arrivals(scenario, city, sim::replication_seed(scenario.seed, replication));
  // In the order of the sequence, which is by (time, id).
  while (const std::optional<sim::ClientArrival> a = arrivals.next()) {
    plan.requests.push_back({.id = a->id,
                             .at = a->at.time_since_epoch(),
                             .camera = a->invocation.camera,
                             .function = a->invocation.function,
                             .work_s = a->invocation.work_s});
  }
  return plan;
}

std::vector<live::Url> parse_nodes(const std::vector<std::string>& texts) {
  std::vector<live::Url> urls;
  for (const std::string& text : texts) {
    try {
      urls.push_back(live::parse_url(text));
    } catch (const std::invalid_argument& e) {
      throw LoadInputError(fmt::format("--nodes: {}", e.what()));
    }
  }
  if (urls.empty()) throw LoadInputError("--nodes: no node given");
  return urls;
}

// Slots per node for utilisation: each camera's own when there is a node per
// camera, else the cameras' default.
std::vector<std::uint32_t> slots_per_node(const Scenario& scenario, std::size_t node_count) {
  std::vector<std::uint32_t> slots(node_count, scenario.cameras.slots);
  if (node_count != scenario.cameras.count) return slots;
  const sim::City city(scenario);
  for (std::uint32_t i = 0; i < node_count; ++i) slots[i] = city.node(i).slots;
  return slots;
}

std::ofstream open_for_writing(const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw LoadInputError(fmt::format("cannot write {}", path));
  return out;
}

void finish_writing(std::ofstream& out, const std::string& path) {
  out.close();
  if (!out) throw LoadInputError(fmt::format("cannot write {}", path));
}

std::string milliseconds(double seconds) { return fmt::format("{:.2f} ms", seconds * 1e3); }

int run_load(const LoadArgs& args) {
  const Scenario scenario = load_scenario_with_settings(args);
  live::LoadOptions options;
  options.nodes = parse_nodes(args.nodes);
  options.speedup = args.speedup;
  options.max_outstanding = args.max_outstanding;
  try {
    options.max_payload_bytes = parse_bytes(args.max_payload);
  } catch (const std::exception& e) {
    throw LoadInputError(fmt::format("--max-payload: {}", e.what()));
  }
  options.timeout = real_duration(args.timeout, "--timeout");
  options.hard_stop = real_duration(args.hard_stop, "--hard-stop");
  options.batches = args.batches;
  options.send_service_times = !args.no_service_times;
  options.threads = args.threads;
  options.slots_per_node = slots_per_node(scenario, options.nodes.size());
  if (scenario.duration <= scenario.warmup) {
    throw LoadInputError(fmt::format("scenario {}: the warm-up ({}) leaves no measurement window in {}", scenario.name,
                                     format_duration(scenario.warmup), format_duration(scenario.duration)));
  }

  std::optional<std::ofstream> json_out;
  std::optional<std::ofstream> trace_out;
  std::optional<std::ofstream> report_out;
  if (args.json_path) json_out = open_for_writing(*args.json_path);
  if (args.trace_path) trace_out = open_for_writing(*args.trace_path);
  if (args.report_path) report_out = open_for_writing(*args.report_path);

  const live::LoadPlan plan = plan_arrivals(scenario, args.replication);
  const std::vector<live::NodeIdentity> nodes = live::discover_nodes(options.nodes, options.status_timeout);
  const std::string policy = live::common_policy(nodes);
  if (nodes.size() != scenario.cameras.count) {
    std::cerr << fmt::format(
        "fogsched: note: {} nodes for {} cameras: camera i calls node i mod {}; executed_on is the origin when its "
        "own node ran an invocation, else the index of the node that did\n",
        nodes.size(), scenario.cameras.count, nodes.size());
  }

  const live::Replay replay = live::replay(plan, nodes, options);
  const RunReport report{.scenario = scenario.name,
                         .seed = scenario.seed,
                         .results = {live::summarize_batches(plan, replay.invocations, policy, options.slots_per_node,
                                                             nodes.size(), options.batches)}};

  const live::ReplayStats& s = replay.stats;
  std::cerr << fmt::format(
      "fogsched: sent {} of {} planned requests in {:.1f} s (not sent over --max-outstanding: {}, timed out: {}, "
      "abandoned at the hard stop: {}); peak outstanding {}; send lateness mean {}, p50 {}, p99 {}, max {}\n",
      s.sent, s.planned, s.elapsed_s, s.not_sent, s.timed_out, s.abandoned, s.peak_outstanding,
      milliseconds(s.lateness_mean_s), milliseconds(s.lateness_p50_s), milliseconds(s.lateness_p99_s),
      milliseconds(s.lateness_max_s));

  if (json_out) {
    *json_out << to_json(report) << '\n';
    finish_writing(*json_out, *args.json_path);
  }
  if (trace_out) {
    write_trace_header(*trace_out);
    write_trace_rows(*trace_out, policy, args.replication, live::measured_trace(plan, replay.invocations));
    finish_writing(*trace_out, *args.trace_path);
  }
  if (report_out) {
    *report_out << app::html_report(report);
    finish_writing(*report_out, *args.report_path);
  }
  std::cout << fmt::format(
                   "live run of replication {} against {} node{} at speedup {}; the {} \"replications\" "
                   "below are batch means over equal time batches of the measurement window\n",
                   args.replication, nodes.size(), nodes.size() == 1 ? "" : "s", args.speedup, options.batches)
            << format_table(report, args.table) << std::flush;
  return 0;
}

}  // namespace

void add_load_command(CLI::App& app) {
  auto args = std::make_shared<LoadArgs>();
  CLI::App* load = app.add_subcommand(
      "load", "Replay a scenario's arrivals, open loop, against live nodes and report them as `run` does");
  load->add_option("scenario", args->scenario_path, "Scenario file (YAML)")->type_name("SCENARIO")->required();
  load->add_option("--nodes", args->nodes, "Base URLs of the nodes; camera i calls node i mod n")
      ->type_name("URL[,URL...]")
      ->delimiter(',')
      ->required();
  load->add_option("--set", args->overrides, "Override a scenario value, e.g. --set cluster.cameras.slots=8")
      ->type_name("KEY.PATH=VALUE")
      ->allow_extra_args(false);
  load->add_option("--seed", args->seed, "Seed of the run (default: the scenario's)")->type_name("S");
  load->add_option("--replication", args->replication, "Which replication's arrivals to replay (default 0)")
      ->type_name("R");
  load->add_option("--duration", args->duration, "Scenario time to replay, warm-up included (default: the scenario's)")
      ->type_name("D");
  load->add_option("--speedup", args->speedup,
                   "Scenario seconds per real second; scale the functions' service times the same way (default 1)")
      ->type_name("X")
      ->check(CLI::PositiveNumber);
  load->add_option("--max-outstanding", args->max_outstanding,
                   "Requests in flight at most; a request due beyond it is not sent and counts as failed "
                   "(default 1024)")
      ->type_name("N")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  load->add_option("--max-payload", args->max_payload,
                   "Caps the request body actually sent (the scenario's payload size otherwise; default 1MiB)")
      ->type_name("BYTES");
  load->add_option("--timeout", args->timeout, "Real time each request may take (default 30s)")->type_name("D");
  load->add_option("--hard-stop", args->hard_stop,
                   "Real time after the last planned send when requests still outstanding are abandoned and "
                   "count as failed (default 60s)")
      ->type_name("D");
  load->add_option("--batches", args->batches,
                   "Equal time batches of the measurement window for batch-means confidence intervals (default 10)")
      ->type_name("B")
      ->check(CLI::Range(1u, 1000u));
  load->add_option("--threads", args->threads, "Sender threads (default 2)")
      ->type_name("N")
      ->check(CLI::Range(1u, 64u));
  load->add_flag("--no-service-times", args->no_service_times,
                 "Do not name each call's simulated service demand (header X-Synthetic-Service-Seconds, which "
                 "fogsched host's synthetic functions honour); let the functions draw their own");
  add_table_options(*load, args->table);
  load->add_option("--json", args->json_path, "Write the results as `fogsched run --json` does")->type_name("FILE");
  load->add_option("--trace", args->trace_path, "Write every measured invocation as `fogsched run --trace` does")
      ->type_name("FILE.csv");
  load->add_option("--report", args->report_path, "Write the HTML report as `fogsched run --report` does")
      ->type_name("FILE.html");
  load->callback([args] {
    int exit_code = 2;
    try {
      exit_code = run_load(*args);
    } catch (const LoadInputError& e) {
      std::cerr << "fogsched: " << e.what() << '\n';
    } catch (const live::LoadError& e) {
      std::cerr << "fogsched: " << e.what() << '\n';
    }
    throw CommandExit{exit_code};
  });
}

}  // namespace fogsched::cli
