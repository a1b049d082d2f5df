// The scheduler node. One LiveNodeState and one Policy per node, guarded by one
// mutex (decisions are short and serialised); all network work runs on coroutines
// outside it.
#include "fogsched/live/node.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <boost/algorithm/string/trim.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fogsched/core/errors.h"
#include "fogsched/core/rng.h"
#include "fogsched/live/live_context.h"
#include "fogsched/live/metrics.h"
#include "fogsched/live/openfaas.h"
#include "fogsched/live/peer_directory.h"
#include "fogsched/policies/registry.h"

namespace fogsched::live {
namespace {

using asio::use_awaitable;
using json = nlohmann::json;

constexpr std::string_view kTokenHeader = "X-Fogsched-Token";
constexpr std::string_view kHopsHeader = "X-Fogsched-Hops";
constexpr std::string_view kPathHeader = "X-Fogsched-Path";
constexpr std::string_view kOriginHeader = "X-Fogsched-Origin";
constexpr std::string_view kInvocationHeader = "X-Fogsched-Invocation";
constexpr std::string_view kMethodHeader = "X-Fogsched-Method";
constexpr std::string_view kNodeHeader = "X-Fogsched-Node";
constexpr std::string_view kProbesHeader = "X-Fogsched-Probes";
constexpr std::string_view kDecisionHeader = "X-Fogsched-Decision";
constexpr std::string_view kRunningHeader = "X-Fogsched-Running";
constexpr std::string_view kQueuedHeader = "X-Fogsched-Queued";
constexpr std::string_view kSlotsHeader = "X-Fogsched-Slots";
constexpr std::string_view kQueueCapacityHeader = "X-Fogsched-Queue-Capacity";

beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }
std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

// The value of a header fogsched sets itself (whose name Beast does not know), found
// by a linear scan: messages carry a handful of fields, and comparing lengths first
// is cheaper than Beast's case-insensitive tree search.
bool is_own_header(const http::fields::value_type& field, std::string_view name) {
  const auto field_name = field.name_string();
  return field.name() == http::field::unknown && field_name.size() == name.size() &&
         beast::iequals(field_name, bsv(name));
}

std::optional<std::string_view> own_header(const http::fields& fields, std::string_view name) {
  for (const auto& field : fields) {
    if (is_own_header(field, name)) return sv(field.value());
  }
  return std::nullopt;
}

std::string own_header_text(const http::fields& fields, std::string_view name) {
  return std::string(own_header(fields, name).value_or(std::string_view{}));
}

// A header holding a count; none when it is missing or not a number.
std::optional<std::uint32_t> header_value(const http::fields& fields, std::string_view name) {
  const auto text = own_header(fields, name);
  if (!text) return std::nullopt;
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return value;
}

// A count of at most 10^6, else `fallback`.
std::uint32_t header_number(const http::fields& fields, std::string_view name, std::uint32_t fallback) {
  const auto value = header_value(fields, name);
  return value && *value <= 1'000'000 ? *value : fallback;
}

// Equal-time comparison, so the token cannot be guessed byte by byte.
bool token_matches(std::string_view given, std::string_view expected) {
  if (expected.empty() || given.size() != expected.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < given.size(); ++i) {
    difference |= static_cast<unsigned char>(given[i] ^ expected[i]);
  }
  return difference == 0;
}

std::string read_token_file(const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) throw std::runtime_error(fmt::format("{}: cannot read the peer token file", path.string()));
  std::string token;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) token.append(buffer, n);
  std::fclose(file);
  boost::algorithm::trim(token);
  if (token.empty()) throw std::runtime_error(fmt::format("{}: the peer token file is empty", path.string()));
  return token;
}

// Where the invocation came from: a client of this node, or a peer's forward.
struct Arrival {
  bool forwarded = false;
  std::uint32_t hops = 0;         // forwards so far, this one included
  std::string path;               // nodes passed, comma-separated
  std::string origin;             // origin node's name
  std::string origin_invocation;  // origin's invocation id
  http::verb method = http::verb::get;
};

struct Answer {
  Response response;
  DecisionKind decision = DecisionKind::run_local;
  NodeId ran_on{0};         // this node, or the peer forwarded to
  std::string executed_on;  // name of the node whose gateway answered
  std::uint32_t hops = 0;
  std::uint32_t probes = 0;
};

