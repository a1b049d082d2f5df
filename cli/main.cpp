// fogsched: run, validate, analyze and list scheduling policies from the command line.
//
// Exit codes: 0 ok, 1 internal error (a bug, including a policy breaking its
// contract), 2 bad input (scenario, policy spec, units, command line, files),
// 130 interrupted. Every error is one line on stderr: "fogsched: <message>".
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#if FOGSCHED_WITH_MIMALLOC
#include <mimalloc.h>
#endif
#include <nlohmann/json.hpp>

#include "fogsched/analysis/analyze.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/results.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/core/stats.h"
#include "fogsched/core/trace_csv.h"
#include "fogsched/core/units.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/runner.h"
#include "compare_command.h"
#include "command_exit.h"
#include "host_command.h"
#include "load_command.h"
#include "serve_command.h"

namespace fogsched::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInternalError = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitInterrupted = 130;

// Bad input the command line itself detects (an unwritable output path, ...).
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Set by SIGINT/SIGTERM; the runner polls it between events and stops cleanly.
std::atomic<bool> g_cancel_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

void request_cancel(int /*signal*/) { g_cancel_requested.store(true); }

// --- scenario loading ------------------------------------------------------------

struct ScenarioArgs {
  std::string path;
  std::vector<std::string> overrides;  // "key.path=value"
};

void add_scenario_args(CLI::App& command, ScenarioArgs& args) {
  command.add_option("scenario", args.path, "Scenario file (YAML)")->type_name("SCENARIO")->required();
  command.add_option("--set", args.overrides, "Override a scenario value, e.g. --set cluster.cameras.slots=8")
      ->type_name("KEY.PATH=VALUE")
      ->allow_extra_args(false);
}

ScenarioDocument load_document(const ScenarioArgs& args) {
  ScenarioDocument document = ScenarioDocument::load_file(args.path);
  std::vector<Override> overrides;
  overrides.reserve(args.overrides.size());
  for (const std::string& text : args.overrides) overrides.push_back(parse_override(text));
  document.apply(overrides);
  return document;
}

// A configured policy as a scenario file writes it: "power_of_d(d=2,threshold=3)"
// becomes "{name: power_of_d, d: 2, threshold: 3}". Canonical values are plain
// tokens ("2", "0.5", "1s", "true"), so splitting on ',' and '=' is exact.
std::string policy_as_yaml(const PolicyConfig& policy) {
  std::string yaml = "{name: " + policy.name;
  const std::string_view canonical = policy.canonical;
  const auto open = canonical.find('(');
  if (open != std::string_view::npos && canonical.back() == ')') {
    std::string_view params = canonical.substr(open + 1, canonical.size() - open - 2);
    while (!params.empty()) {
      const auto comma = params.find(',');
      const std::string_view param = params.substr(0, comma);
      const auto equals = param.find('=');
      if (equals != std::string_view::npos) {
        yaml += fmt::format(", {}: {}", param.substr(0, equals), param.substr(equals + 1));
      }
      params = comma == std::string_view::npos ? std::string_view{} : params.substr(comma + 1);
    }
  }
  return yaml + "}";
}

// --- progress --------------------------------------------------------------------

// A one-line bar redrawn in place; only used when stderr is a terminal.
class ProgressBar {
 public:
  void update(double fraction) {
    constexpr int kWidth = 40;
    const int percent = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * 100.0);
    if (percent == last_percent_) return;
    last_percent_ = percent;
    const int filled = percent * kWidth / 100;
    std::fputs(fmt::format("\r[{}{}] {:3d} %", std::string(static_cast<std::size_t>(filled), '#'),
                           std::string(static_cast<std::size_t>(kWidth - filled), '.'), percent)
                   .c_str(),
               stderr);
    std::fflush(stderr);
  }
  ~ProgressBar() {
    if (last_percent_ >= 0) std::fputs("\n", stderr);
  }

 private:
  int last_percent_ = -1;
};

// --- output files ----------------------------------------------------------------

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) throw InputError(fmt::format("cannot write {}", path.string()));
}

// Opened before the run, so an unwritable path is reported before minutes of work.
std::ofstream open_for_writing(const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError(fmt::format("cannot write {}", path.string()));
  return out;
}

