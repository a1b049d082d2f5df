// The scheduler node in process, on loopback, against small fake gateways: pass-through,
// slots, rejection, forwarding with probes, the hop limit, the peer token, /system/*
// with the caller's credentials, dead peers and gateways, drain, and a learning
// policy's table saved.
#include "fogsched/live/http.h"
#include "fogsched/live/node.h"

#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "fogsched/core/learned_model.h"
#include "fogsched/core/text_file.h"
#include "live_fixtures.h"
#include "live_raw_socket.h"
#include "live_wire.h"

namespace fogsched::live {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

using namespace fogsched::live::testing;

TEST(SchedulerNode, PassesCallsThroughUnchanged) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"plate-recognition", "echo"});
  std::string binary(300, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(255 - i % 256);
  for (http::verb verb : {http::verb::get, http::verb::post, http::verb::put, http::verb::delete_, http::verb::patch}) {
    Request request = call(verb, "/function/plate-recognition/sub/path?x=1&y=%20z", binary);
    request.set("X-Custom", "kept");
    const Response response = cluster.send(0, request);
    EXPECT_EQ(response.result(), http::status::created);
    EXPECT_EQ(header(response, "X-Seen-Method"), std::string(http::to_string(verb)));
    EXPECT_EQ(header(response, "X-Seen-Target"), "/function/plate-recognition/sub/path?x=1&y=%20z");
    EXPECT_EQ(header(response, "X-Seen-Custom"), "kept");
    EXPECT_EQ(response.body(), binary);
    EXPECT_EQ(header(response, wire::kNodeHeader), "n0");
    EXPECT_EQ(header(response, wire::kHopsHeader), "0");
    EXPECT_EQ(header(response, wire::kProbesHeader), "0");
    EXPECT_EQ(header(response, wire::kDecisionHeader), "run_local");
  }
  const Response bare = cluster.send(0, call(http::verb::get, "/function/echo"));
  EXPECT_EQ(header(bare, "X-Seen-Target"), "/function/echo");
  const Response query = cluster.send(0, call(http::verb::get, "/function/echo?a=b"));
  EXPECT_EQ(header(query, "X-Seen-Target"), "/function/echo?a=b");
}

TEST(SchedulerNode, InvalidFunctionNameIs400AndUnknownRouteIs404) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"f"});
  EXPECT_EQ(cluster.send(0, call(http::verb::get, "/function/bad$name")).result(), http::status::bad_request);
  EXPECT_EQ(cluster.send(0, call(http::verb::get, "/function/")).result(), http::status::bad_request);
  EXPECT_EQ(cluster.send(0, call(http::verb::get, "/nothing")).result(), http::status::not_found);
  EXPECT_EQ(cluster.gateways[0]->calls(), 0);
}

