#pragma once
// The host's state and the pieces that share it, one concern a file:
//   host.cpp             setup, routing, the WAN latency, /function/{name}, slots, start and drain
//   async_calls.cpp      /async-function/{name}: the queue, its worker and the callback
//   function_runners.cpp running a function as the watchdog does: command, synthetic, http
//   system_routes.cpp    /system/* and the metrics page
//   execution_log.cpp    the log of which call ids ran (`execution_log`)
// A deployed function is a Function: its spec, its slots (max_inflight) and, for a
// synthetic one, the stream its service times are drawn from.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // boost/asio/awaitable.hpp (1.74) uses std::exchange without it

#include <fmt/format.h>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "async_queue.h"
#include "execution_log.h"
#include "fogsched/core/rng.h"
#include "fogsched/core/service_time.h"
#include "fogsched/live/host.h"
#include "host_metrics.h"

namespace fogsched::live {

using SystemClock = std::chrono::system_clock;

inline std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }
inline beast::string_view field_name(std::string_view name) { return {name.data(), name.size()}; }

// Draws service times of a synthetic function (core's distribution, as the simulator
// draws them); one stream per function, shared by its concurrent invocations.
class ServiceTimeSampler {
 public:
  ServiceTimeSampler(ServiceTimeSpec spec, std::uint64_t seed) : distribution_(std::move(spec)), rng_(seed) {}

  Duration draw() {
    const ServiceTimeSpec& spec = distribution_.spec();
    if (spec.dist == ServiceDist::deterministic) return spec.mean;  // no lock: the benchmark's path
    std::lock_guard lock(mutex_);
    return from_seconds(distribution_.sample_s(rng_));
  }

 private:
  ServiceTimeDistribution distribution_;
  std::mutex mutex_;
  Rng rng_;
};

// A queued call waiting for one of a function's slots; woken when one is handed to it.
struct SlotWaiter {
  explicit SlotWaiter(const asio::any_io_executor& executor)
      : wake(executor, std::chrono::steady_clock::time_point::max()) {}
  asio::steady_timer wake;
  bool granted = false;  // guarded by Function::waiters_mutex_
};

// A deployed function. Updating one replaces it; invocations in progress finish on
// the version they started with, as on a rolling update.
struct Function {
  Function(HostedFunction hosted, SystemClock::time_point created)
      : spec(std::move(hosted)),
        deployment(to_deployment(spec)),
        qualified_name(fmt::format("{}.{}", spec.name, kDefaultFunctionNamespace)),
        created_at(created) {
    if (const auto* synthetic = std::get_if<SyntheticFunction>(&spec.kind)) {
      sampler.emplace(synthetic->service_time, synthetic->seed);
    }
  }

  // The watchdog's max_inflight: false when every slot is taken.
  bool try_acquire_slot() {
    std::uint32_t current = inflight.load();
    do {
      if (spec.max_inflight != 0 && current >= spec.max_inflight) return false;
    } while (!inflight.compare_exchange_weak(current, current + 1));
    return true;
  }
  // A queued call's slot: waits, first come first served, until one is free and takes it.
  asio::awaitable<void> wait_for_slot();
  // Frees a slot, or hands it to the longest waiting queued call.
  void release_slot();

  const HostedFunction spec;
  const FunctionDeployment deployment;
  const std::string qualified_name;  // "name.openfaas-fn", the metrics' label
  const SystemClock::time_point created_at;
  std::atomic<std::uint64_t> replicas{1};
  std::atomic<std::uint32_t> inflight{0};
  std::optional<ServiceTimeSampler> sampler;

 private:
  void hand_slots_to_waiters();

  std::atomic<std::uint32_t> waiting_{0};  // queued calls in wait_for_slot
  std::mutex waiters_mutex_;
  std::deque<std::shared_ptr<SlotWaiter>> waiters_;  // guarded by waiters_mutex_
};

class SlotGuard {
 public:
  explicit SlotGuard(Function& function) : function_(function) {}
  ~SlotGuard() { function_.release_slot(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  Function& function_;
};

struct FunctionHost::State : std::enable_shared_from_this<State> {
  State(IoContextPool& pool, HostConfig host_config);

  // What invoke() does with a call once its function is found.
  enum class Dispatch : std::uint8_t {
    run,         // a caller waits for the answer: the watchdog's 429
    enqueue,     // /async-function/: 202 now, run by the worker later
    from_queue,  // the worker's call: waits for a slot
  };

  asio::awaitable<Response> handle(Request request, ClientInfo client_info);
  asio::awaitable<void> cross_link() const;
  asio::awaitable<Response> invoke(Request request, const ClientInfo& client_info, Dispatch dispatch);
  asio::awaitable<Response> enqueue_async(Request request, const ClientInfo& client_info);
  Response enqueue(Request request, const ClientInfo& client_info, const std::string& call_id);
  static asio::awaitable<void> run_queued(std::shared_ptr<State> self, Request request, ClientInfo client_info);
  asio::awaitable<Response> run(Function& function, const Request& request, const std::string& path,
                                const ClientInfo& client_info, const std::string& call_id, std::string_view start_time);
  asio::awaitable<Response> run_command(Function& function, const CommandFunction& command, const Request& request,
                                        const std::string& path);
  asio::awaitable<Response> run_synthetic(Function& function, const Request& request);
  asio::awaitable<Response> run_http(Function& function, const HttpFunction& upstream, const Request& request,
                                     const std::string& path, const ClientInfo& client_info, const std::string& call_id,
                                     std::string_view start_time);
  Response system(const Request& request, std::string_view path);
  Response deploy(const Request& request, bool update);
  Response remove(const Request& request);
  Response scale(const Request& request, const std::string& name);
  Response status_of(const Request& request, const std::string& name);
  Response list(const Request& request);
  Response info(const Request& request) const;
  Response metrics_page(const Request& request);

  std::shared_ptr<Function> find(const std::string& name) const {
    std::lock_guard lock(mutex);
    const auto it = functions.find(name);
    return it == functions.end() ? nullptr : it->second;
  }
  FunctionStatus status(const Function& function) const;

  HostConfig config;  // its functions moved into `functions`
  IoContextPool& contexts;
  HttpClient client;
  AsyncQueue async_queue;
  const std::unique_ptr<ExecutionLog> execution_log;     // none unless configured
  const std::map<std::string, std::string> environment;  // the host's own, inherited by commands
  const std::string arch;
  GatewayMetrics metrics;
  mutable std::mutex mutex;
  std::map<std::string, std::shared_ptr<Function>> functions;  // guarded by mutex
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<HttpServer> metrics_server;
};

}  // namespace fogsched::live
