#include "fogsched/sim/run_cost.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "fogsched/core/errors.h"
#include "fogsched/core/known_loads.h"
#include "fogsched/core/stats.h"
#include "fogsched/sim/city.h"
#include "simulation.h"

namespace fogsched::sim {
namespace {

// Measured on the shipped scenarios (heap after set-up, over 10^4 to 4 * 10^5
// cameras) and rounded up: a simulation's state per node (node state, its policy,
// the event queue's reserve, metrics), and the city's per camera (position, node
// spec, road network share).
constexpr double kSimulationBytesPerNode = 1024;
constexpr double kCityBytesPerCamera = 512;
// A running thread's stack and allocator arena, and the process before the run.
constexpr double kBytesPerThread = 8.0 * 1024 * 1024;
// A sample stops after this many events (a few milliseconds of work), or when its
// event queue grows past what a sample needs to tell its rate.
constexpr std::uint64_t kSampleEvents = 20'000;
constexpr std::size_t kSamplePending = std::size_t{1} << 20;

std::uint32_t concurrent_replications(const RunOptions& options, std::size_t tasks) {
  return static_cast<std::uint32_t>(std::clamp<std::size_t>(tasks, 1, worker_threads(options)));
}

std::uint32_t replications_of(const Scenario& scenario, const RunOptions& options) {
  return std::max<std::uint32_t>(1, options.replications.value_or(scenario.replications));
}

bool has_traffic(const Scenario& scenario) {
  return std::any_of(scenario.workload.begin(), scenario.workload.end(),
                     [](const WorkloadSpec& w) { return w.arrivals.process == ArrivalProcess::traffic; });
}

// Bytes of one camera's memory of its peers' gossiped loads at its fullest: at most
// network.gossip_memory peers, loads up to the largest K + Q a camera may have.
double gossip_memory_bytes(const Scenario& scenario) {
  const CamerasSpec& cameras = scenario.cameras;
  const std::uint32_t peers = std::min(scenario.network.gossip_memory, std::max(cameras.count, 1u) - 1);
  const bool uniform = !cameras.slots_spread && cameras.overrides.empty();
  const std::uint64_t highest_load =
      uniform ? std::uint64_t{cameras.slots} + cameras.queue : std::uint64_t{KnownLoads::kHighestRankedLoad};
  return static_cast<double>(KnownLoads::bytes_for(
      peers, static_cast<std::uint32_t>(std::min<std::uint64_t>(highest_load, KnownLoads::kHighestRankedLoad))));
}

// The bytes the sizes' estimate splits between the setting that drives them.
struct SizedParts {
  double per_camera = 0;       // grows with cluster.cameras.count
  double per_replication = 0;  // grows with replications (and policies)
};

SizedParts sized_parts(const Scenario& scenario, std::size_t policy_count, const RunOptions& options) {
  const double cameras = scenario.cameras.count;
  const double nodes = cameras + (scenario.cloud.enabled ? 1 : 0);
  const double tasks = static_cast<double>(policy_count) * replications_of(scenario, options);
  const double running = concurrent_replications(options, static_cast<std::size_t>(tasks));
  // A response (and an alert) takes at most the run's duration: the histograms'
  // buckets are dense up to it.
  const double longest = std::chrono::duration<double>(scenario.duration).count();
  const double histograms =
      static_cast<double>(QuantileHistogram::bytes_to_hold(longest)) * (has_traffic(scenario) ? 2 : 1);
  SizedParts parts;
  parts.per_camera = cameras * kCityBytesPerCamera +
                     running * (nodes * kSimulationBytesPerNode + cameras * gossip_memory_bytes(scenario)) +
                     tasks * nodes * 2 * sizeof(double);  // busy and uplink time per node, kept
  parts.per_replication = tasks * (sizeof(ReplicationResult) + histograms) + running * kBytesPerThread;
  return parts;
}

RunCost cost_of(const Scenario& scenario, std::size_t policy_count, const RunOptions& options,
                const SizedParts& parts) {
  RunCost cost;
  // Clamped: the largest sizes come to more bytes than 64 bits count.
  cost.memory_bytes =
      static_cast<std::uint64_t>(std::min(std::ceil(parts.per_camera + parts.per_replication), 0x1p64 - 0x1p11));
  const std::uint32_t replications = replications_of(scenario, options);
  if (parts.per_camera >= parts.per_replication) {
    cost.memory_key = "cluster.cameras.count";
    cost.memory_reason = fmt::format("{} cameras", scenario.cameras.count);
  } else {
    cost.memory_key = "replications";
    cost.memory_reason = fmt::format("the results of {} replications of {} {}", replications, policy_count,
                                     policy_count == 1 ? "policy" : "policies");
  }
  return cost;
}

struct Sample {
  Simulation::SampleReport report;
  double setup_seconds = 0;
  double loop_seconds = 0;
};

Sample sample_policy(const Scenario& scenario, const City& city, const PolicyConfig& policy, bool keep_trace) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  Simulation simulation(scenario, city, policy, replication_seed(scenario.seed, 0), keep_trace, nullptr);
  simulation.stop_early({.events = kSampleEvents, .pending = kSamplePending});
  const auto set_up = Clock::now();
  simulation.run();
  const auto ended = Clock::now();
  return {.report = simulation.sample_report(),
          .setup_seconds = std::chrono::duration<double>(set_up - started).count(),
          .loop_seconds = std::chrono::duration<double>(ended - set_up).count()};
}

// Events and wall time of one replication, extrapolated at the pace of the
// sample's measured part.
struct Extrapolated {
  double events = 0;
  double seconds = 0;
};

// The mean of `profile`'s factor over [from, to).
double mean_factor(const RateProfile& profile, Time from, Time to) {
  if (to <= from) return profile.factor_at(from);
  double weighted = 0;
  for (Time t = from; t < to;) {
    const Time next = std::min(profile.next_change_after(t), to);
    weighted += profile.factor_at(t) * std::chrono::duration<double>(next - t).count();
    t = next;
  }
  return weighted / std::chrono::duration<double>(to - from).count();
}

// How much busier the rest of the run is than the sample's measured part, by the
// workloads' rate profiles (a rush hour ahead): the largest ratio among them.
double busier_ahead(const City& city, std::size_t workloads, Time measured_from, Time reached, Time end) {
  double ratio = 1;
  for (std::uint32_t w = 0; w < workloads; ++w) {
    const double sampled = mean_factor(city.profile(w), measured_from, reached);
    const double ahead = mean_factor(city.profile(w), reached, end);
    if (sampled > 0) ratio = std::max(ratio, ahead / sampled);
  }
  return ratio;
}

Extrapolated extrapolate(const Sample& sample, const City& city, const Scenario& scenario) {
  const Duration duration = scenario.duration;
  const Simulation::SampleReport& r = sample.report;
  const double done = static_cast<double>(r.events_before + r.events);
  if (r.finished) return {.events = done, .seconds = sample.setup_seconds + sample.loop_seconds};
  // Events scheduled count too: a sample stopped by a burst (a gossip round to every
  // peer) has processed few of the events it made. At least a nanosecond covered,
  // so a sample whose events all fell at one instant still scales.
  const double measured = static_cast<double>(std::max(r.events, r.scheduled));
  const double covered = std::max(std::chrono::duration<double>(r.simulated).count(), 1e-9);
  const double left = std::chrono::duration<double>(duration - r.measured_from - r.simulated).count();
  const Time from{r.measured_from};
  const double ahead = busier_ahead(city, scenario.workload.size(), from, from + r.simulated, Time{duration});
  const double events = done + measured / covered * std::max(0.0, left) * ahead;
  const double per_event = measured > 0 ? r.wall_seconds / measured : 0;
  return {.events = events, .seconds = sample.setup_seconds + sample.loop_seconds + per_event * (events - done)};
}

// The first number of a /proc or cgroup file's line starting with `key` (the
// whole file when `key` is empty); none when absent or "max".
std::optional<double> read_number(const char* path, std::string_view key = {}) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(key)) continue;
    std::istringstream fields(line.substr(key.size()));
    double value = 0;
    if (fields >> value) return value;
    return std::nullopt;
  }
  return std::nullopt;
}