TEST(SchedulerNode, RejectsWith429WhenItsSlotsAreFull) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 2, {"f"});
  cluster.gateways[0]->hold(true);
  auto holding = cluster.gateways[0]->when_holding(2);
  auto first = cluster.send_async(0, call(http::verb::post, "/function/f", "1"));
  auto second = cluster.send_async(0, call(http::verb::post, "/function/f", "2"));
  ASSERT_EQ(holding.wait_for(10s), std::future_status::ready);

  const Response rejected = cluster.send(0, call(http::verb::post, "/function/f", "3"));
  EXPECT_EQ(rejected.result(), http::status::too_many_requests);
  EXPECT_EQ(rejected.body(), "fogsched: no capacity for f\n");
  EXPECT_EQ(header(rejected, wire::kDecisionHeader), "reject");
  EXPECT_EQ(cluster.gateways[0]->calls(), 2) << "a rejected call never reaches the gateway";

  cluster.gateways[0]->release();
  ASSERT_EQ(first.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(second.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(first.get().response->result(), http::status::created);
  EXPECT_EQ(cluster.send(0, call(http::verb::post, "/function/f", "4")).result(), http::status::created);
  EXPECT_EQ(metric(cluster, 0, "fogsched_invocations_total{decision=\"reject\",outcome=\"rejected\"}"), 1);
}

TEST(SchedulerNode, ReadsSlotsFromTheFunctionsMaxInflightWithItsOwnCredentials) {
  Loop loop;
  TempDir secrets;
  secrets.write("basic-auth-user", "admin");
  secrets.write("basic-auth-password", "secret");
  FakeGateway gateway(loop);
  gateway.deploy("f", limited_to("1"));
  NodeConfig config = node_config("solo", free_port(), gateway.url(), secrets);
  config.peer_token_file.reset();
  config.default_slots = 8;
  SchedulerNode node(loop.contexts(), config);
  node.start();
  HttpClient client(loop.contexts());
  const Url url{"127.0.0.1", node.local_endpoint().port(), ""};

  gateway.hold(true);
  auto holding = gateway.when_holding(1);
  auto first = asio::co_spawn(loop.contexts().next(), client.send(url, call(http::verb::get, "/function/f"), 20s),
                              asio::use_future);
  ASSERT_EQ(holding.wait_for(10s), std::future_status::ready);
  ClientResult second = loop.run(client.send(url, call(http::verb::get, "/function/f"), 10s));
  ASSERT_TRUE(second);
  EXPECT_EQ(second.response->result(), http::status::too_many_requests) << "K = max_inflight = 1, not the default 8";
  gateway.release();
  ASSERT_EQ(first.wait_for(10s), std::future_status::ready);

  ClientResult status = loop.run(client.send(url, call(http::verb::get, std::string(wire::kStatusPath)), 10s));
  ASSERT_TRUE(status);
  const json body = json::parse(status.response->body());
  EXPECT_EQ(body["functions"]["f"]["slots"], 1);
  EXPECT_EQ(body["node"], "solo");
}

TEST(SchedulerNode, GatewayDownIsANodeMadeFailureNotAHang) {
  Loop loop;
  TempDir secrets;
  NodeConfig config = node_config("n0", free_port(), Url{"127.0.0.1", free_port(), ""}, secrets);
  config.peer_token_file.reset();
  SchedulerNode node(loop.contexts(), config);
  node.start();
  HttpClient client(loop.contexts());
  ClientResult result = loop.run(
      client.send(Url{"127.0.0.1", node.local_endpoint().port(), ""}, call(http::verb::post, "/function/f", "x"), 10s));
  ASSERT_TRUE(result) << result.message;
  // 502 when the call found the gateway gone, 503 when the node knew it already.
  EXPECT_TRUE(result.response->result() == http::status::bad_gateway ||
              result.response->result() == http::status::service_unavailable)
      << result.response->result_int();
  EXPECT_EQ(header(*result.response, wire::kFailureHeader), wire::kFailureGatewayUnavailable);
}

TEST(SchedulerNode, PowerOfDForwardsWhenHotAndNotWhenCold) {
  Loop loop;
  Cluster cluster(loop, 2, policy("power_of_d", {{"d", "1"}, {"threshold", "1"}}), 1, {"f"});
  // Cold: load 0 < threshold 1, runs here without probing.
  const Response cold = cluster.send(0, call(http::verb::post, "/function/f", "cold"));
  EXPECT_EQ(header(cold, wire::kDecisionHeader), "run_local");
  EXPECT_EQ(header(cold, wire::kProbesHeader), "0");
  EXPECT_EQ(header(cold, wire::kNodeHeader), "n0");

  // Hot: n0's one slot is busy, so it probes n1 (idle) and forwards there.
  cluster.gateways[0]->hold(true);
  auto holding = cluster.gateways[0]->when_holding(1);
  auto busy = cluster.send_async(0, call(http::verb::post, "/function/f", "busy"));
  ASSERT_EQ(holding.wait_for(10s), std::future_status::ready);
  Request hot_request = call(http::verb::put, "/function/f/deep?q=1", "hot");
  hot_request.set("X-Custom", "travels");
  const Response hot = cluster.send(0, hot_request);
  EXPECT_EQ(hot.result(), http::status::created);
  EXPECT_EQ(header(hot, wire::kDecisionHeader), "forward");
  EXPECT_EQ(header(hot, wire::kNodeHeader), "n1");
  EXPECT_EQ(header(hot, wire::kHopsHeader), "1");
  EXPECT_EQ(header(hot, wire::kProbesHeader), "1");
  EXPECT_EQ(header(hot, "X-Seen-Method"), "PUT") << "the peer replays the client's method";
  EXPECT_EQ(header(hot, "X-Seen-Target"), "/function/f/deep?q=1");
  EXPECT_EQ(header(hot, "X-Seen-Custom"), "travels");
  EXPECT_EQ(header(hot, "X-Seen-Token"), "") << "the peer token never reaches a function";
  EXPECT_EQ(hot.body(), "hot");
  cluster.gateways[0]->release();
  ASSERT_EQ(busy.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(metric(cluster, 0, "fogsched_probes_total"), 1);
  EXPECT_EQ(metric(cluster, 0, "fogsched_forwards_total"), 1);
}

TEST(SchedulerNode, TheLimitersRefusalCountsAsFullAndTheCallMovesToAPeer) {
  Loop loop;
  Cluster cluster(loop, 2, policy("power_of_d", {{"d", "1"}, {"threshold", "2"}}), 4, {"f"});
  cluster.gateways[0]->refuse(true);
  const Response moved = cluster.send(0, call(http::verb::post, "/function/f", "x"));
  EXPECT_EQ(moved.result(), http::status::created);
  EXPECT_EQ(header(moved, wire::kDecisionHeader), "forward");
  EXPECT_EQ(header(moved, wire::kNodeHeader), "n1");
  EXPECT_EQ(cluster.gateways[0]->calls(), 1);
  EXPECT_EQ(metric(cluster, 0, "fogsched_gateway_rejections_total"), 1);

  // With nowhere better to go (the peer refuses too), the caller gets a 429.
  cluster.gateways[1]->refuse(true);
  const Response refused = cluster.send(0, call(http::verb::post, "/function/f", "y"));
  EXPECT_EQ(refused.result(), http::status::too_many_requests);
  EXPECT_EQ(metric(cluster, 0, "fogsched_invocations_total{decision=\"forward\",outcome=\"rejected\"}"), 1);
}

TEST(SchedulerNode, AFunctionsOwn429IsItsAnswerNeverRetriedOrForwarded) {
  Loop loop;
  Cluster cluster(loop, 2, policy("power_of_d", {{"d", "1"}, {"threshold", "2"}}), 4, {"httpfn"});
  cluster.gateways[0]->function_answers_429(true);
  const Response answer = cluster.send(0, call(http::verb::post, "/function/httpfn/order", "one order"));
  EXPECT_EQ(answer.result(), http::status::too_many_requests);
  EXPECT_EQ(answer.body(), "order book full, try later\n");
  EXPECT_EQ(header(answer, "X-Function-Reason"), "order-book-full");
  EXPECT_EQ(header(answer, wire::kDecisionHeader), "run_local");
  EXPECT_EQ(header(answer, wire::kNodeHeader), "n0");
  EXPECT_EQ(cluster.gateways[0]->calls(), 1);
  EXPECT_EQ(cluster.gateways[1]->calls(), 0) << "the order ran once, on n0";
  EXPECT_EQ(metric(cluster, 0, "fogsched_gateway_rejections_total"), 0);
  EXPECT_EQ(metric(cluster, 0, "fogsched_invocations_total{decision=\"run_local\",outcome=\"completed\"}"), 1);
}

// A node whose only peer is `peer`, forwarding every call (`random`).
struct ForwardingNode {
  ForwardingNode(Loop& loop, const Url& peer, const std::function<void(NodeConfig&)>& adjust = {})
      : gateway(loop), client(loop.contexts()) {
    secrets.write("basic-auth-user", "admin");
    secrets.write("basic-auth-password", "secret");
    secrets.write("fogsched-peer-token", "t");
    gateway.deploy("f");
    NodeConfig config = node_config("n0", free_port(), gateway.url(), secrets);
    config.policy = policy("random");
    config.static_peers = {peer};
    if (adjust) adjust(config);
    node = std::make_unique<SchedulerNode>(loop.contexts(), config);
    node->start();
  }
  Url url() const { return Url{"127.0.0.1", node->local_endpoint().port(), ""}; }

  TempDir secrets;
  FakeGateway gateway;
  HttpClient client;
  std::unique_ptr<SchedulerNode> node;
};

TEST(SchedulerNode, AForwardThatBrokeAfterItWasSentIsNeverRunAgain) {
  Loop loop;
  // The peer reads the forward whole and closes: it may have run the call.
  RawServer peer(loop.contexts().at(0), {.drop_target = forward_target("f"), .drops = 1000, .hold = false});
  ForwardingNode origin(loop, peer.url());
  ClientResult result = loop.run(origin.client.send(origin.url(), call(http::verb::post, "/function/f", "x"), 10s));
  ASSERT_TRUE(result) << result.message;
  EXPECT_EQ(result.response->result(), http::status::bad_gateway);
  EXPECT_EQ(header(*result.response, wire::kFailureHeader), wire::kFailurePeerBroken);
  EXPECT_EQ(header(*result.response, wire::kDecisionHeader), "forward");
  EXPECT_EQ(origin.gateway.calls(), 0) << "the call must not run here too";
  EXPECT_EQ(peer.seen(forward_target("f")), 1);
  ClientResult status = loop.run(origin.client.send(origin.url(), call(http::verb::get, "/status"), 10s));
  ASSERT_TRUE(status);
  EXPECT_FALSE(json::parse(status.response->body())["peers"][0]["available"]) << "the peer is in back-off";
}

TEST(SchedulerNode, AForwardThatTimedOutIsNeverRunAgain) {
  Loop loop;
  RawServer peer(loop.contexts().at(0), {.drop_target = forward_target("f"), .drops = 1000, .hold = true});
  ForwardingNode origin(loop, peer.url(), [](NodeConfig& config) { config.forward_timeout = 300ms; });
  ClientResult result = loop.run(origin.client.send(origin.url(), call(http::verb::post, "/function/f", "x"), 10s));
  ASSERT_TRUE(result) << result.message;
  EXPECT_EQ(result.response->result(), http::status::gateway_timeout);
  EXPECT_EQ(header(*result.response, wire::kFailureHeader), wire::kFailurePeerTimeout);
  EXPECT_EQ(origin.gateway.calls(), 0);
  ClientResult metrics = loop.run(origin.client.send(origin.url(), call(http::verb::get, "/metrics"), 10s));
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics.response->body().find("\nfogsched_forward_failures_total 1\n"), std::string::npos);
  EXPECT_NE(metrics.response->body().find("\nfogsched_node_failures_total 1\n"), std::string::npos);
}

TEST(SchedulerNode, ABlackHoledPeerCostsOnlyTheConnectTimeout) {
  Loop loop;
  BlackHole black_hole;
  ForwardingNode origin(loop, black_hole.url(), [](NodeConfig& config) {
    config.forward_timeout = 20s;
    config.peer_connect_timeout = 300ms;
  });
  const auto started = std::chrono::steady_clock::now();
  auto answer = asio::co_spawn(loop.contexts().next(),
                               origin.client.send(origin.url(), call(http::verb::post, "/function/f", "x"), 25s),
                               asio::use_future);
  ASSERT_EQ(answer.wait_for(5s), std::future_status::ready) << "the forward waited for more than the connect timeout";
  ClientResult result = answer.get();
  ASSERT_TRUE(result) << result.message;
  EXPECT_EQ(result.response->result(), http::status::created) << "not sent, so it falls back and runs here";
  EXPECT_EQ(header(*result.response, wire::kNodeHeader), "n0");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(SchedulerNode, ForwardedForAndForwardedHostCarryTheOriginalClient) {
  Loop loop;
  Cluster cluster(loop, 2, policy("random"), 4, {"f"});
  Request first = call(http::verb::get, "/function/f");
  first.set(http::field::host, "cams.example:18080");
  const Response direct = cluster.send(0, first);
  EXPECT_EQ(header(direct, wire::kNodeHeader), "n1");
  // The client (loopback), then the origin node (loopback too).
  EXPECT_EQ(header(direct, "X-Seen-Forwarded-For"), "127.0.0.1, 127.0.0.1");
  EXPECT_EQ(header(direct, "X-Seen-Forwarded-Host"), "cams.example:18080");

  Request proxied = call(http::verb::get, "/function/f");
  proxied.set("X-Forwarded-For", "203.0.113.7");
  proxied.set("X-Forwarded-Host", "outer.example");
  const Response chain = cluster.send(0, proxied);
  EXPECT_EQ(header(chain, "X-Seen-Forwarded-For"), "203.0.113.7, 127.0.0.1, 127.0.0.1");
  EXPECT_EQ(header(chain, "X-Seen-Forwarded-Host"), "outer.example");
}

TEST(SchedulerNode, AClientsConnectionCloseIsHonoured) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"f"});
  const auto answer = read_until_closed(loop.contexts().at(0), cluster.node_url(0),
                                        "POST /function/f HTTP/1.1\r\nHost: n\r\nConnection: close\r\n"
                                        "Content-Length: 2\r\n\r\nhi",
                                        3s);
  ASSERT_TRUE(answer) << "the node held the connection after the answer";
  EXPECT_TRUE(answer->starts_with("HTTP/1.1 201")) << *answer;
}

