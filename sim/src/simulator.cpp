#include <array>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <string>
#include <type_traits>
#include <variant>

#include "fogsched/core/service_time.h"
#include "fogsched/core/trace_csv.h"
#include "simulation.h"
#include "stream_labels.h"
#include "workload_models.h"

namespace fogsched::sim {

namespace {

enum EventKind : std::uint32_t {
  kArrival,          // a: stream
  kForwardArrive,    // node: destination, a: invocation
  kComplete,         // node: where it ran, a: invocation
  kResponseArrive,   // node: origin, a: invocation
  kProbeArrive,      // node: first probed peer, a: round, b: packed SlotRange of the round
  kProbeReply,       // node: prober, a: round, b: packed SlotRange
  kProbeTimeout,     // node: prober, a: round
  kTimer,            // node, a: timer generation
  kGossipArrive,     // node: receiver, a: sender, b: packed load
  kTraceArrival,     // a: trace source
  kTrafficEvent,     // a: traffic source
  kNodeDown,         // node (an explicit outage starts)
  kNodeUp,           // node (an explicit outage ends)
  kFailureProcess,   // node, a: 1 = fails, 0 = repaired
  kForwardTimeout,   // node: the sender, a: invocation (its forward met a down node)
  kProbeLost,        // node: prober, a: round, b: slot (the probed peer was down)
  kAlertAtUplink,    // node: the camera whose uplink carries it, a: invocation
};

// Where an invocation is: what a node failure does to it depends on this.
enum class Phase : std::uint8_t { deciding, probing, queued, running, in_transit, responding, done };

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// Gossip messages carry running and queued in 16 bits each (saturating).
std::uint32_t pack_load(const LoadReport& load) {
  const std::uint32_t running = std::min<std::uint32_t>(load.running, 0xffff);
  const std::uint32_t queued = std::min<std::uint32_t>(load.queued, 0xffff);
  return running << 16 | queued;
}

// Consecutive slots of a probe round whose messages travel at the same time: they
// would be consecutive events (same time, consecutive sequence numbers, so nothing
// runs between them), so one event carries them all and a probe round with a
// uniform network costs two events instead of two per peer.
struct SlotRange {
  std::uint32_t first = 0;
  std::uint32_t count = 0;

  std::uint32_t packed() const { return first | count << 16; }
  static SlotRange unpack(std::uint32_t packed) { return {packed & 0xffff, packed >> 16}; }
};

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

}  // namespace

struct Simulation::FunctionModel {
  ServiceTimeDistribution service;
  std::uint64_t payload_bytes = 0;
  std::uint64_t response_bytes = 0;
  std::int64_t deadline_ns = -1;  // none
  bool until_leaves_view = false;

