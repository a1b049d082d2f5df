#pragma once
// One replication of one policy on one city: the event loop, the node state and
// the simulated NodeContext that binds policies to it. Its members are defined by
// concern: event_loop.cpp (set-up, dispatch, totals), client_arrivals.cpp (the
// workload sources' invocations entering the city), node_context.cpp (policies'
// calls, decisions, timers, gossip), node_runtime.cpp with node_runtime.h (slots,
// queues, forwards, outcomes), probe_rounds.cpp, faults.cpp and alert_uplink.cpp.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "fogsched/core/decision_rules.h"
#include "fogsched/core/known_loads.h"
#include "fogsched/core/policy.h"
#include "fogsched/core/results.h"
#include "fogsched/core/scenario.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/event_queue.h"
#include "fogsched/sim/huge_pages.h"
#include "fogsched/sim/runner.h"
#include "fogsched/sim/workload_sources.h"

namespace fogsched::sim {

class Simulation final : public NodeContext {
 public:
  Simulation(const Scenario& scenario, const City& city, const PolicyConfig& policy, std::uint64_t seed,
             bool keep_trace, const std::atomic<bool>* cancel);
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;
  ~Simulation();

  ReplicationResult run();

  // Where run() stops early, for a cost sample (run_cost.h): after `events` events,
  // or once `pending` events wait.
  struct SampleLimits {
    std::uint64_t events = 0;
    std::size_t pending = 0;
  };
  // What a sample saw from its middle event (past the start-up's one-off costs) to
  // where it stopped; from its start when it stopped before the middle.
  struct SampleReport {
    std::uint64_t events_before = 0;  // processed before the measured part
    Duration measured_from{};         // simulated time when the measured part began
    std::uint64_t events = 0;         // processed
    std::uint64_t scheduled = 0;      // newly scheduled (a burst schedules many more than it processes)
    Duration simulated{};             // simulated time covered
    double wall_seconds = 0;
    bool finished = false;  // it reached the end of the run
    // Over the whole sample:
    std::uint64_t client_invocations = 0;
  };
  void stop_early(const SampleLimits& limits) { limits_ = limits; }
  // By default the look-ahead runs in cities whose node records outgrow a core's
  // cache (see look_ahead()).
  void set_look_ahead(LookAhead mode);
  const SampleReport& sample_report() const { return sample_report_; }

  // Where run() publishes the simulated time it reached, now and then, for a
  // progress display on another thread.
  void publish_progress(std::atomic<std::int64_t>* reached_ns) { reached_ns_ = reached_ns; }

  // NodeContext, answered for the node currently bound (the one deciding).
  Time now() const noexcept override { return Time{Duration{now_ns_}}; }
  NodeId self() const noexcept override { return NodeId{bound_node_}; }
  LoadReport local_load() const noexcept override { return load_of(bound_node_); }
  std::size_t peer_count() const noexcept override;
  NodeId peer(std::size_t index) const noexcept override;
  std::optional<NodeId> cloud() const noexcept override { return city_.cloud(); }
  std::optional<KnownLoad> known_load(NodeId peer) const noexcept override;
  std::optional<KnownPeer> least_loaded_known_peer() noexcept override;
  bool probed() const noexcept override { return bound_probed_; }
  std::span<const ProbeAnswer> probe_answers() const noexcept override { return bound_answers_; }
  Rng& rng() noexcept override;
  void gossip_load(std::span<const NodeId> peers) override;
  void gossip_load_to_all() override;
  void set_timer(Duration after) override;

 private:
  struct FunctionModel;
  // What the simulator tracks of a blacklisted vehicle until it leaves the city.
  struct VehicleWatch {
    Time last_view_leave{};
    Time first_recognised = Time::max();
    bool measured = false;  // entered after the warm-up
  };
  struct InvocationState;
  struct InvocationExtras;
  struct ProbeRound;
  class NodePolicy;
  struct NodeState;
  struct NodeExtras;

  // Event handlers.
  void on_arrival(std::uint32_t stream_index);
  void on_trace_arrival(std::uint32_t source);
  void on_traffic_event(std::uint32_t source);
  void on_node_down(std::uint32_t node);
  void on_node_up(std::uint32_t node);
  void on_failure_process(std::uint32_t node, bool fails);
  void on_forward_timeout(std::uint32_t node, std::uint32_t inv);
  void on_response_arrive(std::uint32_t origin, std::uint32_t inv);
  void on_probe_lost(std::uint32_t round, std::uint32_t slot);
  void on_alert_at_uplink(std::uint32_t camera, std::uint32_t inv);
  void on_forward_arrive(std::uint32_t node, std::uint32_t inv);
  void on_complete(std::uint32_t node, std::uint32_t inv);
  void on_probe_arrive(std::uint32_t round, std::uint32_t packed_slots);
  void on_probe_reply(std::uint32_t round, std::uint32_t packed_slots);
  void on_probe_timeout(std::uint32_t round);
  void on_timer(std::uint32_t node, std::uint32_t generation);
  void on_gossip_arrive(std::uint32_t to, std::uint32_t from, std::uint32_t packed_load);

  // Look-ahead: with a city far larger than the caches, nearly every event waits on
  // memory for the node, invocation, round or stream it names, and again for what
  // those point to. Each time the queue refills its window, the records that the
  // next bucket's events will touch start loading, a window ahead of their handlers,
  // so those misses overlap instead of stalling the handlers one after another.
  // Only for cities whose node records outgrow a core's cache: below that it is
  // pure cost.
  void look_ahead();
  void prefetch_records(const Event& e) const;  // the records an event names
  void prefetch_linked(const Event& e) const;   // those found through them

