#pragma once
// The result model shared by the simulator and live mode: per-invocation records,
// per-replication metrics, summaries with confidence intervals, and their JSON, CSV
// and table forms.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "fogsched/core/decision.h"
#include "fogsched/core/invocation.h"
#include "fogsched/core/stats.h"
#include "fogsched/core/time.h"

namespace fogsched {

// One invocation as it ended (a row of the trace).
struct InvocationRecord {
  std::uint64_t id = 0;
  std::uint32_t function = 0;
  std::uint32_t origin = 0;
  std::uint32_t executed_on = 0;  // for a rejection: the node that rejected it
  std::uint32_t hops = 0;
  std::uint32_t probes = 0;                         // probe messages sent while deciding it
  DecisionKind decision = DecisionKind::run_local;  // the origin's final decision
  Outcome outcome = Outcome::completed;
  Time arrival{};
  Time start{};  // execution start; equals end for rejections
  Time end{};    // answer back at the origin (or rejection time)
  // Traffic workloads: the vehicle recognised (-1 otherwise), and for a blacklisted
  // one, when its alert reached the cloud (Time::max() when none was delivered).
  std::int64_t vehicle = -1;
  bool blacklisted = false;
  Time alert_delivered = Time::max();
  // The service demand drawn at arrival (seconds on a node of speed 1); `fogsched
  // load` hands it to synthetic functions so live runs share it with the simulation.
  double work_s = 0;
};

// Raw measurements of one replication, accumulated as invocations end.
// Only invocations that arrived after the warm-up are counted.
class MetricsCollector {
 public:
  explicit MetricsCollector(std::uint32_t node_count = 0);

  // Counts an ended invocation from its outcome, origin, executed_on, arrival and
  // end only: the simulator fills the rest of a record only when it keeps a trace.
  void record(const InvocationRecord& r);
  void add_probe_messages(std::uint64_t n) { probe_messages += n; }
  // Slot-time a node spent executing, within the measurement window.
  void add_busy_time(std::uint32_t node, Duration busy);

  std::uint64_t client_invocations = 0;  // arrivals from clients (hops == 0 at arrival)
  std::uint64_t completed = 0;
  std::uint64_t rejected = 0;
  std::uint64_t deadline_missed = 0;
  std::uint64_t failed = 0;
  std::uint64_t in_flight_at_end = 0;  // arrived but not ended when the run stopped
  std::uint64_t forwarded = 0;         // executed (or rejected) away from the origin
  std::uint64_t probe_messages = 0;
  std::uint64_t gossip_messages = 0;
  std::uint64_t hop_limit_enforced = 0;  // forwards/probes at the hop limit, overridden
  double response_time_sum_s = 0;        // over completed + deadline_missed
  QuantileHistogram response_time_s;
  std::vector<double> busy_slot_seconds;  // per node

  // Faults (counted among `failed` where they end an invocation).
  std::uint64_t arrivals_at_down_nodes = 0;  // client calls to a camera that was down
  std::uint64_t forward_timeouts = 0;        // forwards to a down node, fallen back
  std::uint64_t probe_timeouts = 0;          // probes to a down node, never answered

  // Blacklist alerts (traffic workloads).
  void record_alert_delivered(Duration latency);  // vehicle in view -> alert at the cloud
  void add_uplink_busy_time(std::uint32_t camera, Duration busy);
  std::uint64_t alerts_sent = 0;
  std::uint64_t alerts_delivered = 0;
  std::uint64_t alerts_lost = 0;  // dropped by the uplink's loss probability
  QuantileHistogram alert_latency_s;
  double alert_latency_sum_s = 0;
  std::uint64_t blacklisted_vehicles = 0;   // blacklisted vehicles that left the city
  std::uint64_t blacklisted_missed = 0;     // ... never recognised before leaving every view
  std::vector<double> uplink_busy_seconds;  // per camera
};

// One replication's metrics, reduced to the numbers summaries need.
struct ReplicationSummary {
  std::uint64_t invocations = 0;
  double rejection_probability = 0;
  double forwarded_fraction = 0;
  double probes_per_invocation = 0;
  double deadline_miss_rate = 0;
  double response_mean_s = 0;
  double response_p50_s = 0;
  double response_p95_s = 0;
  double response_p99_s = 0;
  double utilization = 0;              // mean over nodes of busy slot-time / (slots * window)
  double jain_fairness = 0;            // of the per-node utilisations
  double failed_fraction = 0;          // failed / client invocations
  double timeouts_per_invocation = 0;  // (forward + probe timeouts) / client invocations
  double alerts_delivered = 0;         // count in the measurement window
  double alert_latency_mean_s = 0;
  double alert_latency_p50_s = 0;
  double alert_latency_p95_s = 0;
  double alert_latency_p99_s = 0;
  double blacklisted_missed_fraction = 0;  // missed / blacklisted vehicles
  double uplink_utilization = 0;           // mean over cameras of uplink busy time / window
};

// `slots` per node and the measurement window (duration - warm-up) turn busy time
// into utilisation.
ReplicationSummary summarize_replication(const MetricsCollector& m, const std::vector<std::uint32_t>& slots_per_node,
                                         Duration window);

struct PolicyResult {
  std::string policy;  // canonical spec, e.g. "power_of_d(d=2,threshold=3)"
  std::uint32_t replications = 0;
  std::uint64_t invocations = 0;  // client invocations over all replications
  Estimate rejection_probability;
  Estimate forwarded_fraction;
  Estimate probes_per_invocation;
  Estimate deadline_miss_rate;
  Estimate response_mean_s;
  Estimate response_p50_s;
  Estimate response_p95_s;
  Estimate response_p99_s;
  Estimate utilization;
  Estimate jain_fairness;
  Estimate failed_fraction;
  Estimate timeouts_per_invocation;
  Estimate alerts_delivered;
  Estimate alert_latency_mean_s;
  Estimate alert_latency_p50_s;
  Estimate alert_latency_p95_s;
  Estimate alert_latency_p99_s;
  Estimate blacklisted_missed_fraction;
  Estimate uplink_utilization;
};

PolicyResult summarize_policy(std::string policy, const std::vector<ReplicationSummary>& reps);

struct RunReport {
  std::string scenario;
  std::uint64_t seed = 0;
  std::vector<PolicyResult> results;
};

// The JSON document of `fogsched run --json` (schema in docs/results.md); NaN is null.
std::string to_json(const RunReport& report, int indent = 2);
RunReport run_report_from_json(const std::string& text);
struct MetricColumn;  // result_text.h

// What the comparison table shows.
struct TableOptions {
  std::vector<std::string> metrics;  // these columns in this order (result_text.h names); empty: chosen
  bool wide = false;                 // every column that applies, whatever the width
  std::size_t width = 120;           // otherwise the columns that fit, most telling first
};
// An aligned, human-readable comparison table, one row per policy, each value rounded
// to the digits its interval supports and the best per metric marked (result_text.h).
// Names the columns it left out. Throws std::invalid_argument for an unknown metric.
std::string format_table(const RunReport& report, const TableOptions& options = {});
// The columns called `names`; throws std::invalid_argument naming an unknown one.
std::vector<const MetricColumn*> metrics_named(const std::vector<std::string>& names);

// Trace CSV: a header line, then one row per record.
void write_trace_header(std::ostream& out);
void write_trace_rows(std::ostream& out, const std::string& policy, std::uint32_t replication,
                      const std::vector<InvocationRecord>& records);

}  // namespace fogsched
