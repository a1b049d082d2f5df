#pragma once
// Open-loop replay of a scenario's arrivals against live scheduler nodes
// (`fogsched load`), and the reduction of what the nodes answered to the simulator's
// result model, so a live run and a simulated one compare metric by metric.
//
// The arrivals themselves come from the caller (the command line draws them with the
// simulator's generators); nothing here depends on the simulator.
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fogsched/core/results.h"
#include "fogsched/core/time.h"
#include "fogsched/live/http.h"

namespace fogsched::live {

// Bad input for a load run (a node that does not answer /status, nodes disagreeing
// on the policy, an empty plan, ...). The message names what is wrong.
class LoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoadFunction {
  std::string name;                  // the OpenFaaS function name
  std::uint64_t payload_bytes = 0;   // the scenario's request body size
  std::optional<Duration> deadline;  // answering later is `deadline_missed`
};

// One invocation to send: at `at` on the scenario's clock (0 = the start of the run).
struct PlannedRequest {
  std::uint64_t id = 0;  // the simulator's invocation id
  Duration at{};
  std::uint32_t camera = 0;    // the origin; sent to node camera mod n
  std::uint32_t function = 0;  // index into LoadPlan::functions
  // The service demand the simulator drew for it (seconds on a node of speed 1);
  // negative when unknown.
  double work_s = -1;
};

struct LoadPlan {
  std::string scenario;
  std::uint64_t seed = 0;
  std::uint32_t cameras = 0;
  Duration duration{};  // arrivals are in [0, duration)
  Duration warmup{};    // arrivals before this are sent but not measured
  std::vector<LoadFunction> functions;
  std::vector<PlannedRequest> requests;  // sorted by (at, id)
};

struct LoadOptions {
  std::vector<Url> nodes;
  double speedup = 1.0;  // scenario seconds per real second
  std::size_t max_outstanding = 1024;
  std::uint64_t max_payload_bytes = std::uint64_t{1024} * 1024;  // caps the bytes actually sent
  SteadyDuration timeout = std::chrono::seconds(30);             // per request, real time
  SteadyDuration hard_stop = std::chrono::seconds(60);           // after the last planned send
  SteadyDuration status_timeout = std::chrono::seconds(5);
  std::uint32_t threads = 2;
  std::uint32_t batches = 10;  // batch means over the measurement window
  // Name each call's service demand (divided by the speedup) in the header synthetic
  // functions honour (X-Synthetic-Service-Seconds), so that the live run and its
  // simulation share service demands as well as arrivals. Real functions ignore it.
  bool send_service_times = true;
  // Slots of each node, for utilisation; missing entries count as 1.
  std::vector<std::uint32_t> slots_per_node;
};

// A node as its GET /status describes it.
struct NodeIdentity {
  Url url;
  std::string name;
  std::string policy;  // canonical spec
};

// Asks every node for /status, concurrently. Throws LoadError naming the first node
// that does not answer 200 with `node` and `policy`, or two nodes with one name.
std::vector<NodeIdentity> discover_nodes(const std::vector<Url>& nodes, SteadyDuration timeout);

// The one policy all nodes run; throws LoadError listing them when they differ.
std::string common_policy(const std::vector<NodeIdentity>& nodes);

// One planned request as replayed and answered. Times are on the scenario's clock:
// real time since the start, multiplied by the speedup.
struct ReplayedInvocation {
  // origin = camera; executed_on = the camera of the node that answered (with as many
  // nodes as cameras, node i is camera i; with fewer nodes, the origin itself when
  // its own node ran it, else the index of the node that ran it).
  InvocationRecord record;
  std::uint32_t node = 0;    // index of the node that answered (or was asked)
  bool in_cloud = false;     // the cloud gateway ran it (record.executed_on: the cloud's id)
  Duration busy{};           // execution time the gateway reported (X-Duration-Seconds)
  bool sent = false;         // false: over --max-outstanding, recorded as failed
  bool abandoned = false;    // still outstanding at the hard stop, recorded as failed
  bool timed_out = false;    // no answer within the request timeout
  int status = 0;            // HTTP status; 0 without an answer
  Duration send_lateness{};  // real time the send went out after its due time
};

struct ReplayStats {
  std::uint64_t planned = 0;
  std::uint64_t sent = 0;
  std::uint64_t not_sent = 0;  // over max_outstanding
  std::uint64_t timed_out = 0;
  std::uint64_t abandoned = 0;  // outstanding at the hard stop
  std::uint64_t peak_outstanding = 0;
  double lateness_mean_s = 0;  // of sent requests, real seconds
  double lateness_p50_s = 0;
  double lateness_p99_s = 0;
  double lateness_max_s = 0;
  double elapsed_s = 0;  // real time from the first due send to the last answer
};

struct Replay {
  std::vector<ReplayedInvocation> invocations;  // in the order of the plan
  ReplayStats stats;
};

// Sends every planned request on schedule and records its answer. `nodes` as
// discover_nodes() returned them (their names identify X-Fogsched-Node).
Replay replay(const LoadPlan& plan, const std::vector<NodeIdentity>& nodes, const LoadOptions& options);

// Turns one answer into a record (exposed for tests): the outcome from the status
// and the deadline, hops, probes and decision from the X-Fogsched-* headers, the
// start from X-Duration-Seconds. `answered_at` is on the scenario's clock.
ReplayedInvocation record_answer(const LoadPlan& plan, const std::vector<NodeIdentity>& nodes,
                                 const PlannedRequest& planned, const Response& answer, Time answered_at,
                                 double speedup);

// The measured invocations (arrival >= warm-up) as one replication cut into
// `batches` equal time batches of the measurement window, each summarised like a
// replication (by arrival; busy time clipped to the batch) and combined into one
// result whose intervals are batch means.
PolicyResult summarize_batches(const LoadPlan& plan, const std::vector<ReplayedInvocation>& invocations,
                               std::string policy, const std::vector<std::uint32_t>& slots_per_node,
                               std::size_t node_count, std::uint32_t batches);

// The measured records in order of ending, as the simulator's trace holds them.
std::vector<InvocationRecord> measured_trace(const LoadPlan& plan, const std::vector<ReplayedInvocation>& invocations);

}  // namespace fogsched::live
