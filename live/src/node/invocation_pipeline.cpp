// An invocation's way through the node: the policy's decision (with a probe round
// when it asks for one), a forward to a peer or a run on the local gateway, a
// rejection when nothing has room, and the fogsched headers on the answer.
#include "node_impl.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fogsched/live/wire.h"
#include "node_headers.h"

namespace fogsched::live {

using asio::use_awaitable;

asio::awaitable<Response> SchedulerNode::Impl::handle_invocation(Request request, ClientInfo client, Arrival arrival) {
  const auto started_at = std::chrono::steady_clock::now();
  const auto split = split_function_target(sv(request.target()), arrival.route());
  if (!split || !is_valid_function_name(split->name)) {
    co_return text_response(http::status::bad_request, "invalid function name\n", request);
  }
  const std::string function = split->name;
  // What follows the name, exactly as the client wrote it: "", "/sub/path", "?x=1"…
  const std::string rest(sv(request.target()).substr(arrival.route().size() + function.size()));
  if (!arrival.forwarded) arrival.method = request.method();

  // Only functions the gateway knows keep an entry; a call of any other passes through.
  const std::optional<FunctionId> function_id = co_await track_function(function, /*for_call=*/true);
  struct Hold {  // the entry is held until the call's end, also when it throws
    Impl& node;
    std::optional<FunctionId> function;
    bool gateway_forgot = false;
    ~Hold() {
      if (function) node.release_function(*function, gateway_forgot);
    }
  } hold{*this, function_id};

  Invocation invocation;
  Answer outcome;
  if (function_id) {
    invocation.id = InvocationId{next_invocation.fetch_add(1)};
    invocation.function = *function_id;
    invocation.origin = NodeId{0};
    invocation.hops = arrival.forwarded ? arrival.hops : 0;
    invocation.arrival = now();
    invocation.payload_bytes = request.body().size();
    outcome = co_await schedule(request, function, rest, arrival, invocation, client);
  } else {
    outcome = co_await pass_through(request, function, rest, arrival, client);
  }
  decorate(outcome.response, outcome);

  metrics.invocations.at(static_cast<std::size_t>(outcome.decision))
      .at(NodeMetrics::outcome_index(outcome.outcome))
      .add();
  const auto took = std::chrono::steady_clock::now() - started_at;
  metrics.latency.observe(std::chrono::duration<double>(took).count());
  if (function_id && !arrival.forwarded) {
    std::lock_guard lock(mutex);
    state->complete(*policy, Completion{.id = invocation.id,
                                        .function = *function_id,
                                        .executed_on = outcome.ran_on,
                                        .outcome = outcome.outcome,
                                        .response_time = std::chrono::duration_cast<Duration>(took)});
  }
  // The local gateway no longer knows the function (a function's own 404 differs).
  hold.gateway_forgot = outcome.decision == DecisionKind::run_local &&
                        outcome.response.result() == http::status::not_found &&
                        outcome.response.body().starts_with(kFunctionNotFoundPrefix);
  co_return std::move(outcome.response);
}

asio::awaitable<Answer> SchedulerNode::Impl::schedule(const Request& request, const std::string& function,
                                                      const std::string& rest, const Arrival& arrival,
                                                      const Invocation& invocation, const ClientInfo& client) {
  auto self = shared_from_this();
  Answer answer;
  answer.hops = invocation.hops;
  answer.executed_on = config.name;
  // A node whose gateway is down attracts no work: a forwarded call is answered at
  // once (the origin may run it elsewhere), and a client's call is decided with the
  // function counted full, so the policy may send it elsewhere.
  const bool gateway_down = !gateway_health.healthy();
  if (gateway_down && arrival.forwarded) {
    answer.outcome = Outcome::failed;
    answer.response = gateway_unavailable(request);
    co_return answer;
  }
  bool local_full = gateway_down;
  // A second round only when the limiter refuses although a slot seemed free: the
  // function counts as full and the policy may send the call elsewhere.
  for (int round = 0; round < 2; ++round) {
    CheckedDecision decision;
    PeerSet probe_peers;
    {
      std::lock_guard lock(mutex);
      refresh_available_peers(function);
      decision = state->decide(*policy, invocation, {}, false, local_full);
      if (decision.step == Step::probe) probe_peers = *decision.probe_peers;
    }
    if (decision.step == Step::probe) {
      const std::vector<ProbeAnswer> answers = co_await probe(probe_peers, function);
      answer.probes += static_cast<std::uint32_t>(probe_peers.size());
      std::lock_guard lock(mutex);
      refresh_available_peers(function);
      decision = state->decide(*policy, invocation, answers, true, local_full);
    }
    if (decision.hop_limit_enforced) metrics.hop_limit_enforced.add();

    if (decision.step == Step::forward && decision.peer == kCloudNode) {
      if (co_await offload(answer, request, function, rest, arrival, invocation, client)) co_return answer;
      decision.step = Step::run_local;  // it never reached the cloud: it runs here
    }
    if (decision.step == Step::forward) {
      ClientResult forwarded = co_await forward(decision.peer, request, function, rest, arrival, invocation, client);
      const auto failure = forwarded ? own_header(*forwarded.response, wire::kFailureHeader) : std::nullopt;
      {
        std::lock_guard lock(mutex);
        if (forwarded && !failure) {
          directory.report_success(decision.peer);
        } else {
          directory.report_failure(decision.peer, now());
        }
      }
      if (forwarded && !failure) {
        take_peer_answer(answer, decision.peer, invocation, std::move(*forwarded.response));
        answer.outcome = outcome_of_peer_answer(answer.response);
        co_return answer;
      }
      metrics.forwards_failed.add();
      // Run here only when the forward provably did not run: otherwise it may have,
      // and running it again would run it twice.
      const bool not_run = failure ? wire::failure_means_not_run(*failure) : !forwarded.request_written;
      if (!not_run) {
        if (forwarded) {
          take_peer_answer(answer, decision.peer, invocation, std::move(*forwarded.response));
        } else {
          answer.decision = DecisionKind::forward;
          answer.ran_on = decision.peer;
          answer.response = lost_after_sending(forwarded, wire::kFailurePeerTimeout, wire::kFailurePeerBroken,
                                               forwarded.message, request);
        }
        answer.outcome = Outcome::failed;
        co_return answer;
      }
      decision.step = Step::run_local;
    }

    answer.ran_on = NodeId{0};
    answer.executed_on = config.name;
    if (gateway_down) {
      // The call must stay here, and here cannot run it.
      answer.decision = decision.step == Step::reject ? DecisionKind::reject : DecisionKind::run_local;
      answer.outcome = Outcome::failed;
      answer.response = gateway_unavailable(request);
      co_return answer;
    }
    // Queuing an async call takes no slot: the gateway's queue worker runs it later,
    // within the function's max_inflight.
    const bool takes_slot = !arrival.async;
    bool acquired = false;
    if (decision.step == Step::run_local && !local_full && takes_slot) {
      std::lock_guard lock(mutex);
      acquired = state->try_acquire_slot(invocation.function);
    }
    if (decision.step != Step::run_local || (takes_slot && !acquired)) {
      answer.decision = DecisionKind::reject;
      answer.outcome = Outcome::rejected;
      answer.response = reject(request, function);
      co_return answer;
    }
    answer.decision = DecisionKind::run_local;
    ClientResult ran = co_await run_on_gateway(request, function, rest, arrival, client);
    if (acquired) {
      std::lock_guard lock(mutex);
      state->release_slot(invocation.function);
    }
    gateway_health.observe_call(ran);
    if (!ran) {
      answer.outcome = Outcome::failed;
      answer.response = gateway_failure(ran, request);
      co_return answer;
    }
    if (is_limiter_refusal(*ran.response)) {
      metrics.gateway_rejections.add();
      if (round == 0 && invocation.hops < config.hop_limit) {
        local_full = true;
        continue;
      }
    }
    // The function's own answer, whatever its status: passed on, never retried.
    take_gateway_answer(answer, std::move(*ran.response));
    co_return answer;
  }
  answer.decision = DecisionKind::reject;
  answer.outcome = Outcome::rejected;
  answer.response = reject(request, function);
  co_return answer;
}

void SchedulerNode::Impl::take_peer_answer(Answer& answer, NodeId peer, const Invocation& invocation,
                                           Response response) const {
  answer.decision = DecisionKind::forward;
  answer.ran_on = peer;
  answer.executed_on = own_header_text(response, wire::kNodeHeader);
  answer.hops = header_number(response, wire::kHopsHeader, invocation.hops + 1);
  answer.probes += header_number(response, wire::kProbesHeader, 0);
  answer.response = std::move(response);
}

Outcome SchedulerNode::Impl::outcome_of_peer_answer(const Response& response) {
  // The peer's own rejection says so in its decision header; a limiter refusal it
  // passed on, in OpenFaaS's.
  if (own_header(response, wire::kDecisionHeader) == std::string_view(to_string(DecisionKind::reject)) ||
      is_limiter_refusal(response)) {
    return Outcome::rejected;
  }
  return response.result_int() >= 500 ? Outcome::failed : Outcome::completed;
}

Response SchedulerNode::Impl::node_failure(http::status status, std::string_view reason, std::string_view why,
                                           const Request& request) {
  metrics.node_failures.add();
  Response response = text_response(status, fmt::format("fogsched: {}\n", why), request);
  response.set(bsv(wire::kFailureHeader), bsv(reason));
  return response;
}

Response SchedulerNode::Impl::gateway_unavailable(const Request& request) {
  return node_failure(http::status::service_unavailable, wire::kFailureGatewayUnavailable,
                      fmt::format("the gateway is unavailable ({})", gateway_health.status().reason), request);
}

void SchedulerNode::Impl::take_gateway_answer(Answer& answer, Response response) {
  answer.response = std::move(response);
  strip_hop_by_hop(answer.response);
  // Only this node marks its own failures; a function cannot pose as one.
  answer.response.erase(bsv(wire::kFailureHeader));
  answer.outcome = is_limiter_refusal(answer.response)   ? Outcome::rejected
                   : answer.response.result_int() >= 500 ? Outcome::failed
                                                         : Outcome::completed;
}

Response SchedulerNode::Impl::gateway_failure(const ClientResult& ran, const Request& request) {
  metrics.gateway_failures.add();
  // Refused, unresolved or never written: the function did not run.
  if (!ran.request_written) {
    return node_failure(http::status::bad_gateway, wire::kFailureGatewayUnavailable,
                        fmt::format("the gateway did not answer ({})", ran.message), request);
  }
  return lost_after_sending(ran, wire::kFailureGatewayTimeout, wire::kFailureGatewayBroken,
                            fmt::format("the gateway did not answer ({})", ran.message), request);
}

Response SchedulerNode::Impl::lost_after_sending(const ClientResult& ran, std::string_view timeout_reason,
                                                 std::string_view broken_reason, std::string_view why,
                                                 const Request& request) {
  const bool timed_out = ran.failure == ClientFailure::timeout;
  return node_failure(timed_out ? http::status::gateway_timeout : http::status::bad_gateway,
                      timed_out ? timeout_reason : broken_reason, why, request);
}

Response SchedulerNode::Impl::reject(const Request& request, const std::string& function) const {
  return text_response(http::status::too_many_requests, fmt::format("fogsched: no capacity for {}\n", function),
                       request);
}

void SchedulerNode::Impl::decorate(Response& response, const Answer& outcome) const {
  // A forwarded call's response carries the peer's own values: replaced, in one pass.
  constexpr std::array kOwn{wire::kNodeHeader, wire::kHopsHeader, wire::kProbesHeader, wire::kDecisionHeader};
  for (auto it = response.begin(); it != response.end();) {
    const bool own =
        std::any_of(kOwn.begin(), kOwn.end(), [&](std::string_view header) { return is_own_header(*it, header); });
    it = own ? response.erase(it) : std::next(it);
  }
  response.insert(bsv(wire::kNodeHeader), bsv(outcome.executed_on));
  response.insert(bsv(wire::kHopsHeader), std::to_string(outcome.hops));
  response.insert(bsv(wire::kProbesHeader), std::to_string(outcome.probes));
  response.insert(bsv(wire::kDecisionHeader), to_string(outcome.decision));
  response.prepare_payload();
}

asio::awaitable<ClientResult> SchedulerNode::Impl::forward(NodeId peer, const Request& request,
                                                           const std::string& function, const std::string& rest,
                                                           const Arrival& arrival, const Invocation& invocation,
                                                           const ClientInfo& client) {
  Url to;
  {
    std::lock_guard lock(mutex);
    to = directory.url(peer);
  }
  metrics.forwards_sent.add();
  const std::string_view route = arrival.async ? wire::kAsyncForwardPrefix : wire::kForwardPrefix;
  Request upstream{http::verb::post, to.prefix + std::string(route) + function + rest, request.version()};
  copy_end_to_end_headers(request, upstream);
  set_forwarding_headers(request, client, upstream);
  upstream.set(bsv(wire::kTokenHeader), bsv(peer_token));
  upstream.set(bsv(wire::kMethodHeader), http::to_string(arrival.method));
  upstream.set(bsv(wire::kHopsHeader), std::to_string(invocation.hops + 1));
  upstream.set(bsv(wire::kPathHeader), arrival.path.empty() ? config.name : arrival.path + "," + config.name);
  upstream.set(bsv(wire::kOriginHeader), bsv(arrival.forwarded ? arrival.origin : config.name));
  upstream.set(bsv(wire::kInvocationHeader),
               arrival.forwarded ? arrival.origin_invocation : std::to_string(invocation.id.value));
  upstream.body() = request.body();
  co_return co_await peers_client.send(to, std::move(upstream), config.forward_timeout);
}

std::optional<LoadReport> SchedulerNode::Impl::read_probe_answer(NodeId peer, const ClientResult& result) {
  std::optional<LoadReport> load;
  // 404: the peer does not know the function. Absent for the policy, but the peer
  // answered, so it is healthy.
  const bool unknown_function = result && result.response->result() == http::status::not_found;
  if (result && result.response->result() == http::status::ok) {
    // The numbers travel in headers, so a probe's answer is read without a parser.
    const Response& answer = *result.response;
    const auto running = header_value(answer, wire::kRunningHeader);
    const auto queued = header_value(answer, wire::kQueuedHeader);
    const auto slots = header_value(answer, wire::kSlotsHeader);
    const auto queue_capacity = header_value(answer, wire::kQueueCapacityHeader);
    if (running && queued && slots && queue_capacity) {
      load = LoadReport{.running = *running, .queued = *queued, .slots = *slots, .queue_capacity = *queue_capacity};
    }
  }
  {
    std::lock_guard lock(mutex);
    if (load || unknown_function) {
      directory.report_success(peer);
    } else {
      directory.report_failure(peer, now());
    }
  }
  // A failed probe is absent from the answers, never read as load 0.
  if (!load && !unknown_function) metrics.probes_failed.add();
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
    Request request{http::verb::get,
                    urls[i].prefix + std::string(wire::kLoadPath) + std::string(wire::kLoadFunctionQuery) + function,
                    11};
    request.set(bsv(wire::kTokenHeader), bsv(peer_token));
    metrics.probes_sent.add();
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

}  // namespace fogsched::live