  void schedule_first_arrivals();
  void schedule_next_trace_arrival(std::uint32_t source);
  void schedule_next_traffic_event(std::uint32_t source);
  // A client invocation arriving now; decided at once, or failed when its camera is
  // down.
  void client_arrival(const SourcedInvocation& invocation, const VehicleSighting* vehicle);
  // One gossip message from the bound node.
  void send_gossip(std::uint32_t to, std::uint32_t packed_load);
  // Explicit outages and the first failures of the failure process.
  void schedule_faults();
  void fail_node_work(std::uint32_t node);
  // Blacklisted vehicles of traffic source `source`: watched from entering the city
  // to leaving it, to count those no camera recognised in view.
  void watch_vehicle(std::uint32_t source, const VehicleEntered& entered);
  void watch_trigger(std::uint32_t source, const Trigger& trigger);
  void end_watch(std::uint32_t source, const VehicleLeft& left);
  // Invocation `inv`, run on `node`, recognised a blacklisted plate: noted, and an
  // alert sent through the uplink of the camera that saw the vehicle.
  void plate_recognised(std::uint32_t node, std::uint32_t inv);
  // One peer of a round answered or was found down; the last one decides.
  void probe_slot_resolved(std::uint32_t round, std::uint32_t slot, bool answered);
  void decide(std::uint32_t inv, std::uint32_t node, std::span<const ProbeAnswer> answers, bool reentry);
  void enforce_hop_limit(std::uint32_t inv, std::uint32_t node);
  // Runs it here if a slot or queue place is free, else rejects it.
  void run_or_reject(std::uint32_t inv, std::uint32_t node);
  void start(std::uint32_t inv, std::uint32_t node);
  void forward(std::uint32_t inv, std::uint32_t from, std::uint32_t to);
  void start_probe(std::uint32_t inv, std::uint32_t node, const PeerSet& peers);
  void finish_probe(std::uint32_t round);
  void release_round_if_done(std::uint32_t round);
  void finish(std::uint32_t inv, Outcome outcome, std::uint32_t ended_on);
  void release_invocation(std::uint32_t inv);
  bool down(std::uint32_t node) const noexcept;
  // The window [warm-up, end] part of [from, to), in nanoseconds.
  std::int64_t measured_ns(std::int64_t from, std::int64_t to) const noexcept;
  void account_busy(std::uint32_t node);
  // The contract's rules as `node` is bound to them (its peers, the cloud, the hop limit).
  DecisionRules rules_of(std::uint32_t node) const;

  LoadReport load_of(std::uint32_t node) const noexcept;
  bool is_cloud(std::uint32_t node) const noexcept { return cloud_index_ == node; }
  std::uint32_t allocate_invocation();
  std::uint32_t allocate_round();

  // Binds the context to `node` for one policy call; unbinding restores nothing
  // because calls never nest.
  void bind(std::uint32_t node, std::span<const ProbeAnswer> answers, bool probed) noexcept {
    bound_node_ = node;
    bound_answers_ = answers;
    bound_probed_ = probed;
  }

  const Scenario& scenario_;
  const City& city_;
  const PolicyConfig& policy_;
  bool keep_trace_;
  const std::atomic<bool>* cancel_;

  std::int64_t now_ns_ = 0;
  std::int64_t end_ns_ = 0;
  std::int64_t warmup_ns_ = 0;
  std::uint32_t cloud_index_ = ~0u;
  std::uint64_t next_invocation_id_ = 0;

  EventQueue events_;
  std::vector<FunctionModel> functions_;
  WorkloadSources workload_;
  std::vector<std::unordered_map<VehicleId, VehicleWatch>> watched_;  // per traffic source
  HugePageArray<NodeState> nodes_;
  std::vector<NodeExtras> node_extras_;          // beside nodes_, by node
  HugePageVector<InvocationState> invocations_;  // slab; free slots chained
  std::vector<InvocationExtras> invocation_extras_;  // beside invocations_, when kept
  bool keeps_invocation_extras_ = false;
  std::uint32_t free_invocation_ = ~0u;
  std::vector<ProbeRound> rounds_;  // slab; free slots chained
  std::uint32_t free_round_ = ~0u;

  std::uint32_t bound_node_ = 0;
  std::span<const ProbeAnswer> bound_answers_;
  struct SampleMark {
    std::uint64_t processed = 0;
    std::size_t pending = 0;
    std::int64_t time_ns = 0;
    std::chrono::steady_clock::time_point wall;
  };
  void mark_sample(std::uint64_t processed);
  void end_sample(std::uint64_t processed, bool finished);
  std::optional<SampleLimits> limits_;
  SampleMark sample_mark_;
  SampleReport sample_report_;
  std::atomic<std::int64_t>* reached_ns_ = nullptr;
  bool look_ahead_ = false;
  bool policies_in_rooms_ = true;  // every node's policy is in its record: no pointer to follow
  bool completions_heard_ = true;  // the policy has an on_complete (PolicyMaker::hears_completions)
  std::uint64_t windows_looked_at_ = 0;  // the queue's windows_loaded() at the last look-ahead
  // By event kind: the array whose record its `a` names (stream, invocation or probe
  // round; a member that is cached anyway for kinds naming none) ...
  std::array<RecordArray, 32> record_of_kind_{};
  // ... and, bit by kind, whether it calls the node's policy (which starts the
  // node's second line).
  std::uint32_t policy_kinds_ = 0;
  std::vector<Event> upcoming_;          // the next bucket's events then
  std::size_t look_ahead_step_ = 0;      // events processed since
  bool bound_probed_ = false;

  MetricsCollector metrics_;
  std::vector<InvocationRecord> trace_;
};

}  // namespace fogsched::sim
