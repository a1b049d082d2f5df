// The ring policy under FakeNodeContext, which holds it to the rules the simulator
// and live mode apply; and its registration, as `fogsched policies` would see it.
#include <variant>

#include <gtest/gtest.h>

#include <fogsched/policies/registry.h>
#include <fogsched/testing/fake_node_context.h>

namespace {

using fogsched::Decision;
using fogsched::Forward;
using fogsched::Invocation;
using fogsched::NodeId;
using fogsched::RunLocal;

std::unique_ptr<fogsched::Policy> make(const std::string& spec) {
  return fogsched::PolicyRegistry::with_builtins().parse(spec).make();
}

TEST(Ring, RunsHereWhileBelowTheThreshold) {
  fogsched::testing::FakeNodeContext ctx;
  ctx.set_self(NodeId{1});
  ctx.set_peers({NodeId{0}, NodeId{2}});
  ctx.set_local_load({.running = 2, .queued = 0, .slots = 4, .queue_capacity = 0});
  const auto policy = make("ring(threshold=3)");
  EXPECT_EQ(ctx.decide(*policy, Invocation{}), Decision(RunLocal{}));
}

TEST(Ring, PassesOnToTheNextIdWhenBusyAndWrapsAround) {
  fogsched::testing::FakeNodeContext ctx;
  ctx.set_local_load({.running = 4, .queued = 0, .slots = 4, .queue_capacity = 0});
  ctx.set_peers({NodeId{0}, NodeId{1}, NodeId{2}});
  ctx.set_self(NodeId{1});
  const auto policy = make("ring");
  EXPECT_EQ(ctx.decide(*policy, Invocation{}), Decision(Forward{NodeId{2}}));
  ctx.set_self(NodeId{2});
  ctx.set_peers({NodeId{0}, NodeId{1}});
  EXPECT_EQ(ctx.decide(*policy, Invocation{}), Decision(Forward{NodeId{0}}));
}

TEST(Ring, SendsToTheCloudWhenAsked) {
  fogsched::testing::FakeNodeContext ctx;
  ctx.set_local_load({.running = 4, .queued = 0, .slots = 4, .queue_capacity = 0});
  ctx.set_peers({NodeId{0}});
  ctx.set_self(NodeId{1});
  ctx.set_cloud(NodeId{9});
  EXPECT_EQ(ctx.decide(*make("ring(use_cloud=true)"), Invocation{}), Decision(Forward{NodeId{9}}));
}

TEST(Ring, ForwardedCallsRunHere) {
  fogsched::testing::FakeNodeContext ctx;
  ctx.set_local_load({.running = 3, .queued = 0, .slots = 4, .queue_capacity = 0});
  ctx.set_peers({NodeId{0}});
  EXPECT_EQ(ctx.decide(*make("ring(threshold=1)"), Invocation{.hops = 1}), Decision(RunLocal{}));
}

TEST(Ring, ChecksItsParameters) {
  EXPECT_THROW(make("ring(threshold=0)"), fogsched::PolicyError);
  EXPECT_THROW(make("ring(use_cloud=maybe)"), fogsched::PolicyError);
  EXPECT_EQ(fogsched::PolicyRegistry::with_builtins().parse("ring").canonical, "ring(threshold=3,use_cloud=false)");
}

}  // namespace
