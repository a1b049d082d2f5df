#include "fogsched/sim/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <numeric>
#include <thread>

#include <fmt/format.h>

#include "fogsched/core/rng.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/run_cost.h"
#include "simulation.h"
#include "stream_labels.h"
#include "workload_models.h"

namespace fogsched::sim {
namespace {

// How often the progress callback hears of replications under way.
constexpr std::chrono::milliseconds kProgressInterval{250};

}  // namespace

std::uint32_t worker_threads(const RunOptions& options) {
  return options.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : options.threads;
}

std::vector<PolicyConfig> configure_policies(const Scenario& scenario, const PolicyRegistry& registry) {
  std::vector<PolicyConfig> configs;
  configs.reserve(scenario.policies.size());
  for (const PolicySpec& spec : scenario.policies) configs.push_back(registry.configure(spec));
  return configs;
}

std::uint64_t replication_seed(std::uint64_t seed, std::uint32_t replication) {
  return derive_seed(seed, {stream::kReplication, replication});
}

std::uint64_t episode_seed(std::uint64_t seed, std::uint32_t episode) {
  return derive_seed(seed, {stream::kEpisode, episode});
}

ReplicationResult simulate_replication(const Scenario& scenario, const PolicyConfig& policy,
                                       std::uint64_t replication_seed, bool keep_trace,
                                       const std::atomic<bool>* cancel) {
  const City city(scenario);
  check_workload_models(scenario, city);
  return Simulation(scenario, city, policy, replication_seed, keep_trace, cancel).run();
}

namespace {

// A run of a batch made ready: `options`' seed and replications applied, and where
// its tasks begin in the batch's task order.
struct PreparedRun {
  Scenario scenario;
  const std::vector<PolicyConfig>* policies = nullptr;
  std::uint32_t replications = 1;
  std::size_t first_task = 0;

  std::size_t tasks() const { return policies->size() * replications; }
};

std::vector<PreparedRun> prepare_runs(std::span<const ScenarioRun> runs, const RunOptions& options) {
  std::vector<PreparedRun> prepared;
  prepared.reserve(runs.size());
  std::size_t first_task = 0;
  for (const ScenarioRun& run : runs) {
    PreparedRun& p = prepared.emplace_back(PreparedRun{.scenario = run.scenario, .policies = &run.policies});
    if (options.seed) p.scenario.seed = *options.seed;
    if (options.replications) p.scenario.replications = *options.replications;
    p.replications = std::max<std::uint32_t>(1, p.scenario.replications);
    p.first_task = first_task;
    first_task += p.tasks();
  }
  return prepared;
}

// The memory of a batch: every run's city and results, held until the
// batch ends, plus the replications under way, at most `threads` of them across the
// runs (the costliest counted). A run's replication under way costs what its
// estimate adds from one replication at once to two.
RunCost batch_cost(std::span<const PreparedRun> runs, const RunOptions& options) {
  const auto estimate = [](const Scenario& scenario, const std::vector<PolicyConfig>& policies, const RunOptions& o) {
    return estimate_from_sizes(scenario, policies.size(), o);
  };
  if (runs.size() == 1) return estimate(runs.front().scenario, *runs.front().policies, options);
  const std::uint32_t threads = worker_threads(options);
  double held = 0;
  std::vector<double> under_way;  // per replication that may run at once
  RunCost costliest;
  for (const PreparedRun& run : runs) {
    RunOptions one_at_once = options;
    one_at_once.threads = 1;
    const RunCost alone = estimate(run.scenario, *run.policies, one_at_once);
    one_at_once.replications = std::max<std::uint32_t>(2, run.replications);
    RunOptions two_at_once = one_at_once;
    two_at_once.threads = 2;
    const double replication =
        std::max(0.0, static_cast<double>(estimate(run.scenario, *run.policies, two_at_once).memory_bytes) -
                          static_cast<double>(estimate(run.scenario, *run.policies, one_at_once).memory_bytes));
    held += std::max(0.0, static_cast<double>(alone.memory_bytes) - replication);
    under_way.insert(under_way.end(), std::min<std::size_t>(threads, run.tasks()), replication);
    if (alone.memory_bytes >= costliest.memory_bytes) costliest = alone;
  }
  const auto counted = std::min<std::size_t>(threads, under_way.size());
  std::partial_sort(under_way.begin(), under_way.begin() + static_cast<std::ptrdiff_t>(counted), under_way.end(),
                    std::greater<>());
  const double total =
      std::accumulate(under_way.begin(), under_way.begin() + static_cast<std::ptrdiff_t>(counted), held);
  RunCost cost = costliest;
  cost.memory_bytes = static_cast<std::uint64_t>(std::min(std::ceil(total), 0x1p64 - 0x1p11));
  cost.memory_reason = fmt::format("{}, with {} more {} at once", costliest.memory_reason, runs.size() - 1,
                                   runs.size() == 2 ? "scenario" : "scenarios");
  return cost;
}

// Refused before anything is allocated when the batch cannot fit.
void check_batch_memory(std::span<const PreparedRun> runs, const RunOptions& options) {
  check_memory(batch_cost(runs, options));
}

// A run's report and traces from its replications' results.
void summarize(const PreparedRun& run, bool keep_trace, RunOutput& out) {
  out.report.scenario = run.scenario.name;
  out.report.seed = run.scenario.seed;
  for (std::size_t p = 0; p < run.policies->size(); ++p) {
    std::vector<ReplicationSummary> summaries;
    summaries.reserve(run.replications);
    for (std::uint32_t r = 0; r < run.replications; ++r) {
      ReplicationResult& rep = out.replications[p][r];
      summaries.push_back(rep.summary);
      if (keep_trace) {
        out.traces.push_back({static_cast<std::uint32_t>(p), r, std::move(rep.trace)});
        rep.trace.clear();
      }
    }
    out.report.results.push_back(summarize_policy((*run.policies)[p].canonical, summaries));
  }
}

}  // namespace

RunOutput run_scenario(const Scenario& base, const std::vector<PolicyConfig>& policies, const RunOptions& options) {
  const ScenarioRun run{.scenario = base, .policies = policies};
  return std::move(run_scenarios(std::span(&run, 1), options).front());
}

std::vector<RunOutput> run_scenarios(std::span<const ScenarioRun> runs, const RunOptions& options) {
  const std::vector<PreparedRun> prepared = prepare_runs(runs, options);
  check_batch_memory(prepared, options);
  std::deque<City> cities;  // one per run, in order; a City does not move
  for (const PreparedRun& run : prepared) {
    check_workload_models(run.scenario, cities.emplace_back(run.scenario));
  }
  const std::size_t tasks = prepared.empty() ? 0 : prepared.back().first_task + prepared.back().tasks();

  std::vector<RunOutput> outs(prepared.size());
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    outs[i].replications.assign(prepared[i].policies->size(), std::vector<ReplicationResult>(prepared[i].replications));
  }
  std::vector<std::exception_ptr> errors(tasks);

