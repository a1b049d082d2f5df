// The macro benchmark: whole scenarios through the simulator, single-threaded.
//
// For each reference scenario and policy it runs one replication and prints the
// engine's event rate, simulated invocations per second, peak RSS, bytes per
// in-flight invocation, and the event rate of a bare std::priority_queue "hold"
// loop run in the same process at the engine's mean number of pending events;
// last, that ratio for the run nearest 10^5 pending events (city-25k), the issue's
// reference point.
// --scaling runs city-1k at growing camera counts; --threads-check compares
// replications of one scenario, and a sweep of one replication at four loads, on 1
// and 2 threads (speed-up, and byte-identical reports).
//
// Every measured run happens in a forked child process whose peak RSS is reset
// first, so peaks do not accumulate from one run to the next and memory the
// allocator kept from an earlier run does not hide a later run's growth.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include "fogsched/app/run_settings.h"
#include "fogsched/core/results.h"
#include "fogsched/core/rng.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/core/units.h"
#include "fogsched/sim/runner.h"
#include "process_memory.h"

namespace {

namespace fs = std::filesystem;
using fogsched::Duration;
using fogsched::PolicyConfig;
using fogsched::Scenario;
using Clock = std::chrono::steady_clock;

// Below this many invocations alive at once, the run's fixed memory (city, event
// queue, metrics) outweighs the invocations and bytes per invocation mean nothing.
constexpr std::uint64_t kMinInFlightForMemoryFigure = 100'000;
constexpr std::uint32_t kThreadsCheckReplications = 4;
// The loads of the threads check's sweep (one replication each), the longest run
// first so that two threads end together.
constexpr double kThreadsCheckLoads[] = {0.8, 0.7, 0.6, 0.5};
// The reference point for the engine/hold ratio, and the steps timed there.
constexpr std::size_t kReferencePendingEvents = 100'000;
constexpr std::uint64_t kReferenceHoldSteps = 20'000'000;
constexpr Duration kScalingDefaultDuration = std::chrono::minutes{10};
const std::vector<std::uint32_t> kScalingCameraCounts = {100, 1'000, 10'000, 100'000};
constexpr std::uint32_t kScalingReferenceCameras = 1'000;
// Scaling runs shorter than this are repeated, up to this many times in all.
constexpr double kScalingShortRunSeconds = 10;
constexpr int kScalingShortRunRepeats = 3;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// CPU time of this process so far, all threads, user and system.
double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// ---- Memory ------------------------------------------------------------------

using fogsched::bench::reset_peak_rss;
using fogsched::bench::status_kib;

// ---- Isolated runs -----------------------------------------------------------

void write_all(int fd, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) throw std::system_error(errno, std::generic_category(), "write to parent");
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

bool read_all(int fd, void* data, std::size_t size) {
  auto* bytes = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t got = ::read(fd, bytes, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    bytes += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

// Runs `work` in a forked child and returns what it returned, sent back through a
// pipe. The child's failure (an exception, a crash) becomes an exception here.
template <class Work>
auto run_in_child(Work work) -> decltype(work()) {
  using Figures = decltype(work());
  static_assert(std::is_trivially_copyable_v<Figures>);
  int fds[2];
  if (::pipe(fds) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  std::fflush(nullptr);  // else the child's copy of buffered output could be written twice
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) {
    ::close(fds[0]);
    int exit_code = 0;
    try {
      const Figures figures = work();
      write_all(fds[1], &figures, sizeof figures);
    } catch (const std::exception& error) {
      fmt::print(stderr, "bench_macro: {}\n", error.what());
      exit_code = 1;
    }
    ::_exit(exit_code);
  }
  ::close(fds[1]);
  Figures figures{};
  const bool complete = read_all(fds[0], &figures, sizeof figures);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!complete || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("a benchmark run failed in its child process");
  }
  return figures;
}

// ---- The baseline: a bare binary-heap hold loop ------------------------------

// The shape of sim::Event: 32 bytes, ordered by (time, sequence).
struct HoldEvent {
  std::int64_t time_ns = 0;
  std::uint64_t sequence = 0;
  std::uint32_t operands[4] = {};
};
static_assert(sizeof(HoldEvent) == 32);

struct LaterHoldEvent {
  bool operator()(const HoldEvent& x, const HoldEvent& y) const {
    return x.time_ns != y.time_ns ? x.time_ns > y.time_ns : x.sequence > y.sequence;
  }
};

// Events per second of `operations` hold steps (pop the earliest, push it back an
// exponential increment later) on a std::priority_queue holding `pending` events.
double hold_loop_events_per_second(std::size_t pending, std::uint64_t operations) {
  constexpr double kMeanIncrementNs = 1e9;
  fogsched::Rng rng(42);
  const auto increment = [&rng] { return static_cast<std::int64_t>(rng.exponential(kMeanIncrementNs)); };

  std::vector<HoldEvent> storage;
  storage.reserve(pending + 1);
  std::priority_queue<HoldEvent, std::vector<HoldEvent>, LaterHoldEvent> queue(LaterHoldEvent{}, std::move(storage));
  std::uint64_t sequence = 0;
  for (std::size_t i = 0; i < pending; ++i) queue.push(HoldEvent{.time_ns = increment(), .sequence = sequence++});

  const auto start = Clock::now();
  for (std::uint64_t i = 0; i < operations; ++i) {
    HoldEvent event = queue.top();
    queue.pop();
    event.time_ns += increment();
    event.sequence = sequence++;
    queue.push(event);
  }
  const double elapsed_s = seconds_since(start);
  benchmark::DoNotOptimize(queue.top());
  return static_cast<double>(operations) / elapsed_s;
}

// ---- One measured replication ------------------------------------------------

struct RunFigures {
  std::uint64_t invocations = 0;  // client invocations simulated (after the warm-up)
  fogsched::sim::EngineStats engine;
  double wall_s = 0;
  double cpu_s = 0;  // of the replication: below wall_s when the process waited for a core
  std::uint64_t rss_before_kib = 0;
  std::uint64_t peak_rss_kib = 0;
  double hold_events_per_s = 0;  // 0 when the baseline was not run
  bool peak_reset = false;

  double events_per_s() const { return static_cast<double>(engine.events) / wall_s; }
  double invocations_per_s() const { return static_cast<double>(invocations) / wall_s; }
  std::uint64_t pending_events() const {
    return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(engine.mean_pending_events)));
  }
};

enum class Baseline : bool { skip, hold_loop };

// One replication (the scenario's seed, replication 0) in a child process; then,
// in the same process, the hold loop with the engine's mean pending events and
// its number of events.
RunFigures measure_run(const Scenario& scenario, const PolicyConfig& policy, Baseline baseline) {
  return run_in_child([&] {
    RunFigures figures;
    figures.peak_reset = reset_peak_rss();
    figures.rss_before_kib = status_kib("VmRSS");
    const auto start = Clock::now();
    const double cpu_start_s = process_cpu_seconds();
    const fogsched::sim::ReplicationResult result =
        fogsched::sim::simulate_replication(scenario, policy, fogsched::sim::replication_seed(scenario.seed, 0));
    figures.wall_s = seconds_since(start);
    figures.cpu_s = process_cpu_seconds() - cpu_start_s;
    figures.peak_rss_kib = status_kib("VmHWM");
    figures.invocations = result.metrics.client_invocations;
    figures.engine = result.engine;
    if (baseline == Baseline::hold_loop) {
      figures.hold_events_per_s = hold_loop_events_per_second(figures.pending_events(), figures.engine.events);
    }
    return figures;
  });
}

// ---- Tables ------------------------------------------------------------------

// Rows of text cells, printed aligned or as a Markdown table. The first
// `text_columns` columns (names) are aligned left, the rest (numbers) right.
class Table {
 public:
  explicit Table(std::vector<std::string> headers, std::size_t text_columns = 1)
      : headers_(std::move(headers)), text_columns_(text_columns) {}

