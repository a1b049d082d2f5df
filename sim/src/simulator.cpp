#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "simulation.h"
#include "stream_labels.h"

namespace fogsched::sim {

namespace {

enum EventKind : std::uint32_t {
  kArrival,          // a: stream
  kForwardArrive,    // node: destination, a: invocation
  kComplete,         // node: where it ran, a: invocation
  kResponseArrive,   // node: origin, a: invocation
  kProbeArrive,      // node: probed peer, a: round, b: slot in the round
  kProbeReply,       // node: prober, a: round, b: slot
  kProbeTimeout,     // node: prober, a: round
  kTimer,            // node, a: timer generation
  kGossipArrive,     // node: receiver, a: sender, b: packed load
};

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// Gossip messages carry running and queued in 16 bits each (saturating).
std::uint32_t pack_load(const LoadReport& load) {
  const std::uint32_t running = std::min<std::uint32_t>(load.running, 0xffff);
  const std::uint32_t queued = std::min<std::uint32_t>(load.queued, 0xffff);
  return running << 16 | queued;
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

}  // namespace

struct Simulation::FunctionModel {
  ServiceTimeSpec service;
  double lognormal_mu = 0;
  double lognormal_sigma = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t response_bytes = 0;
  std::int64_t deadline_ns = -1;  // none