// The addresses of this host's interfaces, to recognise itself among DNS peers.
std::vector<std::string> local_addresses() {
  std::vector<std::string> addresses{"127.0.0.1", "::1"};
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return addresses;
  for (ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    if (!entry->ifa_addr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (entry->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(entry->ifa_addr)->sin_addr, text, sizeof text);
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(entry->ifa_addr)->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    addresses.emplace_back(text);
  }
  freeifaddrs(list);
  return addresses;
}

}  // namespace

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
  std::unique_ptr<HttpServer> server;
  std::atomic<bool> draining{false};
  std::atomic<std::uint64_t> next_invocation{1};

  // Decision state: everything below is guarded by `mutex`.
  std::mutex mutex;
  std::unique_ptr<Policy> policy;
  std::unique_ptr<LiveNodeState> state;
  PeerDirectory directory;
  asio::steady_timer policy_timer;
  std::uint64_t policy_timer_generation = 0;
  std::unordered_map<std::uint32_t, Time> slots_read_at;  // by FunctionId
  std::vector<NodeId> available_peers;  // scratch for refresh_available_peers()

  // Tells the policy's context which peers are available now (under `mutex`).
  void refresh_available_peers() {
    directory.available(now(), available_peers);
    state->set_available_peers(available_peers);
  }

  asio::steady_timer refresh_timer;

  // Metrics.
  // By decision (DecisionKind) and outcome (completed, rejected, failed).
  static constexpr std::array<const char*, 3> kOutcomes{"completed", "rejected", "failed"};
  std::array<std::array<Counter, kOutcomes.size()>, 3> invocations;
  LatencyHistogram latency;
  Counter probes_sent, probes_failed, forwards_sent, forwards_failed, gossip_sent, gossip_received,
      hop_limit_enforced, gateway_rejections, gateway_failures, peer_unauthorized;

  Time now() const { return time_at(std::chrono::steady_clock::now() - started); }

  // --- routing
  asio::awaitable<Response> handle(Request request, ClientInfo client);
  asio::awaitable<Response> handle_invocation(Request request, ClientInfo client, Arrival arrival);
  asio::awaitable<Response> handle_system(Request request, ClientInfo client);
  Response handle_peer_load(const Request& request);
  Response handle_gossip(const Request& request, const ClientInfo& client);
  Response handle_metrics(const Request& request);
  Response handle_status(const Request& request);

  // --- the decision and its steps
  asio::awaitable<std::uint32_t> ensure_slots(FunctionId function, const std::string& name);
  asio::awaitable<std::vector<ProbeAnswer>> probe(const PeerSet& peers, const std::string& function);
  // A peer's answer to a probe, with the peer's health updated; none when it failed.
  std::optional<LoadReport> read_probe_answer(NodeId peer, const ClientResult& result);
  asio::awaitable<Answer> schedule(const Request& request, const std::string& function, const std::string& rest,
                                    const Arrival& arrival, const Invocation& invocation, const ClientInfo& client);
  asio::awaitable<ClientResult> run_on_gateway(const Request& request, const std::string& function,
                                               const std::string& rest, const Arrival& arrival,
                                               const ClientInfo& client);
  asio::awaitable<ClientResult> forward(NodeId peer, const Request& request, const std::string& function,
                                        const std::string& rest, const Arrival& arrival,
                                        const Invocation& invocation);
  Response reject(const Request& request, const std::string& function) const;
  void decorate(Response& response, const Answer& outcome) const;

  // --- policy effects
  void send_gossip(std::span<const NodeId> peers, LoadReport load);
  void arm_policy_timer(Duration after);
  asio::awaitable<void> refresh_peers_loop();
  asio::awaitable<void> refresh_slots_from_gateway(FunctionId function, std::string name);
  std::string gateway_origin() const { return config.gateway.origin(); }
};

SchedulerNode::Impl::Impl(IoContextPool& pool, NodeConfig cfg)
    : contexts(pool),
      io(pool.at(0)),
      config(std::move(cfg)),
      policy_config(config.policy.name.empty() ? PolicyRegistry::builtin().parse("local")
                                               : PolicyRegistry::builtin().configure(config.policy)),
      gateway(pool, ClientOptions{.max_idle_per_origin = config.gateway_connections,
                                  .max_response_header_bytes = 64 * 1024,
                                  .max_response_body_bytes = 256 * 1024 * 1024}),
      peers_client(pool),
      directory(config.static_peers, config.peer_backoff.initial, config.peer_backoff.max),
      policy_timer(io),
      refresh_timer(io) {
  credentials = read_basic_auth_secrets(config.secrets_dir);
  if (config.peer_token_file) peer_token = read_token_file(*config.peer_token_file);
  const bool has_peers = !config.static_peers.empty() || config.peers_dns.has_value();
  if (has_peers && peer_token.empty()) {
    throw std::runtime_error("peers are configured but no peer token is (peers.token_file, FOGSCHED_PEER_TOKEN_FILE): "
                             "peer calls need a shared token");
  }
  policy = policy_config.make();
  const NodeId self{0};
  state = std::make_unique<LiveNodeState>(
      self, Rng(derive_seed(config.seed, {0x6c697665 /* "live" */})), [this] { return now(); }, config.hop_limit,
      policy_config.canonical,
      LiveNodeState::Effects{
          .gossip = [this](std::span<const NodeId> to, LoadReport load) { send_gossip(to, load); },
          .set_timer = [this](Duration after) { arm_policy_timer(after); }});
  ServerLimits limits;
  limits.max_body_bytes = config.max_body_bytes;
  limits.max_header_bytes = config.max_header_bytes;
  server = std::make_unique<HttpServer>(
      contexts, parse_listen_address(config.listen), limits,
      [this](Request request, ClientInfo client) { return handle(std::move(request), client); });
}

