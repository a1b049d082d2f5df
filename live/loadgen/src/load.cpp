// `fogsched load`: the open-loop sender, the reading of the nodes' answers, and batch
// means over the measurement window.
#include "fogsched/live/load.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "fogsched/live/openfaas.h"
#include "fogsched/live/wire.h"

namespace fogsched::live {
namespace {

using SteadyClock = std::chrono::steady_clock;
using asio::use_awaitable;

std::string_view header(const Response& response, std::string_view name) {
  const auto it = response.find(beast::string_view(name.data(), name.size()));
  if (it == response.end()) return {};
  const beast::string_view value = it->value();
  return {value.data(), value.size()};
}

std::optional<std::uint32_t> header_count(const Response& response, std::string_view name) {
  const std::string_view text = header(response, name);
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> header_seconds(const Response& response, std::string_view name) {
  const std::string_view text = header(response, name);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<DecisionKind> parse_decision(std::string_view text) {
  for (const DecisionKind kind : {DecisionKind::run_local, DecisionKind::forward, DecisionKind::reject}) {
    if (text == to_string(kind)) return kind;
  }
  return std::nullopt;
}

// Scenario time runs `speedup` times faster than real time.
Duration to_scenario(SteadyDuration real, double speedup) {
  const auto ns = std::chrono::duration_cast<Duration>(real);
  return Duration{std::llround(static_cast<double>(ns.count()) * speedup)};
}
SteadyDuration to_real(Duration scenario, double speedup) {
  return std::chrono::duration_cast<SteadyDuration>(
      Duration{std::llround(static_cast<double>(scenario.count()) / speedup)});
}

std::uint32_t origin_node(const PlannedRequest& planned, std::size_t node_count) {
  return static_cast<std::uint32_t>(planned.camera % node_count);
}

// The camera a node stands for in a record (see ReplayedInvocation::record).
std::uint32_t executed_on(const LoadPlan& plan, const PlannedRequest& planned, std::uint32_t node,
                          std::size_t node_count) {
  if (node_count == plan.cameras) return node;
  return node == origin_node(planned, node_count) ? planned.camera : node;
}

// An invocation that ended without an answer (never sent, timed out, broken).
ReplayedInvocation unanswered(const LoadPlan& plan, const PlannedRequest& planned, std::size_t node_count,
                              Time ended_at) {
  ReplayedInvocation result;
  result.node = origin_node(planned, node_count);
  InvocationRecord& r = result.record;
  r.id = planned.id;
  r.function = planned.function;
  r.origin = planned.camera;
  r.executed_on = executed_on(plan, planned, result.node, node_count);
  r.outcome = Outcome::failed;
  r.arrival = time_at(planned.at);
  r.end = std::max(ended_at, r.arrival);
  r.start = r.end;
  return result;
}

double quantile_of_sorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// --- /status -----------------------------------------------------------------------

asio::awaitable<void> ask_status(HttpClient& client, Url url, SteadyDuration timeout, std::string& body,
                                 std::string& problem) {
  Request request{http::verb::get, url.prefix + std::string(wire::kStatusPath), 11};
  request.set(http::field::accept, "application/json");
  ClientResult result = co_await client.send(url, std::move(request), timeout);
  if (!result) {
    problem = fmt::format("{}: {}", to_string(result.failure), result.message);
  } else if (result.response->result() != http::status::ok) {
    problem = fmt::format("answered {}", result.response->result_int());
  } else {
    body = std::move(result.response->body());
  }
}

// --- the replay --------------------------------------------------------------------

struct ReplayState {
  ReplayState(const LoadPlan& p, const std::vector<NodeIdentity>& n, const LoadOptions& o)
      : plan(p), nodes(n), options(o), invocations(p.requests.size()), progress(p.requests.size()) {}

  const LoadPlan& plan;
  const std::vector<NodeIdentity>& nodes;
  const LoadOptions& options;
  std::vector<std::string> bodies;  // per function, capped at max_payload_bytes
  SteadyClock::time_point start;
  SteadyClock::time_point hard_stop;
  // Slot i is written by the dispatcher, then (once sent) by its request's coroutine
  // only; the threads are joined before anyone reads them.
  enum class Progress : std::uint8_t { planned, not_sent, in_flight, answered };
  std::vector<ReplayedInvocation> invocations;
  std::vector<Progress> progress;
  std::atomic<std::size_t> outstanding{0};
  std::atomic<std::size_t> peak_outstanding{0};

  std::mutex mutex;
  std::condition_variable changed;
  bool dispatch_done = false;  // under mutex

  Time scenario_now() const { return time_at(to_scenario(SteadyClock::now() - start, options.speedup)); }

  void finished_one() {
    outstanding.fetch_sub(1);
    // The waiter checks under the mutex: taking it here orders this with its wait.
    { std::lock_guard lock(mutex); }
    changed.notify_all();
  }
};

asio::awaitable<void> send_one(ReplayState& state, HttpClient& client, std::size_t index, SteadyDuration timeout) {
  const PlannedRequest& planned = state.plan.requests[index];
  const NodeIdentity& node = state.nodes[origin_node(planned, state.nodes.size())];
  Request request{http::verb::post,
                  node.url.prefix + std::string(kFunctionPrefix) + state.plan.functions[planned.function].name, 11};
  request.set(http::field::content_type, "application/octet-stream");
  if (state.options.send_service_times && planned.work_s >= 0) {
    request.set(beast::string_view(wire::kServiceSecondsHeader.data(), wire::kServiceSecondsHeader.size()),
                fmt::format("{:.9f}", planned.work_s / state.options.speedup));
  }
  request.body() = state.bodies[planned.function];
  request.prepare_payload();
  Url url = node.url;
  ClientResult result = co_await client.send(url, std::move(request), timeout);
  const Time answered_at = state.scenario_now();
  ReplayedInvocation& slot = state.invocations[index];
  const Duration lateness = slot.send_lateness;
  if (result) {
    slot = record_answer(state.plan, state.nodes, planned, *result.response, answered_at, state.options.speedup);
  } else {
    slot = unanswered(state.plan, planned, state.nodes.size(), answered_at);
    slot.timed_out = result.failure == ClientFailure::timeout;
    // The hard stop shortened this request's timeout: it was abandoned, not slow.
    slot.abandoned = slot.timed_out && timeout < state.options.timeout;
  }
  slot.sent = true;
  slot.send_lateness = lateness;
  state.progress[index] = ReplayState::Progress::answered;
  state.finished_one();
}

// Sends go out from the contexts in turn; each request's coroutine stays on its own.
asio::awaitable<void> dispatch(ReplayState& state, IoContextPool& contexts, HttpClient& client) {
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  const std::size_t node_count = state.nodes.size();
  for (std::size_t i = 0; i < state.plan.requests.size(); ++i) {
    const PlannedRequest& planned = state.plan.requests[i];
    const SteadyClock::time_point due = state.start + to_real(planned.at, state.options.speedup);
    // Late sends go out at once, one after the other: an open loop catches up, it
    // never waits for answers.
    if (SteadyClock::now() < due) {
      timer.expires_at(due);
      co_await timer.async_wait(use_awaitable);
    }
    const SteadyClock::time_point now = SteadyClock::now();
    const SteadyDuration left = state.hard_stop - now;
    if (state.outstanding.load() >= state.options.max_outstanding || left <= SteadyDuration::zero()) {
      state.invocations[i] = unanswered(state.plan, planned, node_count, state.scenario_now());
      state.progress[i] = ReplayState::Progress::not_sent;
      continue;
    }
    const std::size_t outstanding = state.outstanding.fetch_add(1) + 1;
    std::size_t peak = state.peak_outstanding.load();
    while (outstanding > peak && !state.peak_outstanding.compare_exchange_weak(peak, outstanding)) {
    }
    state.invocations[i].send_lateness = std::chrono::duration_cast<Duration>(now - due);
    state.progress[i] = ReplayState::Progress::in_flight;
    asio::co_spawn(contexts.next(), send_one(state, client, i, std::min(state.options.timeout, left)), asio::detached);
  }
  {
    std::lock_guard lock(state.mutex);
    state.dispatch_done = true;
  }
  state.changed.notify_all();
}

ReplayStats replay_stats(const std::vector<ReplayedInvocation>& invocations, std::size_t peak_outstanding,
                         SteadyDuration elapsed) {
  ReplayStats stats;
  stats.planned = invocations.size();
  stats.peak_outstanding = peak_outstanding;
  std::vector<double> lateness;
  double lateness_sum = 0;
  for (const ReplayedInvocation& inv : invocations) {
    if (!inv.sent) {
      ++stats.not_sent;
      continue;
    }
    ++stats.sent;
    if (inv.abandoned) {
      ++stats.abandoned;
    } else if (inv.timed_out) {
      ++stats.timed_out;
    }
    lateness.push_back(to_seconds(inv.send_lateness));
    lateness_sum += lateness.back();
  }
  std::sort(lateness.begin(), lateness.end());
  if (!lateness.empty()) {
    stats.lateness_mean_s = lateness_sum / static_cast<double>(lateness.size());
    stats.lateness_p50_s = quantile_of_sorted(lateness, 0.50);
    stats.lateness_p99_s = quantile_of_sorted(lateness, 0.99);
    stats.lateness_max_s = lateness.back();
  }
  stats.elapsed_s = to_seconds(std::chrono::duration_cast<Duration>(elapsed));
  return stats;
}

}  // namespace

// --- nodes -------------------------------------------------------------------------

std::vector<NodeIdentity> discover_nodes(const std::vector<Url>& nodes, SteadyDuration timeout) {
  if (nodes.empty()) throw LoadError("no nodes given");
  asio::io_context io;
  std::vector<std::string> bodies(nodes.size());
  std::vector<std::string> problems(nodes.size());
  {
    HttpClient client(io, ClientOptions{.max_idle_per_origin = 0});
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      asio::co_spawn(io, ask_status(client, nodes[i], timeout, bodies[i], problems[i]), asio::detached);
    }
    io.run();
  }

  std::vector<NodeIdentity> identities;
  std::map<std::string, std::string> url_by_name;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string url = nodes[i].to_string();
    if (!problems[i].empty()) throw LoadError(fmt::format("node {}: GET /status failed: {}", url, problems[i]));
    NodeIdentity identity{.url = nodes[i], .name = {}, .policy = {}};
    try {
      const nlohmann::json status = nlohmann::json::parse(bodies[i]);
      identity.name = status.at("node").get<std::string>();
      identity.policy = status.at("policy").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
      throw LoadError(fmt::format("node {}: GET /status is not a node's status: {}", url, e.what()));
    }
    const auto [it, inserted] = url_by_name.emplace(identity.name, url);
    if (!inserted) {
      throw LoadError(fmt::format("nodes {} and {} are both named '{}': {} could not tell them apart", it->second, url,
                                  identity.name, wire::kNodeHeader));
    }
    identities.push_back(std::move(identity));
  }
  return identities;
}

std::string common_policy(const std::vector<NodeIdentity>& nodes) {
  if (nodes.empty()) throw LoadError("no nodes given");
  std::set<std::string> policies;
  for (const NodeIdentity& node : nodes) policies.insert(node.policy);
  if (policies.size() == 1) return nodes.front().policy;
  std::vector<std::string> listed;
  listed.reserve(nodes.size());
  for (const NodeIdentity& node : nodes) listed.push_back(fmt::format("{} runs {}", node.url.to_string(), node.policy));
  throw LoadError(fmt::format("the nodes run different policies ({}); a run measures one", fmt::join(listed, ", ")));
}

// --- answers -----------------------------------------------------------------------

ReplayedInvocation record_answer(const LoadPlan& plan, const std::vector<NodeIdentity>& nodes,
                                 const PlannedRequest& planned, const Response& answer, Time answered_at,
                                 double speedup) {
  ReplayedInvocation result = unanswered(plan, planned, nodes.size(), answered_at);
  result.status = static_cast<int>(answer.result_int());
  const std::string_view ran_on = header(answer, wire::kNodeHeader);
  const auto named = std::find_if(nodes.begin(), nodes.end(), [&](const NodeIdentity& n) { return n.name == ran_on; });
  if (named != nodes.end()) result.node = static_cast<std::uint32_t>(named - nodes.begin());

  InvocationRecord& r = result.record;
  r.executed_on = executed_on(plan, planned, result.node, nodes.size());
  if (ran_on == wire::kCloudNodeName) {
    // The simulator numbers the cloud after the cameras.
    result.in_cloud = true;
    r.executed_on = plan.cameras;
  }
  r.hops = header_count(answer, wire::kHopsHeader).value_or(0);
  r.probes = header_count(answer, wire::kProbesHeader).value_or(0);
  const bool too_many = answer.result() == http::status::too_many_requests;
  r.decision = parse_decision(header(answer, wire::kDecisionHeader))
                   .value_or(too_many ? DecisionKind::reject : DecisionKind::run_local);

  const unsigned status_class = answer.result_int() / 100;
  if (status_class == 2) {
    const std::optional<Duration>& deadline = plan.functions.at(planned.function).deadline;
    r.outcome = deadline && r.end - r.arrival > *deadline ? Outcome::deadline_missed : Outcome::completed;
  } else {
    r.outcome = too_many ? Outcome::rejected : Outcome::failed;
  }
  if (!too_many) {
    if (const std::optional<double> seconds = header_seconds(answer, "X-Duration-Seconds")) {
      result.busy = std::min(from_seconds(*seconds * speedup), r.end - r.arrival);
      r.start = r.end - result.busy;
    } else if (status_class == 2) {
      r.start = r.arrival;
    }
  }
  return result;
}

Replay replay(const LoadPlan& plan, const std::vector<NodeIdentity>& nodes, const LoadOptions& options) {
  if (nodes.empty()) throw LoadError("no nodes given");
  if (!(options.speedup > 0) || !std::isfinite(options.speedup)) throw LoadError("speedup: must be positive");
  if (options.max_outstanding == 0) throw LoadError("max outstanding: must be at least 1");
  for (const PlannedRequest& planned : plan.requests) {
    if (planned.function >= plan.functions.size()) {
      throw LoadError(fmt::format("planned request {} names function {} of {}", planned.id, planned.function,
                                  plan.functions.size()));
    }
  }

  ReplayState state(plan, nodes, options);
  for (const LoadFunction& f : plan.functions) {
    state.bodies.emplace_back(static_cast<std::size_t>(std::min(f.payload_bytes, options.max_payload_bytes)), 'x');
  }

  IoContextPool contexts(std::max<std::uint32_t>(1, options.threads));
  // Enough idle connections that every request in flight can keep its own.
  HttpClient client(contexts, ClientOptions{.max_idle_per_origin = options.max_outstanding});
  // A short lead, so the first sends are not late for the threads' start-up.
  constexpr auto kLead = std::chrono::milliseconds(50);
  state.start = SteadyClock::now() + kLead;
  const Duration last_at = plan.requests.empty() ? Duration::zero() : plan.requests.back().at;
  state.hard_stop = state.start + to_real(last_at, options.speedup) + options.hard_stop;

  asio::co_spawn(contexts.at(0), dispatch(state, contexts, client), asio::detached);
  contexts.start();
  {
    // Every request's timeout ends by the hard stop; the grace only guards against a
    // request the client failed to time out.
    constexpr auto kGrace = std::chrono::seconds(5);
    std::unique_lock lock(state.mutex);
    state.changed.wait_until(lock, state.hard_stop + kGrace,
                             [&] { return state.dispatch_done && state.outstanding.load() == 0; });
  }
  contexts.stop();
  contexts.join();
  const SteadyDuration elapsed = SteadyClock::now() - state.start;

  Replay result;
  result.invocations = std::move(state.invocations);
  const Time stopped_at = time_at(to_scenario(elapsed, options.speedup));
  for (std::size_t i = 0; i < result.invocations.size(); ++i) {
    switch (state.progress[i]) {
      case ReplayState::Progress::not_sent:
      case ReplayState::Progress::answered: break;
      case ReplayState::Progress::planned:  // the dispatcher never got there
        result.invocations[i] = unanswered(plan, plan.requests[i], nodes.size(), stopped_at);
        break;
      case ReplayState::Progress::in_flight: {  // still outstanding when the grace ran out
        const Duration lateness = result.invocations[i].send_lateness;
        result.invocations[i] = unanswered(plan, plan.requests[i], nodes.size(), stopped_at);
        result.invocations[i].sent = true;
        result.invocations[i].abandoned = true;
        result.invocations[i].send_lateness = lateness;
        break;
      }
    }
  }
  result.stats = replay_stats(result.invocations, state.peak_outstanding.load(), elapsed);
  return result;
}

// --- summaries ---------------------------------------------------------------------

PolicyResult summarize_batches(const LoadPlan& plan, const std::vector<ReplayedInvocation>& invocations,
                               std::string policy, const std::vector<std::uint32_t>& slots_per_node,
                               std::size_t node_count, std::uint32_t batches) {
  if (batches == 0) throw LoadError("batches: must be at least 1");
  const Duration window = plan.duration - plan.warmup;
  if (window <= Duration::zero()) throw LoadError("the measurement window (duration - warm-up) is empty");

  // Batch k covers [bounds[k], bounds[k+1]).
  std::vector<Time> bounds;
  for (std::uint32_t k = 0; k <= batches; ++k) {
    bounds.push_back(time_at(plan.warmup + Duration{window.count() / batches * k}));
  }
  bounds.back() = time_at(plan.duration);

  std::vector<MetricsCollector> collectors(batches, MetricsCollector(static_cast<std::uint32_t>(node_count)));
  for (const ReplayedInvocation& inv : invocations) {
    const InvocationRecord& r = inv.record;
    if (r.arrival >= bounds.front() && r.arrival < bounds.back()) {
      const auto k =
          static_cast<std::size_t>(std::upper_bound(bounds.begin(), bounds.end(), r.arrival) - bounds.begin() - 1);
      MetricsCollector& m = collectors[k];
      ++m.client_invocations;
      m.record(r);
      m.add_probe_messages(r.probes);
    }
    // Busy time counts where it falls, whenever the invocation arrived (as the
    // simulator counts slot-time within the window); the cameras' only, as there.
    if (inv.busy > Duration::zero() && !inv.in_cloud) {
      const Time busy_from = r.end - inv.busy;
      for (std::uint32_t k = 0; k < batches; ++k) {
        const Duration overlap = std::min(r.end, bounds[k + 1]) - std::max(busy_from, bounds[k]);
        if (overlap > Duration::zero()) collectors[k].add_busy_time(inv.node, overlap);
      }
    }
  }

  std::vector<std::uint32_t> slots(node_count, 1);
  for (std::size_t i = 0; i < node_count && i < slots_per_node.size(); ++i) slots[i] = slots_per_node[i];
  std::vector<ReplicationSummary> summaries;
  for (std::uint32_t k = 0; k < batches; ++k) {
    summaries.push_back(summarize_replication(collectors[k], slots, bounds[k + 1] - bounds[k]));
  }
  return summarize_policy(std::move(policy), summaries);
}

std::vector<InvocationRecord> measured_trace(const LoadPlan& plan, const std::vector<ReplayedInvocation>& invocations) {
  std::vector<InvocationRecord> records;
  for (const ReplayedInvocation& inv : invocations) {
    if (inv.record.arrival >= time_at(plan.warmup) && inv.record.arrival < time_at(plan.duration)) {
      records.push_back(inv.record);
    }
  }
  std::sort(records.begin(), records.end(), [](const InvocationRecord& a, const InvocationRecord& b) {
    return std::tie(a.end, a.id) < std::tie(b.end, b.id);
  });
  return records;
}

}  // namespace fogsched::live