  double sample_work_s(Rng& rng) const {
    switch (service.dist) {
      case ServiceDist::exponential: return rng.exponential(to_seconds(service.mean));
      case ServiceDist::deterministic: return to_seconds(service.mean);
      case ServiceDist::uniform: return rng.uniform(to_seconds(service.min), to_seconds(service.max));
      case ServiceDist::lognormal: return std::exp(lognormal_mu + lognormal_sigma * rng.standard_normal());
      case ServiceDist::empirical: return service.samples_s[rng.uniform_index(service.samples_s.size())];
    }
    return 0;
  }
};

struct Simulation::Stream {
  ArrivalStream spec;
  Rng rng;
};

struct Simulation::InvocationState {
  Invocation inv;
  double work_s = 0;               // service demand on a node of speed 1
  Time start{};
  std::uint32_t node = 0;          // where it is now (and, once started, where it runs)
  std::uint32_t next = kNone;      // next in the node's queue, or in the free list
  std::uint32_t probes = 0;
  DecisionKind decision = DecisionKind::run_local;
  bool measured = false;           // arrived after the warm-up
  bool live = false;               // slot in use
};

struct Simulation::ProbeRound {
  std::uint32_t inv = kNone;       // also the free-list link while unused
  std::uint32_t node = 0;          // the prober
  PeerSet peers;
  std::array<LoadReport, kMaxProbePeers> loads{};
  std::uint32_t answered = 0;      // bit i: peers[i] answered
  std::uint32_t pending_events = 0;
  bool decided = false;
};

struct Simulation::KnownEntry {
  LoadReport load;
  Time measured_at{};
  bool valid = false;
};

struct Simulation::NodeState {
  std::uint32_t slots = 0;
  std::uint32_t queue_capacity = 0;
  double speed = 1;
  std::uint32_t running = 0;
  std::uint32_t queued = 0;
  std::uint32_t queue_head = kNone;
  std::uint32_t queue_tail = kNone;
  std::int64_t busy_since_ns = 0;  // last time busy time was accounted
  std::int64_t busy_slot_ns = 0;   // within the measurement window
  std::uint32_t timer_generation = 0;
  std::unique_ptr<Policy> policy;  // none on the cloud
  Rng rng;
  std::vector<KnownEntry> known;   // sized on first gossip received
};

Simulation::Simulation(const Scenario& scenario, const City& city, const PolicyConfig& policy, std::uint64_t seed,
                       bool keep_trace, const std::atomic<bool>* cancel)
    : scenario_(scenario),
      city_(city),
      policy_(policy),
      keep_trace_(keep_trace),
      cancel_(cancel),
      end_ns_(scenario.duration.count()),
      warmup_ns_(scenario.warmup.count()),
      metrics_(city.camera_count()) {
  if (city.cloud()) cloud_index_ = city.cloud()->value;

  for (const FunctionSpec& f : scenario.functions) {
    FunctionModel model{.service = f.service_time,
                        .payload_bytes = f.payload_bytes,
                        .response_bytes = f.response_bytes};
    if (f.service_time.dist == ServiceDist::lognormal) {
      // Mean m and coefficient of variation cv give sigma^2 = ln(1 + cv^2), mu = ln m - sigma^2 / 2.
      const double sigma2 = std::log1p(f.service_time.cv * f.service_time.cv);
      model.lognormal_sigma = std::sqrt(sigma2);
      model.lognormal_mu = std::log(to_seconds(f.service_time.mean)) - sigma2 / 2;
    }
    if (f.deadline) model.deadline_ns = f.deadline->count();
    functions_.push_back(std::move(model));
  }

  for (const ArrivalStream& s : city.streams()) {
    streams_.push_back({s, Rng(derive_seed(seed, {stream::kArrivals, s.workload, s.camera}))});
  }

  nodes_.resize(city.node_count());
  for (std::uint32_t i = 0; i < city.node_count(); ++i) {
    NodeState& n = nodes_[i];
    const NodeSpec& spec = city.node(i);
    n.slots = spec.slots;
    n.queue_capacity = spec.queue;
    n.speed = spec.speed;
    n.busy_since_ns = warmup_ns_;
    n.rng = Rng(derive_seed(seed, {stream::kNodePolicy, i}));
    if (!is_cloud(i)) n.policy = policy.make();
  }
  events_.reserve(4 * (streams_.size() + nodes_.size()));
}

Simulation::~Simulation() = default;

// ---------------------------------------------------------------------------------
// NodeContext

std::size_t Simulation::peer_count() const noexcept {
  return city_.camera_count() > 0 ? city_.camera_count() - 1 : 0;
}

NodeId Simulation::peer(std::size_t index) const noexcept {
  // Every camera but self, in index order.
  const auto i = static_cast<std::uint32_t>(index);
  return NodeId{i < bound_node_ ? i : i + 1};
}

std::optional<KnownLoad> Simulation::known_load(NodeId peer) const noexcept {
  const auto& known = nodes_[bound_node_].known;
  if (peer.value >= known.size() || !known[peer.value].valid) return std::nullopt;
  const KnownEntry& e = known[peer.value];
  return KnownLoad{e.load, now() - e.measured_at};
}

Rng& Simulation::rng() noexcept { return nodes_[bound_node_].rng; }

void Simulation::gossip_load(std::span<const NodeId> peers) {
  const std::uint32_t packed = pack_load(load_of(bound_node_));
  for (NodeId p : peers) {
    if (p.value >= city_.camera_count() || p.value == bound_node_) {
      throw PolicyContractError(fmt::format("policy '{}' at node {} gossiped to node {}, which is not a peer",
                                            policy_.canonical, bound_node_, p.value));
    }
    events_.push(now_ns_ + city_.one_way(bound_node_, p.value, scenario_.network.gossip_bytes).count(),
                 kGossipArrive, p.value, bound_node_, packed);
  }
  if (now_ns_ >= warmup_ns_) metrics_.gossip_messages += peers.size();
}

void Simulation::gossip_load_to_all() {
  const std::uint32_t packed = pack_load(load_of(bound_node_));
  const std::size_t count = peer_count();
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t p = peer(i).value;
    events_.push(now_ns_ + city_.one_way(bound_node_, p, scenario_.network.gossip_bytes).count(), kGossipArrive,
                 p, bound_node_, packed);
  }
  if (now_ns_ >= warmup_ns_) metrics_.gossip_messages += count;
}

void Simulation::set_timer(Duration after) {
  if (after <= Duration::zero()) {
    throw PolicyContractError(fmt::format("policy '{}' at node {} armed a timer {} ns from now; it must be positive",
                                          policy_.canonical, bound_node_, after.count()));
  }
  NodeState& n = nodes_[bound_node_];
  ++n.timer_generation;
  events_.push(now_ns_ + after.count(), kTimer, bound_node_, n.timer_generation);
}

LoadReport Simulation::load_of(std::uint32_t node) const noexcept {
  const NodeState& n = nodes_[node];
  return LoadReport{.running = n.running, .queued = n.queued, .slots = n.slots, .queue_capacity = n.queue_capacity};
}

// ---------------------------------------------------------------------------------
// The event loop

ReplicationResult Simulation::run() {
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i].policy) continue;
    bind(i, {}, false);
    nodes_[i].policy->on_start(*this);
  }
  for (std::uint32_t s = 0; s < streams_.size(); ++s) schedule_next_arrival(s, Time{});

  std::uint64_t processed = 0;
  while (!events_.empty() && events_.top().time_ns <= end_ns_) {
    const Event e = events_.pop();
    now_ns_ = e.time_ns;
    switch (e.kind) {
      case kArrival: on_arrival(e.a); break;
      case kForwardArrive: on_forward_arrive(e.node, e.a); break;
      case kComplete: on_complete(e.node, e.a); break;
      case kResponseArrive: finish(e.a, Outcome::completed, invocations_[e.a].node); break;
      case kProbeArrive: on_probe_arrive(e.node, e.a, e.b); break;
      case kProbeReply: on_probe_reply(e.a, e.b); break;
      case kProbeTimeout: on_probe_timeout(e.a); break;
      case kTimer: on_timer(e.node, e.a); break;
      case kGossipArrive: on_gossip_arrive(e.node, e.a, e.b); break;
    }
    if ((++processed & 0xffff) == 0 && cancel_ && cancel_->load(std::memory_order_relaxed)) throw Cancelled();
  }

  now_ns_ = end_ns_;
  for (std::uint32_t i = 0; i < city_.camera_count(); ++i) {
    account_busy(i);
    metrics_.add_busy_time(i, Duration{nodes_[i].busy_slot_ns});
  }
  for (const InvocationState& s : invocations_) {
    if (s.live && s.measured) ++metrics_.in_flight_at_end;
  }

  std::vector<std::uint32_t> slots(city_.camera_count());
  for (std::uint32_t i = 0; i < city_.camera_count(); ++i) slots[i] = nodes_[i].slots;
  ReplicationResult result{.metrics = std::move(metrics_), .summary = {}, .trace = std::move(trace_)};
  result.summary = summarize_replication(result.metrics, slots, Duration{end_ns_ - warmup_ns_});
  return result;
}