void write_trace(std::ofstream& out, const std::filesystem::path& path, const sim::RunOutput& output,
                 const std::vector<PolicyConfig>& policies) {
  write_trace_header(out);
  for (const sim::ReplicationTrace& trace : output.traces) {
    write_trace_rows(out, policies.at(trace.policy_index).canonical, trace.replication, trace.records);
  }
  out.close();
  if (!out) throw InputError(fmt::format("cannot write {}", path.string()));
}

// --- fogsched run ----------------------------------------------------------------

// What every simulating command (run, analyze) takes.
struct SimulationArgs {
  ScenarioArgs scenario;
  std::vector<std::string> policies;
  std::optional<std::uint32_t> replications;
  std::optional<std::uint64_t> seed;
  std::uint32_t threads = 0;
  std::optional<std::string> duration;
  bool json = false;
};

struct RunArgs : SimulationArgs {
  std::optional<std::string> trace_path;
  std::optional<std::string> out_dir;
};

// Applies --seed, --replications and --duration to the document, so they are
// validated like the file and the scenario written with --out is the one that ran.
void apply_run_settings(std::optional<std::uint64_t> seed, std::optional<std::uint32_t> replications,
                        const std::optional<std::string>& duration_text, ScenarioDocument& document) {
  if (seed) document.set("seed", std::to_string(*seed));
  if (replications) document.set("replications", std::to_string(*replications));
  if (!duration_text) return;

  Duration duration{};
  try {
    duration = parse_duration(*duration_text);
  } catch (const UnitError& e) {
    throw InputError(fmt::format("--duration: {}", e.what()));
  }
  if (duration <= Duration::zero()) throw InputError("--duration: must be positive");
  const Scenario as_written = document.parse();
  document.set("duration", format_duration(duration));
  const Duration warmup = sim::warmup_for_duration(as_written, duration);
  if (warmup != as_written.warmup) document.set("warmup", format_duration(warmup));
}

// --policy specs replace the scenario's list, in the document too (so a scenario
// written out is the one that ran). Empty when none was given.
std::vector<PolicyConfig> apply_policy_args(const std::vector<std::string>& specs, ScenarioDocument& document) {
  std::vector<PolicyConfig> policies;
  if (specs.empty()) return policies;
  std::string yaml_list;
  for (const std::string& spec : specs) {
    policies.push_back(PolicyRegistry::builtin().parse(spec));
    yaml_list += (yaml_list.empty() ? "" : ", ") + policy_as_yaml(policies.back());
  }
  document.set("policies", "[" + yaml_list + "]");
  return policies;
}

// A progress bar on stderr when it is a terminal, fed by the runner.
void attach_progress(sim::RunOptions& options, std::optional<ProgressBar>& progress) {
  if (isatty(fileno(stderr)) == 0) return;
  progress.emplace();
  progress->update(0.0);
  options.progress = [&progress](double fraction) { progress->update(fraction); };
}

int run_command(const RunArgs& args) {
  ScenarioDocument document = load_document(args.scenario);
  apply_run_settings(args.seed, args.replications, args.duration, document);
  std::vector<PolicyConfig> policies = apply_policy_args(args.policies, document);
  const Scenario scenario = document.parse();
  if (policies.empty()) policies = sim::configure_policies(scenario);

  std::optional<std::filesystem::path> out_dir;
  if (args.out_dir) {
    out_dir = *args.out_dir;
    std::error_code error;
    std::filesystem::create_directories(*out_dir, error);
    if (error) throw InputError(fmt::format("cannot create directory {}: {}", out_dir->string(), error.message()));
  }
  std::ofstream trace;
  if (args.trace_path) trace = open_for_writing(*args.trace_path);

  sim::RunOptions options;
  options.threads = args.threads;
  options.keep_trace = args.trace_path.has_value();
  options.cancel = &g_cancel_requested;
  std::optional<ProgressBar> progress;
  attach_progress(options, progress);
  const sim::RunOutput output = sim::run_scenario(scenario, policies, options);
  progress.reset();

  const std::string json = to_json(output.report) + "\n";
  const std::string table = format_table(output.report);
  if (args.trace_path) write_trace(trace, *args.trace_path, output, policies);
  if (out_dir) {
    write_file(*out_dir / "results.json", json);
    write_file(*out_dir / "summary.txt", table);
    write_file(*out_dir / "scenario.yaml", document.to_yaml());
    const std::filesystem::path trace_copy = *out_dir / "trace.csv";
    std::error_code error;
    if (args.trace_path && !std::filesystem::equivalent(*args.trace_path, trace_copy, error)) {
      std::filesystem::copy_file(*args.trace_path, trace_copy, std::filesystem::copy_options::overwrite_existing,
                                 error);
      if (error) throw InputError(fmt::format("cannot write {}: {}", trace_copy.string(), error.message()));
    }
  }
  std::cout << (args.json ? json : table) << std::flush;
  return kExitOk;
}

