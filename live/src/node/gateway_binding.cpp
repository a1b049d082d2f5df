// The node's binding to its local OpenFaaS gateway: /system/* passed through with the
// caller's credentials, invocations run there, and calls of untracked functions passed
// through as they are.
#include "node_impl.h"

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
  upstream.set("X-Forwarded-For", client.remote.address().to_string());
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
  upstream.set("X-Forwarded-For", forwarded_for(request, client));
  upstream.body() = request.body();
  co_return co_await gateway.send(config.gateway, std::move(upstream), config.gateway_timeout);
}

asio::awaitable<Answer> SchedulerNode::Impl::pass_through(const Request& request, const std::string& function,
                                                          const std::string& rest, const Arrival& arrival,
                                                          const ClientInfo& client) {
  Answer answer;
  answer.hops = arrival.forwarded ? arrival.hops : 0;
  answer.executed_on = config.name;
  ClientResult ran = co_await run_on_gateway(request, function, rest, arrival, client);
  if (!ran) {
    metrics.gateway_failures.add();
    answer.response = text_response(http::status::bad_gateway, "fogsched: gateway unavailable\n", request);
    co_return answer;
  }
  answer.response = std::move(*ran.response);
  strip_hop_by_hop(answer.response);
  co_return answer;
}

}  // namespace fogsched::live
