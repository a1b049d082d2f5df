#pragma once
// The scheduler node's state and the steps it takes, shared by the files that hold
// them, one concern each:
//   node.cpp                 setup, routing, the policy timer, start and drain
//   invocation_pipeline.cpp  an invocation: schedule, probe, forward, reject, decorate
//   gateway_binding.cpp      calls to the local OpenFaaS gateway
//   function_table.cpp       the functions the node tracks: K and its source, refresh, eviction
//   peer_routes.cpp          the peer protocol's server side and gossip sends
//   admin_routes.cpp         /healthz, /metrics, /status
//   gateway_health.cpp       whether the gateway answers, from its answers and /healthz
//   cloud_tier.cpp           the cloud: a remote OpenFaaS gateway policies may offload to
//   peer_discovery.cpp       the peers' addresses, from static names and DNS
//   policy_save.cpp          a learning policy's table, saved to policy.save
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
#include <set>
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

// The cloud gateway's id in decisions (peers count up from 1).
inline constexpr NodeId kCloudNode{0xffffffffU};

// Where an invocation came from: a client of this node, or a peer's forward.
struct Arrival {
  bool forwarded = false;
  std::uint32_t hops = 0;         // forwards so far, this one included
  std::string path;               // nodes passed, comma-separated
  std::string origin;             // origin node's name
  std::string origin_invocation;  // origin's invocation id
  http::verb method = http::verb::get;
  // An /async-function/ call: queued on the chosen gateway, which answers 202.
  bool async = false;

  std::string_view route() const { return async ? kAsyncFunctionPrefix : kFunctionPrefix; }
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

// Where a function's slot count K came from (/status shows it).
enum class SlotSource : std::uint8_t { config, label, max_inflight, default_slots, lookup_failed };
const char* to_string(SlotSource source) noexcept;

// Why K could not be read from the gateway: the `reason` of
// fogsched_slot_lookup_failures_total, a small fixed set.
enum class LookupFailure : std::uint8_t { unauthorized, no_credentials, unreachable, not_found, bad_answer };
inline constexpr std::array<const char*, 5> kLookupFailures{"unauthorized", "no_credentials", "unreachable",
                                                            "not_found", "bad_answer"};
inline const char* to_string(LookupFailure failure) noexcept {
  return kLookupFailures.at(static_cast<std::size_t>(failure));
}

// A function's K as the gateway (or the configuration) gives it, or why it could not.
struct SlotLookup {
  std::uint32_t slots = 0;  // meaningful without a failure
  SlotSource source = SlotSource::default_slots;
  std::optional<LookupFailure> failure;
};

// What the node keeps of a tracked function beside its LiveNodeState entry.
struct TrackedFunction {
  std::string name;  // as written, `name` or `name.namespace`
  SlotSource source = SlotSource::default_slots;
  std::optional<LookupFailure> failure;  // of the last lookup, when it failed
  std::uint32_t in_use = 0;              // invocations holding its id; evicted only at 0
  Time last_used{};
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
      gateway_rejections, gateway_failures, peer_unauthorized, node_failures, functions_evicted, cloud_offloads,
      cloud_failures;
  std::array<Counter, kLookupFailures.size()> slot_lookup_failures;  // by LookupFailure
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
  std::unordered_map<std::uint32_t, TrackedFunction> tracked;  // by FunctionId, as in `state`
  std::vector<NodeId> available_peers;                         // scratch for refresh_available_peers()

  asio::steady_timer refresh_timer;    // peer discovery's
  asio::steady_timer functions_timer;  // K's refresh
  asio::steady_timer health_timer;     // the gateway's /healthz check

  // Whether the policy learns (has a table to save): known once it is made.
  bool policy_learns = false;
  asio::steady_timer save_timer;  // policy.save_interval's
  std::mutex save_mutex;          // one save at a time; taken before `mutex`, never under it

  // The cloud tier (cloud_tier.cpp), when cloud.url is set.
  std::optional<BasicAuthCredentials> cloud_credentials;  // for its /system API
  GatewayHealth cloud_health;
  asio::steady_timer cloud_timer;  // the cloud's /healthz check and function list
  // The functions the cloud lists; none until read (every function may go then).
  std::optional<std::set<std::string, std::less<>>> cloud_functions;  // under `mutex`
  std::array<std::atomic<bool>, kLookupFailures.size()> lookup_failure_logged{};

  Time now() const { return time_at(std::chrono::steady_clock::now() - started); }

  // Tells the policy's context which peers are available now, and whether the cloud
  // takes `function` (under `mutex`).
  void refresh_available_peers(std::string_view function = {}) {
    directory.available(now(), available_peers);
    state->set_available_peers(available_peers);
    state->set_cloud(cloud_takes(function) ? std::optional<NodeId>(kCloudNode) : std::nullopt);
  }

  // The background loops take the node as a parameter: a coroutine's parameters live
  // in its frame from the call on, so the node outlives a loop that has not started yet.