// --- fogsched validate -----------------------------------------------------------

const char* to_string(Layout layout) {
  switch (layout) {
    case Layout::grid: return "grid";
    case Layout::random: return "random";
    case Layout::explicit_positions: return "explicit positions";
  }
  return "?";
}

std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
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
      std::string text = fmt::format("{} for vehicles entering at {}/s, seen within {}m, {}", w.function,
                                     t.entry_rate_per_s, t.view_radius_m,
                                     t.per_frame ? "every " + format_duration(t.frame_interval) : "once per pass");
      if (t.blacklisted_fraction > 0 || !t.blacklisted_vehicles.empty()) text += ", with blacklist alerts";
      if (!a.profile.empty()) text += fmt::format(", {}-step entry profile", a.profile.size());
      return text;
    }
    case ArrivalProcess::poisson:
    case ArrivalProcess::mmpp:
      break;
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
  const std::vector<PolicyConfig> policies = sim::configure_policies(scenario);

  const CamerasSpec& cameras = scenario.cameras;
  std::string text = fmt::format("{}: scenario '{}' is valid. {} ({}, {} per camera, queue {}, speed {}",
                                 args.path, scenario.name, plural(cameras.count, "camera"),
                                 to_string(cameras.layout), plural(cameras.slots, "slot"), cameras.queue,
                                 cameras.speed);
  if (!cameras.overrides.empty()) text += fmt::format(", {}", plural(cameras.overrides.size(), "override"));
  text += ")";
  if (scenario.cloud.enabled) {
    text += fmt::format(" and a cloud node ({}, {} away)", plural(scenario.cloud.slots, "slot"),
                        format_duration(scenario.cloud.latency));
  }
  std::vector<std::string> functions;
  for (const FunctionSpec& f : scenario.functions) functions.push_back(describe_function(f));
  std::vector<std::string> workload;
  for (const WorkloadSpec& w : scenario.workload) workload.push_back(describe_workload(w));
  std::vector<std::string> policy_names;
  for (const PolicyConfig& p : policies) policy_names.push_back(p.canonical);

  std::string faults;
  const FaultsSpec& f = scenario.faults;
  if (!f.outages.empty() || f.failures) {
    std::vector<std::string> parts;
    if (!f.outages.empty()) parts.push_back(plural(f.outages.size(), "camera outage"));
    if (f.failures) {
      parts.push_back(fmt::format("random failures (mean {} up, {} down)", format_duration(f.failures->mean_time_to_failure),
                                  format_duration(f.failures->mean_time_to_repair)));
    }
    faults = fmt::format(" Faults: {}; a dead peer is noticed after {}.", join(parts), format_duration(f.timeout));
  }
  text += fmt::format(". {}: {}. Workload: {}.{} {} of {} (warm-up {}), seed {}, hop limit {}. {}: {}.",
                      scenario.functions.size() == 1 ? "Function" : "Functions", join(functions),
                      join(workload), faults, plural(scenario.replications, "replication"),
                      format_duration(scenario.duration), format_duration(scenario.warmup), scenario.seed,
                      scenario.hop_limit, policies.size() == 1 ? "Policy" : "Policies",
                      join(policy_names));
  std::cout << wrap(text, 88);
  return kExitOk;
}