// ----------------------------------------------------------------------------------
// Routing

asio::awaitable<Response> SchedulerNode::Impl::handle(Request request, ClientInfo client) {
  auto self = shared_from_this();
  const std::string_view target = sv(request.target());
  const std::string_view path = target.substr(0, target.find('?'));

  if (path.starts_with("/function/")) {
    // Named, not a temporary: GCC 12 destroys temporaries of a co_await expression twice.
    Arrival from_client;
    co_return co_await handle_invocation(std::move(request), client, std::move(from_client));
  }
  if (path.starts_with("/system/")) co_return co_await handle_system(std::move(request), client);
  if (path == "/healthz") {
    co_return text_response(draining ? http::status::service_unavailable : http::status::ok,
                            draining ? "draining\n" : "OK\n", request);
  }
  if (path == "/metrics" && request.method() == http::verb::get) co_return handle_metrics(request);
  if (path == "/status" && request.method() == http::verb::get) co_return handle_status(request);

  if (path.starts_with("/peer/")) {
    const auto token = own_header(request, kTokenHeader);
    if (!token || !token_matches(*token, peer_token)) {
      peer_unauthorized.add();
      co_return text_response(http::status::unauthorized, "missing or wrong peer token\n", request);
    }
    if (path == "/peer/load") {
      if (request.method() == http::verb::get) co_return handle_peer_load(request);
      if (request.method() == http::verb::put) co_return handle_gossip(request, client);
      co_return text_response(http::status::method_not_allowed, "GET or PUT\n", request);
    }
    if (path.starts_with("/peer/function/") && request.method() == http::verb::post) {
      Arrival arrival;
      arrival.forwarded = true;
      arrival.hops = header_number(request, kHopsHeader, 1);
      arrival.path = own_header_text(request, kPathHeader);
      arrival.origin = own_header_text(request, kOriginHeader);
      arrival.origin_invocation = own_header_text(request, kInvocationHeader);
      const auto method = own_header(request, kMethodHeader);
      arrival.method = method && !method->empty() ? http::string_to_verb(bsv(*method)) : http::verb::post;
      if (arrival.method == http::verb::unknown) {
        co_return text_response(http::status::bad_request, "unknown X-Fogsched-Method\n", request);
      }
      // The rest of the target is the client's /function/... target.
      request.target(bsv(target.substr(std::string_view("/peer").size())));
      co_return co_await handle_invocation(std::move(request), client, std::move(arrival));
    }
  }
  co_return text_response(http::status::not_found, "404 page not found\n", request);
}

asio::awaitable<Response> SchedulerNode::Impl::handle_invocation(Request request, ClientInfo client,
                                                                 Arrival arrival) {
  const auto started_at = std::chrono::steady_clock::now();
  const auto split = split_function_target(sv(request.target()));
  if (!split || !is_valid_function_name(split->name)) {
    co_return text_response(http::status::bad_request, "invalid function name\n", request);
  }
  const std::string function = split->name;
  // What follows the name, exactly as the client wrote it: "", "/sub/path", "?x=1"…
  const std::string rest(sv(request.target()).substr(std::string_view("/function/").size() + function.size()));
  if (!arrival.forwarded) arrival.method = request.method();

  FunctionId function_id;
  {
    std::lock_guard lock(mutex);
    function_id = state->function_id(function);
  }
  co_await ensure_slots(function_id, function);

  Invocation invocation;
  invocation.id = InvocationId{next_invocation.fetch_add(1)};
  invocation.function = function_id;
  invocation.origin = NodeId{0};
  invocation.hops = arrival.forwarded ? arrival.hops : 0;
  invocation.arrival = now();
  invocation.payload_bytes = request.body().size();

  Answer outcome = co_await schedule(request, function, rest, arrival, invocation, client);
  decorate(outcome.response, outcome);

  const bool completed = outcome.response.result_int() < 400;
  const bool rejected = outcome.response.result() == http::status::too_many_requests;
  invocations.at(static_cast<std::size_t>(outcome.decision)).at(completed ? 0 : rejected ? 1 : 2).add();
  const auto took = std::chrono::steady_clock::now() - started_at;
  latency.observe(std::chrono::duration<double>(took).count());
  if (!arrival.forwarded) {
    std::lock_guard lock(mutex);
    state->complete(*policy, Completion{.id = invocation.id,
                                        .function = function_id,
                                        .executed_on = outcome.ran_on,
                                        .outcome = completed ? fogsched::Outcome::completed
                                                   : rejected ? fogsched::Outcome::rejected
                                                              : fogsched::Outcome::failed,
                                        .response_time = std::chrono::duration_cast<Duration>(took)});
  }
  co_return std::move(outcome.response);
}