// This process's cgroup (v2) directory under /sys/fs/cgroup.
std::optional<std::string> cgroup_directory() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("0::")) return "/sys/fs/cgroup" + line.substr(3);
  }
  return std::nullopt;
}

std::optional<double> limit_left(int resource, std::optional<double> used) {
  rlimit limit{};
  if (getrlimit(resource, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY || !used) return std::nullopt;
  return std::max(0.0, static_cast<double>(limit.rlim_cur) - *used);
}

}  // namespace

RunCost estimate_from_sizes(const Scenario& scenario, std::size_t policy_count, const RunOptions& options) {
  return cost_of(scenario, policy_count, options, sized_parts(scenario, policy_count, options));
}

RunCost estimate_by_sampling(const Scenario& scenario, const std::vector<PolicyConfig>& policies,
                             const RunOptions& options) {
  Scenario sampled = scenario;
  if (options.seed) sampled.seed = *options.seed;
  sampled.warmup = Duration::zero();  // the sample counts every arrival
  const City city(sampled);
  const std::uint32_t replications = replications_of(scenario, options);
  const std::size_t tasks = policies.size() * replications;

  SizedParts parts = sized_parts(scenario, policies.size(), options);
  double events = 0;
  double work_seconds = 0;
  double trace_bytes = 0;
  for (const PolicyConfig& policy : policies) {
    const Sample sample = sample_policy(sampled, city, policy, options.keep_trace);
    const Extrapolated one = extrapolate(sample, city, sampled);
    events += one.events * replications;
    work_seconds += one.seconds * replications;
    const Simulation::SampleReport& r = sample.report;
    if (options.keep_trace && r.events_before + r.events > 0) {
      const double invocations =
          static_cast<double>(r.client_invocations) * one.events / static_cast<double>(r.events_before + r.events);
      trace_bytes += invocations * sizeof(InvocationRecord) * replications;
    }
  }
  parts.per_replication += trace_bytes;
  RunCost cost = cost_of(scenario, policies.size(), options, parts);
  cost.events = events;
  cost.seconds = work_seconds / concurrent_replications(options, tasks);
  return cost;
}

