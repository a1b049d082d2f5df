// The node's binding to its local OpenFaaS gateway: /system/* passed through with the
// caller's credentials, invocations run there, the gateway's /healthz checked in the
// background, and each function's slot count K read from its FunctionStatus (labels,
// then max_inflight) and kept fresh.
#include "node_impl.h"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "fogsched/live/wire.h"
#include "node_headers.h"

namespace fogsched::live {

using json = nlohmann::json;

asio::awaitable<Response> SchedulerNode::Impl::handle_system(Request request, ClientInfo client) {
  // The caller's own credentials go to the gateway; the node never lends its own.
  const bool keep_alive = request.keep_alive();
  Request upstream = request;
  strip_hop_by_hop(upstream);
  upstream.erase(bsv(wire::kTokenHeader));
  upstream.set(http::field::host, gateway_origin());
  upstream.target(bsv(config.gateway.prefix + std::string(sv(request.target()))));
  set_forwarding_headers(request, client, upstream);
  ClientResult result = co_await gateway.send(config.gateway, std::move(upstream), config.gateway_timeout);
  if (!result) {
    metrics.gateway_failures.add();
    co_return text_response(http::status::bad_gateway, "fogsched: gateway unavailable\n", request);
  }
  Response response = std::move(*result.response);
  strip_hop_by_hop(response);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  co_return response;
}

asio::awaitable<ClientResult> SchedulerNode::Impl::run_on_gateway(const Request& request, const std::string& function,
                                                                  const std::string& rest, const Arrival& arrival,
                                                                  const ClientInfo& client) {
  Request upstream{arrival.method, config.gateway.prefix + std::string(kFunctionPrefix) + function + rest,
                   request.version()};
  copy_end_to_end_headers(request, upstream);
  set_forwarding_headers(request, client, upstream);
  upstream.body() = request.body();
  co_return co_await gateway.send(config.gateway, std::move(upstream), config.gateway_timeout);
}

asio::awaitable<void> SchedulerNode::Impl::check_gateway_health_loop() {
  auto self = shared_from_this();
  // What brings an unhealthy gateway back; while healthy it also notices a gateway
  // that went away between calls.
  const SteadyDuration limit = std::min<SteadyDuration>(config.gateway_timeout, config.gateway_health_interval);
  while (!draining) {
    Request request{http::verb::get, config.gateway.prefix + std::string(wire::kHealthPath), 11};
    const ClientResult result = co_await gateway.send(config.gateway, std::move(request), limit);
    gateway_health.observe_health_check(result);
    health_timer.expires_after(config.gateway_health_interval);
    boost::system::error_code ec;
    co_await health_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

asio::awaitable<std::uint32_t> SchedulerNode::Impl::ensure_slots(FunctionId function, const std::string& name) {
  bool first_sight = false;
  {
    std::lock_guard lock(mutex);
    if (auto configured = config.slots.find(name); configured != config.slots.end()) {
      state->set_slots(function, configured->second);
      co_return configured->second;
    }
    auto read = slots_read_at.find(function.value);
    if (read != slots_read_at.end() && now() - read->second < config.functions_refresh) {
      co_return state->function_load(function).slots;
    }
    first_sight = read == slots_read_at.end();
    slots_read_at[function.value] = now();  // one refresh at a time
    if (first_sight) state->set_slots(function, config.default_slots);
  }
  if (first_sight) {
    co_await refresh_slots_from_gateway(function, name);
  } else {
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, refresh_slots_from_gateway(function, name), asio::detached);
  }
  std::lock_guard lock(mutex);
  co_return state->function_load(function).slots;
}

asio::awaitable<void> SchedulerNode::Impl::refresh_slots_from_gateway(FunctionId function, std::string name) {
  auto self = shared_from_this();
  Request request{http::verb::get, config.gateway.prefix + std::string(kFunctionStatusPrefix) + name, 11};
  if (credentials) request.set(http::field::authorization, basic_auth_header(*credentials));
  ClientResult result = co_await gateway.send(
      config.gateway, std::move(request), std::min<SteadyDuration>(config.gateway_timeout, std::chrono::seconds(5)));
  std::uint32_t slots = config.default_slots;
  if (result && result.response->result() == http::status::ok) {
    try {
      const json status = json::parse(result.response->body());
      auto number = [](const json& value) -> std::optional<std::uint32_t> {
        if (!value.is_string()) return std::nullopt;
        const unsigned long n = std::stoul(value.get<std::string>());
        if (n == 0 || n > 1'000'000) return std::nullopt;
        return static_cast<std::uint32_t>(n);
      };
      std::optional<std::uint32_t> found;
      if (status.contains("labels") && status["labels"].contains("com.fogsched.slots")) {
        found = number(status["labels"]["com.fogsched.slots"]);
      }
      if (!found && status.contains("envVars") && status["envVars"].contains("max_inflight")) {
        found = number(status["envVars"]["max_inflight"]);
      }
      if (found) slots = *found;
    } catch (const std::exception&) {
      // A FunctionStatus we cannot read leaves the default in place.
    }
  }
  std::lock_guard lock(mutex);
  state->set_slots(function, slots);
}

}  // namespace fogsched::live
