// The node's binding to its local OpenFaaS gateway: /system/* passed through with the
// caller's credentials, invocations run there, calls of untracked functions passed
// through as they are, and the gateway's /healthz checked in the background.
#include "node_impl.h"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fogsched/live/wire.h"
#include "node_headers.h"

namespace fogsched::live {

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
  Request upstream{arrival.method, config.gateway.prefix + std::string(arrival.route()) + function + rest,
                   request.version()};
  copy_end_to_end_headers(request, upstream);
  set_forwarding_headers(request, client, upstream);
  upstream.body() = request.body();
  co_return co_await gateway.send(config.gateway, std::move(upstream), config.gateway_timeout);
}

asio::awaitable<void> SchedulerNode::Impl::check_health_loop(std::shared_ptr<Impl> /*owner*/, Url at,
                                                             HttpClient& client, GatewayHealth& health,
                                                             asio::steady_timer& timer, SteadyDuration limit) {
  // What brings an unhealthy gateway back; while healthy it also notices a gateway
  // that went away between calls.
  while (!draining) {
    Request request{http::verb::get, at.prefix + std::string(kGatewayHealthPath), 11};
    const ClientResult result = co_await client.send(at, std::move(request), limit);
    health.observe_health_check(result);
    timer.expires_after(config.gateway_health_interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

asio::awaitable<Answer> SchedulerNode::Impl::pass_through(const Request& request, const std::string& function,
                                                          const std::string& rest, const Arrival& arrival,
                                                          const ClientInfo& client) {
  Answer answer;
  answer.hops = arrival.forwarded ? arrival.hops : 0;
  answer.executed_on = config.name;
  ClientResult ran = co_await run_on_gateway(request, function, rest, arrival, client);
  gateway_health.observe_call(ran);
  if (!ran) {
    answer.outcome = Outcome::failed;
    answer.response = gateway_failure(ran, request);
  } else {
    take_gateway_answer(answer, std::move(*ran.response));
  }
  co_return answer;
}

}  // namespace fogsched::live