asio::awaitable<Response> SchedulerNode::Impl::handle_system(Request request, ClientInfo client) {
  // The caller's own credentials go to the gateway; the node never lends its own.
  const bool keep_alive = request.keep_alive();
  Request upstream = request;
  strip_hop_by_hop(upstream);
  upstream.erase(bsv(kTokenHeader));
  upstream.set(http::field::host, gateway_origin());
  upstream.target(bsv(config.gateway.prefix + std::string(sv(request.target()))));
  upstream.set("X-Forwarded-For", client.remote.address().to_string());
  ClientResult result = co_await gateway.send(config.gateway, std::move(upstream), config.gateway_timeout);
  if (!result) {
    gateway_failures.add();
    co_return text_response(http::status::bad_gateway, "fogsched: gateway unavailable\n", request);
  }
  Response response = std::move(*result.response);
  strip_hop_by_hop(response);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  co_return response;
}

// ----------------------------------------------------------------------------------
// The decision and its steps

asio::awaitable<Answer> SchedulerNode::Impl::schedule(const Request& request, const std::string& function,
                                                      const std::string& rest, const Arrival& arrival,
                                                      const Invocation& invocation, const ClientInfo& client) {
  auto self = shared_from_this();
  Answer answer;
  answer.hops = invocation.hops;
  bool local_full = false;
  // A second round only when the gateway answers 429 although a slot seemed free:
  // the function counts as full and the policy may send the call elsewhere.
  for (int round = 0; round < 2; ++round) {
    CheckedDecision decision;
    PeerSet probe_peers;
    {
      std::lock_guard lock(mutex);
      refresh_available_peers();
      decision = state->decide(*policy, invocation, {}, false, local_full);
      if (decision.step == Step::probe) probe_peers = *decision.probe_peers;
    }
    if (decision.step == Step::probe) {
      const std::vector<ProbeAnswer> answers = co_await probe(probe_peers, function);
      answer.probes += static_cast<std::uint32_t>(probe_peers.size());
      std::lock_guard lock(mutex);
      refresh_available_peers();
      decision = state->decide(*policy, invocation, answers, true, local_full);
    }
    if (decision.hop_limit_enforced) hop_limit_enforced.add();

    if (decision.step == Step::forward) {
      ClientResult forwarded = co_await forward(decision.peer, request, function, rest, arrival, invocation);
      if (forwarded) {
        Response& response = *forwarded.response;
        answer.decision = DecisionKind::forward;
        answer.ran_on = decision.peer;
        answer.executed_on = own_header_text(response, kNodeHeader);
        answer.hops = header_number(response, kHopsHeader, invocation.hops + 1);
        answer.probes += header_number(response, kProbesHeader, 0);
        answer.response = std::move(response);
        co_return answer;
      }
      // The peer did not answer: it goes into back-off and the call stays here.
      forwards_failed.add();
      {
        std::lock_guard lock(mutex);
        directory.report_failure(decision.peer, now());
      }
      decision.step = Step::run_local;
    }

    answer.ran_on = NodeId{0};
    answer.executed_on = config.name;
    if (decision.step == Step::reject) {
      answer.decision = DecisionKind::reject;
      answer.response = reject(request, function);
      co_return answer;
    }
    bool acquired = false;
    if (!local_full) {
      std::lock_guard lock(mutex);
      acquired = state->try_acquire_slot(invocation.function);
    }
    if (!acquired) {
      answer.decision = DecisionKind::reject;
      answer.response = reject(request, function);
      co_return answer;
    }
    answer.decision = DecisionKind::run_local;
    ClientResult ran = co_await run_on_gateway(request, function, rest, arrival, client);
    {
      std::lock_guard lock(mutex);
      state->release_slot(invocation.function);
    }
    if (!ran) {
      gateway_failures.add();
      answer.response = text_response(http::status::bad_gateway,
                                      fmt::format("fogsched: the gateway did not answer ({})\n",
                                                  to_string(ran.failure)),
                                      request);
      co_return answer;
    }
    if (ran.response->result() == http::status::too_many_requests) {
      gateway_rejections.add();
      if (round == 0 && invocation.hops < config.hop_limit) {
        local_full = true;
        continue;
      }
    }
    answer.response = std::move(*ran.response);
    strip_hop_by_hop(answer.response);
    co_return answer;
  }
  answer.decision = DecisionKind::reject;
  answer.response = reject(request, function);
  co_return answer;
}

Response SchedulerNode::Impl::reject(const Request& request, const std::string& function) const {
  return text_response(http::status::too_many_requests, fmt::format("fogsched: no capacity for {}\n", function),
                       request);
}