TEST(SchedulerNode, MetricsCountOpenAndRefusedConnections) {
  Loop loop;
  Cluster cluster(loop, 1, policy("random"), 4, {"f"}, [](NodeConfig& config) { config.max_connections = 4; });
  // The cluster's client keeps one connection per context (two), reused from now on:
  // one call from each context opens them, whichever the start-up used.
  for (std::size_t i = 0; i < cluster.loop.contexts().size(); ++i) {
    const ClientResult warmed =
        asio::co_spawn(cluster.loop.contexts().at(i),
                       cluster.client.send(cluster.node_url(0), call(http::verb::get, "/healthz"), 10s),
                       asio::use_future)
            .get();
    ASSERT_TRUE(warmed) << warmed.message;
  }
  EXPECT_EQ(metric(cluster, 0, "fogsched_connections_refused_total"), 0);
  EXPECT_EQ(metric(cluster, 0, "fogsched_open_connections"), 2);
  asio::io_context io;
  std::vector<tcp::socket> raw;
  for (int i = 0; i < 3; ++i) {
    tcp::socket& socket = raw.emplace_back(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), cluster.node_url(0).port));
  }
  // Accepted in order: the third raw connection is the fifth and is closed unserved.
  const timeval receive_limit{5, 0};
  ::setsockopt(raw[2].native_handle(), SOL_SOCKET, SO_RCVTIMEO, &receive_limit, sizeof receive_limit);
  char byte = 0;
  beast::error_code ec;
  raw[2].read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
  EXPECT_EQ(metric(cluster, 0, "fogsched_connections_refused_total"), 1);
  EXPECT_EQ(metric(cluster, 0, "fogsched_open_connections"), 4);
}