  void add_row(std::vector<std::string> cells) {
    if (cells.size() != headers_.size()) throw std::logic_error("table row of the wrong width");
    rows_.push_back(std::move(cells));
  }

  std::string aligned() const {
    const std::vector<std::size_t> widths = column_widths();
    std::string out = line(headers_, widths, "  ");
    std::size_t total = 0;
    for (std::size_t width : widths) total += width + 2;
    out += std::string(total - 2, '-') + "\n";
    for (const auto& row : rows_) out += line(row, widths, "  ");
    return out;
  }

  std::string markdown() const {
    const std::vector<std::size_t> widths = column_widths();
    std::string out = "| " + line(headers_, widths, " | ");
    out.insert(out.size() - 1, " |");
    std::string rule = "|";
    for (std::size_t column = 0; column < widths.size(); ++column) {
      rule += column < text_columns_ ? " " + std::string(widths[column], '-') + " |"
                                     : " " + std::string(widths[column] - 1, '-') + ": |";
    }
    out += rule + "\n";
    for (const auto& row : rows_) {
      std::string text = "| " + line(row, widths, " | ");
      text.insert(text.size() - 1, " |");
      out += text;
    }
    return out;
  }

 private:
  std::vector<std::size_t> column_widths() const {
    std::vector<std::size_t> widths(headers_.size());
    for (std::size_t column = 0; column < headers_.size(); ++column) {
      widths[column] = std::max<std::size_t>(headers_[column].size(), 2);
      for (const auto& row : rows_) widths[column] = std::max(widths[column], row[column].size());
    }
    return widths;
  }