  double sample_work_s(Rng& rng) const { return service.sample_s(rng); }
};

// Small, so an arrival touches little memory: the MMPP state, large and rare,
// lives apart.
struct Simulation::Stream {
  ArrivalStream spec;
  Rng rng;
  std::unique_ptr<MmppArrivals> mmpp;  // mmpp streams; Poisson otherwise
};

struct Simulation::TraceSource {
  TraceArrivals cursor;
  const Trace* trace = nullptr;
  const std::vector<std::uint32_t>* functions = nullptr;  // trace function -> scenario function
  Rng rng;                                                // service demands
};

// What the simulator tracks of a blacklisted vehicle until it leaves the city.
struct VehicleWatch {
  Time last_view_leave{};
  Time first_recognised = Time::max();
  bool measured = false;  // entered after the warm-up
};

struct Simulation::TrafficSource {
  TrafficModel model;
  std::uint32_t function = 0;
  std::uint64_t alert_bytes = 0;
  Rng rng;  // service demands
  std::unordered_map<VehicleId, VehicleWatch> blacklisted;
};

// The vehicle behind a traffic-triggered invocation.
struct Simulation::VehicleInvocation {
  std::uint32_t source = 0;
  VehicleId vehicle = 0;
  bool blacklisted = false;
  Time view_enter{};
  Time view_leave{};
};

struct Simulation::InvocationState {
  Invocation inv;
  double work_s = 0;               // service demand on a node of speed 1
  Time start{};
  std::uint32_t node = 0;          // where it is now (and, once started, where it runs)
  std::uint32_t next = kNone;      // next in the node's queue, or in the free list
  std::uint32_t probes = 0;
  std::uint32_t trace_index = kNone;  // its row in trace_, once finished
  DecisionKind decision = DecisionKind::run_local;
  Phase phase = Phase::done;
  bool measured = false;           // arrived after the warm-up
  bool live = false;               // slot in use
  bool finished = false;           // its outcome is recorded
  bool alert_pending = false;      // its blacklist alert has not reached the uplink yet
  bool has_vehicle = false;
  VehicleInvocation vehicle;
  Time alert_delivered = Time::max();
};

struct Simulation::ProbeRound {
  std::uint32_t inv = kNone;       // also the free-list link while unused
  std::uint32_t node = 0;          // the prober
  PeerSet peers;
  std::array<LoadReport, kMaxProbePeers> loads{};
  std::uint32_t answered = 0;      // bit i: peers[i] answered
  std::uint32_t resolved = 0;      // peers that answered or are known to be down
  std::uint32_t pending_events = 0;  // its events still in the queue
  bool decided = false;
};

struct Simulation::KnownEntry {
  LoadReport load;
  Time measured_at{};
  bool valid = false;
};

// What nearly every event at a node touches comes first and fills one cache line
// (the node's record starts on one); with 10^5 nodes most events miss the cache
// once per node they touch, not three times.
struct alignas(64) Simulation::NodeState {
  std::uint32_t slots = 0;
  std::uint32_t queue_capacity = 0;
  std::uint32_t running = 0;
  std::uint32_t queued = 0;
  std::uint32_t queue_head = kNone;
  std::uint32_t queue_tail = kNone;
  std::uint32_t down_count = 0;    // overlapping outages and failures holding it down
  std::uint32_t epoch = 0;         // bumped when it goes down: stale completions are ignored
  double speed = 1;
  std::int64_t busy_since_ns = 0;  // last time busy time was accounted
  std::int64_t busy_slot_ns = 0;   // within the measurement window
  std::unique_ptr<Policy> policy;  // none on the cloud
  Rng rng;
  std::uint32_t timer_generation = 0;
  std::vector<KnownEntry> known;   // sized on first gossip received
  Rng failure_rng;                 // failure/repair times of the failure process
  // Uplink to the cloud (cameras): a FIFO; the time it is free again.
  std::int64_t uplink_free_ns = 0;
  std::int64_t uplink_busy_ns = 0;  // within the measurement window
  Rng uplink_rng;                   // alert losses
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
    FunctionModel model{.service = ServiceTimeDistribution(f.service_time),
                        .payload_bytes = f.payload_bytes,
                        .response_bytes = f.response_bytes};
    if (f.deadline) model.deadline_ns = f.deadline->count();
    model.until_leaves_view = f.deadline_until_leaves_view;
    functions_.push_back(std::move(model));
  }