void SchedulerNode::Impl::decorate(Response& response, const Answer& outcome) const {
  // A forwarded call's response carries the peer's own values: replaced, in one pass.
  constexpr std::array kOwn{kNodeHeader, kHopsHeader, kProbesHeader, kDecisionHeader};
  for (auto it = response.begin(); it != response.end();) {
    const bool own =
        std::any_of(kOwn.begin(), kOwn.end(), [&](std::string_view header) { return is_own_header(*it, header); });
    it = own ? response.erase(it) : std::next(it);
  }
  response.insert(bsv(kNodeHeader), bsv(outcome.executed_on));
  response.insert(bsv(kHopsHeader), std::to_string(outcome.hops));
  response.insert(bsv(kProbesHeader), std::to_string(outcome.probes));
  response.insert(bsv(kDecisionHeader), to_string(outcome.decision));
  response.prepare_payload();
}

namespace {

// The client's headers, minus hop-by-hop ones and fogsched's own.
void copy_end_to_end_headers(const Request& from, Request& to) {
  for (const auto& field : from) {
    const http::field known = field.name();
    if (known == http::field::host || known == http::field::content_length) continue;
    const std::string_view name = sv(field.name_string());
    if (known == http::field::unknown && name.size() >= 11 && beast::iequals(bsv(name.substr(0, 11)), "X-Fogsched-")) {
      continue;
    }
    to.insert(known, field.name_string(), field.value());  // the parser's name, not looked up again
  }
  strip_hop_by_hop(to);
}

std::string forwarded_for(const Request& request, const ClientInfo& client) {
  const std::string address = client.remote.address().to_string();
  auto it = request.find("X-Forwarded-For");
  return it == request.end() ? address : std::string(it->value()) + ", " + address;
}

}  // namespace

asio::awaitable<ClientResult> SchedulerNode::Impl::run_on_gateway(const Request& request, const std::string& function,
                                                                  const std::string& rest, const Arrival& arrival,
                                                                  const ClientInfo& client) {
  Request upstream{arrival.method, config.gateway.prefix + "/function/" + function + rest, request.version()};
  copy_end_to_end_headers(request, upstream);
  upstream.set("X-Forwarded-For", forwarded_for(request, client));
  upstream.body() = request.body();
  co_return co_await gateway.send(config.gateway, std::move(upstream), config.gateway_timeout);
}

asio::awaitable<ClientResult> SchedulerNode::Impl::forward(NodeId peer, const Request& request,
                                                           const std::string& function, const std::string& rest,
                                                           const Arrival& arrival, const Invocation& invocation) {
  Url to;
  {
    std::lock_guard lock(mutex);
    to = directory.url(peer);
  }
  forwards_sent.add();
  Request upstream{http::verb::post, to.prefix + "/peer/function/" + function + rest, request.version()};
  copy_end_to_end_headers(request, upstream);
  upstream.set(bsv(kTokenHeader), bsv(peer_token));
  upstream.set(bsv(kMethodHeader), http::to_string(arrival.method));
  upstream.set(bsv(kHopsHeader), std::to_string(invocation.hops + 1));
  upstream.set(bsv(kPathHeader), arrival.path.empty() ? config.name : arrival.path + "," + config.name);
  upstream.set(bsv(kOriginHeader), bsv(arrival.forwarded ? arrival.origin : config.name));
  upstream.set(bsv(kInvocationHeader), arrival.forwarded ? arrival.origin_invocation
                                                         : std::to_string(invocation.id.value));
  upstream.body() = request.body();
  ClientResult result = co_await peers_client.send(to, std::move(upstream), config.forward_timeout);
  if (result) {
    std::lock_guard lock(mutex);
    directory.report_success(peer);
  }
  co_return result;
}

std::optional<LoadReport> SchedulerNode::Impl::read_probe_answer(NodeId peer, const ClientResult& result) {
  std::optional<LoadReport> load;
  if (result && result.response->result() == http::status::ok) {
    // The numbers travel in headers, so a probe's answer is read without a parser.
    const Response& answer = *result.response;
    const auto running = header_value(answer, kRunningHeader);
    const auto queued = header_value(answer, kQueuedHeader);
    const auto slots = header_value(answer, kSlotsHeader);
    const auto queue_capacity = header_value(answer, kQueueCapacityHeader);
    if (running && queued && slots && queue_capacity) {
      load = LoadReport{.running = *running, .queued = *queued, .slots = *slots, .queue_capacity = *queue_capacity};
    }
  }
  {
    std::lock_guard lock(mutex);
    if (load) {
      directory.report_success(peer);
    } else {
      directory.report_failure(peer, now());
    }
  }
  // A failed probe is absent from the answers, never read as load 0.
  if (!load) probes_failed.add();
  return load;
}

