// FunctionHost: the gateway's routes over the host's own functions. Here the setup,
// the routing, the WAN link's latency, /function/{name} as the gateway answers it
// (call id, start time, scale from zero, the watchdog's max_inflight), start and drain.
#include "fogsched/live/host.h"

#include <sys/utsname.h>

#include <algorithm>
#include <atomic>
#include <cassert>

#include <fmt/format.h>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "gateway_answers.h"
#include "host_state.h"

extern char** environ;  // NOLINT: POSIX, the environment a command function inherits

namespace fogsched::live {
namespace {

std::string new_call_id() {
  thread_local boost::uuids::random_generator_mt19937 generate;
  return boost::uuids::to_string(generate());
}

std::string machine_architecture() {
  utsname names{};
  return ::uname(&names) == 0 ? names.machine : "unknown";
}

std::map<std::string, std::string> read_environment() {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string_view::npos) environment.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return environment;
}

}  // namespace

FunctionHost::State::State(IoContextPool& pool, HostConfig host_config)
    : config(std::move(host_config)),
      contexts(pool),
      client(pool),
      async_queue(config.queue.capacity),
      execution_log(config.execution_log ? std::make_unique<ExecutionLog>(*config.execution_log) : nullptr),
      environment(read_environment()),
      arch(machine_architecture()) {
  const auto now = SystemClock::now();
  for (HostedFunction& function : config.functions) {
    std::string name = function.name;
    functions.emplace(std::move(name), std::make_shared<Function>(std::move(function), now));
  }
  config.functions.clear();
}

asio::awaitable<Response> FunctionHost::State::handle(Request request, ClientInfo client_info) {
  const std::string_view target = view(request.target());
  const std::string_view path = target.substr(0, target.find('?'));
  const bool sync_call = path.starts_with(kFunctionPrefix);
  if (sync_call || path.starts_with(kAsyncFunctionPrefix)) {
    co_await cross_link();  // the request crossing the link
    Response response;
    if (sync_call) {
      response = co_await invoke(std::move(request), client_info, Dispatch::run);
    } else {
      response = co_await enqueue_async(std::move(request), client_info);
    }
    co_await cross_link();  // the answer crossing back
    co_return response;
  }
  if (path == "/healthz") co_return text_response(http::status::ok, "OK", request);
  if (path.starts_with(kSystemPrefix)) co_return system(request, path);
  co_return page_not_found(request);
}

// A host that plays the cloud sits behind a WAN link: each crossing takes `latency`.
asio::awaitable<void> FunctionHost::State::cross_link() const {
  if (config.latency <= Duration::zero()) co_return;
  asio::steady_timer link(co_await asio::this_coro::executor, config.latency);
  co_await link.async_wait(asio::use_awaitable);
}

// --- /function/{name} ------------------------------------------------------------

