// `fogsched load`'s reading of answers and its batch means, on hand-built answers
// (the replay itself runs against real processes in tests/live/test_load.py).
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fogsched/live/load.h"
#include "live_wire.h"

namespace fogsched::live {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

LoadPlan plan_of(std::uint32_t cameras) {
  LoadPlan plan;
  plan.scenario = "s";
  plan.cameras = cameras;
  plan.duration = seconds(100);
  plan.warmup = seconds(20);
  plan.functions = {{.name = "plate", .payload_bytes = 10, .deadline = seconds(3)}};
  return plan;
}

std::vector<NodeIdentity> nodes_named(std::initializer_list<const char*> names) {
  std::vector<NodeIdentity> nodes;
  std::uint16_t port = 18080;
  for (const char* name : names)
    nodes.push_back({.url = {.host = "127.0.0.1", .port = port++, .prefix = {}}, .name = name, .policy = "local"});
  return nodes;
}

Response answer(http::status status, const char* node, const char* decision, const char* hops, const char* probes,
                const char* duration_s) {
  Response r{status, 11};
  if (node) r.set(header_name(wire::kNodeHeader), node);
  if (decision) r.set(header_name(wire::kDecisionHeader), decision);
  if (hops) r.set(header_name(wire::kHopsHeader), hops);
  if (probes) r.set(header_name(wire::kProbesHeader), probes);
  if (duration_s) r.set("X-Duration-Seconds", duration_s);
  return r;
}

const PlannedRequest kAtThirty{.id = 7, .at = seconds(30), .camera = 1, .function = 0};

TEST(RecordAnswer, ReadsTheNodesHeadersIntoTheSimulatorsRecord) {
  const LoadPlan plan = plan_of(3);
  const auto nodes = nodes_named({"n0", "n1", "n2"});
  const ReplayedInvocation r = record_answer(
      plan, nodes, kAtThirty, answer(http::status::ok, "n2", "forward", "1", "2", "0.05"), time_at(seconds(31)), 20.0);
  EXPECT_EQ(r.record.id, 7u);
  EXPECT_EQ(r.record.origin, 1u);
  EXPECT_EQ(r.record.executed_on, 2u);
  EXPECT_EQ(r.node, 2u);
  EXPECT_EQ(r.record.hops, 1u);
  EXPECT_EQ(r.record.probes, 2u);
  EXPECT_EQ(r.record.decision, DecisionKind::forward);
  EXPECT_EQ(r.record.outcome, Outcome::completed);
  EXPECT_EQ(r.record.arrival, time_at(seconds(30)));
  EXPECT_EQ(r.record.end, time_at(seconds(31)));
  // 50 ms of real execution at speedup 20 is one scenario second.
  EXPECT_EQ(r.busy, seconds(1));
  EXPECT_EQ(r.record.start, time_at(seconds(30)));
  EXPECT_EQ(r.status, 200);
}

TEST(RecordAnswer, OutcomesFromStatusAndDeadline) {
  const LoadPlan plan = plan_of(3);
  const auto nodes = nodes_named({"n0", "n1", "n2"});
  const auto outcome = [&](http::status status, Duration response) {
    return record_answer(plan, nodes, kAtThirty, answer(status, "n1", nullptr, nullptr, nullptr, nullptr),
                         time_at(seconds(30) + response), 1.0)
        .record;
  };
  EXPECT_EQ(outcome(http::status::ok, seconds(3)).outcome, Outcome::completed);
  EXPECT_EQ(outcome(http::status::ok, seconds(3) + milliseconds(1)).outcome, Outcome::deadline_missed);
  const InvocationRecord rejected = outcome(http::status::too_many_requests, milliseconds(1));
  EXPECT_EQ(rejected.outcome, Outcome::rejected);
  EXPECT_EQ(rejected.decision, DecisionKind::reject);
  EXPECT_EQ(rejected.start, rejected.end);
  EXPECT_EQ(outcome(http::status::bad_gateway, milliseconds(1)).outcome, Outcome::failed);
  EXPECT_EQ(outcome(http::status::gateway_timeout, seconds(1)).outcome, Outcome::failed);
  // Without X-Duration-Seconds the start is the arrival.
  EXPECT_EQ(outcome(http::status::ok, seconds(1)).start, time_at(seconds(30)));
}

TEST(RecordAnswer, FewerNodesThanCamerasKeepTheOriginForItsOwnNode) {
  const LoadPlan plan = plan_of(4);
  const auto nodes = nodes_named({"n0", "n1"});
  const PlannedRequest camera3{.id = 1, .at = seconds(30), .camera = 3, .function = 0};
  const auto ran_on = [&](const char* node) {
    return record_answer(plan, nodes, camera3, answer(http::status::ok, node, nullptr, nullptr, nullptr, nullptr),
                         time_at(seconds(31)), 1.0);
  };
  EXPECT_EQ(ran_on("n1").record.executed_on, 3u);  // camera 3's own node
  EXPECT_EQ(ran_on("n1").node, 1u);
  EXPECT_EQ(ran_on("n0").record.executed_on, 0u);
  // A name no node has: the node asked.
  EXPECT_EQ(ran_on("elsewhere").node, 1u);
}

TEST(RecordAnswer, TheCloudsAnswerIsAForwardToTheCloudAsTheSimulatorNumbersIt) {
  const LoadPlan plan = plan_of(3);
  const auto nodes = nodes_named({"n0", "n1", "n2"});
  const ReplayedInvocation r =
      record_answer(plan, nodes, kAtThirty,
                    answer(http::status::ok, std::string(wire::kCloudNodeName).c_str(), "forward", "1", "0", "0.05"),
                    time_at(seconds(31)), 20.0);
  EXPECT_TRUE(r.in_cloud);
  EXPECT_EQ(r.record.executed_on, 3u) << "the cloud is node N after cameras 0..N-1";
  EXPECT_NE(r.record.executed_on, r.record.origin) << "a forward, as the simulator counts it";
  EXPECT_EQ(r.node, 1u) << "answered through the origin's node";

  // The cloud's execution time is no camera's: the utilization is the cameras'.
  const PolicyResult result = summarize_batches(plan, {r}, "cloud_offload", {1, 1, 1}, 3, 1);
  EXPECT_DOUBLE_EQ(result.utilization.mean, 0.0);
  EXPECT_DOUBLE_EQ(result.forwarded_fraction.mean, 1.0);
}

TEST(SummarizeBatches, CountsMeasuredArrivalsPerBatchAndCombinesThem) {
  const LoadPlan plan = plan_of(2);
  const auto nodes = nodes_named({"n0", "n1"});
  std::vector<ReplayedInvocation> invocations;
  // One call every second from 0 s to 99 s, alternating cameras; every fourth rejected.
  for (std::uint32_t i = 0; i < 100; ++i) {
    const PlannedRequest planned{.id = i, .at = seconds(i), .camera = i % 2, .function = 0};
    const bool rejected = i % 4 == 0;
    invocations.push_back(record_answer(plan, nodes, planned,
                                        answer(rejected ? http::status::too_many_requests : http::status::ok,
                                               i % 2 ? "n1" : "n0", nullptr, "0", "0", rejected ? nullptr : "0.5"),
                                        time_at(seconds(i) + milliseconds(500)), 1.0));
  }
  const PolicyResult result = summarize_batches(plan, invocations, "local", {1, 1}, 2, 4);
  EXPECT_EQ(result.policy, "local");
  EXPECT_EQ(result.replications, 4u);
  EXPECT_EQ(result.invocations, 80u);  // arrivals 20 s .. 99 s
  EXPECT_DOUBLE_EQ(result.rejection_probability.mean, 0.25);
  EXPECT_NEAR(result.rejection_probability.ci95, 0.0, 1e-12);  // each 20 s batch has 5 of 20
  EXPECT_DOUBLE_EQ(result.forwarded_fraction.mean, 0.0);
  EXPECT_NEAR(result.response_p50_s.mean, 0.5, 0.005);
  // Each node: 7.5 of every 20 s busy with one slot (half-second calls, 3 of 4 run).
  EXPECT_NEAR(result.utilization.mean, 0.5 * 15 / 2 / 20, 1e-9);
  EXPECT_THROW(summarize_batches(plan, invocations, "local", {1, 1}, 2, 0), LoadError);

  const std::vector<InvocationRecord> trace = measured_trace(plan, invocations);
  ASSERT_EQ(trace.size(), 80u);
  EXPECT_EQ(trace.front().id, 20u);
  EXPECT_EQ(trace.back().id, 99u);
}

TEST(CommonPolicy, NodesMustAgree) {
  auto nodes = nodes_named({"n0", "n1"});
  EXPECT_EQ(common_policy(nodes), "local");
  nodes[1].policy = "power_of_d(d=2,threshold=3)";
  try {
    common_policy(nodes);
    FAIL() << "different policies were accepted";
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("power_of_d(d=2,threshold=3)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fogsched::live