TEST(SchedulerNode, ANodeWhoseGatewayIsDownStopsAttractingWork) {
  Loop loop;
  Cluster cluster(loop, 2, policy("random"), 4, {"f"}, [](NodeConfig& config) {
    config.gateway_health_interval = 50ms;
    config.peer_backoff = Backoff{.initial = 50ms, .max = 100ms};
  });
  auto get = [&](std::size_t node, const std::string& target) {
    Request request = call(http::verb::get, target);
    request.set(header_name(wire::kTokenHeader), "peer-token-1234");
    return cluster.send(node, request);
  };
  cluster.gateways[1]->stop();
  // Bounded wait for n1's background check to notice.
  for (int i = 0; i < 500 && get(1, "/healthz").result() == http::status::ok; ++i) std::this_thread::sleep_for(10ms);
  const Response health = get(1, "/healthz");
  EXPECT_EQ(health.result(), http::status::service_unavailable);
  EXPECT_NE(health.body().find("gateway"), std::string::npos) << health.body();
  EXPECT_EQ(get(1, probe_target("f")).result(), http::status::service_unavailable);
  EXPECT_EQ(metric(cluster, 1, "fogsched_gateway_healthy"), 0);
  EXPECT_FALSE(json::parse(get(1, "/status").body())["gateway_health"]["healthy"]);

  // n0 forwards every call to n1, which cannot run it: every one falls back to n0.
  for (int i = 0; i < 6; ++i) {
    const Response response = cluster.send(0, call(http::verb::post, "/function/f", "x"));
    EXPECT_EQ(response.result(), http::status::created);
    EXPECT_EQ(header(response, wire::kNodeHeader), "n0");
  }
  EXPECT_EQ(cluster.gateways[0]->calls(), 6);
  EXPECT_GE(metric(cluster, 0, "fogsched_forward_failures_total"), 1);
  // n1's own clients are sent elsewhere (the function counts full there).
  const Response moved = cluster.send(1, call(http::verb::post, "/function/f", "y"));
  EXPECT_EQ(moved.result(), http::status::created);
  EXPECT_EQ(header(moved, wire::kNodeHeader), "n0");

  cluster.gateways[1]->restart();
  for (int i = 0; i < 500 && get(1, "/healthz").result() != http::status::ok; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(get(1, "/healthz").result(), http::status::ok);
  EXPECT_EQ(get(1, probe_target("f")).result(), http::status::ok);
  EXPECT_EQ(metric(cluster, 1, "fogsched_gateway_healthy"), 1);
}

TEST(SchedulerNode, TheGatewaysOwnFailuresInARowMakeItUnhealthy) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"f"}, [](NodeConfig& config) {
    config.gateway_unhealthy_after = 3;
    config.gateway_health_interval = std::chrono::hours(1);  // only the calls count here
  });
  const auto healthz = [&] { return cluster.send(0, call(http::verb::get, "/healthz")).result(); };
  const auto invoke = [&] { return cluster.send(0, call(http::verb::post, "/function/f", "x")); };
  cluster.gateways[0]->provider_down(true);
  for (int i = 0; i < 2; ++i) {
    const Response passed = invoke();
    EXPECT_EQ(passed.result(), http::status::bad_gateway) << "the gateway's own answer, passed on";
    EXPECT_EQ(header(passed, wire::kFailureHeader), "");
  }
  cluster.gateways[0]->provider_down(false);
  EXPECT_EQ(invoke().result(), http::status::created) << "a good answer in between starts the count again";
  cluster.gateways[0]->provider_down(true);
  for (int i = 0; i < 2; ++i) invoke();
  EXPECT_EQ(healthz(), http::status::ok) << "two in a row are not three";
  invoke();
  EXPECT_EQ(healthz(), http::status::service_unavailable);
  const Response refused = invoke();
  EXPECT_EQ(refused.result(), http::status::service_unavailable);
  EXPECT_EQ(header(refused, wire::kFailureHeader), wire::kFailureGatewayUnavailable);
}