// --- fogsched analyze ------------------------------------------------------------

using AnalyzeArgs = SimulationArgs;

// One metric of one policy: the simulated estimate beside each applicable model.
struct ComparedMetric {
  const char* key;    // JSON name
  const char* label;  // table label
  Estimate simulated;
  std::vector<std::pair<analysis::Model, double>> exact;
};

// Whether `value` lies within the confidence interval, allowing for the models'
// own rounding (their values are exact to about 1e-12); none without an interval
// (a single replication).
std::optional<bool> within_ci(const Estimate& e, double value) {
  constexpr double kModelRounding = 1e-9;
  if (std::isnan(e.ci95)) return std::nullopt;
  return std::abs(value - e.mean) <= e.ci95 + kModelRounding;
}

// The simulated values the models predict, per replication. The forwarded fraction
// is taken over the client invocations that ended: one still running when the
// replication stops is not yet known to have been forwarded. Mean busy slots: the
// cameras' busy slot-time over the measurement window.
std::vector<ComparedMetric> compare(const std::vector<sim::ReplicationResult>& replications,
                                    const analysis::PolicyAnalysis& analysis, std::uint32_t cameras,
                                    Duration window) {
  std::vector<double> rejection, forwarded, busy;
  for (const sim::ReplicationResult& rep : replications) {
    const MetricsCollector& m = rep.metrics;
    rejection.push_back(rep.summary.rejection_probability);
    const std::uint64_t ended = m.client_invocations - m.in_flight_at_end;
    forwarded.push_back(ended > 0 ? static_cast<double>(m.forwarded) / static_cast<double>(ended) : 0.0);
    double busy_slot_seconds = 0;
    for (std::uint32_t c = 0; c < cameras && c < m.busy_slot_seconds.size(); ++c) busy_slot_seconds += m.busy_slot_seconds[c];
    busy.push_back(busy_slot_seconds / to_seconds(window));
  }
  std::vector<ComparedMetric> metrics = {
      {"rejection_probability", "rejection probability", estimate(rejection), {}},
      {"forwarded_fraction", "forwarded fraction", estimate(forwarded), {}},
      {"mean_busy", "mean busy slots", estimate(busy), {}},
  };
  for (const analysis::ModelResult& model : analysis.models) {
    if (!model.applies) continue;
    metrics[0].exact.emplace_back(model.model, model.rejection_probability);
    metrics[1].exact.emplace_back(model.model, model.forwarded_fraction);
    metrics[2].exact.emplace_back(model.model, model.mean_busy);
  }
  return metrics;
}

std::string format_estimate(const Estimate& e) {
  return std::isnan(e.ci95) ? fmt::format("{:.4f}", e.mean) : fmt::format("{:.4f} ± {:.4f}", e.mean, e.ci95);
}

std::string format_within(std::optional<bool> within) {
  if (!within) return "-";
  return *within ? "yes" : "no";
}

// Columns: metric, simulated, then per applicable model its value and whether it
// lies within the simulated interval.
std::string format_policy_analysis(const analysis::PolicyAnalysis& analysis,
                                   const std::vector<ComparedMetric>& metrics) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"metric", "simulated"};
  for (const auto& [model, value] : metrics.front().exact) {
    header.emplace_back(analysis::to_string(model));
    header.emplace_back("in CI");
  }
  rows.push_back(header);
  for (const ComparedMetric& m : metrics) {
    std::vector<std::string> row = {m.label, format_estimate(m.simulated)};
    for (const auto& [model, value] : m.exact) {
      row.push_back(fmt::format("{:.4f}", value));
      row.push_back(format_within(within_ci(m.simulated, value)));
    }
    rows.push_back(row);
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      // "±" is two bytes and one column.
      const std::size_t columns = row[i].size() - (row[i].find("±") != std::string::npos ? 1 : 0);
      widths[i] = std::max(widths[i], columns);
    }
  }
  std::string out = analysis.policy + "\n";
  for (const auto& row : rows) {
    std::string line = " ";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const std::size_t columns = row[i].size() - (row[i].find("±") != std::string::npos ? 1 : 0);
      line += " " + row[i] + std::string(widths[i] - columns + (i + 1 < row.size() ? 1 : 0), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  for (const analysis::FailedAssumption& f : analysis.failed) out += "  no exact model: " + f.to_string() + "\n";
  for (const analysis::ModelResult& model : analysis.models) {
    if (model.applies) {
      out += fmt::format("  {}: {}\n", analysis::to_string(model.model), model.detail);
    } else {
      for (const analysis::FailedAssumption& f : model.failed) {
        out += fmt::format("  {} does not apply: {}\n", analysis::to_string(model.model), f.to_string());
      }
    }
  }
  return out;
}

nlohmann::ordered_json assumptions_json(const std::vector<analysis::FailedAssumption>& failed) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const analysis::FailedAssumption& f : failed) list.push_back({{"key", f.key}, {"problem", f.problem}});
  return list;
}

