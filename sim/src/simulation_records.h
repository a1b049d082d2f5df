#pragma once
// The state of one replication: the kinds of the simulator's events and the records
// it keeps per function, invocation, probe round and node.
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "simulation.h"

namespace fogsched::sim {

enum EventKind : std::uint32_t {
  kArrival,         // a: stream
  kForwardArrive,   // node: destination, a: invocation
  kComplete,        // node: where it ran, a: invocation
  kResponseArrive,  // node: origin, a: invocation
  kProbeArrive,     // node: first probed peer, a: round, b: packed SlotRange of the round
  kProbeReply,      // node: prober, a: round, b: packed SlotRange
  kProbeTimeout,    // node: prober, a: round
  kTimer,           // node, a: timer generation
  kGossipArrive,    // node: receiver, a: sender, b: packed load
  kTraceArrival,    // a: trace source
  kTrafficEvent,    // a: traffic source
  kNodeDown,        // node (an explicit outage starts)
  kNodeUp,          // node (an explicit outage ends)
  kFailureProcess,  // node, a: 1 = fails, 0 = repaired
  kForwardTimeout,  // node: the sender, a: invocation (its forward met a down node)
  kProbeLost,       // node: prober, a: round, b: slot (the probed peer was down)
  kAlertAtUplink,   // node: the camera whose uplink carries it, a: invocation
};

// Where an invocation is: what a node failure does to it depends on this.
enum class Phase : std::uint8_t { deciding, probing, queued, running, in_transit, responding, done };

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;  // clang before 17 deduces no aggregate's arguments

struct Simulation::FunctionModel {
  std::uint64_t response_bytes = 0;
  std::int64_t deadline_ns = -1;  // none
  bool until_leaves_view = false;
};

// What every event on an invocation touches, in one cache line: with 10^5 cameras
// hundreds of thousands are in flight, read almost at random. What only the trace
// and traffic workloads read is kept apart (InvocationExtras).
struct alignas(64) Simulation::InvocationState {
  Invocation inv;
  double work_s = 0;           // service demand on a node of speed 1
  std::uint32_t node = 0;      // where it is now (and, once started, where it runs)
  std::uint32_t next = kNone;  // next in the node's queue, or in the free list
  DecisionKind decision = DecisionKind::run_local;
  Phase phase = Phase::done;
  bool measured = false;       // arrived after the warm-up
  bool live = false;           // slot in use
  bool finished = false;       // its outcome is recorded
  bool alert_pending = false;  // its blacklist alert has not reached the uplink yet
  bool has_vehicle = false;    // its sighting is in InvocationExtras
};

// By invocation slot, beside invocations_, kept only when a trace is kept or a
// traffic workload runs (Simulation::keeps_invocation_extras_).
struct Simulation::InvocationExtras {
  Time start{};                       // kept with a trace
  std::uint32_t probes = 0;           // kept with a trace
  std::uint32_t trace_index = kNone;  // its row in trace_, once finished
  VehicleSighting vehicle;            // has_vehicle
  Time alert_delivered = Time::max();
};

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

struct Simulation::ProbeRound {
  std::uint32_t inv = kNone;  // also the free-list link while unused
  std::uint32_t node = 0;     // the prober
  PeerSet peers;
  std::array<LoadReport, kMaxProbePeers> loads{};
  std::uint32_t answered = 0;        // bit i: peers[i] answered
  std::uint32_t resolved = 0;        // peers that answered or are known to be down
  std::uint32_t pending_events = 0;  // its events still in the queue
  bool decided = false;
};

// A node's policy object: built in the room beside its pointer when its type fits
// there (most built-ins: a few parameters and a vtable pointer), else on the heap.
// In the room, a decision finds the policy in the node's record instead of a
// separate allocation, one cache miss fewer per decision and completion in a city
// larger than the caches.
class Simulation::NodePolicy {
 public:
  static constexpr std::size_t kRoomBytes = 32;

  NodePolicy() = default;
  NodePolicy(const NodePolicy&) = delete;
  NodePolicy& operator=(const NodePolicy&) = delete;
  ~NodePolicy() { reset(); }

  // Replaces the object with a new one from `maker`.
  void make(const PolicyMaker& maker) {
    reset();
    policy_ = maker(room_);
    if (policy_ == nullptr) policy_ = maker().release();
  }
  void reset() noexcept {
    if (policy_ == nullptr) return;
    if (in_room()) {
      policy_->~Policy();
    } else {
      delete policy_;
    }
    policy_ = nullptr;
  }

  Policy* get() const noexcept { return policy_; }
  Policy* operator->() const noexcept { return policy_; }
  explicit operator bool() const noexcept { return policy_ != nullptr; }
  bool in_room() const noexcept {
    const auto at = reinterpret_cast<std::uintptr_t>(policy_);
    const auto room = reinterpret_cast<std::uintptr_t>(room_.data());
    return at >= room && at < room + kRoomBytes;
  }

 private:
  Policy* policy_ = nullptr;
  alignas(8) std::array<std::byte, kRoomBytes> room_;
};

// What events at a node touch: its slots and queue, busy time, policy and the
// policy's random stream, in two cache lines (the first holds what nearly every
// event reads; the policy object, in its room, starts the second). With 10^5 nodes
// the records outgrow the caches and the TLB's reach, so what only gossip, timers,
// failures and the alert uplink touch is kept apart (NodeExtras) to keep these dense.
struct alignas(64) Simulation::NodeState {
  std::uint32_t slots = 0;
  std::uint32_t queue_capacity = 0;
  std::uint32_t running = 0;
  std::uint32_t queued = 0;
  std::uint32_t queue_head = kNone;
  std::uint32_t queue_tail = kNone;
  std::uint32_t down_count = 0;  // overlapping outages and failures holding it down
  std::uint32_t epoch = 0;       // bumped when it goes down: stale completions are ignored
  double speed = 1;
  std::int64_t busy_since_ns = 0;  // last time busy time was accounted
  std::int64_t busy_slot_ns = 0;   // within the measurement window
  NodePolicy policy;  // none on the cloud
  Rng rng;
};

struct Simulation::NodeExtras {
  explicit NodeExtras(std::size_t gossip_memory) : known_loads(gossip_memory) {}

  KnownLoads known_loads;  // the peers' gossiped loads it remembers
  std::uint32_t timer_generation = 0;
  Rng failure_rng;  // failure/repair times of the failure process
  // Uplink to the cloud (cameras): a FIFO; the time it is free again.
  std::int64_t uplink_free_ns = 0;
  std::int64_t uplink_busy_ns = 0;  // within the measurement window
  Rng uplink_rng;                   // alert losses
};

}  // namespace fogsched::sim