  for (const ArrivalStream& s : city.streams()) {
    Stream stream{s, Rng(derive_seed(seed, {stream::kArrivals, s.workload, s.camera})), nullptr};
    const ArrivalSpec& arrivals = scenario.workload[s.workload].arrivals;
    if (arrivals.process == ArrivalProcess::mmpp) {
      Rng state_rng(derive_seed(seed, {stream::kArrivals, s.workload, s.camera, 1}));
      stream.mmpp = std::make_unique<MmppArrivals>(make_mmpp_config(arrivals, s.rate_factor), std::move(state_rng),
                                                   city.profile(s.workload));
    }
    streams_.push_back(std::move(stream));
  }
  for (std::uint32_t w = 0; w < scenario.workload.size(); ++w) {
    const ArrivalSpec& arrivals = scenario.workload[w].arrivals;
    if (arrivals.process == ArrivalProcess::trace) {
      traces_.push_back({TraceArrivals(*arrivals.trace), arrivals.trace.get(), &arrivals.trace_functions,
                         Rng(derive_seed(seed, {stream::kTraceWork, w}))});
    } else if (arrivals.process == ArrivalProcess::traffic) {
      traffic_.push_back({TrafficModel(make_traffic_config(scenario, city, w), city.camera_positions(),
                                       derive_seed(seed, {stream::kTraffic, w}), Time{Duration{end_ns_}}),
                          scenario.workload[w].function_index, arrivals.traffic.alert_bytes,
                          Rng(derive_seed(seed, {stream::kArrivals, w, 0xffffffffu})), {}});
    }
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
    n.failure_rng = Rng(derive_seed(seed, {stream::kFailures, i}));
    n.uplink_rng = Rng(derive_seed(seed, {stream::kUplink, i}));
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
  check_gossip(peers, rules_of(bound_node_));
  const std::uint32_t packed = pack_load(load_of(bound_node_));
  for (NodeId p : peers) send_gossip(p.value, packed);
}

void Simulation::gossip_load_to_all() {
  const std::uint32_t packed = pack_load(load_of(bound_node_));
  for (std::size_t i = 0; i < peer_count(); ++i) send_gossip(peer(i).value, packed);
}

void Simulation::send_gossip(std::uint32_t to, std::uint32_t packed_load) {
  events_.push(now_ns_ + city_.one_way(bound_node_, to, scenario_.network.gossip_bytes).count(), kGossipArrive, to,
               bound_node_, packed_load);
  if (now_ns_ >= warmup_ns_) ++metrics_.gossip_messages;
}

void Simulation::set_timer(Duration after) {
  check_timer(after, rules_of(bound_node_));
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
  for (std::uint32_t t = 0; t < traces_.size(); ++t) schedule_next_trace_arrival(t);
  for (std::uint32_t t = 0; t < traffic_.size(); ++t) schedule_next_traffic_event(t);
  for (const City::Outage& outage : city_.outages()) {
    for (std::uint32_t camera : outage.cameras) {
      events_.push(outage.start.time_since_epoch().count(), kNodeDown, camera);
      events_.push(outage.end.time_since_epoch().count(), kNodeUp, camera);
    }
  }
  if (const auto& failures = scenario_.faults.failures) {
    std::vector<std::uint32_t> cameras = failures->cameras;
    if (cameras.empty()) {
      for (std::uint32_t i = 0; i < city_.camera_count(); ++i) cameras.push_back(i);
    }
    for (std::uint32_t camera : cameras) {
      const double up_s = nodes_[camera].failure_rng.exponential(to_seconds(failures->mean_time_to_failure));
      events_.push(from_seconds(up_s).count(), kFailureProcess, camera, 1);
    }
  }

  std::uint64_t processed = 0;
  double pending_sum = 0;
  std::size_t peak_pending = 0;
  while (!events_.empty() && events_.top().time_ns <= end_ns_) {
    peak_pending = std::max(peak_pending, events_.size());
    pending_sum += static_cast<double>(events_.size());
    const Event e = events_.take();
    now_ns_ = e.time_ns;
    switch (e.kind) {
      case kArrival: on_arrival(e.a); break;
      case kForwardArrive: on_forward_arrive(e.node, e.a); break;
      case kComplete:
        if (e.b == nodes_[e.node].epoch) on_complete(e.node, e.a);  // else the node failed meanwhile
        break;
      case kResponseArrive: on_response_arrive(e.node, e.a); break;
      case kProbeArrive: on_probe_arrive(e.a, e.b); break;
      case kProbeReply: on_probe_reply(e.a, e.b); break;
      case kProbeTimeout: on_probe_timeout(e.a); break;
      case kTimer: on_timer(e.node, e.a); break;
      case kGossipArrive: on_gossip_arrive(e.node, e.a, e.b); break;
      case kTraceArrival: on_trace_arrival(e.a); break;
      case kTrafficEvent: on_traffic_event(e.a); break;
      case kNodeDown: on_node_down(e.node); break;
      case kNodeUp: on_node_up(e.node); break;
      case kFailureProcess: on_failure_process(e.node, e.a == 1); break;
      case kForwardTimeout: on_forward_timeout(e.node, e.a); break;
      case kProbeLost: on_probe_lost(e.a, e.b); break;
      case kAlertAtUplink: on_alert_at_uplink(e.node, e.a); break;
    }
    events_.settle();
    if ((++processed & 0xffff) == 0 && cancel_ && cancel_->load(std::memory_order_relaxed)) throw Cancelled();
  }

  now_ns_ = end_ns_;
  for (std::uint32_t i = 0; i < city_.camera_count(); ++i) {
    account_busy(i);
    metrics_.add_busy_time(i, Duration{nodes_[i].busy_slot_ns});
    metrics_.add_uplink_busy_time(i, Duration{nodes_[i].uplink_busy_ns});
  }
  for (const InvocationState& s : invocations_) {
    if (s.live && s.measured && !s.finished) ++metrics_.in_flight_at_end;
  }

  std::vector<std::uint32_t> slots(city_.camera_count());
  for (std::uint32_t i = 0; i < city_.camera_count(); ++i) slots[i] = nodes_[i].slots;
  ReplicationResult result{.metrics = std::move(metrics_),
                           .engine = {.events = processed,
                                      .peak_pending_events = peak_pending,
                                      .mean_pending_events = processed ? pending_sum / static_cast<double>(processed) : 0,
                                      .peak_invocations = invocations_.size()},
                           .summary = {},
                           .trace = std::move(trace_)};
  result.summary = summarize_replication(result.metrics, slots, Duration{end_ns_ - warmup_ns_});
  return result;
}

void Simulation::schedule_next_arrival(std::uint32_t stream_index, Time from) {
  Stream& s = streams_[stream_index];
  if (s.mmpp) {
    const Time t = s.mmpp->next(from);
    if (t.time_since_epoch().count() < end_ns_) {
      events_.push(t.time_since_epoch().count(), kArrival, s.spec.camera, stream_index);
    }
    return;
  }
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

void Simulation::schedule_next_trace_arrival(std::uint32_t source) {
  const TraceSource& t = traces_[source];
  if (t.cursor.exhausted()) return;
  const std::int64_t at = t.cursor.next_time().time_since_epoch().count();
  if (at < end_ns_) events_.push(at, kTraceArrival, 0, source);
}

void Simulation::schedule_next_traffic_event(std::uint32_t source) {
  if (const std::optional<Time> t = traffic_[source].model.peek_time()) {
    events_.push(t->time_since_epoch().count(), kTrafficEvent, 0, source);
  }
}

void Simulation::on_arrival(std::uint32_t stream_index) {
  Stream& s = streams_[stream_index];
  const FunctionModel& f = functions_[s.spec.function];
  const double work_s = f.sample_work_s(s.rng);
  schedule_next_arrival(stream_index, now());
  client_arrival(s.spec.camera, s.spec.function, work_s, f.payload_bytes, nullptr);
}

void Simulation::on_trace_arrival(std::uint32_t source) {
  TraceSource& t = traces_[source];
  const TraceArrival& arrival = t.cursor.take();
  const std::uint32_t function = (*t.functions)[arrival.function];
  const FunctionModel& f = functions_[function];
  const double work_s = f.sample_work_s(t.rng);
  const std::uint32_t camera = arrival.camera;
  const std::uint64_t payload = arrival.payload_bytes.value_or(f.payload_bytes);
  schedule_next_trace_arrival(source);
  client_arrival(camera, function, work_s, payload, nullptr);
}

void Simulation::on_traffic_event(std::uint32_t source) {
  TrafficSource& src = traffic_[source];
  const TrafficEvent event = src.model.pop();
  schedule_next_traffic_event(source);
  std::visit(Overloaded{
                 [&](const VehicleEntered& v) {
                   if (v.blacklisted) src.blacklisted[v.vehicle] = VehicleWatch{.measured = now_ns_ >= warmup_ns_};
                 },
                 [&](const Trigger& t) {
                   if (t.blacklisted) {
                     if (auto it = src.blacklisted.find(t.vehicle); it != src.blacklisted.end()) {
                       it->second.last_view_leave = std::max(it->second.last_view_leave, t.view_leave);
                     }
                   }
                   const FunctionModel& f = functions_[src.function];
                   const double work_s = f.sample_work_s(src.rng);
                   const VehicleInvocation vehicle{source, t.vehicle, t.blacklisted, t.view_enter, t.view_leave};
                   client_arrival(t.camera, src.function, work_s, f.payload_bytes, &vehicle);
                 },
                 [&](const VehicleLeft& v) {
                   if (!v.blacklisted) return;
                   const auto it = src.blacklisted.find(v.vehicle);
                   if (it == src.blacklisted.end()) return;
                   if (it->second.measured) {
                     ++metrics_.blacklisted_vehicles;
                     if (it->second.first_recognised > it->second.last_view_leave) ++metrics_.blacklisted_missed;
                   }
                   src.blacklisted.erase(it);
                 },
             },
             event);
}

void Simulation::client_arrival(std::uint32_t camera, std::uint32_t function, double work_s,
                                std::uint64_t payload_bytes, const VehicleInvocation* vehicle) {
  const std::uint32_t idx = allocate_invocation();
  InvocationState& st = invocations_[idx];
  st.inv = Invocation{.id = InvocationId{next_invocation_id_++},
                      .function = FunctionId{function},
                      .origin = NodeId{camera},
                      .hops = 0,
                      .arrival = now(),
                      .payload_bytes = payload_bytes};
  st.work_s = work_s;
  st.node = camera;
  st.phase = Phase::deciding;
  st.measured = now_ns_ >= warmup_ns_;
  if (vehicle) {
    st.has_vehicle = true;
    st.vehicle = *vehicle;
  }
  if (st.measured) ++metrics_.client_invocations;
  if (down(camera)) {
    if (st.measured) ++metrics_.arrivals_at_down_nodes;
    finish(idx, Outcome::failed, camera);
    return;
  }
  decide(idx, camera, {}, false);
}

void Simulation::on_forward_arrive(std::uint32_t node, std::uint32_t inv) {
  InvocationState& st = invocations_[inv];
  if (down(node)) {
    // The sender hears nothing and gives up after the fault timeout.
    const std::uint32_t sender = st.node;
    const std::int64_t sent = now_ns_ - city_.one_way(sender, node, st.inv.payload_bytes).count();
    events_.push(std::max(now_ns_, sent + scenario_.faults.timeout.count()), kForwardTimeout, sender, inv);
    return;
  }
  st.node = node;
  st.phase = Phase::deciding;
  decide(inv, node, {}, false);
}

void Simulation::on_forward_timeout(std::uint32_t node, std::uint32_t inv) {
  InvocationState& st = invocations_[inv];
  if (st.measured) ++metrics_.forward_timeouts;
  --st.inv.hops;  // the forward never happened
  st.node = node;
  if (down(node)) {
    finish(inv, Outcome::failed, node);
    return;
  }
  run_or_reject(inv, node);
}

void Simulation::on_response_arrive(std::uint32_t origin, std::uint32_t inv) {
  // The answer is lost when the origin went down while the invocation ran elsewhere.
  finish(inv, down(origin) ? Outcome::failed : Outcome::completed, invocations_[inv].node);
}

void Simulation::on_node_down(std::uint32_t node) {
  if (nodes_[node].down_count++ == 0) fail_node_work(node);
}

void Simulation::on_node_up(std::uint32_t node) {
  NodeState& n = nodes_[node];
  if (n.down_count == 0 || --n.down_count > 0) return;
  // A restarted node runs a fresh policy: whatever it had learned is gone.
  n.policy = policy_.make();
  bind(node, {}, false);
  n.policy->on_start(*this);
}

void Simulation::on_failure_process(std::uint32_t node, bool fails) {
  const FailureProcessSpec& process = *scenario_.faults.failures;
  NodeState& n = nodes_[node];
  const Duration mean = fails ? process.mean_time_to_repair : process.mean_time_to_failure;
  const std::int64_t next = now_ns_ + from_seconds(n.failure_rng.exponential(to_seconds(mean))).count();
  events_.push(next, kFailureProcess, node, fails ? 0 : 1);
  if (fails) {
    on_node_down(node);
  } else {
    on_node_up(node);
  }
}

void Simulation::fail_node_work(std::uint32_t node) {
  NodeState& n = nodes_[node];
  account_busy(node);
  ++n.epoch;             // its pending completions are void
  ++n.timer_generation;  // and so are its timers
  n.running = 0;
  n.queued = 0;
  n.queue_head = n.queue_tail = kNone;
  for (ProbeRound& r : rounds_) {
    if (!r.decided && r.node == node) r.decided = true;  // answers that still come are ignored
  }
  for (std::uint32_t i = 0; i < invocations_.size(); ++i) {
    const InvocationState& st = invocations_[i];
    if (!st.live || st.finished || st.node != node) continue;
    if (st.phase == Phase::running || st.phase == Phase::queued || st.phase == Phase::probing) {
      finish(i, Outcome::failed, node);
    }
  }
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
  InvocationState& st = invocations_[inv];
  const std::uint32_t origin = st.inv.origin.value;
  if (st.has_vehicle && st.vehicle.blacklisted) {
    // The plate is recognised now: note it, and alert the cloud through the uplink of
    // the camera that saw the vehicle.
    TrafficSource& src = traffic_[st.vehicle.source];
    if (auto it = src.blacklisted.find(st.vehicle.vehicle); it != src.blacklisted.end()) {
      it->second.first_recognised = std::min(it->second.first_recognised, now());
    }
    st.alert_pending = true;
    events_.push(now_ns_ + city_.one_way(node, origin, src.alert_bytes).count(), kAlertAtUplink, origin, inv);
  }
  if (node == origin) {
    finish(inv, Outcome::completed, node);
  } else {
    st.phase = Phase::responding;
    const Duration back = city_.one_way(node, origin, functions_[st.inv.function.value].response_bytes);
    events_.push(now_ns_ + back.count(), kResponseArrive, origin, inv);
  }
}

void Simulation::on_alert_at_uplink(std::uint32_t camera, std::uint32_t inv) {
  InvocationState& st = invocations_[inv];
  st.alert_pending = false;
  if (st.measured) ++metrics_.alerts_sent;
  NodeState& n = nodes_[camera];
  const UplinkSpec& uplink = scenario_.network.uplink;
  if (down(camera)) {
    if (st.measured) ++metrics_.alerts_lost;
  } else {
    // One FIFO per camera: the alert is sent once earlier alerts have gone.
    const double bits = static_cast<double>(traffic_[st.vehicle.source].alert_bytes) * 8.0;
    const std::int64_t transmit =
        uplink.bandwidth_bps > 0 ? from_seconds(bits / uplink.bandwidth_bps).count() : 0;
    const std::int64_t start = std::max(now_ns_, n.uplink_free_ns);
    n.uplink_free_ns = start + transmit;
    n.uplink_busy_ns += measured_ns(start, start + transmit);
    const std::int64_t delivered = start + transmit + uplink.latency.count();
    if (uplink.loss_probability > 0 && n.uplink_rng.bernoulli(uplink.loss_probability)) {
      if (st.measured) ++metrics_.alerts_lost;
    } else if (delivered <= end_ns_) {
      st.alert_delivered = Time{Duration{delivered}};
      if (st.measured) metrics_.record_alert_delivered(st.alert_delivered - st.vehicle.view_enter);
      if (st.trace_index != kNone) trace_[st.trace_index].alert_delivered = st.alert_delivered;
    }
  }
  if (st.finished) release_invocation(inv);
}

void Simulation::on_probe_arrive(std::uint32_t round, std::uint32_t packed_slots) {
  const SlotRange slots = SlotRange::unpack(packed_slots);
  ProbeRound& r = rounds_[round];
  --r.pending_events;
  // Answers leaving at the same time share one reply event, as the probes shared
  // one arrival event; a lost probe in between ends the shared run.
  SlotRange replies{};
  std::int64_t reply_at = 0;
  const auto send_replies = [&] {
    if (replies.count == 0) return;
    events_.push(reply_at, kProbeReply, r.node, round, replies.packed());
    ++r.pending_events;
    replies = {};
  };
  for (std::uint32_t slot = slots.first; slot < slots.first + slots.count; ++slot) {
    const std::uint32_t peer = r.peers[slot].value;
    if (down(peer)) {
      // No answer: the prober gives up on this peer after the fault timeout.
      send_replies();
      const std::int64_t sent = now_ns_ - city_.one_way(r.node, peer, scenario_.network.probe_bytes).count();
      events_.push(std::max(now_ns_, sent + scenario_.faults.timeout.count()), kProbeLost, r.node, round, slot);
      ++r.pending_events;
      continue;
    }
    r.loads[slot] = load_of(peer);  // the load the peer reports as the probe reaches it
    const std::int64_t at = now_ns_ + city_.one_way(peer, r.node, scenario_.network.probe_bytes).count();
    if (replies.count > 0 && at != reply_at) send_replies();
    if (replies.count == 0) {
      replies.first = slot;
      reply_at = at;
    }
    ++replies.count;
  }
  send_replies();
}

void Simulation::on_probe_reply(std::uint32_t round, std::uint32_t packed_slots) {
  const SlotRange slots = SlotRange::unpack(packed_slots);
  --rounds_[round].pending_events;
  for (std::uint32_t slot = slots.first; slot < slots.first + slots.count; ++slot) {
    probe_slot_resolved(round, slot, true);
  }
  release_round_if_done(round);
}

void Simulation::on_probe_lost(std::uint32_t round, std::uint32_t slot) {
  ProbeRound& r = rounds_[round];
  --r.pending_events;
  if (!r.decided && invocations_[r.inv].measured) ++metrics_.probe_timeouts;
  probe_slot_resolved(round, slot, false);
  release_round_if_done(round);
}

void Simulation::probe_slot_resolved(std::uint32_t round, std::uint32_t slot, bool answered) {
  ProbeRound& r = rounds_[round];
  if (r.decided) return;
  ++r.resolved;
  if (answered) r.answered |= 1u << slot;
  // The last slot resolved: decide() may start rounds and move rounds_, so the
  // caller looks the round up again.
  if (r.resolved == r.peers.size()) finish_probe(round);
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
  if (down(to)) return;
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

DecisionRules Simulation::rules_of(std::uint32_t node) const {
  // Peers are the other cameras (peer()), down or not: a forward to a down one falls
  // back at the sender after the fault timeout.
  const std::uint32_t cameras = city_.camera_count();
  return DecisionRules{.self = NodeId{node},
                       .hop_limit = scenario_.hop_limit,
                       .policy_name = policy_.canonical,
                       .is_peer = [cameras, node](NodeId n) { return n.value < cameras && n.value != node; },
                       .cloud = city_.cloud()};
}

void Simulation::decide(std::uint32_t inv, std::uint32_t node, std::span<const ProbeAnswer> answers, bool reentry) {
  if (is_cloud(node)) {
    // The cloud runs what reaches it, or rejects it when full: it never forwards.
    run_or_reject(inv, node);
    return;
  }
  bind(node, answers, reentry);
  const Decision decision = nodes_[node].policy->decide(invocations_[inv].inv, *this);
  const CheckedDecision checked = check_decision(decision, invocations_[inv].inv, reentry, rules_of(node));
  switch (checked.step) {
    case Step::run_local:
      if (checked.hop_limit_enforced) {
        enforce_hop_limit(inv, node);
      } else {
        run_or_reject(inv, node);
      }
      break;
    case Step::reject:
      invocations_[inv].node = node;
      finish(inv, Outcome::rejected, node);
      break;
    case Step::forward: forward(inv, node, checked.peer.value); break;
    case Step::probe: start_probe(inv, node, *checked.probe_peers); break;
  }
}

void Simulation::enforce_hop_limit(std::uint32_t inv, std::uint32_t node) {
  if (invocations_[inv].measured) ++metrics_.hop_limit_enforced;
  run_or_reject(inv, node);
}

void Simulation::run_or_reject(std::uint32_t inv, std::uint32_t node) {
  NodeState& n = nodes_[node];
  InvocationState& st = invocations_[inv];
  st.node = node;
  if (n.running < n.slots) {
    start(inv, node);
  } else if (n.queued < n.queue_capacity) {
    st.phase = Phase::queued;
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
  st.phase = Phase::running;
  const Duration service = from_seconds(st.work_s / n.speed);
  events_.push(now_ns_ + service.count(), kComplete, node, inv, n.epoch);
}

void Simulation::forward(std::uint32_t inv, std::uint32_t from, std::uint32_t to) {
  InvocationState& st = invocations_[inv];
  if (from == st.inv.origin.value && st.inv.hops == 0) st.decision = DecisionKind::forward;
  ++st.inv.hops;
  st.phase = Phase::in_transit;
  events_.push(now_ns_ + city_.one_way(from, to, st.inv.payload_bytes).count(), kForwardArrive, to, inv);
}

void Simulation::start_probe(std::uint32_t inv, std::uint32_t node, const PeerSet& peers) {
  const std::uint32_t round = allocate_round();
  ProbeRound& r = rounds_[round];
  r.inv = inv;
  r.node = node;
  r.peers = peers;
  r.answered = 0;
  r.resolved = 0;
  r.pending_events = 0;
  r.decided = false;
  const auto arrival = [&](std::uint32_t slot) {
    return now_ns_ + city_.one_way(node, peers[slot].value, scenario_.network.probe_bytes).count();
  };
  const auto count = static_cast<std::uint32_t>(peers.size());
  for (std::uint32_t first = 0; first < count;) {
    const std::int64_t at = arrival(first);
    std::uint32_t end = first + 1;
    while (end < count && arrival(end) == at) ++end;
    events_.push(at, kProbeArrive, peers[first].value, round, SlotRange{first, end - first}.packed());
    ++r.pending_events;
    first = end;
  }
  if (scenario_.network.probe_timeout > Duration::zero()) {
    events_.push(now_ns_ + scenario_.network.probe_timeout.count(), kProbeTimeout, node, round);
    ++r.pending_events;
  }
  InvocationState& st = invocations_[inv];
  st.phase = Phase::probing;
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
  if (outcome == Outcome::completed) {
    const bool late = f.deadline_ns >= 0 && (end - st.inv.arrival).count() > f.deadline_ns;
    const bool out_of_view = f.until_leaves_view && st.has_vehicle && end > st.vehicle.view_leave;
    if (late || out_of_view) outcome = Outcome::deadline_missed;
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
                                .start = outcome == Outcome::rejected || st.phase == Phase::deciding ||
                                                 st.phase == Phase::queued || st.phase == Phase::probing
                                             ? end
                                             : st.start,
                                .end = end,
                                .vehicle = st.has_vehicle ? static_cast<std::int64_t>(st.vehicle.vehicle) : -1,
                                .blacklisted = st.has_vehicle && st.vehicle.blacklisted,
                                .alert_delivered = st.alert_delivered,
                                .work_s = st.work_s};
  if (st.measured) {
    metrics_.record(record);
    if (keep_trace_) {
      st.trace_index = static_cast<std::uint32_t>(trace_.size());
      trace_.push_back(record);
    }
  }

  const Completion completion{.id = st.inv.id,
                              .function = st.inv.function,
                              .executed_on = NodeId{ended_on},
                              .outcome = outcome,
                              .response_time = end - st.inv.arrival};
  st.finished = true;
  st.phase = Phase::done;
  if (!st.alert_pending) release_invocation(inv);
  if (!down(origin)) {
    bind(origin, {}, false);
    nodes_[origin].policy->on_complete(completion, *this);
  }
}

void Simulation::release_invocation(std::uint32_t inv) {
  InvocationState& st = invocations_[inv];
  st.live = false;
  st.next = free_invocation_;
  free_invocation_ = inv;
}

bool Simulation::down(std::uint32_t node) const noexcept { return nodes_[node].down_count > 0; }

std::int64_t Simulation::measured_ns(std::int64_t from, std::int64_t to) const noexcept {
  return std::max<std::int64_t>(0, std::min(to, end_ns_) - std::max(from, warmup_ns_));
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