nlohmann::ordered_json policy_analysis_json(const analysis::PolicyAnalysis& analysis, const PolicyResult& result,
                                    const std::vector<ComparedMetric>& metrics) {
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const analysis::ModelResult& model : analysis.models) {
    models.push_back({{"model", analysis::to_string(model.model)},
                      {"applies", model.applies},
                      {"detail", model.detail},
                      {"failed_assumptions", assumptions_json(model.failed)}});
  }
  nlohmann::ordered_json compared = nlohmann::ordered_json::object();
  for (const ComparedMetric& m : metrics) {
    nlohmann::ordered_json exact = nlohmann::ordered_json::object();
    for (const auto& [model, value] : m.exact) {
      const std::optional<bool> within = within_ci(m.simulated, value);
      exact[analysis::to_string(model)] = {{"value", value},
                                           {"within_ci95", within ? nlohmann::ordered_json(*within) : nlohmann::ordered_json()}};
    }
    compared[m.key] = {{"simulated", {{"mean", m.simulated.mean}, {"ci95", m.simulated.ci95}}}, {"models", exact}};
  }
  return {{"policy", analysis.policy},
          {"replications", result.replications},
          {"invocations", result.invocations},
          {"failed_assumptions", assumptions_json(analysis.failed)},
          {"models", models},
          {"metrics", compared}};
}

int analyze_command(const AnalyzeArgs& args) {
  ScenarioDocument document = load_document(args.scenario);
  apply_run_settings(args.seed, args.replications, args.duration, document);
  std::vector<PolicyConfig> policies = apply_policy_args(args.policies, document);
  const Scenario scenario = document.parse();
  if (policies.empty()) policies = sim::configure_policies(scenario);

  // The models first: they take milliseconds, the simulation may take minutes.
  std::vector<analysis::PolicyAnalysis> analyses;
  for (const PolicyConfig& policy : policies) analyses.push_back(analysis::analyze(scenario, policy));

  sim::RunOptions options;
  options.threads = args.threads;
  options.cancel = &g_cancel_requested;
  std::optional<ProgressBar> progress;
  attach_progress(options, progress);
  const sim::RunOutput output = sim::run_scenario(scenario, policies, options);
  progress.reset();

  const Duration window = scenario.duration - scenario.warmup;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  std::string table = fmt::format(
      "scenario {}, seed {}, {} of {} (warm-up {}); ± is the 95 % confidence half-width (Student t over "
      "replications); in CI: the model's value lies within it\n",
      scenario.name, scenario.seed, plural(scenario.replications, "replication"), format_duration(scenario.duration),
      format_duration(scenario.warmup));
  for (std::size_t p = 0; p < policies.size(); ++p) {
    const std::vector<ComparedMetric> metrics =
        compare(output.replications[p], analyses[p], scenario.cameras.count, window);
    table += "\n" + format_policy_analysis(analyses[p], metrics);
    results.push_back(policy_analysis_json(analyses[p], output.report.results[p], metrics));
  }
  if (args.json) {
    const nlohmann::ordered_json doc = {{"scenario", scenario.name}, {"seed", scenario.seed}, {"results", results}};
    std::cout << doc.dump(2) << "\n" << std::flush;
  } else {
    std::cout << table << std::flush;
  }
  return kExitOk;
}

// --- fogsched policies -----------------------------------------------------------

