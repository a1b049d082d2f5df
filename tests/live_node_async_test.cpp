// The scheduler node's async route and namespaced names, in process against fake
// gateways: an /async-function/ call is decided like a sync one and queued on the
// chosen camera's gateway, which answers 202; `name.namespace` travels whole.
#include <future>

#include <gtest/gtest.h>

#include "live_fixtures.h"
#include "live_wire.h"

namespace fogsched::live {
namespace {

using namespace std::chrono_literals;
using namespace fogsched::live::testing;

TEST(SchedulerNodeAsync, QueuesOnItsGatewayWithTheCallersHeaders) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"plates"});
  Request request = call(http::verb::post, "/async-function/plates.openfaas-fn/sub?x=1", "frame");
  request.set(header_name(kCallbackUrlHeader), "http://127.0.0.1:9/done");
  request.set("X-Call-Id", "call-7");
  const Response accepted = cluster.send(0, request);
  EXPECT_EQ(accepted.result(), http::status::accepted);
  EXPECT_EQ(header(accepted, "X-Call-Id"), "call-7");
  EXPECT_EQ(header(accepted, wire::kDecisionHeader), "run_local");
  EXPECT_EQ(header(accepted, wire::kNodeHeader), "n0");

  const std::vector<Request> queued = cluster.gateways[0]->async_calls();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].method(), http::verb::post);
  EXPECT_EQ(std::string(queued[0].target()), "/async-function/plates.openfaas-fn/sub?x=1");
  EXPECT_EQ(std::string(queued[0][header_name(kCallbackUrlHeader)]), "http://127.0.0.1:9/done");
  EXPECT_EQ(std::string(queued[0]["X-Call-Id"]), "call-7");
  EXPECT_EQ(queued[0].body(), "frame");
  EXPECT_EQ(cluster.gateways[0]->calls(), 0) << "nothing ran synchronously";
}

TEST(SchedulerNodeAsync, TakesPostOnlyAsTheGatewayDoes) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {"plates"});
  EXPECT_EQ(cluster.send(0, call(http::verb::get, "/async-function/plates")).result(),
            http::status::method_not_allowed);
  EXPECT_EQ(cluster.send(0, call(http::verb::post, "/async-function/bad$name")).result(), http::status::bad_request);
  EXPECT_TRUE(cluster.gateways[0]->async_calls().empty());
}

TEST(SchedulerNodeAsync, IsScheduledLikeASyncCallAndQueuedOnThePeerChosen) {
  Loop loop;
  Cluster cluster(loop, 2, policy("power_of_d", {{"d", "1"}, {"threshold", "1"}}), 1, {"plates"});
  // n0's one slot is busy with a sync call, so the async call goes to idle n1.
  cluster.gateways[0]->hold(true);
  auto holding = cluster.gateways[0]->when_holding(1);
  auto busy = cluster.send_async(0, call(http::verb::post, "/function/plates", "busy"));
  ASSERT_EQ(holding.wait_for(10s), std::future_status::ready);

  Request request = call(http::verb::post, "/async-function/plates/x", "frame");
  request.set(header_name(kCallbackUrlHeader), "http://127.0.0.1:9/done");
  const Response accepted = cluster.send(0, request);
  EXPECT_EQ(accepted.result(), http::status::accepted);
  EXPECT_EQ(header(accepted, wire::kDecisionHeader), "forward");
  EXPECT_EQ(header(accepted, wire::kNodeHeader), "n1");
  EXPECT_TRUE(cluster.gateways[0]->async_calls().empty());
  const std::vector<Request> queued = cluster.gateways[1]->async_calls();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(std::string(queued[0].target()), "/async-function/plates/x");
  EXPECT_EQ(std::string(queued[0][header_name(kCallbackUrlHeader)]), "http://127.0.0.1:9/done");
  EXPECT_EQ(std::string(queued[0][header_name(wire::kTokenHeader)]), "") << "the peer token stays between nodes";

  cluster.gateways[0]->release();
  ASSERT_EQ(busy.wait_for(10s), std::future_status::ready);
}

TEST(SchedulerNodeAsync, NamespacedSyncCallsKeepTheirFullName) {
  Loop loop;
  Cluster cluster(loop, 1, policy("local"), 4, {});
  cluster.gateways[0]->deploy("plates", {}, "night-shift");
  const Response response = cluster.send(0, call(http::verb::post, "/function/plates.night-shift/sub?x=1", "y"));
  EXPECT_EQ(response.result(), http::status::created);
  EXPECT_EQ(header(response, "X-Seen-Target"), "/function/plates.night-shift/sub?x=1");
}

}  // namespace
}  // namespace fogsched::live
