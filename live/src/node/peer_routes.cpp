// The server side of the peer protocol (wire.h): the token check, probes answered
// from this node's load, gossip heard and sent, forwards admitted with their hops.
#include "node_impl.h"

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <nlohmann/json.hpp>

#include "fogsched/live/wire.h"
#include "node_headers.h"

namespace fogsched::live {
namespace {

using json = nlohmann::json;

// Equal-time comparison, so the token cannot be guessed byte by byte.
bool token_matches(std::string_view given, std::string_view expected) {
  if (expected.empty() || given.size() != expected.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < given.size(); ++i) {
    difference |= static_cast<unsigned char>(given[i] ^ expected[i]);
  }
  return difference == 0;
}

}  // namespace

asio::awaitable<Response> SchedulerNode::Impl::handle_peer(Request request, ClientInfo client) {
  const std::string_view target = sv(request.target());
  const std::string_view path = target.substr(0, target.find('?'));
  const auto token = own_header(request, wire::kTokenHeader);
  if (!token || !token_matches(*token, peer_token)) {
    metrics.peer_unauthorized.add();
    co_return text_response(http::status::unauthorized, "missing or wrong peer token\n", request);
  }
  if (path == wire::kLoadPath) {
    if (request.method() == http::verb::get) {
      // A node whose gateway is down does not advertise itself.
      if (!gateway_health.healthy()) {
        co_return text_response(http::status::service_unavailable, "unavailable\n", request);
      }
      co_return co_await handle_peer_load(std::move(request));
    }
    if (request.method() == http::verb::put) co_return handle_gossip(request, client);
    co_return text_response(http::status::method_not_allowed, "GET or PUT\n", request);
  }
  const bool async = path.starts_with(wire::kAsyncForwardPrefix);
  if ((async || path.starts_with(wire::kForwardPrefix)) && request.method() == http::verb::post) {
    Arrival arrival;
    arrival.forwarded = true;
    arrival.async = async;
    arrival.hops = header_number(request, wire::kHopsHeader, 1);
    arrival.path = own_header_text(request, wire::kPathHeader);
    arrival.origin = own_header_text(request, wire::kOriginHeader);
    arrival.origin_invocation = own_header_text(request, wire::kInvocationHeader);
    const auto method = own_header(request, wire::kMethodHeader);
    arrival.method = method && !method->empty() ? http::string_to_verb(bsv(*method)) : http::verb::post;
    if (arrival.method == http::verb::unknown) {
      co_return text_response(http::status::bad_request, fmt::format("unknown {}\n", wire::kMethodHeader), request);
    }
    // What follows "/peer" is the client's /function/... or /async-function/... target.
    static_assert(wire::kForwardPrefix.size() == wire::kPeerPrefix.size() - 1 + kFunctionPrefix.size() &&
                  wire::kForwardPrefix.ends_with(kFunctionPrefix));
    static_assert(wire::kAsyncForwardPrefix.size() == wire::kPeerPrefix.size() - 1 + kAsyncFunctionPrefix.size() &&
                  wire::kAsyncForwardPrefix.ends_with(kAsyncFunctionPrefix));
    request.target(bsv(target.substr(wire::kPeerPrefix.size() - 1)));
    co_return co_await handle_invocation(std::move(request), client, std::move(arrival));
  }
  co_return text_response(http::status::not_found, "404 page not found\n", request);
}

asio::awaitable<Response> SchedulerNode::Impl::handle_peer_load(Request request) {
  auto self = shared_from_this();
  const std::string target(sv(request.target()));
  const auto query = target.find(wire::kLoadFunctionQuery);
  std::optional<LoadReport> load;
  std::string function;
  if (query == std::string::npos) {
    std::lock_guard lock(mutex);
    load = state->total_load();
  } else {
    function = target.substr(query + wire::kLoadFunctionQuery.size());
    function = function.substr(0, function.find('&'));
    if (!is_valid_function_name(function)) {
      co_return text_response(http::status::bad_request, "invalid function name\n", request);
    }
    // A function not served yet is looked up: its real K, or 404 when K is unknown.
    const std::optional<FunctionId> known = co_await track_function(function, /*for_call=*/false);
    if (known) {
      std::lock_guard lock(mutex);
      if (const auto id = state->find_function(function)) load = state->function_load(*id);
    }
  }
  if (!load) {
    co_return text_response(http::status::not_found, fmt::format("fogsched: K of {} is not known here\n", function),
                            request);
  }
  // Node and function names are checked ([-a-zA-Z_0-9.]), so they need no escaping.
  Response response = json_response(
      http::status::ok,
      fmt::format(R"({{"node":"{}","function":"{}","running":{},"queued":{},"slots":{},"queue_capacity":{}}})",
                  config.name, function, load->running, load->queued, load->slots, load->queue_capacity),
      request);
  response.insert(bsv(wire::kRunningHeader), std::to_string(load->running));
  response.insert(bsv(wire::kQueuedHeader), std::to_string(load->queued));
  response.insert(bsv(wire::kSlotsHeader), std::to_string(load->slots));
  response.insert(bsv(wire::kQueueCapacityHeader), std::to_string(load->queue_capacity));
  co_return response;
}

Response SchedulerNode::Impl::handle_gossip(const Request& request, const ClientInfo& client) {
  try {
    const json body = json::parse(request.body());
    const LoadReport load{.running = body.at("running").get<std::uint32_t>(),
                          .queued = body.at("queued").get<std::uint32_t>(),
                          .slots = body.at("slots").get<std::uint32_t>(),
                          .queue_capacity = body.at("queue_capacity").get<std::uint32_t>()};
    const auto port = body.at("port").get<std::uint16_t>();
    const std::string sender = Url{.host = client.remote.address().to_string(), .port = port, .prefix = ""}.origin();
    metrics.gossip_received.add();
    std::lock_guard lock(mutex);
    if (auto peer = directory.find_by_address(sender)) state->record_known_load(*peer, load, now());
  } catch (const std::exception& e) {
    return text_response(http::status::bad_request, fmt::format("bad gossip: {}\n", e.what()), request);
  }
  Response response{http::status::no_content, request.version()};
  response.keep_alive(request.keep_alive());
  return response;
}

// A coroutine of its own so that its frame holds the node, and with it the client,
// until the send ends: nobody waits for it.
asio::awaitable<void> SchedulerNode::Impl::send_gossip_message(std::shared_ptr<Impl> owner, Url to, Request request) {
  co_await owner->peers_client.send(std::move(to), std::move(request), owner->config.probe_timeout);
}

void SchedulerNode::Impl::send_gossip(std::span<const NodeId> peers, LoadReport load) {
  // Runs under `mutex` (from a policy hook): only spawns the sends. A node whose
  // gateway is down does not advertise itself.
  if (!gateway_health.healthy()) return;
  const std::string body = json{{"node", config.name},
                                {"running", load.running},
                                {"queued", load.queued},
                                {"slots", load.slots},
                                {"queue_capacity", load.queue_capacity},
                                {"port", server->local_endpoint().port()}}
                               .dump();
  for (NodeId peer : peers) {
    const Url url = directory.url(peer);
    Request request{http::verb::put, url.prefix + std::string(wire::kLoadPath), 11};
    request.set(bsv(wire::kTokenHeader), bsv(peer_token));
    request.set(http::field::content_type, "application/json");
    request.body() = body;
    metrics.gossip_sent.add();
    asio::co_spawn(contexts.next(), send_gossip_message(shared_from_this(), url, std::move(request)), asio::detached);
  }
}

}  // namespace fogsched::live
