// The event loop of one replication: the simulation set up from the scenario, each
// event dispatched to its handler in (time, sequence) order, and the totals at the end.
#include <algorithm>
#include <chrono>

#include "fogsched/sim/prefetch.h"
#include "node_runtime.h"
#include "stream_labels.h"

namespace fogsched::sim {
namespace {

// Node records beyond this many bytes (a typical core's L2 cache) stop fitting in
// cache, and the look-ahead starts to pay: measured on city-1k, it cost about 5 %
// at 1 000 cameras and saved about a third at 100 000.
constexpr std::size_t kLookAheadFromBytes = std::size_t{1} << 20;
// Window events whose records the look-ahead asks for per event processed, and how
// many events later it follows their links.
constexpr std::size_t kLookAheadPerStep = 4;
constexpr std::size_t kLinkedLagSteps = 2;

}  // namespace

Simulation::Simulation(const Scenario& scenario, const City& city, const PolicyConfig& policy, std::uint64_t seed,
                       bool keep_trace, const std::atomic<bool>* cancel)
    : scenario_(scenario),
      city_(city),
      policy_(policy),
      keep_trace_(keep_trace),
      cancel_(cancel),
      end_ns_(scenario.duration.count()),
      warmup_ns_(scenario.warmup.count()),
      workload_(scenario, city, seed),
      watched_(workload_.traffic_count()),
      nodes_(city.node_count()),
      metrics_(city.camera_count()) {
  if (city.cloud()) cloud_index_ = city.cloud()->value;

  for (const FunctionSpec& f : scenario.functions) {
    FunctionModel model{.response_bytes = f.response_bytes};
    if (f.deadline) model.deadline_ns = f.deadline->count();
    model.until_leaves_view = f.deadline_until_leaves_view;
    functions_.push_back(model);
  }

  static_assert(sizeof(NodeState) == 2 * kCacheLine, "see NodeState: what events touch, in two lines");
  static_assert(sizeof(InvocationState) == kCacheLine, "see InvocationState: what events touch, in one line");
  keeps_invocation_extras_ = keep_trace_ || workload_.traffic_count() > 0;
  node_extras_.reserve(city.node_count());
  for (std::uint32_t i = 0; i < city.node_count(); ++i) {
    NodeState& n = nodes_[i];
    const NodeSpec& spec = city.node(i);
    n.slots = spec.slots;
    n.queue_capacity = spec.queue;
    n.speed = spec.speed;
    n.busy_since_ns = warmup_ns_;
    n.rng = Rng(derive_seed(seed, {stream::kNodePolicy, i}));
    node_extras_.emplace_back(scenario.network.gossip_memory);
    node_extras_[i].failure_rng = Rng(derive_seed(seed, {stream::kFailures, i}));
    node_extras_[i].uplink_rng = Rng(derive_seed(seed, {stream::kUplink, i}));
    if (!is_cloud(i)) n.policy.make(policy.make);
    policies_in_rooms_ = policies_in_rooms_ && (!n.policy || n.policy.in_room());
  }
  completions_heard_ = policy.make.hears_completions();
  static_assert(kAlertAtUplink < 32, "record_of_kind_ and policy_kinds_ hold an entry per kind (the last kind)");
  policy_kinds_ = 1u << kArrival | 1u << kForwardArrive | 1u << kProbeReply;
  if (completions_heard_) policy_kinds_ |= 1u << kComplete | 1u << kResponseArrive;  // at the origin
  record_of_kind_.fill(RecordArray::one(&now_ns_));
  record_of_kind_[kArrival] = workload_.stream_records();  // the streams never move
  events_.reserve(4 * (workload_.stream_count() + nodes_.size()));
  set_look_ahead(LookAhead::automatic);
}

void Simulation::set_look_ahead(LookAhead mode) {
  switch (mode) {
    case LookAhead::automatic: look_ahead_ = nodes_.size() * sizeof(NodeState) > kLookAheadFromBytes; break;
    case LookAhead::always: look_ahead_ = true; break;
    case LookAhead::never: look_ahead_ = false; break;
  }
}

Simulation::~Simulation() = default;

[[gnu::always_inline]] inline void Simulation::look_ahead() {
  if (events_.windows_loaded() != windows_looked_at_) {
    windows_looked_at_ = events_.windows_loaded();
    upcoming_.clear();
    events_.copy_next_bucket(upcoming_);
    look_ahead_step_ = 0;
    // The slabs may have grown since the last window.
    const RecordArray invocations = RecordArray::of(invocations_.data());
    const RecordArray rounds = RecordArray::of(rounds_.data());
    record_of_kind_[kForwardArrive] = record_of_kind_[kComplete] = record_of_kind_[kResponseArrive] = invocations;
    record_of_kind_[kProbeArrive] = record_of_kind_[kProbeReply] = rounds;
  }
  // A few events per step, not the whole bucket at once: a burst of loads beyond the
  // core's outstanding-miss slots gets dropped. What the records point to is read a
  // few steps later, once they have arrived.
  const auto each = [&](std::size_t step, auto prefetch_one) {
    const std::size_t first = step * kLookAheadPerStep;
    const std::size_t end = std::min(upcoming_.size(), first + kLookAheadPerStep);
    for (std::size_t i = first; i < end; ++i) prefetch_one(upcoming_[i]);
  };
  const std::size_t step = look_ahead_step_++;
  each(step, [this](const Event& e) { prefetch_records(e); });
  if (step >= kLinkedLagSteps) each(step - kLinkedLagSteps, [this](const Event& e) { prefetch_linked(e); });
}

// Without a branch on the kind: events come in no predictable order of kinds, and
// a mispredicted branch per event cost more than the prefetches save in a city that
// fits the caches.
[[gnu::always_inline]] inline void Simulation::prefetch_records(const Event& e) const {
  const std::uint32_t node = std::min<std::uint32_t>(e.node, static_cast<std::uint32_t>(nodes_.size()) - 1);
  const auto* record = reinterpret_cast<const std::byte*>(&nodes_[node]);
  prefetch(record);
  // The node's second line, for events that call its policy: the policy (in its
  // room) and the node's random stream; else the first line again, which costs
  // nothing.
  prefetch(record + kCacheLine * ((policy_kinds_ >> e.kind) & 1));
  prefetch(record_of_kind_[e.kind].at(e.a));
}

[[gnu::always_inline]] inline void Simulation::prefetch_linked(const Event& e) const {
  if (!policies_in_rooms_ && ((policy_kinds_ >> e.kind) & 1)) prefetch(nodes_[e.node].policy.get());
  switch (e.kind) {
    case kProbeReply:  // the prober decides again on the invocation
      prefetch(&invocations_[rounds_[e.a].inv]);
      break;
    case kProbeArrive: {
      const SlotRange slots = SlotRange::unpack(e.b);
      const ProbeRound& round = rounds_[e.a];
      for (std::uint32_t slot = slots.first; slot < slots.first + slots.count; ++slot) {
        prefetch(&nodes_[round.peers[slot].value]);
      }
      break;
    }
    default: break;
  }
}

ReplicationResult Simulation::run() {
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i].policy) continue;
    bind(i, {}, false);
    nodes_[i].policy->on_start(*this);
  }
  schedule_first_arrivals();
  schedule_faults();

  std::uint64_t processed = 0;
  double pending_sum = 0;
  std::size_t peak_pending = 0;
  const auto within_limits = [&] {
    return !limits_ || (processed < limits_->events && events_.size() < limits_->pending);
  };
  if (limits_) mark_sample(0);
  while (!events_.empty() && events_.top().time_ns <= end_ns_ && within_limits()) {
    peak_pending = std::max(peak_pending, events_.size());
    pending_sum += static_cast<double>(events_.size());
    if (look_ahead_) look_ahead();
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
    // A sample is measured from its middle on, past the start-up's one-off costs.
    if (limits_ && processed + 1 == limits_->events / 2) mark_sample(processed + 1);
    if ((++processed & 0xffff) == 0) {
      if (cancel_ && cancel_->load(std::memory_order_relaxed)) throw Cancelled();
      if (reached_ns_) reached_ns_->store(now_ns_, std::memory_order_relaxed);
    }
  }

  if (limits_) end_sample(processed, events_.empty() || events_.top().time_ns > end_ns_);
  now_ns_ = end_ns_;
  for (std::uint32_t i = 0; i < city_.camera_count(); ++i) {
    account_busy(i);
    metrics_.add_busy_time(i, Duration{nodes_[i].busy_slot_ns});
    metrics_.add_uplink_busy_time(i, Duration{node_extras_[i].uplink_busy_ns});
  }
  for (const InvocationState& s : invocations_) {
    if (s.live && s.measured && !s.finished) ++metrics_.in_flight_at_end;
  }

  std::vector<std::uint32_t> slots(city_.camera_count());
  for (std::uint32_t i = 0; i < city_.camera_count(); ++i) slots[i] = nodes_[i].slots;
  ReplicationResult result{
      .metrics = std::move(metrics_),
      .engine = {.events = processed,
                 .peak_pending_events = peak_pending,
                 .mean_pending_events = processed ? pending_sum / static_cast<double>(processed) : 0,
                 .peak_invocations = invocations_.size()},
      .summary = {},
      .trace = std::move(trace_),
      .learned = {}};
  result.summary = summarize_replication(result.metrics, slots, Duration{end_ns_ - warmup_ns_});
  for (std::uint32_t i = 0; i < city_.camera_count(); ++i) {
    std::optional<LearnedTable> learned = nodes_[i].policy ? nodes_[i].policy->learned_table() : std::nullopt;
    if (!learned) continue;
    result.learned.resize(city_.camera_count());
    result.learned[i] = std::move(learned);
  }
  return result;
}

void Simulation::mark_sample(std::uint64_t processed) {
  sample_mark_ = {
      .processed = processed, .pending = events_.size(), .time_ns = now_ns_, .wall = std::chrono::steady_clock::now()};
}

void Simulation::end_sample(std::uint64_t processed, bool finished) {
  const SampleMark& mark = sample_mark_;
  const std::int64_t reached_ns = finished ? end_ns_ : now_ns_;
  sample_report_ = {.events_before = mark.processed,
                    .measured_from = Duration{mark.time_ns},
                    .events = processed - mark.processed,
                    // What is pending now that was not at the mark, plus what was processed since.
                    .scheduled = processed - mark.processed + events_.size() - std::min(events_.size(), mark.pending),
                    .simulated = Duration{reached_ns - mark.time_ns},
                    .wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - mark.wall).count(),
                    .finished = finished,
                    .client_invocations = metrics_.client_invocations};
}

}  // namespace fogsched::sim
