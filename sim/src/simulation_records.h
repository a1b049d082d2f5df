#pragma once
// The state of one replication: the kinds of the simulator's events and the records
// it keeps per function, invocation, probe round and node.
#include <array>
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

struct Simulation::InvocationState {
  Invocation inv;
  double work_s = 0;  // service demand on a node of speed 1
  Time start{};
  std::uint32_t node = 0;      // where it is now (and, once started, where it runs)
  std::uint32_t next = kNone;  // next in the node's queue, or in the free list
  std::uint32_t probes = 0;
  std::uint32_t trace_index = kNone;  // its row in trace_, once finished
  DecisionKind decision = DecisionKind::run_local;
  Phase phase = Phase::done;
  bool measured = false;       // arrived after the warm-up
  bool live = false;           // slot in use
  bool finished = false;       // its outcome is recorded
  bool alert_pending = false;  // its blacklist alert has not reached the uplink yet
  bool has_vehicle = false;
  VehicleSighting vehicle;
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

// What events at a node touch: its slots and queue, busy time, policy and the
// policy's random stream, in two cache lines (the first holds what nearly every
// event reads). With 10^5 nodes the records outgrow the caches and the TLB's
// reach, so what only gossip, timers, failures and the alert uplink touch is kept
// apart (NodeExtras) to keep these dense.
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
  std::unique_ptr<Policy> policy;  // none on the cloud
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
