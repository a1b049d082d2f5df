// The gateway's async route and its queue-worker: POST /async-function/NAME answers
// 202 and queues the call; the worker runs it as /function/NAME runs, but waits for a
// slot where a caller would get 429, then POSTs the result to the X-Callback-Url.
#include "host_state.h"

#include <algorithm>
#include <stdexcept>
#include <utility>  // boost/asio/awaitable.hpp (1.74) uses std::exchange without it

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "gateway_answers.h"

namespace fogsched::live {
namespace {

// Where a result goes: the callback URL's origin, and its path and query as written.
struct CallbackTarget {
  Url origin;
  std::string target;
};

// Live mode speaks plain http only (http.h); throws std::invalid_argument naming the URL.
CallbackTarget parse_callback_url(std::string_view text) {
  constexpr std::string_view scheme = "http://";
  if (!text.starts_with(scheme)) {
    throw std::invalid_argument(fmt::format("{}: '{}' is not an http:// URL", kCallbackUrlHeader, text));
  }
  const std::string_view rest = text.substr(scheme.size());
  const std::size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  CallbackTarget callback;
  try {
    callback.origin = parse_url(text.substr(0, scheme.size() + authority_end));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(fmt::format("{}: '{}': {}", kCallbackUrlHeader, text, e.what()));
  }
  std::string_view target = rest.substr(authority_end);
  target = target.substr(0, target.find('#'));  // a fragment is not sent
  callback.target = target.starts_with('/') ? std::string(target) : "/" + std::string(target);
  return callback;
}

// The worker's own failure (the call did not get an answer from the function).
Response worker_failure(std::string_view what) {
  Response response{http::status::internal_server_error, 11};
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = fmt::format("the host could not run the call: {}\n", what);
  response.prepare_payload();
  return response;
}

}  // namespace

asio::awaitable<Response> FunctionHost::State::enqueue_async(Request request, const ClientInfo& client_info) {
  if (config.queue.capacity == 0) co_return page_not_found(request);  // as a gateway without a queue
  const std::string_view target = view(request.target());
  const std::optional<FunctionTarget> function = split_function_target(target, kAsyncFunctionPrefix);
  if (!function || !is_valid_function_name(function->name)) co_return page_not_found(request);
  if (request.method() != http::verb::post) co_return empty_response(http::status::method_not_allowed, request);
  if (const auto callback = request.find(field_name(kCallbackUrlHeader)); callback != request.end()) {
    std::string refusal;
    try {
      parse_callback_url(view(callback->value()));
    } catch (const std::invalid_argument& e) {
      refusal = e.what();
    }
    if (!refusal.empty()) co_return go_error(http::status::bad_request, refusal, request);
  }
  // The worker calls the sync route, as the queue-worker calls the gateway's.
  request.target(std::string(kFunctionPrefix) + std::string(target.substr(kAsyncFunctionPrefix.size())));
  co_return co_await invoke(std::move(request), client_info, Dispatch::enqueue);
}

Response FunctionHost::State::enqueue(Request request, const ClientInfo& client_info, const std::string& call_id) {
  if (!async_queue.try_admit()) {
    // 503, not 429: the gateway's queue is full for every caller and function, and a
    // 429 on a gateway route means the watchdog's max_inflight.
    Response full = go_error(
        http::status::service_unavailable,
        fmt::format("Async queue is full: {} calls accepted and not finished", async_queue.capacity()), request);
    full.set(http::field::retry_after, "1");
    return full;
  }
  Response accepted = empty_response(http::status::accepted, request);
  accepted.set("X-Call-Id", call_id);
  request.set("X-Call-Id", call_id);  // the function and the callback see the same id
  asio::co_spawn(contexts.next(), run_queued(shared_from_this(), std::move(request), client_info), asio::detached);
  return accepted;
}

asio::awaitable<void> FunctionHost::State::run_queued(std::shared_ptr<State> self, Request request,
                                                      ClientInfo client_info) {
  struct Finished {
    AsyncQueue& queue;
    ~Finished() { queue.finish(); }
  } finished{self->async_queue};

  // The target, name and callback URL were checked at enqueue.
  const std::string call_id(view(request["X-Call-Id"]));
  const std::string name = split_function_target(view(request.target()))->name;
  std::optional<CallbackTarget> callback;
  if (const auto url = request.find(field_name(kCallbackUrlHeader)); url != request.end()) {
    callback = parse_callback_url(view(url->value()));
  }

  const auto began = std::chrono::steady_clock::now();
  Response response;
  std::string failure;
  try {
    response = co_await self->invoke(std::move(request), client_info, Dispatch::from_queue);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) response = worker_failure(failure);
  if (!callback) co_return;

  // The function's answer with the queue-worker's headers, as its callback carries it.
  Request result{http::verb::post, callback->target, 11};
  for (const auto& field : response) result.insert(field.name_string(), field.value());
  strip_hop_by_hop(result.base());
  result.set("X-Call-Id", call_id);
  result.set(field_name(kFunctionStatusHeader), std::to_string(response.result_int()));
  result.set(field_name(kFunctionNameHeader), name);
  result.set("X-Duration-Seconds", duration_seconds(std::chrono::steady_clock::now() - began));
  result.body() = std::move(response.body());
  result.prepare_payload();

  co_await self->cross_link();  // the result crossing the link back
  // Sent at most once: a callback that fails or times out is not retried.
  const SteadyDuration timeout = self->config.queue.callback_timeout;
  [[maybe_unused]] const ClientResult delivered =
      co_await self->client.send(callback->origin, std::move(result), timeout);
}

}  // namespace fogsched::live