TEST(SchedulerNode, ANodeWhoseGatewayIsDownSendsNoGossip) {
  Loop loop;
  Cluster cluster(loop, 2, policy("least_loaded", {{"gossip_interval", "20ms"}}), 1, {"f"},
                  [](NodeConfig& config) { config.gateway_health_interval = 50ms; });
  cluster.gateways[1]->stop();
  for (int i = 0; i < 500 && metric(cluster, 1, "fogsched_gateway_healthy") != 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(metric(cluster, 1, "fogsched_gateway_healthy"), 0);
  // n0 keeps gossiping: hearing three more of its messages takes n1 three gossip rounds.
  const double sent = metric(cluster, 1, "fogsched_gossip_sent_total");
  const double heard = metric(cluster, 1, "fogsched_gossip_received_total");
  for (int i = 0; i < 500 && metric(cluster, 1, "fogsched_gossip_received_total") < heard + 3; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_GE(metric(cluster, 1, "fogsched_gossip_received_total"), heard + 3);
  EXPECT_EQ(metric(cluster, 1, "fogsched_gossip_sent_total"), sent);
}

TEST(SchedulerNode, PeersFromDnsLeaveTheNodeItselfOut) {
  Loop loop;
  TempDir secrets;
  secrets.write("fogsched-peer-token", "t");
  FakeGateway gateway_a(loop), gateway_b(loop);
  gateway_a.deploy("f");
  gateway_b.deploy("f");
  const std::uint16_t port_a = free_port(), port_b = free_port();
  // Node a's DNS name lists only itself; node b's lists a.
  NodeConfig a = node_config("a", port_a, gateway_a.url(), secrets);
  a.policy = policy("random");
  a.peers_dns = "localhost:" + std::to_string(port_a);
  NodeConfig b = node_config("b", port_b, gateway_b.url(), secrets);
  b.policy = policy("random");
  b.peers_dns = "localhost:" + std::to_string(port_a);
  SchedulerNode node_a(loop.contexts(), a), node_b(loop.contexts(), b);
  node_a.start();
  node_b.start();
  HttpClient client(loop.contexts());
  auto peers_of = [&](std::uint16_t port) {
    ClientResult status =
        loop.run(client.send(Url{"127.0.0.1", port, ""}, call(http::verb::get, std::string(wire::kStatusPath)), 10s));
    EXPECT_TRUE(status);
    return status ? json::parse(status.response->body())["peers"] : json::array();
  };
  // Resolution runs in the background at start: wait for it, bounded.
  for (int i = 0; i < 500 && peers_of(port_b).empty(); ++i) std::this_thread::sleep_for(10ms);
  const json peers_b = peers_of(port_b);
  ASSERT_FALSE(peers_b.empty());
  EXPECT_EQ(peers_b[0]["url"], "http://127.0.0.1:" + std::to_string(port_a));
  EXPECT_TRUE(peers_b[0]["from_dns"]);
  EXPECT_TRUE(peers_of(port_a).empty()) << "a node never lists itself";

  ClientResult forwarded =
      loop.run(client.send(Url{"127.0.0.1", port_b, ""}, call(http::verb::get, "/function/f"), 10s));
  ASSERT_TRUE(forwarded);
  EXPECT_EQ(std::string((*forwarded.response)[header_name(wire::kNodeHeader)]), "a");
}

TEST(SchedulerNode, GossipedLoadsSteerLeastLoaded) {
  Loop loop;
  Cluster cluster(loop, 2, policy("least_loaded", {{"gossip_interval", "20ms"}}), 1, {"f"});
  // Wait (bounded) until n0 has heard n1's load at least once.
  for (int i = 0; i < 500 && metric(cluster, 0, "fogsched_gossip_received_total") < 1; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_GE(metric(cluster, 0, "fogsched_gossip_received_total"), 1);
  // n0's one slot is busy; it knows n1 is idle, so the next call goes there unprobed.
  cluster.gateways[0]->hold(true);
  auto holding = cluster.gateways[0]->when_holding(1);
  auto busy = cluster.send_async(0, call(http::verb::post, "/function/f", "busy"));
  ASSERT_EQ(holding.wait_for(10s), std::future_status::ready);
  const Response moved = cluster.send(0, call(http::verb::post, "/function/f", "moved"));
  EXPECT_EQ(header(moved, wire::kDecisionHeader), "forward");
  EXPECT_EQ(header(moved, wire::kNodeHeader), "n1");
  EXPECT_EQ(header(moved, wire::kProbesHeader), "0");
  cluster.gateways[0]->release();
  ASSERT_EQ(busy.wait_for(10s), std::future_status::ready);
}

TEST(SchedulerNode, HopLimitZeroKeepsEveryCallAtItsOrigin) {
  Loop loop;
  Cluster cluster(loop, 2, policy("random"), 4, {"f"}, [](NodeConfig& config) { config.hop_limit = 0; });
  for (int i = 0; i < 5; ++i) {
    const Response response = cluster.send(0, call(http::verb::get, "/function/f"));
    EXPECT_EQ(header(response, wire::kNodeHeader), "n0");
    EXPECT_EQ(header(response, wire::kHopsHeader), "0");
  }
  EXPECT_EQ(metric(cluster, 0, "fogsched_hop_limit_enforced_total"), 5);
  EXPECT_EQ(cluster.gateways[1]->calls(), 0);
}

TEST(SchedulerNode, AForwardedCallAtTheHopLimitIsNeverForwardedAgain) {
  Loop loop;
  // `random` forwards every client call; a call that arrives forwarded at the hop
  // limit must run where it is, whatever the policy would like.
  Cluster cluster(loop, 3, policy("random"), 4, {"f"});
  for (int i = 0; i < 6; ++i) {
    const Response response = cluster.send(0, call(http::verb::get, "/function/f"));
    EXPECT_EQ(header(response, wire::kDecisionHeader), "forward");
    EXPECT_EQ(header(response, wire::kHopsHeader), "1");
    EXPECT_NE(header(response, wire::kNodeHeader), "n0");
  }
  Request forwarded = call(http::verb::post, forward_target("f"));
  forwarded.set(header_name(wire::kTokenHeader), "peer-token-1234");
  forwarded.set(header_name(wire::kHopsHeader), "1");
  forwarded.set(header_name(wire::kMethodHeader), "GET");
  forwarded.set(header_name(wire::kOriginHeader), "n2");
  const Response direct = cluster.send(1, forwarded);
  EXPECT_EQ(direct.result(), http::status::created);
  EXPECT_EQ(header(direct, wire::kNodeHeader), "n1");
  EXPECT_EQ(header(direct, "X-Seen-Method"), "GET");
  EXPECT_EQ(cluster.gateways[0]->calls(), 0) << "n0 forwarded every client call";
  EXPECT_EQ(cluster.gateways[1]->calls() + cluster.gateways[2]->calls(), 7) << "six forwarded calls and the direct one";
}

TEST(SchedulerNode, PeerEndpointsNeedThePeerToken) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 3, {"f"});
  EXPECT_EQ(cluster.send(0, call(http::verb::get, probe_target("f"))).result(), http::status::unauthorized);
  Request wrong = call(http::verb::get, probe_target("f"));
  wrong.set(header_name(wire::kTokenHeader), "peer-token-1235");
  EXPECT_EQ(cluster.send(0, wrong).result(), http::status::unauthorized);
  Request forward = call(http::verb::post, forward_target("f"));
  EXPECT_EQ(cluster.send(0, forward).result(), http::status::unauthorized);
  EXPECT_EQ(cluster.gateways[0]->calls(), 0);

  Request right = call(http::verb::get, probe_target("f"));
  right.set(header_name(wire::kTokenHeader), "peer-token-1234");
  const Response load = cluster.send(0, right);
  ASSERT_EQ(load.result(), http::status::ok);
  const json body = json::parse(load.body());
  EXPECT_EQ(body["running"], 0);
  EXPECT_EQ(body["slots"], 3);
  EXPECT_EQ(header(load, wire::kSlotsHeader), "3");
}

TEST(SchedulerNode, SystemCallsCarryTheCallersCredentialsNeverTheNodes) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"f"});  // the node has admin:secret in its secrets
  const Response anonymous = cluster.send(0, call(http::verb::get, "/system/functions"));
  EXPECT_EQ(anonymous.result(), http::status::unauthorized);
  EXPECT_EQ(anonymous.body(), "invalid credentials");
  Request with_credentials = call(http::verb::get, "/system/functions");
  with_credentials.set(http::field::authorization, basic_auth_header({"admin", "secret"}));
  const Response allowed = cluster.send(0, with_credentials);
  EXPECT_EQ(allowed.result(), http::status::ok);
  const json listed = json::parse(allowed.body());
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["name"], "f");
}