  std::string line(const std::vector<std::string>& cells, const std::vector<std::size_t>& widths,
                   std::string_view separator) const {
    std::string out;
    for (std::size_t column = 0; column < cells.size(); ++column) {
      if (column > 0) out += separator;
      out += column < text_columns_ ? fmt::format("{:<{}}", cells[column], widths[column])
                                    : fmt::format("{:>{}}", cells[column], widths[column]);
    }
    return out + "\n";
  }

  std::vector<std::string> headers_;
  std::size_t text_columns_;
  std::vector<std::vector<std::string>> rows_;
};

// 11.5M, 842k, 97: three significant figures with an SI suffix.
std::string si(double value) {
  if (value >= 1e9) return fmt::format("{:.3g}G", value / 1e9);
  if (value >= 1e6) return fmt::format("{:.3g}M", value / 1e6);
  if (value >= 1e3) return fmt::format("{:.3g}k", value / 1e3);
  return fmt::format("{:.3g}", value);
}
std::string si(std::uint64_t value) { return si(static_cast<double>(value)); }

std::string mib(std::uint64_t kib) { return fmt::format("{:.1f}", static_cast<double>(kib) / 1024.0); }

// RSS growth of the run over its peak number of live invocations; "-" when too
// few were alive at once for the figure to mean anything.
std::string bytes_per_in_flight(const RunFigures& figures) {
  if (figures.engine.peak_invocations < kMinInFlightForMemoryFigure) return "-";
  const std::uint64_t growth_kib = figures.peak_rss_kib - std::min(figures.peak_rss_kib, figures.rss_before_kib);
  return fmt::format("{:.0f}",
                     static_cast<double>(growth_kib) * 1024.0 / static_cast<double>(figures.engine.peak_invocations));
}

void print_section(std::string_view title) { fmt::print("\n== {}\n", title); }

// What the runs of one table say about how far to trust it, printed under it.
class RunNotes {
 public:
  void add(const RunFigures& figures) {
    peak_reset_ = peak_reset_ && figures.peak_reset;
    lowest_cpu_share_ = std::min(lowest_cpu_share_, figures.cpu_s / figures.wall_s);
  }

  void print() const {
    if (!peak_reset_) {
      fmt::print("note: /proc/self/clear_refs refused a peak reset; peaks include the parent's before the fork\n");
    }
    if (lowest_cpu_share_ < kBusyMachineCpuShare) {
      fmt::print("note: a run got only {:.0f}% of a core (CPU / wall time): the machine was busy, rates are low\n",
                 100 * lowest_cpu_share_);
    }
  }