std::string format_bound(const ParamSpec& p, double bound) {
  if (std::isinf(bound)) return bound > 0 ? "inf" : "-inf";
  if (p.type == ParamType::duration) return format_duration(from_seconds(bound));
  return fmt::format("{}", bound);
}

int policies_command() {
  const std::vector<const PolicyInfo*> all = PolicyRegistry::builtin().all();

  std::size_t name_width = 0;
  std::size_t param_width = 0;
  std::size_t type_width = 0;
  std::size_t default_width = 0;
  std::size_t range_width = 0;
  const auto range_of = [](const ParamSpec& p) {
    return p.type == ParamType::boolean ? std::string("-")
                                        : fmt::format("[{}, {}]", format_bound(p, p.min), format_bound(p, p.max));
  };
  for (const PolicyInfo* policy : all) {
    name_width = std::max(name_width, policy->name.size());
    for (const ParamSpec& p : policy->params) {
      param_width = std::max(param_width, p.name.size());
      type_width = std::max(type_width, std::string_view(to_string(p.type)).size());
      default_width = std::max(default_width, p.default_value.size());
      range_width = std::max(range_width, range_of(p).size());
    }
  }

  std::string out;
  for (const PolicyInfo* policy : all) {
    out += fmt::format("{:<{}}  {}\n", policy->name, name_width, policy->doc);
    for (const ParamSpec& p : policy->params) {
      out += fmt::format("    {:<{}}  {:<{}}  default {:<{}}  range {:<{}}  {}\n", p.name, param_width,
                         to_string(p.type), type_width, p.default_value, default_width, range_of(p), range_width,
                         p.doc);
    }
  }
  out += "\nUse a policy as NAME or NAME(param=value,...), e.g. --policy 'power_of_d(d=2,threshold=3)'.\n";
  std::cout << out;
  return kExitOk;
}

// --- entry point -----------------------------------------------------------------

int report(int exit_code, std::string_view message) {
  std::cerr << "fogsched: " << message << '\n';
  return exit_code;
}

// A non-negative integer that fits 64 bits: CLI11 alone would read "-3" as 2^64 - 3
// and saturate values that overflow.
CLI::Validator unsigned_integer() {
  return CLI::Validator(
      [](std::string& text) {
        std::uint64_t value = 0;
        const char* end = text.data() + text.size();
        const auto [stop, error] = std::from_chars(text.data(), end, value);
        const bool ok = !text.empty() && error == std::errc{} && stop == end;
        return ok ? std::string() : fmt::format("expected a non-negative integer below 2^64, got '{}'", text);
      },
      "");
}

void add_simulation_args(CLI::App& command, SimulationArgs& args, std::string_view policy_verb) {
  add_scenario_args(command, args.scenario);
  command
      .add_option("--policy", args.policies,
                  fmt::format("Policy {}, e.g. 'power_of_d(d=2,threshold=3)'; repeat for several. "
                              "Replaces the scenario's list",
                              policy_verb))
      ->type_name("SPEC")
      ->allow_extra_args(false);
  command.add_option("--replications", args.replications, "Replications per policy (default: the scenario's)")
      ->type_name("N")
      ->check(unsigned_integer())
      ->check(CLI::Range(1u, 1'000'000u).description(""));
  command.add_option("--seed", args.seed, "Seed of the run (default: the scenario's)")
      ->type_name("S")
      ->check(unsigned_integer());
  command.add_option("--threads", args.threads, "Worker threads; 0 = one per core (default)")
      ->type_name("N")
      ->check(unsigned_integer())
      ->check(CLI::Range(0u, 4096u).description(""));
  command
      .add_option("--duration", args.duration,
                  "Simulated time per replication, warm-up included, e.g. 10min (default: the scenario's)")
      ->type_name("D");
}

// The allocator that really serves malloc here: mimalloc only when a block calloc
// returns lies in its heap (it replaces malloc by being linked, which can fail quietly).
std::string allocator_in_use() {
#if FOGSCHED_WITH_MIMALLOC
  void* probe = std::calloc(1, 64);
  const bool ours = mi_is_in_heap_region(probe);
  std::free(probe);
  if (ours) return fmt::format("mimalloc {}.{}.{}", mi_version() / 100, mi_version() / 10 % 10, mi_version() % 10);
  return "system malloc (mimalloc is linked but not in use)";
#else
  return "system malloc";
#endif
}