TEST(SchedulerNode, ADeadPeerNeverLosesACall) {
  Loop loop;
  TempDir secrets;
  secrets.write("fogsched-peer-token", "t");
  FakeGateway gateway(loop);
  gateway.deploy("f");
  NodeConfig config = node_config("n0", free_port(), gateway.url(), secrets);
  config.policy = policy("random");
  config.static_peers = {Url{"127.0.0.1", free_port(), ""}};  // nobody listens there
  SchedulerNode node(loop.contexts(), config);
  node.start();
  HttpClient client(loop.contexts());
  const Url url{"127.0.0.1", node.local_endpoint().port(), ""};
  for (int i = 0; i < 4; ++i) {
    ClientResult result = loop.run(client.send(url, call(http::verb::post, "/function/f", "x"), 10s));
    ASSERT_TRUE(result) << result.message;
    EXPECT_EQ(result.response->result(), http::status::created);
    EXPECT_EQ(std::string((*result.response)[header_name(wire::kNodeHeader)]), "n0");
  }
  EXPECT_EQ(gateway.calls(), 4);
  ClientResult status = loop.run(client.send(url, call(http::verb::get, std::string(wire::kStatusPath)), 10s));
  ASSERT_TRUE(status);
  const json body = json::parse(status.response->body());
  ASSERT_EQ(body["peers"].size(), 1u);
  EXPECT_FALSE(body["peers"][0]["available"]) << "the dead peer is in back-off";
  ClientResult metrics = loop.run(client.send(url, call(http::verb::get, std::string(wire::kMetricsPath)), 10s));
  ASSERT_TRUE(metrics);
  // One failed forward puts the peer in back-off; later calls no longer try it.
  EXPECT_NE(metrics.response->body().find("\nfogsched_forward_failures_total 1\n"), std::string::npos)
      << metrics.response->body();
}

