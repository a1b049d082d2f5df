// The cloud tier of a node, in process against fake gateways: cloud_offload sends the
// overflow to the cloud gateway (cloud.url), a full cloud's refusal is the answer, an
// unreachable cloud is not offered to the policy, and with cloud.secrets a function
// the cloud does not list stays on the cameras.
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "live_fixtures.h"
#include "live_wire.h"

namespace fogsched::live {
namespace {

using namespace std::chrono_literals;
using namespace fogsched::live::testing;

// One camera with one slot for `f` and cloud_offload(threshold=1) in front of `cloud`.
struct CameraAndCloud {
  explicit CameraAndCloud(Loop& loop, bool cloud_secrets = false, std::vector<std::string> cloud_has = {"f"})
      : cloud(loop) {
    for (const std::string& function : cloud_has) cloud.deploy(function);
    camera = std::make_unique<Cluster>(loop, 1, policy("cloud_offload", {{"threshold", "1"}}), 1,
                                       std::vector<std::string>{"f"}, [&](NodeConfig& config) {
                                         config.cloud = cloud.url();
                                         if (cloud_secrets) config.cloud_secrets_dir = config.secrets_dir;
                                         config.gateway_health_interval = 50ms;
                                         config.functions_refresh = 100ms;
                                       });
  }
  // Holds the camera's one slot with a call until release().
  std::future<ClientResult> occupy() {
    camera->gateways[0]->hold(true);
    auto holding = camera->gateways[0]->when_holding(++held);
    auto busy = camera->send_async(0, call(http::verb::post, "/function/f", "busy"));
    EXPECT_EQ(holding.wait_for(10s), std::future_status::ready);
    return busy;
  }
  nlohmann::json status() { return nlohmann::json::parse(camera->send(0, call(http::verb::get, "/status")).body()); }

  FakeGateway cloud;
  std::unique_ptr<Cluster> camera;
  int held = 0;  // calls occupy() has held so far
};

TEST(SchedulerNodeCloud, CloudOffloadSendsTheOverflowToTheCloudGateway) {
  Loop loop;
  CameraAndCloud setup(loop);
  const Response cold = setup.camera->send(0, call(http::verb::post, "/function/f", "cold"));
  EXPECT_EQ(header(cold, wire::kDecisionHeader), "run_local");
  EXPECT_EQ(setup.cloud.calls(), 0);

  auto busy = setup.occupy();
  Request hot = call(http::verb::put, "/function/f/deep?q=1", "hot");
  hot.set("X-Custom", "travels");
  const Response offloaded = setup.camera->send(0, hot);
  EXPECT_EQ(offloaded.result(), http::status::created);
  EXPECT_EQ(header(offloaded, wire::kDecisionHeader), "forward");
  EXPECT_EQ(header(offloaded, wire::kNodeHeader), wire::kCloudNodeName);
  EXPECT_EQ(header(offloaded, wire::kHopsHeader), "1");
  EXPECT_EQ(header(offloaded, "X-Seen-Method"), "PUT");
  EXPECT_EQ(header(offloaded, "X-Seen-Target"), "/function/f/deep?q=1");
  EXPECT_EQ(header(offloaded, "X-Seen-Custom"), "travels");
  EXPECT_EQ(header(offloaded, "X-Seen-Token"), "") << "the peer token stays between nodes";
  EXPECT_EQ(header(offloaded, "X-Seen-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(offloaded.body(), "hot");
  EXPECT_EQ(setup.cloud.calls(), 1);
  EXPECT_EQ(metric(*setup.camera, 0, "fogsched_cloud_offloads_total"), 1);
  EXPECT_EQ(metric(*setup.camera, 0, "fogsched_invocations_total{decision=\"forward\",outcome=\"completed\"}"), 1);

  setup.camera->gateways[0]->release();
  ASSERT_EQ(busy.wait_for(10s), std::future_status::ready);
}

TEST(SchedulerNodeCloud, AFullCloudsRefusalIsTheAnswerAndRunsNothingTwice) {
  Loop loop;
  CameraAndCloud setup(loop);
  setup.cloud.refuse(true);
  auto busy = setup.occupy();
  const Response refused = setup.camera->send(0, call(http::verb::post, "/function/f", "x"));
  EXPECT_EQ(refused.result(), http::status::too_many_requests);
  EXPECT_EQ(header(refused, std::string(kInternalHeader)), kInternalByLimiter);
  EXPECT_EQ(header(refused, wire::kDecisionHeader), "forward");
  EXPECT_EQ(metric(*setup.camera, 0, "fogsched_invocations_total{decision=\"forward\",outcome=\"rejected\"}"), 1);
  EXPECT_EQ(setup.camera->gateways[0]->calls(), 1) << "only the call holding the slot ran on the camera";
  setup.camera->gateways[0]->release();
  ASSERT_EQ(busy.wait_for(10s), std::future_status::ready);
}

TEST(SchedulerNodeCloud, AnUnreachableCloudIsNotOffered) {
  Loop loop;
  CameraAndCloud setup(loop);
  setup.cloud.stop();
  for (int i = 0; i < 500 && setup.status()["cloud"]["healthy"] != false; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(setup.status()["cloud"]["healthy"], false);
  EXPECT_EQ(metric(*setup.camera, 0, "fogsched_cloud_healthy"), 0);

  auto busy = setup.occupy();
  const Response answer = setup.camera->send(0, call(http::verb::post, "/function/f", "x"));
  EXPECT_EQ(answer.result(), http::status::too_many_requests) << "full here, and no cloud to offload to";
  EXPECT_EQ(header(answer, wire::kDecisionHeader), "reject");
  EXPECT_EQ(metric(*setup.camera, 0, "fogsched_cloud_offloads_total"), 0);
  setup.camera->gateways[0]->release();
  ASSERT_EQ(busy.wait_for(10s), std::future_status::ready);

  setup.cloud.restart();
  for (int i = 0; i < 500 && setup.status()["cloud"]["healthy"] != true; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(setup.status()["cloud"]["healthy"], true);
}

TEST(SchedulerNodeCloud, AFunctionTheCloudDoesNotListStaysOnTheCameras) {
  Loop loop;
  CameraAndCloud setup(loop, /*cloud_secrets=*/true, /*cloud_has=*/{"g"});
  for (int i = 0; i < 500 && setup.status()["cloud"]["functions"].is_null(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(setup.status()["cloud"]["functions"], nlohmann::json::array({"g"}));

  auto busy = setup.occupy();
  const Response answer = setup.camera->send(0, call(http::verb::post, "/function/f", "x"));
  EXPECT_EQ(answer.result(), http::status::too_many_requests);
  EXPECT_EQ(setup.cloud.calls(), 0) << "the cloud does not have f";
  setup.camera->gateways[0]->release();
  ASSERT_EQ(busy.wait_for(10s), std::future_status::ready);

  // Deployed there later: offloaded once the list, read again, has it.
  setup.cloud.deploy("f");
  for (int i = 0; i < 500 && setup.status()["cloud"]["functions"].size() < 2; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(setup.status()["cloud"]["functions"], nlohmann::json::array({"f", "g"}));
  auto again = setup.occupy();
  EXPECT_EQ(header(setup.camera->send(0, call(http::verb::post, "/function/f", "y")), wire::kNodeHeader),
            wire::kCloudNodeName);
  setup.camera->gateways[0]->release();
  ASSERT_EQ(again.wait_for(10s), std::future_status::ready);
}

}  // namespace
}  // namespace fogsched::live