void Simulation::schedule_next_arrival(std::uint32_t stream_index, Time from) {
  Stream& s = streams_[stream_index];
  const RateProfile& profile = city_.profile(s.spec.workload);
  Time t = from;
  // Exact for a piecewise-constant rate: a draw that crosses a rate change is
  // discarded and drawn again from the change (the process is memoryless).
  while (t.time_since_epoch().count() < end_ns_) {
    const double rate = s.spec.base_rate_per_s * profile.factor_at(t);
    const Time change = profile.next_change_after(t);
    if (rate <= 0) {
      if (change == Time::max()) return;
      t = change;
      continue;
    }
    const Time candidate = t + from_seconds(s.rng.exponential(1.0 / rate));
    if (candidate >= change) {
      t = change;
      continue;
    }
    if (candidate.time_since_epoch().count() < end_ns_) {
      events_.push(candidate.time_since_epoch().count(), kArrival, s.spec.camera, stream_index);
    }
    return;
  }
}

void Simulation::on_arrival(std::uint32_t stream_index) {
  const std::uint32_t idx = allocate_invocation();
  Stream& s = streams_[stream_index];
  const FunctionModel& f = functions_[s.spec.function];
  InvocationState& st = invocations_[idx];
  st.inv = Invocation{.id = InvocationId{next_invocation_id_++},
                      .function = FunctionId{s.spec.function},
                      .origin = NodeId{s.spec.camera},
                      .hops = 0,
                      .arrival = now(),
                      .payload_bytes = f.payload_bytes};
  st.work_s = f.sample_work_s(s.rng);
  st.node = s.spec.camera;
  st.measured = now_ns_ >= warmup_ns_;
  if (st.measured) ++metrics_.client_invocations;
  schedule_next_arrival(stream_index, now());
  decide(idx, s.spec.camera, {}, false);
}