TEST(SchedulerNode, DrainFinishesInFlightCallsAndReportsUnhealthy) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"f"});
  EXPECT_EQ(cluster.send(0, call(http::verb::get, std::string(wire::kHealthPath))).result(), http::status::ok);
  cluster.gateways[0]->hold(true);
  auto holding = cluster.gateways[0]->when_holding(1);
  auto in_flight = cluster.send_async(0, call(http::verb::post, "/function/f", "keep me"));
  ASSERT_EQ(holding.wait_for(10s), std::future_status::ready);

  std::promise<void> drained;
  auto drained_future = drained.get_future();
  cluster.nodes[0]->drain([&] { drained.set_value(); });
  EXPECT_EQ(drained_future.wait_for(50ms), std::future_status::timeout);
  cluster.gateways[0]->release();
  ASSERT_EQ(in_flight.wait_for(10s), std::future_status::ready);
  ClientResult answer = in_flight.get();
  ASSERT_TRUE(answer) << answer.message;
  EXPECT_EQ(answer.response->result(), http::status::created);
  EXPECT_EQ(answer.response->body(), "keep me");
  ASSERT_EQ(drained_future.wait_for(10s), std::future_status::ready);
}

// The model policy.save holds once it parses with a table that learned from calls;
// none when that does not happen within `limit` (bounded polling).
std::optional<LearnedModel> learned_model_within(const std::filesystem::path& file, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      LearnedModel model = parse_learned_model(read_text_file(file), file.string());
      if (model.nodes.contains(0) && model.nodes.at(0).total_visits() > 0) return model;
    } catch (const std::exception&) {
      // Not written yet, or written before the table learned anything.
    }
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

