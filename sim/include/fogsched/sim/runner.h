#pragma once
// Running scenarios: replications of every policy, in parallel threads, with
// results that depend only on the seed (never on the thread count).
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "fogsched/core/results.h"
#include "fogsched/core/scenario.h"
#include "fogsched/policies/registry.h"

namespace fogsched::sim {

// Thrown by run_scenario() and run_scenarios() when RunOptions::cancel was set
// during the run.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("run cancelled") {}
};

enum class LookAhead { automatic, always, never };

struct RunOptions {
  std::optional<std::uint32_t> replications;  // default: the scenario's
  std::optional<std::uint64_t> seed;          // default: the scenario's
  std::uint32_t threads = 1;                  // 0 = hardware concurrency
  bool keep_trace = false;                    // keep every InvocationRecord
  // Called with the fraction done (0..1), counting the simulated time of the
  // replications under way, after each replication and every quarter second; from
  // the thread that called run_scenario() (or run_scenarios()) only.
  std::function<void(double)> progress;
  // Polled during the run; when it becomes true the run stops and throws Cancelled.
  const std::atomic<bool>* cancel = nullptr;
  // Whether the engine starts loading the records upcoming events will touch:
  // by default in cities whose node records outgrow a core's cache, where it pays.
  // Never changes results (tests and benchmarks compare the three).
  LookAhead look_ahead = LookAhead::automatic;
};

// The worker threads `options` asks for: its `threads`, or one per core for 0.
std::uint32_t worker_threads(const RunOptions& options);

struct ReplicationTrace {
  std::uint32_t policy_index = 0;
  std::uint32_t replication = 0;
  std::vector<InvocationRecord> records;  // in order of ending
};

// What the engine did in one replication (for benchmarks and capacity planning).
struct EngineStats {
  std::uint64_t events = 0;               // events processed
  std::uint64_t peak_pending_events = 0;  // largest event-queue size
  double mean_pending_events = 0;         // event-queue size averaged over events
  std::uint64_t peak_invocations = 0;     // most invocations alive at once
};

struct ReplicationResult {
  MetricsCollector metrics;
  EngineStats engine;
  ReplicationSummary summary;
  std::vector<InvocationRecord> trace;  // empty unless keep_trace
  // What each camera's policy learned (Policy::learned_table), by camera; empty when
  // the policy learns nothing.
  std::vector<std::optional<LearnedTable>> learned;
};

struct RunOutput {
  RunReport report;
  std::vector<ReplicationTrace> traces;  // by policy, then replication
  // Raw metrics of every replication, by policy then replication.
  std::vector<std::vector<ReplicationResult>> replications;
};

// The scenario's `policies` list, validated against `registry`.
std::vector<PolicyConfig> configure_policies(const Scenario& scenario, const PolicyRegistry& registry);

// Seed of replication `r` of a run with seed `seed`. The same for every policy, so
// policies are compared on the same arrivals and service demands.
std::uint64_t replication_seed(std::uint64_t seed, std::uint32_t replication);

// Run seed of training episode `episode` of a run with seed `seed`: a stream apart
// from replication_seed(), so a policy is evaluated on arrivals it never trained on.
std::uint64_t episode_seed(std::uint64_t seed, std::uint32_t episode);

// One replication of one policy.
ReplicationResult simulate_replication(const Scenario& scenario, const PolicyConfig& policy,
                                       std::uint64_t replication_seed, bool keep_trace = false,
                                       const std::atomic<bool>* cancel = nullptr);

// Every replication of every policy of `base` with `options`' seed and replications
// applied; results in the order the policies are given.
RunOutput run_scenario(const Scenario& base, const std::vector<PolicyConfig>& policies, const RunOptions& options = {});

// One scenario of a batch and the policies it runs.
struct ScenarioRun {
  Scenario scenario;
  std::vector<PolicyConfig> policies;
};

// Every (run, policy, replication) of `runs` as tasks of one pool of worker
// threads, so a batch of one-replication scenarios uses every core; `options`'
// seed and replications apply to each run. One RunOutput per run, in order, each
// the one run_scenario() gives for it alone. The error thrown is the first failing
// task's in task order (run, then policy, then replication); progress counts the
// tasks of every run. The memory check counts every run's city and results, and
// at most `threads` replications under way across the runs.
std::vector<RunOutput> run_scenarios(std::span<const ScenarioRun> runs, const RunOptions& options = {});

}  // namespace fogsched::sim