asio::awaitable<std::vector<ProbeAnswer>> SchedulerNode::Impl::probe(const PeerSet& peers,
                                                                      const std::string& function) {
  auto self = shared_from_this();
  std::vector<Url> urls;
  {
    std::lock_guard lock(mutex);
    for (NodeId peer : peers) urls.push_back(directory.url(peer));
  }
  auto probe_request = [&](std::size_t i) {
    Request request{http::verb::get, urls[i].prefix + "/peer/load?function=" + function, 11};
    request.set(bsv(kTokenHeader), bsv(peer_token));
    probes_sent.add();
    return request;
  };
  std::vector<ProbeAnswer> answers;
  if (peers.size() == 1) {
    // One peer (power_of_d with d = 1, say): no fan-out to wait for.
    Request request = probe_request(0);
    const ClientResult result = co_await peers_client.send(urls[0], std::move(request), config.probe_timeout);
    if (const auto load = read_probe_answer(peers[0], result)) answers.push_back({.peer = peers[0], .load = *load});
    co_return answers;
  }
  // The probes run concurrently on this coroutine's context, whose one thread also
  // runs the latch that wakes it when the last one is done; their completions touch
  // this frame's locals, which outlive them (the latch waits for every one).
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  std::vector<std::optional<ProbeAnswer>> slots(peers.size());
  std::size_t pending = peers.size();
  asio::steady_timer latch(executor, std::chrono::steady_clock::time_point::max());
  for (std::size_t i = 0; i < peers.size(); ++i) {
    asio::co_spawn(executor, peers_client.send(urls[i], probe_request(i), config.probe_timeout),
                   [&, i](std::exception_ptr, ClientResult result) {
                     if (const auto load = read_probe_answer(peers[i], result)) {
                       slots[i] = ProbeAnswer{.peer = peers[i], .load = *load};
                     }
                     if (--pending == 0) latch.cancel();
                   });
  }
  boost::system::error_code ignored;
  if (pending > 0) co_await latch.async_wait(asio::redirect_error(use_awaitable, ignored));
  for (auto& slot : slots) {
    if (slot) answers.push_back(*slot);
  }
  co_return answers;
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
  Request request{http::verb::get, config.gateway.prefix + "/system/function/" + name, 11};
  if (credentials) request.set(http::field::authorization, basic_auth_header(*credentials));
  ClientResult result = co_await gateway.send(config.gateway, std::move(request),
                                              std::min<SteadyDuration>(config.gateway_timeout, std::chrono::seconds(5)));
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

// ----------------------------------------------------------------------------------
// Peer endpoints, metrics, status

Response SchedulerNode::Impl::handle_peer_load(const Request& request) {
  const std::string_view target = sv(request.target());
  const auto query = target.find("?function=");
  LoadReport load;
  std::string function;
  {
    std::lock_guard lock(mutex);
    if (query != std::string_view::npos) {
      function = std::string(target.substr(query + 10));
      function = function.substr(0, function.find('&'));
      if (!is_valid_function_name(function)) {
        return text_response(http::status::bad_request, "invalid function name\n", request);
      }
      const FunctionId id = state->function_id(function);
      if (state->function_load(id).slots == 0) {
        const auto configured = config.slots.find(function);
        state->set_slots(id, configured != config.slots.end() ? configured->second : config.default_slots);
      }
      load = state->function_load(id);
    } else {
      load = state->total_load();
    }
  }
  // Node and function names are checked ([-a-zA-Z_0-9.]), so they need no escaping.
  Response response = json_response(
      http::status::ok,
      fmt::format(R"({{"node":"{}","function":"{}","running":{},"queued":{},"slots":{},"queue_capacity":{}}})",
                  config.name, function, load.running, load.queued, load.slots, load.queue_capacity),
      request);
  response.insert(bsv(kRunningHeader), std::to_string(load.running));
  response.insert(bsv(kQueuedHeader), std::to_string(load.queued));
  response.insert(bsv(kSlotsHeader), std::to_string(load.slots));
  response.insert(bsv(kQueueCapacityHeader), std::to_string(load.queue_capacity));
  return response;
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
    gossip_received.add();
    std::lock_guard lock(mutex);
    if (auto peer = directory.find_by_address(sender)) state->record_known_load(*peer, load, now());
  } catch (const std::exception& e) {
    return text_response(http::status::bad_request, fmt::format("bad gossip: {}\n", e.what()), request);
  }
  Response response{http::status::no_content, request.version()};
  response.keep_alive(request.keep_alive());
  return response;
}

void SchedulerNode::Impl::send_gossip(std::span<const NodeId> to, LoadReport load) {
  // Runs under `mutex` (from a policy hook): only spawns the sends.
  const std::string body = json{{"node", config.name},
                                {"running", load.running},
                                {"queued", load.queued},
                                {"slots", load.slots},
                                {"queue_capacity", load.queue_capacity},
                                {"port", server->local_endpoint().port()}}
                               .dump();
  for (NodeId peer : to) {
    const Url url = directory.url(peer);
    Request request{http::verb::put, url.prefix + "/peer/load", 11};
    request.set(bsv(kTokenHeader), bsv(peer_token));
    request.set(http::field::content_type, "application/json");
    request.body() = body;
    gossip_sent.add();
    asio::co_spawn(contexts.next(), peers_client.send(url, std::move(request), config.probe_timeout),
                   asio::detached);
  }
}

