// The conformance suite's driver path: what a runtime does with a policy's decision
// once it is taken. Each case runs in the simulator (a hand-written trace on two
// cameras) and in live mode (scheduler nodes in process against fake gateways), and
// both must end the call under test the same way, counted by the same event:
// - a forward to a dead peer falls back to the origin and is counted;
// - a forward or probe at the hop limit runs where it is and is counted;
// - a probe the peer never answers leaves the policy to decide without it, counted;
// - a forward to a full peer is rejected there, one hop away.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "fogsched/core/trace_csv.h"
#include "fogsched/sim/runner.h"
#include "live_fixtures.h"
#include "sim_fixtures.h"

namespace fogsched {
namespace {

using namespace std::chrono_literals;

enum class Runtime { sim, live };

std::string runtime_name(const ::testing::TestParamInfo<Runtime>& info) {
  return info.param == Runtime::sim ? "sim" : "live";
}

// How the call under test ended, and what the runtime counted on its node(s).
struct CallEnd {
  std::uint32_t executed_on = 0;  // node index; for a rejection, the node that rejected it
  std::uint32_t hops = 0;
  std::uint32_t probes = 0;
  DecisionKind decision = DecisionKind::run_local;
  Outcome outcome = Outcome::completed;
  std::uint64_t forward_fallbacks = 0;
  std::uint64_t unanswered_probes = 0;
  std::uint64_t hop_limit_enforced = 0;
};

std::ostream& operator<<(std::ostream& out, const CallEnd& e) {
  return out << "executed on " << e.executed_on << ", hops " << e.hops << ", probes " << e.probes << ", "
             << to_string(e.decision) << ", " << to_string(e.outcome) << "; counted: forward fallbacks "
             << e.forward_fallbacks << ", unanswered probes " << e.unanswered_probes << ", hop limit enforced "
             << e.hop_limit_enforced;
}

// ---- The simulator ------------------------------------------------------------------

struct TraceCall {
  Duration at{};
  std::uint32_t camera = 0;
};

// Two cameras of `slots` slots and no queue, no network delay, a 10 s service time
// for every call (so a call holds its slot through the case), the calls `calls`, one
// replication measured from the start.
Scenario two_cameras(std::uint32_t slots, const std::vector<TraceCall>& calls) {
  Scenario s = sim::testing::loss_cluster(2, slots, 0.5, 60s);
  s.warmup = 0s;
  s.replications = 1;
  s.functions[0].service_time.dist = ServiceDist::deterministic;
  s.functions[0].service_time.mean = 10s;
  auto trace = std::make_shared<Trace>();
  trace->file = "driver-path.csv";
  trace->functions = {"f"};
  for (std::uint32_t i = 0; i < calls.size(); ++i) {
    trace->arrivals.push_back(
        TraceArrival{.at = calls[i].at, .payload_bytes = {}, .camera = calls[i].camera, .function = 0, .line = i + 2});
  }
  s.workload[0].arrivals = ArrivalSpec{};
  s.workload[0].arrivals.process = ArrivalProcess::trace;
  s.workload[0].arrivals.trace_functions = resolve_trace(*trace, s);
  s.workload[0].arrivals.trace = trace;
  return s;
}

// Camera 1 down for the whole run.
void camera_1_down(Scenario& s) {
  OutageSpec outage;
  outage.cameras = {1};
  outage.at = 0s;
  outage.length = s.duration;
  s.faults.outages.push_back(outage);
}

// Runs `policy` on `s`; the end of the call that arrived at `at`.
CallEnd simulate(const Scenario& s, const std::string& policy, Duration at) {
  const sim::ReplicationResult r = sim::simulate_replication(s, sim::testing::builtin(policy),
                                                             sim::replication_seed(s.seed, 0), /*keep_trace=*/true);
  CallEnd end;
  end.forward_fallbacks = r.metrics.forward_timeouts;
  end.unanswered_probes = r.metrics.probe_timeouts;
  end.hop_limit_enforced = r.metrics.hop_limit_enforced;
  int found = 0;
  for (const InvocationRecord& record : r.trace) {
    if (record.arrival != Time{at}) continue;
    ++found;
    end.executed_on = record.executed_on;
    end.hops = record.hops;
    end.probes = record.probes;
    end.decision = record.decision;
    end.outcome = record.outcome;
  }
  EXPECT_EQ(found, 1) << "one call arrives at " << at.count() << " ns";
  return end;
}

// ---- Live mode ----------------------------------------------------------------------

using live::testing::Cluster;
using live::testing::Loop;
namespace http = live::http;

// Sends the call under test to node `node` and reads how it ended from the answer
// and the node's metrics.
CallEnd send_live(Cluster& cluster, std::size_t node) {
  const live::Response response = cluster.send(node, live::testing::call(http::verb::post, "/function/f", "x"));
  const std::string executed_on = live::testing::header(response, live::wire::kNodeHeader);
  const std::string decision = live::testing::header(response, live::wire::kDecisionHeader);
  CallEnd end{
      .executed_on = static_cast<std::uint32_t>(std::stoul(executed_on.substr(1))),  // "n1" -> 1
      .hops = static_cast<std::uint32_t>(std::stoul(live::testing::header(response, live::wire::kHopsHeader))),
      .probes = static_cast<std::uint32_t>(std::stoul(live::testing::header(response, live::wire::kProbesHeader))),
      .decision = decision == "forward"  ? DecisionKind::forward
                  : decision == "reject" ? DecisionKind::reject
                                         : DecisionKind::run_local,
      .outcome = response.result() == http::status::too_many_requests ? Outcome::rejected : Outcome::completed,
      .forward_fallbacks =
          static_cast<std::uint64_t>(live::testing::metric(cluster, node, "fogsched_forward_failures_total")),
      .unanswered_probes =
          static_cast<std::uint64_t>(live::testing::metric(cluster, node, "fogsched_probe_failures_total")),
      .hop_limit_enforced =
          static_cast<std::uint64_t>(live::testing::metric(cluster, node, "fogsched_hop_limit_enforced_total"))};
  EXPECT_TRUE(executed_on.starts_with("n")) << executed_on;
  return end;
}

// Sends a call to `node` whose gateway holds it, so it keeps its slot; returns once
// the gateway holds it.
std::future<live::ClientResult> occupy_a_slot(Cluster& cluster, std::size_t node) {
  cluster.gateways[node]->hold(true);
  auto holding = cluster.gateways[node]->when_holding(1);
  auto call = cluster.send_async(node, live::testing::call(http::verb::post, "/function/f", "busy"));
  EXPECT_EQ(holding.wait_for(10s), std::future_status::ready);
  return call;
}

// ---- The cases ----------------------------------------------------------------------

class DriverPath : public ::testing::TestWithParam<Runtime> {};

// `random` forwards every client call; its only peer is dead.
TEST_P(DriverPath, AForwardToADeadPeerFallsBackToTheOriginAndIsCounted) {
  CallEnd end;
  if (GetParam() == Runtime::sim) {
    Scenario s = two_cameras(4, {{1s, 0}});
    camera_1_down(s);
    end = simulate(s, "random", 1s);
  } else {
    Loop loop;
    Cluster cluster(loop, 1, live::testing::policy("random"), 4, {"f"}, [](live::NodeConfig& config) {
      config.static_peers = {live::Url{"127.0.0.1", live::testing::free_port(), ""}};  // nobody listens there
    });
    end = send_live(cluster, 0);
  }
  EXPECT_EQ(end.executed_on, 0u) << end;
  EXPECT_EQ(end.hops, 0u) << end;
  // The forward never happened: the call is recorded as run here.
  EXPECT_EQ(end.decision, DecisionKind::run_local) << end;
  EXPECT_EQ(end.outcome, Outcome::completed) << end;
  EXPECT_EQ(end.forward_fallbacks, 1u) << end;
}

// With a hop limit of 0, `random`'s forward of a client call is overridden.
TEST_P(DriverPath, AForwardAtTheHopLimitRunsWhereItIsAndIsCounted) {
  CallEnd end;
  if (GetParam() == Runtime::sim) {
    Scenario s = two_cameras(4, {{1s, 0}});
    s.hop_limit = 0;
    end = simulate(s, "random", 1s);
  } else {
    Loop loop;
    Cluster cluster(loop, 2, live::testing::policy("random"), 4, {"f"},
                    [](live::NodeConfig& config) { config.hop_limit = 0; });
    end = send_live(cluster, 0);
  }
  EXPECT_EQ(end.executed_on, 0u) << end;
  EXPECT_EQ(end.hops, 0u) << end;
  EXPECT_EQ(end.probes, 0u) << end;
  EXPECT_EQ(end.decision, DecisionKind::run_local) << end;
  EXPECT_EQ(end.outcome, Outcome::completed) << end;
  EXPECT_EQ(end.hop_limit_enforced, 1u) << end;
}

// power_of_d(d=1, threshold=1) on a node whose one slot is busy probes its only peer,
// which never answers; without an answer it rejects the call (the node is full).
TEST_P(DriverPath, AProbeThePeerNeverAnswersLeavesThePolicyToDecideWithoutItAndIsCounted) {
  const std::string spec = "power_of_d(d=1,threshold=1)";
  CallEnd end;
  if (GetParam() == Runtime::sim) {
    Scenario s = two_cameras(1, {{1s, 0}, {2s, 0}});
    camera_1_down(s);
    end = simulate(s, spec, 2s);
  } else {
    Loop loop;
    live::testing::FakeGateway silent_peer(loop);  // holds every request, /peer/load included
    silent_peer.hold(true);
    Cluster cluster(loop, 1, live::testing::policy("power_of_d", {{"d", "1"}, {"threshold", "1"}}), 1, {"f"},
                    [&](live::NodeConfig& config) {
                      config.static_peers = {silent_peer.url()};
                      config.probe_timeout = 200ms;
                    });
    auto busy = occupy_a_slot(cluster, 0);
    end = send_live(cluster, 0);
    cluster.gateways[0]->release();
    EXPECT_EQ(busy.wait_for(10s), std::future_status::ready);
  }
  EXPECT_EQ(end.executed_on, 0u) << end;
  EXPECT_EQ(end.probes, 1u) << end;
  EXPECT_EQ(end.decision, DecisionKind::reject) << end;
  EXPECT_EQ(end.outcome, Outcome::rejected) << end;
  EXPECT_EQ(end.unanswered_probes, 1u) << end;
}

// threshold_random(threshold=1) runs a call here on an idle node and forwards it
// otherwise; both nodes have one slot, both busy: the forward is rejected at the peer.
TEST_P(DriverPath, AForwardToAFullPeerIsRejectedThereOneHopAway) {
  const std::string spec = "threshold_random(threshold=1)";
  CallEnd end;
  if (GetParam() == Runtime::sim) {
    const Scenario s = two_cameras(1, {{1s, 1}, {2s, 0}, {3s, 0}});
    end = simulate(s, spec, 3s);
  } else {
    Loop loop;
    Cluster cluster(loop, 2, live::testing::policy("threshold_random", {{"threshold", "1"}}), 1, {"f"});
    auto busy_peer = occupy_a_slot(cluster, 1);
    auto busy_here = occupy_a_slot(cluster, 0);
    end = send_live(cluster, 0);
    cluster.gateways[0]->release();
    cluster.gateways[1]->release();
    EXPECT_EQ(busy_peer.wait_for(10s), std::future_status::ready);
    EXPECT_EQ(busy_here.wait_for(10s), std::future_status::ready);
  }
  EXPECT_EQ(end.executed_on, 1u) << end;
  EXPECT_EQ(end.hops, 1u) << end;
  EXPECT_EQ(end.decision, DecisionKind::forward) << end;
  EXPECT_EQ(end.outcome, Outcome::rejected) << end;
  EXPECT_EQ(end.forward_fallbacks, 0u) << end;
}

INSTANTIATE_TEST_SUITE_P(conformance, DriverPath, ::testing::Values(Runtime::sim, Runtime::live), runtime_name);

}  // namespace
}  // namespace fogsched
