// The example policy of the README, with its unit test: a policy is one class
// against NodeContext, tested with FakeNodeContext, which holds it to the same rules
// as the simulator and live mode. The README quotes the two marked blocks verbatim.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

// [example-policy]
#include "fogsched/core/policy.h"

// Runs a call here while a slot is free; else sends it to the least loaded peer it
// remembers hearing from, if that one last said it had a free slot; else queues it
// here, or rejects it when full. Every node tells its peers its load once a second.
class SpillToLightestPeer final : public fogsched::Policy {
 public:
  fogsched::Decision decide(const fogsched::Invocation& invocation, fogsched::NodeContext& ctx) override {
    using namespace fogsched;
    const LoadReport here = ctx.local_load();
    if (here.has_free_slot()) return RunLocal{};
    if (invocation.hops == 0) {  // a client's call, not one forwarded here
      // Ranked by the runtime: one query, however many peers (ties: one draw of ctx.rng()).
      const std::optional<KnownPeer> lightest = ctx.least_loaded_known_peer();
      if (lightest && lightest->known.load.has_free_slot()) return Forward{lightest->peer};
    }
    if (here.can_accept()) return RunLocal{};
    return Reject{RejectReason::no_capacity};
  }

  void on_start(fogsched::NodeContext& ctx) override { ctx.set_timer(kGossipInterval); }
  void on_timer(fogsched::NodeContext& ctx) override {
    ctx.gossip_load_to_all();
    ctx.set_timer(kGossipInterval);
  }

 private:
  static constexpr fogsched::Duration kGossipInterval = std::chrono::seconds(1);
};
// [example-policy-end]

// [example-test]
#include "fogsched/testing/fake_node_context.h"

namespace {

using namespace fogsched;
using namespace std::chrono_literals;

TEST(SpillToLightestPeer, RunsHereThenSpillsToTheLightestPeerWithRoomThenRejects) {
  fogsched::testing::FakeNodeContext ctx;  // node 0
  ctx.set_peers({NodeId{1}, NodeId{2}, NodeId{3}});
  SpillToLightestPeer policy;
  const Invocation call{};  // a client's call: no hops yet

  ctx.set_local_load({.running = 1, .queued = 0, .slots = 2, .queue_capacity = 0});
  EXPECT_TRUE(std::holds_alternative<RunLocal>(ctx.decide(policy, call)));

  ctx.set_local_load({.running = 2, .queued = 0, .slots = 2, .queue_capacity = 0});
  ctx.set_known_load(NodeId{1}, {.running = 1, .queued = 0, .slots = 2, .queue_capacity = 0}, 300ms);
  ctx.set_known_load(NodeId{2}, {.running = 0, .queued = 0, .slots = 2, .queue_capacity = 0}, 800ms);
  ctx.set_known_load(NodeId{3}, {.running = 2, .queued = 0, .slots = 2, .queue_capacity = 0}, 100ms);
  EXPECT_EQ(ctx.decide(policy, call), Decision{Forward{NodeId{2}}});

  ctx.forget_known_load(NodeId{1});
  ctx.forget_known_load(NodeId{2});  // only the full peer 3 is known now
  EXPECT_EQ(ctx.decide(policy, call), Decision{Reject{RejectReason::no_capacity}});
}

TEST(SpillToLightestPeer, GossipsItsLoadEverySecond) {
  fogsched::testing::FakeNodeContext ctx;
  ctx.set_peers({NodeId{1}, NodeId{2}});
  SpillToLightestPeer policy;
  policy.on_start(ctx);
  policy.on_timer(ctx);
  EXPECT_EQ(ctx.timers(), (std::vector<Duration>{1s, 1s}));
  ASSERT_EQ(ctx.gossip_sent().size(), 1u);
  EXPECT_TRUE(ctx.gossip_sent()[0].to_all);
}

}  // namespace
// [example-test-end]