void SchedulerNode::Impl::arm_policy_timer(Duration after) {
  // Runs under `mutex` (from a policy hook). Re-arming replaces the timer.
  const std::uint64_t generation = ++policy_timer_generation;
  policy_timer.expires_after(after);
  policy_timer.async_wait([weak = weak_from_this(), generation](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->draining) return;
    std::lock_guard lock(self->mutex);
    if (generation != self->policy_timer_generation) return;
    self->refresh_available_peers();
    self->state->timer(*self->policy);
  });
}

Response SchedulerNode::Impl::handle_metrics(const Request& request) {
  std::string out;
  render_metric_header(out, "fogsched_invocations_total", "counter",
                       "Invocations answered by this node, by the decision taken here and the outcome.");
  for (const DecisionKind decision : {DecisionKind::run_local, DecisionKind::forward, DecisionKind::reject}) {
    for (std::size_t outcome = 0; outcome < kOutcomes.size(); ++outcome) {
      render_sample(out, "fogsched_invocations_total",
                    fmt::format("decision=\"{}\",outcome=\"{}\"", to_string(decision), kOutcomes.at(outcome)),
                    static_cast<double>(invocations.at(static_cast<std::size_t>(decision)).at(outcome).value()));
    }
  }
  render_metric_header(out, "fogsched_invocation_seconds", "histogram",
                       "Time from the request's arrival at this node to its answer.");
  latency.render(out, "fogsched_invocation_seconds", "");
  const std::pair<const char*, const Counter*> counters[] = {
      {"fogsched_probes_total", &probes_sent},
      {"fogsched_probe_failures_total", &probes_failed},
      {"fogsched_forwards_total", &forwards_sent},
      {"fogsched_forward_failures_total", &forwards_failed},
      {"fogsched_gossip_sent_total", &gossip_sent},
      {"fogsched_gossip_received_total", &gossip_received},
      {"fogsched_hop_limit_enforced_total", &hop_limit_enforced},
      {"fogsched_gateway_rejections_total", &gateway_rejections},
      {"fogsched_gateway_failures_total", &gateway_failures},
      {"fogsched_peer_unauthorized_total", &peer_unauthorized},
  };
  for (const auto& [name, counter] : counters) {
    render_metric_header(out, name, "counter", "See live/README.md.");
    render_sample(out, name, "", static_cast<double>(counter->value()));
  }
  render_metric_header(out, "fogsched_running", "gauge", "Executions in flight on the local gateway, by function.");
  std::vector<std::pair<std::string, LoadReport>> loads;
  {
    std::lock_guard lock(mutex);
    for (std::uint32_t f = 0; f < state->function_count(); ++f) {
      loads.emplace_back(state->function_name(FunctionId{f}), state->function_load(FunctionId{f}));
    }
  }
  for (const auto& [name, load] : loads) {
    render_sample(out, "fogsched_running", fmt::format("function=\"{}\"", escape_label_value(name)), load.running);
  }
  render_metric_header(out, "fogsched_slots", "gauge", "Slots K per function.");
  for (const auto& [name, load] : loads) {
    render_sample(out, "fogsched_slots", fmt::format("function=\"{}\"", escape_label_value(name)), load.slots);
  }
  Response response = text_response(http::status::ok, std::move(out), request);
  response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  return response;
}

Response SchedulerNode::Impl::handle_status(const Request& request) {
  json peers = json::array();
  json functions = json::object();
  LoadReport total;
  {
    std::lock_guard lock(mutex);
    const Time t = now();
    for (const PeerDirectory::PeerStatus& p : directory.status(t)) {
      peers.push_back(json{{"url", p.url.to_string()},
                           {"from_dns", p.from_dns},
                           {"present", p.present},
                           {"available", p.available},
                           {"consecutive_failures", p.failures},
                           {"retry_in_seconds", to_seconds(p.retry_in)}});
    }
    for (std::uint32_t f = 0; f < state->function_count(); ++f) {
      const LoadReport load = state->function_load(FunctionId{f});
      functions[state->function_name(FunctionId{f})] = json{{"running", load.running}, {"slots", load.slots}};
    }
    total = state->total_load();
  }
  const json status{{"node", config.name},
                    {"policy", policy_config.canonical},
                    {"hop_limit", config.hop_limit},
                    {"gateway", config.gateway.to_string()},
                    {"draining", draining.load()},
                    {"load", json{{"running", total.running}, {"slots", total.slots}}},
                    {"functions", functions},
                    {"peers", peers}};
  return json_response(http::status::ok, status.dump(2), request);
}

