#pragma once
// The scheduler node's state and the steps it takes, shared by the files that hold
// them, one concern each:
//   node.cpp                 setup, routing, the policy timer, start and drain
//   invocation_pipeline.cpp  an invocation: schedule, probe, forward, reject, decorate
//   gateway_binding.cpp      calls to the local OpenFaaS gateway and its slot counts
//   peer_routes.cpp          the peer protocol's server side and gossip sends
//   admin_routes.cpp         /healthz, /metrics, /status
//   gateway_health.cpp       whether the gateway answers, from its answers and /healthz
//   peer_discovery.cpp       the peers' addresses, from static names and DNS
// One LiveNodeState and one Policy per node, guarded by one mutex (decisions are
// short and serialised); all network work runs on coroutines outside it, each with
// the deadline the configuration gives it.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>  // boost/asio/awaitable.hpp (1.74) uses std::exchange without it
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "fogsched/core/policy.h"
#include "fogsched/live/http.h"
#include "fogsched/live/live_context.h"
#include "fogsched/live/metrics.h"
#include "fogsched/live/node.h"
#include "fogsched/live/openfaas.h"
#include "fogsched/live/peer_directory.h"
#include "fogsched/policies/registry.h"
#include "gateway_health.h"

namespace fogsched::live {

// Where an invocation came from: a client of this node, or a peer's forward.
struct Arrival {
  bool forwarded = false;
  std::uint32_t hops = 0;         // forwards so far, this one included
  std::string path;               // nodes passed, comma-separated
  std::string origin;             // origin node's name
  std::string origin_invocation;  // origin's invocation id
  http::verb method = http::verb::get;
};

// How an invocation ended here, for the response headers and the metrics.
struct Answer {
  Response response;
  DecisionKind decision = DecisionKind::run_local;
  NodeId ran_on{0};         // this node, or the peer forwarded to
  std::string executed_on;  // name of the node whose gateway answered
  std::uint32_t hops = 0;
  std::uint32_t probes = 0;
  // From the scheduler's view: rejected only for the node's or the limiter's refusal;
  // a function's own answer (its own 429 too) is completed unless it is a 5xx.
  fogsched::Outcome outcome = fogsched::Outcome::completed;
};

// The node's counters, rendered by /metrics (docs/live.md names each).
struct NodeMetrics {
  static constexpr std::array<const char*, 3> kOutcomes{"completed", "rejected", "failed"};
  static constexpr std::size_t outcome_index(fogsched::Outcome outcome) {
    return outcome == fogsched::Outcome::completed ? 0 : outcome == fogsched::Outcome::rejected ? 1 : 2;
  }
  // By decision (DecisionKind) and outcome (kOutcomes).
  std::array<std::array<Counter, kOutcomes.size()>, 3> invocations;
  LatencyHistogram latency;
  Counter probes_sent, probes_failed, forwards_sent, forwards_failed, gossip_sent, gossip_received, hop_limit_enforced,
      gateway_rejections, gateway_failures, peer_unauthorized, node_failures;
};

struct SchedulerNode::Impl : std::enable_shared_from_this<SchedulerNode::Impl> {
  Impl(IoContextPool& pool, NodeConfig cfg);

  IoContextPool& contexts;
  asio::io_context& io;  // the node's own timers' and the peer refresh's
  NodeConfig config;
  PolicyConfig policy_config;
  std::optional<BasicAuthCredentials> credentials;  // the node's own, for /system calls
  std::string peer_token;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  HttpClient gateway;
  HttpClient peers_client;
  GatewayHealth gateway_health;
  std::unique_ptr<HttpServer> server;
  std::atomic<bool> draining{false};
  std::atomic<std::uint64_t> next_invocation{1};
  NodeMetrics metrics;

  // Decision state: everything below is guarded by `mutex`.
  std::mutex mutex;
  std::unique_ptr<Policy> policy;
  std::unique_ptr<LiveNodeState> state;
  PeerDirectory directory;
  asio::steady_timer policy_timer;
  std::uint64_t policy_timer_generation = 0;
  std::unordered_map<std::uint32_t, Time> slots_read_at;  // by FunctionId
  std::vector<NodeId> available_peers;                    // scratch for refresh_available_peers()

  asio::steady_timer refresh_timer;
  asio::steady_timer health_timer;

  Time now() const { return time_at(std::chrono::steady_clock::now() - started); }

  // Tells the policy's context which peers are available now (under `mutex`).
  void refresh_available_peers() {
    directory.available(now(), available_peers);
    state->set_available_peers(available_peers);
  }

  // --- routing (node.cpp)
  asio::awaitable<Response> handle(Request request, ClientInfo client);
  void arm_policy_timer(Duration after);

  // --- the invocation pipeline (invocation_pipeline.cpp)
  asio::awaitable<Response> handle_invocation(Request request, ClientInfo client, Arrival arrival);
  asio::awaitable<Answer> schedule(const Request& request, const std::string& function, const std::string& rest,
                                   const Arrival& arrival, const Invocation& invocation, const ClientInfo& client);
  asio::awaitable<std::vector<ProbeAnswer>> probe(const PeerSet& peers, const std::string& function);
  // A peer's answer to a probe, with the peer's health updated; none when it failed.
  std::optional<LoadReport> read_probe_answer(NodeId peer, const ClientResult& result);
  asio::awaitable<ClientResult> forward(NodeId peer, const Request& request, const std::string& function,
                                        const std::string& rest, const Arrival& arrival, const Invocation& invocation,
                                        const ClientInfo& client);
  Response reject(const Request& request, const std::string& function) const;
  void take_peer_answer(Answer& answer, NodeId peer, const Invocation& invocation, Response response) const;
  static Outcome outcome_of_peer_answer(const Response& response);
  // A 502, 503 or 504 the node makes itself, marked with wire::kFailureHeader.
  Response node_failure(http::status status, std::string_view reason, std::string_view why, const Request& request);
  Response gateway_unavailable(const Request& request);
  Response gateway_failure(const ClientResult& ran, const Request& request);
  void decorate(Response& response, const Answer& outcome) const;

  // --- the gateway binding (gateway_binding.cpp)
  asio::awaitable<Response> handle_system(Request request, ClientInfo client);
  asio::awaitable<ClientResult> run_on_gateway(const Request& request, const std::string& function,
                                               const std::string& rest, const Arrival& arrival,
                                               const ClientInfo& client);
  asio::awaitable<std::uint32_t> ensure_slots(FunctionId function, const std::string& name);
  asio::awaitable<void> refresh_slots_from_gateway(FunctionId function, std::string name);
  std::string gateway_origin() const { return config.gateway.origin(); }
  // GETs the gateway's /healthz every gateway.health_interval.
  asio::awaitable<void> check_gateway_health_loop();

  // --- the peer protocol (peer_routes.cpp)
  asio::awaitable<Response> handle_peer(Request request, ClientInfo client);
  Response handle_peer_load(const Request& request);
  Response handle_gossip(const Request& request, const ClientInfo& client);
  void send_gossip(std::span<const NodeId> peers, LoadReport load);

  // --- admin routes (admin_routes.cpp)
  Response handle_health(const Request& request) const;
  Response handle_metrics(const Request& request);
  Response handle_status(const Request& request);

  // --- peer discovery (peer_discovery.cpp)
  asio::awaitable<void> refresh_peers_loop();
};

}  // namespace fogsched::live