void Simulation::on_forward_arrive(std::uint32_t node, std::uint32_t inv) {
  invocations_[inv].node = node;
  decide(inv, node, {}, false);
}

void Simulation::on_complete(std::uint32_t node, std::uint32_t inv) {
  NodeState& n = nodes_[node];
  account_busy(node);
  --n.running;
  if (n.queue_head != kNone) {
    const std::uint32_t next = n.queue_head;
    n.queue_head = invocations_[next].next;
    if (n.queue_head == kNone) n.queue_tail = kNone;
    --n.queued;
    start(next, node);
  }
  const InvocationState& st = invocations_[inv];
  const std::uint32_t origin = st.inv.origin.value;
  if (node == origin) {
    finish(inv, Outcome::completed, node);
  } else {
    const Duration back = city_.one_way(node, origin, functions_[st.inv.function.value].response_bytes);
    events_.push(now_ns_ + back.count(), kResponseArrive, origin, inv);
  }
}

void Simulation::on_probe_arrive(std::uint32_t peer, std::uint32_t round, std::uint32_t slot) {
  ProbeRound& r = rounds_[round];
  r.loads[slot] = load_of(peer);  // the load the peer reports as the probe reaches it
  events_.push(now_ns_ + city_.one_way(peer, r.node, scenario_.network.probe_bytes).count(), kProbeReply, r.node,
               round, slot);
}

void Simulation::on_probe_reply(std::uint32_t round, std::uint32_t slot) {
  ProbeRound& r = rounds_[round];
  --r.pending_events;
  if (!r.decided) {
    r.answered |= 1u << slot;
    if (static_cast<std::size_t>(std::popcount(r.answered)) == r.peers.size()) finish_probe(round);
  }
  release_round_if_done(round);
}

void Simulation::on_probe_timeout(std::uint32_t round) {
  --rounds_[round].pending_events;
  if (!rounds_[round].decided) finish_probe(round);
  release_round_if_done(round);
}

void Simulation::on_timer(std::uint32_t node, std::uint32_t generation) {
  NodeState& n = nodes_[node];
  if (generation != n.timer_generation) return;  // replaced by a later set_timer()
  bind(node, {}, false);
  n.policy->on_timer(*this);
}

void Simulation::on_gossip_arrive(std::uint32_t to, std::uint32_t from, std::uint32_t packed_load) {
  auto& known = nodes_[to].known;
  if (known.empty()) known.resize(city_.camera_count());
  const NodeState& sender = nodes_[from];
  known[from] = KnownEntry{
      .load = LoadReport{.running = packed_load >> 16,
                         .queued = packed_load & 0xffff,
                         .slots = sender.slots,
                         .queue_capacity = sender.queue_capacity},
      // The load was read when the message left the sender.
      .measured_at = now() - city_.one_way(from, to, scenario_.network.gossip_bytes),
      .valid = true};
}

// ---------------------------------------------------------------------------------
// Decisions and the runtime's invariants

void Simulation::check_target(std::uint32_t inv, std::uint32_t node, NodeId target, const char* action) const {
  if (target.value == node) {
    throw PolicyContractError(fmt::format("policy '{}' at node {} tried to {} invocation {} to itself",
                                          policy_.canonical, node, action, invocations_[inv].inv.id.value));
  }
  if (target.value >= city_.node_count()) {
    throw PolicyContractError(fmt::format("policy '{}' at node {} tried to {} invocation {} to node {}, which does "
                                          "not exist",
                                          policy_.canonical, node, action, invocations_[inv].inv.id.value,
                                          target.value));
  }
}