// ----------------------------------------------------------------------------------
// Peers from DNS

asio::awaitable<void> SchedulerNode::Impl::refresh_peers_loop() {
  auto self = shared_from_this();
  const std::uint16_t own_port = server->local_endpoint().port();
  const std::vector<std::string> own_addresses = local_addresses();
  auto is_self = [&](const std::string& ip, std::uint16_t port) {
    return port == own_port && std::find(own_addresses.begin(), own_addresses.end(), ip) != own_addresses.end();
  };
  tcp::resolver resolver(io);
  for (;;) {
    // Static peers: learn the address each connects from, for gossip.
    std::vector<std::pair<NodeId, Url>> known;
    {
      std::lock_guard lock(mutex);
      for (NodeId id : directory.present()) known.emplace_back(id, directory.url(id));
    }
    for (const auto& [id, url] : known) {
      boost::system::error_code ec;
      auto results = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                     asio::redirect_error(use_awaitable, ec));
      if (ec) continue;
      std::lock_guard lock(mutex);
      for (const auto& entry : results) {
        directory.set_address(id, Url{.host = entry.endpoint().address().to_string(), .port = url.port, .prefix = ""}.origin());
      }
    }
    if (config.peers_dns) {
      const std::string& name = *config.peers_dns;
      const auto colon = name.rfind(':');
      const std::string host = name.substr(0, colon);
      const std::uint16_t port = colon == std::string::npos ? 18080 : static_cast<std::uint16_t>(std::stoul(name.substr(colon + 1)));
      boost::system::error_code ec;
      auto results = co_await resolver.async_resolve(host, std::to_string(port), asio::redirect_error(use_awaitable, ec));
      if (!ec) {
        // One address per peer: IPv4 when the name has any (Swarm's tasks.* and
        // Kubernetes' headless services list one IPv4 address per task or pod).
        const bool any_v4 = std::any_of(results.begin(), results.end(),
                                        [](const auto& entry) { return entry.endpoint().address().is_v4(); });
        std::vector<Url> found;
        for (const auto& entry : results) {
          if (any_v4 && !entry.endpoint().address().is_v4()) continue;
          const std::string ip = entry.endpoint().address().to_string();
          if (is_self(ip, port)) continue;
          found.push_back(Url{.host = ip, .port = port, .prefix = ""});
        }
        std::lock_guard lock(mutex);
        directory.set_dns_peers(found);
        for (const Url& url : found) directory.set_address(*directory.find_by_url(url), url.origin());
      }
    }
    refresh_timer.expires_after(config.peers_refresh);
    boost::system::error_code ec;
    co_await refresh_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (ec || draining) co_return;
  }
}

// ----------------------------------------------------------------------------------
// SchedulerNode

SchedulerNode::SchedulerNode(IoContextPool& contexts, NodeConfig config)
    : impl_(std::make_shared<Impl>(contexts, std::move(config))) {}

SchedulerNode::~SchedulerNode() {
  impl_->draining = true;
  impl_->refresh_timer.cancel();
  std::lock_guard lock(impl_->mutex);
  impl_->policy_timer.cancel();
}

tcp::endpoint SchedulerNode::local_endpoint() const { return impl_->server->local_endpoint(); }

void SchedulerNode::start() {
  impl_->server->start();
  {
    std::lock_guard lock(impl_->mutex);
    impl_->refresh_available_peers();
    impl_->state->start(*impl_->policy);
  }
  asio::co_spawn(impl_->io, impl_->refresh_peers_loop(), asio::detached);
}

void SchedulerNode::drain(std::function<void()> drained) {
  auto impl = impl_;
  impl->draining = true;
  asio::post(impl->io, [impl] {
    impl->refresh_timer.cancel();
    std::lock_guard lock(impl->mutex);
    impl->policy_timer.cancel();
  });
  impl->server->drain(impl->config.drain_timeout, [impl, drained = std::move(drained)] {
    impl->gateway.close_idle();
    impl->peers_client.close_idle();
    if (drained) drained();
  });
}

int run_scheduler_node(const NodeConfig& config) {
  const unsigned threads = config.threads > 0 ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  IoContextPool contexts(threads);
  std::unique_ptr<SchedulerNode> node;
  try {
    node = std::make_unique<SchedulerNode>(contexts, config);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fogsched serve: %s\n", e.what());
    return 2;
  }
  node->start();
  asio::signal_set signals(contexts.at(0), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    std::fprintf(stderr, "fogsched serve: draining\n");
    node->drain([&contexts] { contexts.stop(); });
  });
  std::printf("listening on %s\n", fmt::format("{}:{}", node->local_endpoint().address().to_string(),
                                               node->local_endpoint().port())
                                       .c_str());
  std::fflush(stdout);
  contexts.start();
  contexts.join();
  return 0;
}

}  // namespace fogsched::live