asio::awaitable<Response> FunctionHost::State::invoke(Request request, const ClientInfo& client_info,
                                                      Dispatch dispatch) {
  auto started_at = std::chrono::steady_clock::now();
  const std::string start_time = std::to_string(
      std::chrono::duration_cast<std::chrono::nanoseconds>(SystemClock::now().time_since_epoch()).count());
  const std::optional<FunctionTarget> target = split_function_target(view(request.target()));
  if (!target || !is_valid_function_name(target->name)) co_return page_not_found(request);
  const auto [name, namespace_name] = split_function_namespace(target->name);
  const bool our_namespace = namespace_name.empty() || namespace_name == kDefaultFunctionNamespace;
  std::shared_ptr<Function> function = our_namespace ? find(name) : nullptr;

  if (!function && config.scale_from_zero) {
    // The gateway asks the provider for the function and relays its refusal.
    co_return text_response(
        http::status::not_found,
        fmt::format("error finding function {}.{}: server returned non-200 status code (404) for function, {}, body: ",
                    name, our_namespace ? kDefaultFunctionNamespace : namespace_name, name),
        request);
  }
  const auto existing_call_id = request.find("X-Call-Id");
  const bool generated_call_id = existing_call_id == request.end();
  const std::string call_id = generated_call_id ? new_call_id() : std::string(view(existing_call_id->value()));
  const auto stamp = [&](Response& response) {
    if (generated_call_id) response.set("X-Call-Id", call_id);
    response.set("X-Start-Time", start_time);
  };
  if (function && function->replicas.load() == 0 && config.scale_from_zero) {
    function->replicas.store(1);  // the gateway scales from zero and then invokes
  }
  if (!function || function->replicas.load() == 0) {
    Response response =
        go_error(http::status::service_unavailable, fmt::format("No endpoints available for: {}.", name), request);
    response.set(std::string(kInternalHeader), std::string(kInternalByProxy));
    stamp(response);
    co_return response;
  }
  if (dispatch == Dispatch::enqueue) {
    Response accepted = enqueue(std::move(request), client_info, call_id);
    stamp(accepted);
    co_return accepted;
  }
  if (dispatch == Dispatch::from_queue) {
    co_await function->wait_for_slot();             // the queue-worker's concurrency is max_inflight
    started_at = std::chrono::steady_clock::now();  // the gateway sees the call once the worker sends it
  }

  metrics.started(function->qualified_name);
  Response response;
  if (dispatch != Dispatch::from_queue && !function->try_acquire_slot()) {
    response = go_error(
        http::status::too_many_requests,
        fmt::format("Concurrent request limit exceeded. Max concurrent requests: {}", function->spec.max_inflight),
        request);
    response.set(std::string(kInternalHeader), std::string(kInternalByLimiter));
  } else {
    SlotGuard slot(*function);
    if (execution_log) execution_log->record(call_id, function->spec.name);
    response = co_await run(*function, request, target->path, client_info, call_id, start_time);
  }
  stamp(response);
  metrics.finished(function->qualified_name, response.result_int(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count());
  co_return response;
}

// --- slots -------------------------------------------------------------------------
// A queued call's wait is counted in `waiting_` before it tries for a slot, and a
// release looks at `waiting_` after it frees one; so either the waiter finds the slot
// free or the releaser finds the waiter (both under waiters_mutex_).

asio::awaitable<void> Function::wait_for_slot() {
  auto waiter = std::make_shared<SlotWaiter>(co_await asio::this_coro::executor);
  {
    std::lock_guard lock(waiters_mutex_);
    waiting_.fetch_add(1);
    if (try_acquire_slot()) {
      waiting_.fetch_sub(1);
      co_return;
    }
    waiters_.push_back(waiter);
  }
  boost::system::error_code woken;  // the wake-up sets the timer's expiry: no error
  co_await waiter->wake.async_wait(asio::redirect_error(asio::use_awaitable, woken));
  assert(waiter->granted);
}

void Function::release_slot() {
  inflight.fetch_sub(1);
  if (waiting_.load() > 0) hand_slots_to_waiters();
}

void Function::hand_slots_to_waiters() {
  std::lock_guard lock(waiters_mutex_);
  while (!waiters_.empty() && try_acquire_slot()) {
    std::shared_ptr<SlotWaiter> waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiting_.fetch_sub(1);
    waiter->granted = true;
    // On the waiter's own context; an expiry in the past also wakes a wait not yet begun.
    asio::post(waiter->wake.get_executor(),
               [waiter] { waiter->wake.expires_at(std::chrono::steady_clock::time_point::min()); });
  }
}

// --------------------------------------------------------------------------------

FunctionHost::FunctionHost(IoContextPool& contexts, HostConfig config)
    : state_(std::make_shared<State>(contexts, std::move(config))) {
  // The servers hold the state weakly: the state owns them.
  std::weak_ptr<State> weak = state_;
  state_->server = std::make_unique<HttpServer>(
      contexts, parse_listen_address(state_->config.listen), state_->config.limits,
      [weak](Request request, ClientInfo client_info) -> asio::awaitable<Response> {
        const auto state = weak.lock();
        if (!state) co_return text_response(http::status::service_unavailable, "shutting down\n", request);
        co_return co_await state->handle(std::move(request), client_info);
      });
  if (state_->config.metrics_listen) {
    state_->metrics_server = std::make_unique<HttpServer>(
        contexts, parse_listen_address(*state_->config.metrics_listen), state_->config.limits,
        [weak](Request request, ClientInfo) -> asio::awaitable<Response> {
          const auto state = weak.lock();
          if (!state) co_return text_response(http::status::service_unavailable, "shutting down\n", request);
          co_return state->metrics_page(request);
        });
  }
}

FunctionHost::~FunctionHost() = default;

void FunctionHost::start() {
  state_->server->start();
  if (state_->metrics_server) state_->metrics_server->start();
}

tcp::endpoint FunctionHost::local_endpoint() const { return state_->server->local_endpoint(); }

std::optional<tcp::endpoint> FunctionHost::metrics_endpoint() const {
  if (!state_->metrics_server) return std::nullopt;
  return state_->metrics_server->local_endpoint();
}

void FunctionHost::drain(SteadyDuration timeout, std::function<void()> on_drained) {
  struct Countdown {
    std::atomic<int> remaining;
    std::function<void()> done;
    std::shared_ptr<State> state;
  };
  auto countdown = std::make_shared<Countdown>();
  countdown->remaining = state_->metrics_server ? 2 : 1;
  countdown->done = std::move(on_drained);
  countdown->state = state_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto one_drained = [countdown, deadline] {
    if (--countdown->remaining != 0) return;
    // Then the queued calls finish, within what is left of the timeout. The wait
    // holds the state weakly: the state holds the wait.
    State& state = *countdown->state;
    const SteadyDuration left = std::max(SteadyDuration::zero(), deadline - std::chrono::steady_clock::now());
    state.async_queue.when_idle(state.contexts.next(), left,
                                [weak = std::weak_ptr<State>(countdown->state), done = countdown->done] {
                                  if (const auto idle = weak.lock()) idle->client.close_idle();
                                  if (done) done();
                                });
  };
  state_->server->drain(timeout, one_drained);
  if (state_->metrics_server) state_->metrics_server->drain(timeout, one_drained);
}

}  // namespace fogsched::live