void Simulation::decide(std::uint32_t inv, std::uint32_t node, std::span<const ProbeAnswer> answers, bool reentry) {
  if (is_cloud(node)) {
    // The cloud runs what reaches it, or rejects it when full: it never forwards.
    run_or_reject(inv, node, RejectReason::no_capacity);
    return;
  }
  bind(node, answers, reentry);
  const Decision decision = nodes_[node].policy->decide(invocations_[inv].inv, *this);
  const bool at_hop_limit = invocations_[inv].inv.hops >= scenario_.hop_limit;

  std::visit(Overloaded{
                 [&](RunLocal) { run_or_reject(inv, node, RejectReason::no_capacity); },
                 [&](Reject) {
                   invocations_[inv].node = node;
                   finish(inv, Outcome::rejected, node);
                 },
                 [&](Forward f) {
                   check_target(inv, node, f.peer, "forward");
                   if (at_hop_limit) {
                     enforce_hop_limit(inv, node);
                   } else {
                     forward(inv, node, f.peer.value);
                   }
                 },
                 [&](const Probe& p) {
                   if (reentry) {
                     throw PolicyContractError(fmt::format(
                         "policy '{}' at node {} answered a probe's results with another Probe (invocation {})",
                         policy_.canonical, node, invocations_[inv].inv.id.value));
                   }
                   if (p.peers.empty()) {
                     throw PolicyContractError(fmt::format("policy '{}' at node {} returned a Probe with no peers",
                                                           policy_.canonical, node));
                   }
                   for (std::size_t i = 0; i < p.peers.size(); ++i) {
                     check_target(inv, node, p.peers[i], "probe for");
                     for (std::size_t j = 0; j < i; ++j) {
                       if (p.peers[j] == p.peers[i]) {
                         throw PolicyContractError(fmt::format("policy '{}' at node {} probed node {} twice at once",
                                                               policy_.canonical, node, p.peers[i].value));
                       }
                     }
                   }
                   if (at_hop_limit) {
                     enforce_hop_limit(inv, node);
                   } else {
                     start_probe(inv, node, p.peers);
                   }
                 },
             },
             decision);
}

void Simulation::enforce_hop_limit(std::uint32_t inv, std::uint32_t node) {
  if (invocations_[inv].measured) ++metrics_.hop_limit_enforced;
  run_or_reject(inv, node, RejectReason::hop_limit);
}

void Simulation::run_or_reject(std::uint32_t inv, std::uint32_t node, RejectReason /*reason*/) {
  NodeState& n = nodes_[node];
  InvocationState& st = invocations_[inv];
  st.node = node;
  if (n.running < n.slots) {
    start(inv, node);
  } else if (n.queued < n.queue_capacity) {
    st.next = kNone;
    if (n.queue_tail == kNone) {
      n.queue_head = inv;
    } else {
      invocations_[n.queue_tail].next = inv;
    }
    n.queue_tail = inv;
    ++n.queued;
  } else {
    finish(inv, Outcome::rejected, node);
  }
}

void Simulation::start(std::uint32_t inv, std::uint32_t node) {
  NodeState& n = nodes_[node];
  account_busy(node);
  ++n.running;
  InvocationState& st = invocations_[inv];
  st.start = now();
  st.node = node;
  const Duration service = from_seconds(st.work_s / n.speed);
  events_.push(now_ns_ + service.count(), kComplete, node, inv);
}

void Simulation::forward(std::uint32_t inv, std::uint32_t from, std::uint32_t to) {
  InvocationState& st = invocations_[inv];
  if (from == st.inv.origin.value && st.inv.hops == 0) st.decision = DecisionKind::forward;
  ++st.inv.hops;
  events_.push(now_ns_ + city_.one_way(from, to, st.inv.payload_bytes).count(), kForwardArrive, to, inv);
}

