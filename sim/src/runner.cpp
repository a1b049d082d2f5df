#include "fogsched/sim/runner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

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

RunOutput run_scenario(const Scenario& base, const std::vector<PolicyConfig>& policies, const RunOptions& options) {
  Scenario scenario = base;
  if (options.seed) scenario.seed = *options.seed;
  if (options.replications) scenario.replications = *options.replications;
  // Refused before anything is allocated when it cannot fit.
  check_memory(estimate_from_sizes(scenario, policies.size(), options));
  const City city(scenario);
  check_workload_models(scenario, city);
  const std::uint32_t replications = std::max<std::uint32_t>(1, scenario.replications);
  const std::size_t tasks = policies.size() * replications;

  RunOutput out;
  out.replications.assign(policies.size(), std::vector<ReplicationResult>(replications));
  std::vector<std::exception_ptr> errors(tasks);

  std::mutex mutex;
  std::condition_variable task_done;
  std::size_t done = 0;
  std::size_t next_task = 0;
  std::atomic<bool> stop_workers{false};

  const auto threads = static_cast<std::uint32_t>(std::min<std::size_t>(worker_threads(options), tasks));
  // Per worker: the simulated time its replication under way has reached.
  std::vector<std::atomic<std::int64_t>> reached(threads);

  auto worker = [&](std::uint32_t slot) {
    for (;;) {
      std::size_t task;
      {
        std::lock_guard lock(mutex);
        if (next_task == tasks || stop_workers.load()) return;
        task = next_task++;
      }
      const std::size_t p = task / replications;
      const auto r = static_cast<std::uint32_t>(task % replications);
      try {
        if (options.cancel && options.cancel->load()) throw Cancelled();
        Simulation simulation(scenario, city, policies[p], replication_seed(scenario.seed, r), options.keep_trace,
                              options.cancel);
        simulation.publish_progress(&reached[slot]);
        simulation.set_look_ahead(options.look_ahead);
        out.replications[p][r] = simulation.run();
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
        for (const std::atomic<std::int64_t>& ns : reached) {
          under_way += static_cast<double>(ns.load(std::memory_order_relaxed)) /
                       static_cast<double>(std::max<std::int64_t>(1, scenario.duration.count()));
        }
        lock.unlock();
        options.progress(std::min(1.0, (static_cast<double>(reported) + under_way) / static_cast<double>(tasks)));
        lock.lock();
      }
    }
  }  // joins the workers
  // The first failure in task order, so the error does not depend on scheduling.
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }

  out.report.scenario = scenario.name;
  out.report.seed = scenario.seed;
  for (std::size_t p = 0; p < policies.size(); ++p) {
    std::vector<ReplicationSummary> summaries;
    summaries.reserve(replications);
    for (std::uint32_t r = 0; r < replications; ++r) {
      ReplicationResult& rep = out.replications[p][r];
      summaries.push_back(rep.summary);
      if (options.keep_trace) {
        out.traces.push_back({static_cast<std::uint32_t>(p), r, std::move(rep.trace)});
        rep.trace.clear();
      }
    }
    out.report.results.push_back(summarize_policy(policies[p].canonical, summaries));
  }
  return out;
}

}  // namespace fogsched::sim