  std::mutex mutex;
  std::condition_variable task_done;
  std::size_t done = 0;
  std::size_t next_task = 0;
  std::atomic<bool> stop_workers{false};

  const auto threads = static_cast<std::uint32_t>(std::min<std::size_t>(worker_threads(options), tasks));
  // Per worker: the simulated time its replication under way has reached, and the
  // duration of that replication's scenario (guarded by `mutex`).
  std::vector<std::atomic<std::int64_t>> reached(threads);
  std::vector<Duration> reaching(threads, Duration{1});

  auto worker = [&](std::uint32_t slot) {
    for (;;) {
      std::size_t task;
      std::size_t i;
      {
        std::lock_guard lock(mutex);
        if (next_task == tasks || stop_workers.load()) return;
        task = next_task++;
        // The run holding the task: the last whose tasks begin at or before it.
        i = static_cast<std::size_t>(
                std::upper_bound(prepared.begin(), prepared.end(), task,
                                 [](std::size_t t, const PreparedRun& run) { return t < run.first_task; }) -
                prepared.begin()) -
            1;
        reaching[slot] = std::max(Duration{1}, prepared[i].scenario.duration);
      }
      const PreparedRun& run = prepared[i];
      const std::size_t p = (task - run.first_task) / run.replications;
      const auto r = static_cast<std::uint32_t>((task - run.first_task) % run.replications);
      try {
        if (options.cancel && options.cancel->load()) throw Cancelled();
        Simulation simulation(run.scenario, cities[i], (*run.policies)[p], replication_seed(run.scenario.seed, r),
                              options.keep_trace, options.cancel);
        simulation.publish_progress(&reached[slot]);
        simulation.set_look_ahead(options.look_ahead);
        outs[i].replications[p][r] = simulation.run();
      } catch (...) {
        errors[task] = std::current_exception();
        stop_workers = true;
      }
      {
        std::lock_guard lock(mutex);
        reached[slot].store(0, std::memory_order_relaxed);
        ++done;
      }
      task_done.notify_one();
    }
  };

  {
    std::vector<std::jthread> pool;
    pool.reserve(threads);
    for (std::uint32_t i = 0; i < threads; ++i) pool.emplace_back(worker, i);
    std::unique_lock lock(mutex);
    std::size_t reported = 0;
    while (done < tasks) {
      task_done.wait_for(lock, kProgressInterval, [&] { return done > reported || stop_workers.load(); });
      if (stop_workers.load()) break;
      reported = done;
      if (options.progress) {
        double under_way = 0;  // replications' worth of simulated time under way
        for (std::uint32_t slot = 0; slot < threads; ++slot) {
          under_way += std::min(1.0, static_cast<double>(reached[slot].load(std::memory_order_relaxed)) /
                                         static_cast<double>(reaching[slot].count()));
        }
        lock.unlock();
        options.progress(std::min(1.0, (static_cast<double>(reported) + under_way) / static_cast<double>(tasks)));
        lock.lock();
      }
    }
    // Every task may end before the first wait: the end is still reported.
    if (options.progress && reported < tasks && !stop_workers.load()) {
      lock.unlock();
      options.progress(1.0);
    }
  }  // joins the workers
  // The first failure in task order, so the error does not depend on scheduling.
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  for (std::size_t i = 0; i < prepared.size(); ++i) summarize(prepared[i], options.keep_trace, outs[i]);
  return outs;
}

}  // namespace fogsched::sim