 private:
  static constexpr double kBusyMachineCpuShare = 0.95;
  bool peak_reset_ = true;
  double lowest_cpu_share_ = 1;
};

// ---- Scenarios -----------------------------------------------------------------

// `scenario` shortened (or lengthened) to `duration`, warm-up scaled as a run would.
Scenario with_duration(Scenario scenario, const std::optional<Duration>& duration) {
  if (!duration) return scenario;
  return fogsched::app::with_duration(std::move(scenario), *duration);
}

std::vector<std::string> default_scenario_paths() {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(FOGSCHED_BENCH_SCENARIO_DIR)) {
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string city_1k_path() { return (fs::path(FOGSCHED_BENCH_SCENARIO_DIR) / "city-1k.yaml").string(); }

// ---- Sections ----------------------------------------------------------------

void run_reference_scenarios(const std::vector<std::string>& paths, std::optional<Duration> duration) {
  print_section("Reference scenarios: one replication per policy, one thread");
  Table table({"scenario", "policy", "invocations", "events", "wall s", "events/s", "invocations/s", "pending",
               "hold events/s", "engine/hold", "peak RSS MiB", "peak in flight", "B/in-flight"},
              2);
  RunNotes notes;
  // The run whose pending-event count is nearest the reference point.
  std::optional<std::pair<std::string, RunFigures>> nearest_reference;
  const auto distance_to_reference = [](const RunFigures& figures) {
    return std::abs(std::log(static_cast<double>(figures.pending_events()) / kReferencePendingEvents));
  };
  for (const std::string& path : paths) {
    const Scenario scenario = with_duration(fogsched::load_scenario(path), duration);
    for (const PolicyConfig& policy :
         fogsched::sim::configure_policies(scenario, fogsched::PolicyRegistry::with_builtins())) {
      const RunFigures figures = measure_run(scenario, policy, Baseline::hold_loop);
      notes.add(figures);
      if (!nearest_reference || distance_to_reference(figures) < distance_to_reference(nearest_reference->second)) {
        nearest_reference.emplace(scenario.name + " " + policy.canonical, figures);
      }
      table.add_row({scenario.name, policy.canonical, si(figures.invocations), si(figures.engine.events),
                     fmt::format("{:.2f}", figures.wall_s), si(figures.events_per_s()), si(figures.invocations_per_s()),
                     si(figures.pending_events()), si(figures.hold_events_per_s),
                     fmt::format("{:.2f}", figures.events_per_s() / figures.hold_events_per_s),
                     mib(figures.peak_rss_kib), si(figures.engine.peak_invocations), bytes_per_in_flight(figures)});
    }
  }
  fmt::print("{}", table.aligned());
  notes.print();
  const double reference_hold_events_per_s =
      run_in_child([] { return hold_loop_events_per_second(kReferencePendingEvents, kReferenceHoldSteps); });
  fmt::print("hold loop at {} pending events: {} events/s\n", si(kReferencePendingEvents),
             si(reference_hold_events_per_s));
  if (nearest_reference) {
    const auto& [name, figures] = *nearest_reference;
    fmt::print("engine/hold nearest {} pending: {:.2f} ({}, {} pending; target >= 0.5)\n", si(kReferencePendingEvents),
               figures.events_per_s() / figures.hold_events_per_s, name, si(figures.pending_events()));
  }
}

void run_scaling(const std::vector<std::uint32_t>& camera_counts, std::optional<Duration> duration) {
  const Duration simulated = duration.value_or(kScalingDefaultDuration);
  print_section(fmt::format("Scaling: city-1k settings at growing camera counts, {} simulated, one thread",
                            fogsched::format_duration(simulated)));
  // The cost per invocation against the 1 000-camera run (or the first run when the
  // series has none): the issue of scale is how far it grows with the fleet.
  const auto reference = std::find(camera_counts.begin(), camera_counts.end(), kScalingReferenceCameras);
  const std::size_t reference_index =
      reference == camera_counts.end() ? 0 : static_cast<std::size_t>(reference - camera_counts.begin());
  std::vector<RunFigures> runs;
  for (const std::uint32_t cameras : camera_counts) {
    fogsched::ScenarioDocument document = fogsched::ScenarioDocument::load_file(city_1k_path());
    document.set("cluster.cameras.count", std::to_string(cameras));
    const Scenario scenario = with_duration(document.parse(), simulated);
    const PolicyConfig policy =
        fogsched::sim::configure_policies(scenario, fogsched::PolicyRegistry::with_builtins()).front();
    // A run of a few seconds is at the mercy of whatever else the machine does for
    // as long: the fastest of a few is the engine's cost.
    RunFigures best = measure_run(scenario, policy, Baseline::skip);
    int repeats = 1;
    for (; repeats < kScalingShortRunRepeats && best.wall_s < kScalingShortRunSeconds; ++repeats) {
      RunFigures again = measure_run(scenario, policy, Baseline::skip);
      if (again.wall_s < best.wall_s) best = std::move(again);
    }
    fmt::print("  {} cameras: {:.2f} s (fastest of {})\n", cameras, best.wall_s, repeats);
    runs.push_back(std::move(best));
  }
  const auto ns_per_invocation = [](const RunFigures& figures) {
    return figures.wall_s * 1e9 / static_cast<double>(figures.invocations);
  };
  Table table({"cameras", "invocations", "events", "wall s", "invocations/s", "ns/invocation",
               fmt::format("x {} cameras", camera_counts[reference_index]), "peak RSS MiB"},
              0);
  RunNotes notes;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunFigures& figures = runs[i];
    notes.add(figures);
    table.add_row({std::to_string(camera_counts[i]), si(figures.invocations), si(figures.engine.events),
                   fmt::format("{:.2f}", figures.wall_s), si(figures.invocations_per_s()),
                   fmt::format("{:.0f}", ns_per_invocation(figures)),
                   fmt::format("{:.2f}", ns_per_invocation(figures) / ns_per_invocation(runs[reference_index])),
                   mib(figures.peak_rss_kib)});
  }
  fmt::print("{}", table.aligned());
  notes.print();
  fmt::print("\nMarkdown:\n\n{}", table.markdown());
}

// Wall and CPU time of the same replications on 1 and 2 threads. CPU / wall shows
// the cores actually used: below 2 on two threads, other work took a core.
struct TimedRun {
  double wall_s = 0;
  double cpu_s = 0;
};
struct ThreadsFigures {
  TimedRun one_thread;
  TimedRun two_threads;
  bool identical = false;
};

// Times `run_on` (threads -> the reports' JSON) on 1 and then 2 threads in a child
// process, prints the figures and returns true when the reports are byte-identical.
template <class RunOn>
bool check_threads(RunOn run_on) {
  const ThreadsFigures figures = run_in_child([&] {
    const auto timed_report = [&](std::uint32_t threads, TimedRun& timing) {
      const auto start = Clock::now();
      const double cpu_start_s = process_cpu_seconds();
      std::string json = run_on(threads);
      timing = {.wall_s = seconds_since(start), .cpu_s = process_cpu_seconds() - cpu_start_s};
      return json;
    };
    ThreadsFigures result;
    const std::string one_thread = timed_report(1, result.one_thread);
    const std::string two_threads = timed_report(2, result.two_threads);
    result.identical = one_thread == two_threads;
    return result;
  });
  Table table({"threads", "wall s", "CPU s", "cores used", "speed-up"}, 0);
  const auto add_row = [&](std::string_view threads, const TimedRun& timing) {
    table.add_row({std::string(threads), fmt::format("{:.2f}", timing.wall_s), fmt::format("{:.2f}", timing.cpu_s),
                   fmt::format("{:.2f}", timing.cpu_s / timing.wall_s),
                   fmt::format("{:.2f}", figures.one_thread.wall_s / timing.wall_s)});
  };
  add_row("1", figures.one_thread);
  add_row("2", figures.two_threads);
  fmt::print("{}", table.aligned());
  constexpr double kTwoWholeCores = 1.9;
  if (figures.two_threads.cpu_s / figures.two_threads.wall_s < kTwoWholeCores) {
    fmt::print("note: the 2-thread run did not get two whole cores (busy machine, or the runner serialises)\n");
  }
  fmt::print("reports: {}\n", figures.identical ? "MATCH" : "MISMATCH");
  return figures.identical;
}

// Replications of one scenario (run_scenario), then a sweep of one replication at
// each of kThreadsCheckLoads (run_scenarios), each on 1 and 2 threads. True when
// both give byte-identical reports on either thread count.
bool run_threads_check(const std::string& path, std::optional<Duration> duration) {
  const fogsched::PolicyRegistry registry = fogsched::PolicyRegistry::with_builtins();
  const Scenario scenario = with_duration(fogsched::load_scenario(path), duration);
  print_section(
      fmt::format("Threads: {} replications of {} on 1 and 2 threads", kThreadsCheckReplications, scenario.name));
  const std::vector<PolicyConfig> policies = fogsched::sim::configure_policies(scenario, registry);
  const bool replications_match = check_threads([&](std::uint32_t threads) {
    fogsched::sim::RunOptions options;
    options.replications = kThreadsCheckReplications;
    options.threads = threads;
    return fogsched::to_json(fogsched::sim::run_scenario(scenario, policies, options).report);
  });

  std::vector<fogsched::sim::ScenarioRun> points;
  for (const double load : kThreadsCheckLoads) {
    fogsched::ScenarioDocument document = fogsched::ScenarioDocument::load_file(path);
    document.set("workload.0.arrivals.load", fmt::format("{}", load));
    const Scenario point = with_duration(document.parse(), duration);
    points.push_back({.scenario = point, .policies = fogsched::sim::configure_policies(point, registry)});
  }
  print_section(fmt::format("Threads: a sweep of {} loads x 1 replication of {} on 1 and 2 threads", points.size(),
                            scenario.name));
  const bool sweep_matches = check_threads([&](std::uint32_t threads) {
    fogsched::sim::RunOptions options;
    options.replications = 1;
    options.threads = threads;
    std::string json;
    for (const fogsched::sim::RunOutput& output : fogsched::sim::run_scenarios(points, options)) {
      json += fogsched::to_json(output.report);
    }
    return json;
  });
  return replications_match && sweep_matches;
}

void warn_if_not_optimised() {
#ifndef NDEBUG
  fmt::print("warning: assertions are on (not a Release build); these figures are meaningless\n");
#endif
}

}  // namespace