int run_cli(int argc, char** argv) {
  CLI::App app{"Cooperative per-invocation scheduling of FaaS calls between fog nodes.", "fogsched"};
  app.set_version_flag("--version",
                       [] { return fmt::format("fogsched {}\nallocator: {}", FOGSCHED_VERSION, allocator_in_use()); });
  app.require_subcommand(1);

  RunArgs run_args;
  CLI::App* run = app.add_subcommand("run", "Simulate a scenario with every policy and compare them");
  add_simulation_args(*run, run_args, "to run");
  run->add_flag("--json", run_args.json, "Print the results as JSON instead of a table");
  run->add_option("--trace", run_args.trace_path, "Write every invocation to this CSV file")->type_name("FILE.csv");
  run->add_option("--out", run_args.out_dir,
                  "Write results.json, summary.txt, scenario.yaml (and trace.csv with --trace) into this directory")
      ->type_name("DIR");

  ScenarioArgs validate_args;
  CLI::App* validate = app.add_subcommand("validate", "Check a scenario and its policies, and summarise it");
  add_scenario_args(*validate, validate_args);

  AnalyzeArgs analyze_args;
  CLI::App* analyze = app.add_subcommand(
      "analyze", "Simulate a scenario and set exact answers beside it (Erlang-B, exact Markov chain, mean-field)");
  add_simulation_args(*analyze, analyze_args, "to analyse");
  analyze->add_flag("--json", analyze_args.json, "Print the comparison as JSON instead of tables");

  CLI::App* policies = app.add_subcommand("policies", "List the built-in policies and their parameters");
  add_serve_command(app);
  add_host_command(app);
  add_load_command(app);
  add_compare_command(app);

  // CLI11 would only say that a subcommand is required; name the word it did not know.
  const std::vector<CLI::App*> commands = app.get_subcommands([](CLI::App*) { return true; });
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(commands.begin(), commands.end(), [&](CLI::App* c) { return c->check_name(argv[1]); })) {
    std::vector<std::string> names;
    for (const CLI::App* command : commands) names.push_back(command->get_name());
    return report(kExitBadInput, fmt::format("unknown command '{}' (expected {})", argv[1], fmt::join(names, ", ")));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CommandExit& e) {
    return e.code;
  } catch (const CLI::ParseError& e) {
    return report(kExitBadInput, fmt::format("{} (see fogsched --help)", e.what()));
  }

  if (run->parsed()) return run_command(run_args);
  if (validate->parsed()) return validate_command(validate_args);
  if (analyze->parsed()) return analyze_command(analyze_args);
  if (policies->parsed()) return policies_command();
  return report(kExitInternalError, "no subcommand ran");
}

}  // namespace
}  // namespace fogsched::cli

int main(int argc, char** argv) {
  using namespace fogsched;
  std::signal(SIGINT, cli::request_cancel);
  std::signal(SIGTERM, cli::request_cancel);
  try {
    return cli::run_cli(argc, argv);
  } catch (const sim::Cancelled&) {
    return cli::report(cli::kExitInterrupted, "interrupted");
  } catch (const ScenarioError& e) {
    return cli::report(cli::kExitBadInput, e.what());
  } catch (const PolicyError& e) {
    return cli::report(cli::kExitBadInput, e.what());
  } catch (const UnitError& e) {
    return cli::report(cli::kExitBadInput, e.what());
  } catch (const cli::InputError& e) {
    return cli::report(cli::kExitBadInput, e.what());
  } catch (const PolicyContractError& e) {
    return cli::report(cli::kExitInternalError, fmt::format("internal error: policy broke its contract: {}", e.what()));
  } catch (const std::exception& e) {
    return cli::report(cli::kExitInternalError, fmt::format("internal error: {}", e.what()));
  } catch (...) {
    return cli::report(cli::kExitInternalError, "internal error: unknown exception");
  }
}