// Drains `node`; whether it has drained within `limit`.
bool drains_within(SchedulerNode& node, std::chrono::seconds limit) {
  auto drained = std::make_shared<std::promise<void>>();
  auto future = drained->get_future();
  node.drain([drained] { drained->set_value(); });
  return future.wait_for(limit) == std::future_status::ready;
}

std::string sarsa_canonical() { return PolicyRegistry::with_builtins().parse("sarsa(epsilon=0.5)").canonical; }

// One node learning with sarsa(epsilon=0.5), its table saved to `file` (in a
// folder of its own) every `interval`.
struct LearningNode {
  explicit LearningNode(Duration interval, const std::string& file_name = "model.json")
      : file(dir.path() / file_name),
        cluster(loop, 1, policy("sarsa", {{"epsilon", "0.5"}}), 4, {"f"}, [&](NodeConfig& config) {
          config.policy_save = file;
          config.policy_save_interval = interval;
        }) {}
  // Calls one after another, each answered: every call but the last has its update.
  void send_calls(int count) {
    for (int i = 0; i < count; ++i) {
      const Response response = cluster.send(0, call(http::verb::post, "/function/f"));
      EXPECT_TRUE(response.result() == http::status::created || response.result() == http::status::too_many_requests)
          << response.result();
    }
  }

  Loop loop;
  TempDir dir;
  std::filesystem::path file;
  Cluster cluster;
};

TEST(SchedulerNode, ALearningPolicysTableIsSavedEveryInterval) {
  LearningNode node(20ms);
  node.send_calls(10);
  const std::optional<LearnedModel> saved = learned_model_within(node.file, 10s);
  ASSERT_TRUE(saved) << "no model with visits in " << node.file;
  EXPECT_EQ(saved->policy, sarsa_canonical());
  EXPECT_EQ(saved->episodes, 0u);
  EXPECT_EQ(saved->scenario_name, "");
  EXPECT_EQ(saved->nodes.size(), 1u);
  EXPECT_EQ(saved->shared, saved->nodes.at(0));
}

TEST(SchedulerNode, ALearningPolicysTableIsSavedWhenTheNodeDrains) {
  LearningNode node(std::chrono::hours(1));
  node.send_calls(10);
  EXPECT_FALSE(std::filesystem::exists(node.file)) << "saved before its first interval";
  ASSERT_TRUE(drains_within(*node.cluster.nodes[0], 10s));
  const std::optional<LearnedModel> saved = learned_model_within(node.file, 1s);
  ASSERT_TRUE(saved) << "no model with visits in " << node.file;
  EXPECT_EQ(saved->policy, sarsa_canonical());
}

TEST(SchedulerNode, ASaveThatFailsLeavesTheNodeServing) {
  LearningNode node(1ms, "no-such-folder/model.json");
  node.send_calls(10);
  ASSERT_TRUE(drains_within(*node.cluster.nodes[0], 10s));
  EXPECT_FALSE(std::filesystem::exists(node.file));
}

}  // namespace
}  // namespace fogsched::live