int main(int argc, char** argv) try {
  CLI::App app{"fogsched macro benchmark: whole scenarios through the simulator"};
  std::vector<std::string> scenario_paths;
  std::string duration_text;
  std::vector<std::uint32_t> camera_counts = kScalingCameraCounts;
  bool scaling = false;
  bool threads_check = false;
  bool all = false;
  app.add_option("--scenario", scenario_paths, "scenario file (repeatable); default: every bench/scenarios/*.yaml")
      ->check(CLI::ExistingFile);
  app.add_option("--duration", duration_text, "simulated time of every run instead of the scenario's (e.g. 5min)");
  app.add_flag("--scaling", scaling, "only the scaling series (city-1k at growing camera counts)");
  app.add_option("--cameras", camera_counts, "camera counts of the scaling series")->delimiter(',');
  app.add_flag("--threads-check", threads_check, "only the 1-vs-2 threads check (first --scenario, or city-1k)");
  app.add_flag("--all", all, "reference scenarios, then the scaling series, then the threads check");
  CLI11_PARSE(app, argc, argv);

  const std::optional<Duration> duration =
      duration_text.empty() ? std::nullopt : std::optional(fogsched::parse_duration(duration_text));
  warn_if_not_optimised();
  if (all || (!scaling && !threads_check)) {
    run_reference_scenarios(scenario_paths.empty() ? default_scenario_paths() : scenario_paths, duration);
  }
  if (all || scaling) run_scaling(camera_counts, duration);
  if (all || threads_check) {
    const std::string path = scenario_paths.empty() ? city_1k_path() : scenario_paths.front();
    if (!run_threads_check(path, duration)) return 1;
  }
  return 0;
} catch (const std::exception& error) {  // the option setup's too: nothing escapes main
  fmt::print(stderr, "bench_macro: {}\n", error.what());
  return 2;
}