  // --- routing (node.cpp)
  // Binds the listening socket (a port in use throws here), serving `owner`.
  void listen(const std::shared_ptr<Impl>& owner);
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
  // A call that was sent and then lost (it may have run): 504 with `timeout_reason`
  // when it timed out, else 502 with `broken_reason`.
  Response lost_after_sending(const ClientResult& ran, std::string_view timeout_reason, std::string_view broken_reason,
                              std::string_view why, const Request& request);
  Response gateway_unavailable(const Request& request);
  // A call the local gateway did not answer, counted: the node-made failure.
  Response gateway_failure(const ClientResult& ran, const Request& request);
  // A gateway's (the local one's or the cloud's) answer, passed on: hop-by-hop headers
  // and any X-Fogsched-Failure dropped, its outcome from the scheduler's view.
  static void take_gateway_answer(Answer& answer, Response response);
  void decorate(Response& response, const Answer& outcome) const;

  // --- the gateway binding (gateway_binding.cpp)
  asio::awaitable<Response> handle_system(Request request, ClientInfo client);
  asio::awaitable<ClientResult> run_on_gateway(const Request& request, const std::string& function,
                                               const std::string& rest, const Arrival& arrival,
                                               const ClientInfo& client);
  // A call of a function no entry is kept for, passed to the gateway as it is.
  asio::awaitable<Answer> pass_through(const Request& request, const std::string& function, const std::string& rest,
                                       const Arrival& arrival, const ClientInfo& client);
  std::string gateway_origin() const { return config.gateway.origin(); }
  // GETs `at`'s /healthz every gateway.health_interval, telling `health`.
  asio::awaitable<void> check_health_loop(std::shared_ptr<Impl> owner, Url at, HttpClient& client,
                                          GatewayHealth& health, asio::steady_timer& timer, SteadyDuration limit);

  // --- the tracked functions (function_table.cpp)
  // The function's id, its entry made on first sight when the gateway knows it (or its
  // K is configured); none when the gateway answers 404 or every tracked function is
  // busy at functions.max_tracked. `for_call`: an invocation holds the id until
  // release_function().
  asio::awaitable<std::optional<FunctionId>> track_function(const std::string& name, bool for_call);
  // Ends an invocation's hold; `gateway_forgot`: the gateway answered it 404 as unknown.
  void release_function(FunctionId function, bool gateway_forgot);
  asio::awaitable<SlotLookup> look_up_slots(const std::string& name);
  // GET of the gateway's /system/ API with the node's own credentials.
  asio::awaitable<ClientResult> system_get(std::string path, std::string namespace_name);
  // Counts a failed lookup and logs its cause once per node.
  void report_lookup_failure(LookupFailure failure, std::string_view what, std::string_view detail);
  asio::awaitable<void> refresh_functions_loop(std::shared_ptr<Impl> owner);
  asio::awaitable<void> refresh_functions();
  // Under `mutex`: drops an idle function's entry.
  void forget_function(FunctionId function);

  // --- the cloud tier (cloud_tier.cpp)
  // Sends the call to the cloud gateway and fills `answer` with its answer, or with a
  // node-made failure when the call may have run there; false when it provably never
  // reached the cloud (the caller runs it here instead).
  asio::awaitable<bool> offload(Answer& answer, const Request& request, const std::string& function,
                                const std::string& rest, const Arrival& arrival, const Invocation& invocation,
                                const ClientInfo& client);
  // Whether the policy may offload `function` (any function when empty) now (under `mutex`).
  bool cloud_takes(std::string_view function) const;
  // Checks the cloud's /healthz every gateway.health_interval and reads its function list
  // (with cloud.secrets) every functions.refresh.
  asio::awaitable<void> watch_cloud_loop(std::shared_ptr<Impl> owner);

  // --- the peer protocol (peer_routes.cpp)
  asio::awaitable<Response> handle_peer(Request request, ClientInfo client);
  // A probe; 404 for a function whose K this node does not know.
  asio::awaitable<Response> handle_peer_load(Request request);
  Response handle_gossip(const Request& request, const ClientInfo& client);
  void send_gossip(std::span<const NodeId> peers, LoadReport load);
  static asio::awaitable<void> send_gossip_message(std::shared_ptr<Impl> owner, Url to, Request request);

  // --- admin routes (admin_routes.cpp)
  Response handle_health(const Request& request) const;
  Response handle_metrics(const Request& request);
  Response handle_status(const Request& request);

  // --- peer discovery (peer_discovery.cpp)
  asio::awaitable<void> refresh_peers_loop(std::shared_ptr<Impl> owner);

  // --- the learned table's file (policy_save.cpp)
  // Warns at start when a learning policy's table would be lost, or policy.save is
  // set for a policy that learns nothing.
  void warn_about_policy_save() const;
  // Writes the policy's table to policy.save (when it learns and that is set); a
  // failure is logged, never thrown: the node serves on.
  void save_policy();
  asio::awaitable<void> save_policy_loop(std::shared_ptr<Impl> owner);
};

}  // namespace fogsched::live