std::uint64_t available_memory() {
  std::vector<double> left;
  // What the kernel could give without swapping out others, and the swap.
  if (const auto available = read_number("/proc/meminfo", "MemAvailable:")) {
    left.push_back((*available + read_number("/proc/meminfo", "SwapFree:").value_or(0)) * 1024);
  }
  if (const auto dir = cgroup_directory()) {
    const auto max = read_number((*dir + "/memory.max").c_str());
    const auto current = read_number((*dir + "/memory.current").c_str());
    if (max && current) left.push_back(std::max(0.0, *max - *current));
  }
  // VmSize and VmData are in KiB.
  const auto vm_size = read_number("/proc/self/status", "VmSize:");
  const auto vm_data = read_number("/proc/self/status", "VmData:");
  if (const auto as = limit_left(RLIMIT_AS, vm_size ? std::optional(*vm_size * 1024) : std::nullopt)) {
    left.push_back(*as);
  }
  if (const auto data = limit_left(RLIMIT_DATA, vm_data ? std::optional(*vm_data * 1024) : std::nullopt)) {
    left.push_back(*data);
  }
  if (left.empty()) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(*std::min_element(left.begin(), left.end()));
}

void check_memory(const RunCost& cost) {
  const std::uint64_t available = available_memory();
  if (cost.memory_bytes <= available) return;
  throw ResourceError(
      fmt::format("{}: the run needs about {} of memory for {}, more than the {} this process can get; lower {}",
                  cost.memory_key, format_rough_bytes(static_cast<double>(cost.memory_bytes)), cost.memory_reason,
                  format_rough_bytes(static_cast<double>(available)), cost.memory_key));
}

RunCost checked_estimate(const Scenario& scenario, const std::vector<PolicyConfig>& policies,
                         const RunOptions& options) {
  check_memory(estimate_from_sizes(scenario, policies.size(), options));
  RunCost cost = estimate_by_sampling(scenario, policies, options);
  check_memory(cost);
  return cost;
}

std::string format_rough_bytes(double bytes) {
  constexpr std::string_view kUnits[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
  std::size_t unit = 0;
  while (bytes >= 1000 && unit + 1 < std::size(kUnits)) {
    bytes /= 1000;
    ++unit;
  }
  return fmt::format("{:.{}f} {}", bytes, bytes < 10 && unit > 0 ? 1 : 0, kUnits[unit]);
}

std::string format_rough_count(double count) {
  constexpr std::pair<double, std::string_view> kScales[] = {
      {1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}, {1e3, "thousand"}};
  for (const auto& [scale, name] : kScales) {
    if (count >= scale) return fmt::format("{:.{}f} {}", count / scale, count / scale < 10 ? 1 : 0, name);
  }
  return fmt::format("{:.0f}", count);
}

std::string format_rough_seconds(double seconds) {
  constexpr std::pair<double, std::string_view> kUnits[] = {
      {365.25 * 86400, "years"}, {86400, "days"}, {3600, "h"}, {60, "min"}};
  if (seconds < 1) return "under a second";
  for (const auto& [unit, name] : kUnits) {
    if (seconds >= 2 * unit) return fmt::format("{:.{}f} {}", seconds / unit, seconds / unit < 10 ? 1 : 0, name);
  }
  return fmt::format("{:.0f} s", seconds);
}

}  // namespace fogsched::sim
