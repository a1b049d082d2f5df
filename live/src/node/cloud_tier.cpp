// The cloud tier: a remote OpenFaaS gateway (cloud.url) a policy may offload to
// through ctx.cloud(). The node calls the cloud's own /function/ routes, tracks its
// health as it tracks its gateway's, and, with cloud.secrets, reads the cloud's
// function list so that a function the cloud lacks is never offloaded.
#include "node_impl.h"

#include <chrono>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "fogsched/live/wire.h"
#include "node_headers.h"

namespace fogsched::live {

asio::awaitable<bool> SchedulerNode::Impl::offload(Answer& answer, const Request& request, const std::string& function,
                                                   const std::string& rest, const Arrival& arrival,
                                                   const Invocation& invocation, const ClientInfo& client) {
  const Url& cloud = *config.cloud;
  metrics.cloud_offloads.add();
  Request upstream{arrival.method, cloud.prefix + std::string(arrival.route()) + function + rest, request.version()};
  copy_end_to_end_headers(request, upstream);
  set_forwarding_headers(request, client, upstream);
  upstream.body() = request.body();
  ClientResult ran = co_await peers_client.send(cloud, std::move(upstream), config.forward_timeout);
  cloud_health.observe_call(ran);
  if (!ran) metrics.cloud_failures.add();
  if (!ran && !ran.request_written) co_return false;

  answer.decision = DecisionKind::forward;
  answer.ran_on = kCloudNode;
  answer.executed_on = std::string(wire::kCloudNodeName);
  answer.hops = invocation.hops + 1;
  if (!ran) {
    // Sent, then lost: it may have run there, so it is not run again here.
    answer.outcome = Outcome::failed;
    answer.response =
        lost_after_sending(ran, wire::kFailureCloudTimeout, wire::kFailureCloudBroken, ran.message, request);
    co_return true;
  }
  // A full cloud refuses as any watchdog does: the call did not run, and, as in the
  // simulator, the cloud's refusal is the answer.
  take_gateway_answer(answer, std::move(*ran.response));
  co_return true;
}

bool SchedulerNode::Impl::cloud_takes(std::string_view function) const {
  if (!config.cloud || !cloud_health.healthy()) return false;
  if (function.empty() || !cloud_functions) return true;
  // The list is of the default namespace; a name given with another is not in it.
  const auto [name, namespace_name] = split_function_namespace(function);
  if (!namespace_name.empty() && namespace_name != kDefaultFunctionNamespace) return true;
  return cloud_functions->contains(name);
}

asio::awaitable<void> SchedulerNode::Impl::watch_cloud_loop(std::shared_ptr<Impl> /*owner*/) {
  const Url& cloud = *config.cloud;
  const SteadyDuration limit = std::min<SteadyDuration>(config.forward_timeout, config.gateway_health_interval);
  std::optional<std::chrono::steady_clock::time_point> listed_at;
  while (!draining) {
    Request check{http::verb::get, cloud.prefix + std::string(kGatewayHealthPath), 11};
    cloud_health.observe_health_check(co_await peers_client.send(cloud, std::move(check), limit));

    const auto now = std::chrono::steady_clock::now();
    if (cloud_credentials && (!listed_at || now - *listed_at >= config.functions_refresh)) {
      listed_at = now;
      Request list{http::verb::get, cloud.prefix + std::string(kFunctionListPath), 11};
      list.set(http::field::authorization, basic_auth_header(*cloud_credentials));
      const ClientResult answer = co_await peers_client.send(cloud, std::move(list), limit);
      std::optional<std::set<std::string, std::less<>>> names;
      if (answer && answer.response->result() == http::status::ok) {
        try {
          std::set<std::string, std::less<>> read;
          for (const auto& status : nlohmann::json::parse(answer.response->body())) {
            read.insert(status.at("name").get<std::string>());
          }
          names = std::move(read);
        } catch (const nlohmann::json::exception&) {
          // Not a function list: the last one read stays.
        }
      }
      if (names) {
        std::lock_guard lock(mutex);
        cloud_functions = std::move(names);
      }
    }

    cloud_timer.expires_after(config.gateway_health_interval);
    boost::system::error_code ec;
    co_await cloud_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

}  // namespace fogsched::live