void Simulation::start_probe(std::uint32_t inv, std::uint32_t node, const PeerSet& peers) {
  const std::uint32_t round = allocate_round();
  ProbeRound& r = rounds_[round];
  r.inv = inv;
  r.node = node;
  r.peers = peers;
  r.answered = 0;
  r.pending_events = 0;
  r.decided = false;
  for (std::uint32_t i = 0; i < peers.size(); ++i) {
    events_.push(now_ns_ + city_.one_way(node, peers[i].value, scenario_.network.probe_bytes).count(), kProbeArrive,
                 peers[i].value, round, i);
    ++r.pending_events;
  }
  if (scenario_.network.probe_timeout > Duration::zero()) {
    events_.push(now_ns_ + scenario_.network.probe_timeout.count(), kProbeTimeout, node, round);
    ++r.pending_events;
  }
  InvocationState& st = invocations_[inv];
  st.probes += static_cast<std::uint32_t>(peers.size());
  if (st.measured) metrics_.add_probe_messages(peers.size());
}

void Simulation::finish_probe(std::uint32_t round) {
  ProbeRound& r = rounds_[round];
  r.decided = true;
  boost::container::static_vector<ProbeAnswer, kMaxProbePeers> answers;
  for (std::uint32_t i = 0; i < r.peers.size(); ++i) {
    if (r.answered & (1u << i)) answers.push_back({r.peers[i], r.loads[i]});
  }
  // decide() may start new probe rounds and move rounds_: copy what it needs first.
  const std::uint32_t inv = r.inv;
  const std::uint32_t node = r.node;
  decide(inv, node, std::span<const ProbeAnswer>(answers.data(), answers.size()), true);
}

void Simulation::release_round_if_done(std::uint32_t round) {
  ProbeRound& r = rounds_[round];
  if (!r.decided || r.pending_events > 0) return;
  r.inv = free_round_;
  free_round_ = round;
}

void Simulation::finish(std::uint32_t inv, Outcome outcome, std::uint32_t ended_on) {
  InvocationState& st = invocations_[inv];
  const std::uint32_t origin = st.inv.origin.value;
  const FunctionModel& f = functions_[st.inv.function.value];
  const Time end = now();
  if (outcome == Outcome::completed && f.deadline_ns >= 0 &&
      (end - st.inv.arrival).count() > f.deadline_ns) {
    outcome = Outcome::deadline_missed;
  }
  if (outcome == Outcome::rejected && ended_on == origin && st.inv.hops == 0) st.decision = DecisionKind::reject;

  const InvocationRecord record{.id = st.inv.id.value,
                                .function = st.inv.function.value,
                                .origin = origin,
                                .executed_on = ended_on,
                                .hops = st.inv.hops,
                                .probes = st.probes,
                                .decision = st.decision,
                                .outcome = outcome,
                                .arrival = st.inv.arrival,
                                .start = outcome == Outcome::rejected ? end : st.start,
                                .end = end};
  if (st.measured) {
    metrics_.record(record);
    if (keep_trace_) trace_.push_back(record);
  }

  const Completion completion{.id = st.inv.id,
                              .function = st.inv.function,
                              .executed_on = NodeId{ended_on},
                              .outcome = outcome,
                              .response_time = end - st.inv.arrival};
  st.live = false;
  st.next = free_invocation_;
  free_invocation_ = inv;
  bind(origin, {}, false);
  nodes_[origin].policy->on_complete(completion, *this);
}

void Simulation::account_busy(std::uint32_t node) {
  NodeState& n = nodes_[node];
  if (now_ns_ <= n.busy_since_ns) return;  // still in the warm-up
  n.busy_slot_ns += static_cast<std::int64_t>(n.running) * (now_ns_ - n.busy_since_ns);
  n.busy_since_ns = now_ns_;
}

std::uint32_t Simulation::allocate_invocation() {
  std::uint32_t idx = free_invocation_;
  if (idx != kNone) {
    free_invocation_ = invocations_[idx].next;
    invocations_[idx] = InvocationState{};
  } else {
    idx = static_cast<std::uint32_t>(invocations_.size());
    invocations_.emplace_back();
  }
  invocations_[idx].live = true;
  return idx;
}

std::uint32_t Simulation::allocate_round() {
  std::uint32_t idx = free_round_;
  if (idx != kNone) {
    free_round_ = rounds_[idx].inv;
  } else {
    idx = static_cast<std::uint32_t>(rounds_.size());
    rounds_.emplace_back();
  }
  return idx;
}

}  // namespace fogsched::sim
