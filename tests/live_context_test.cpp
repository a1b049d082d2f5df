// Live mode's scheduling state without the network: LiveNodeState (the live
// NodeContext and its decide() driver), the runtime's contract checks
// (check_decision) and the peer directory (ids, DNS churn, back-off).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fogsched/core/decision_rules.h"
#include "fogsched/core/errors.h"
#include "fogsched/live/http.h"
#include "fogsched/live/live_context.h"
#include "fogsched/live/peer_directory.h"
#include "fogsched/policies/registry.h"

namespace fogsched {

// Readable values in failure messages.
void PrintTo(const LoadReport& load, std::ostream* out) {
  *out << "{running=" << load.running << " queued=" << load.queued << " slots=" << load.slots
       << " queue_capacity=" << load.queue_capacity << "}";
}
void PrintTo(NodeId node, std::ostream* out) { *out << "node " << node.value; }

namespace live {
namespace {

using namespace std::chrono_literals;

// A policy whose hooks are given by the test.
class ScriptedPolicy final : public Policy {
 public:
  std::function<Decision(const Invocation&, NodeContext&)> on_decide = [](const Invocation&, NodeContext&) {
    return Decision{RunLocal{}};
  };
  std::function<void(NodeContext&)> on_hook = [](NodeContext&) {};

  Decision decide(const Invocation& invocation, NodeContext& ctx) override { return on_decide(invocation, ctx); }
  void on_start(NodeContext& ctx) override { on_hook(ctx); }
  void on_timer(NodeContext& ctx) override { on_hook(ctx); }
  void on_complete(const Completion&, NodeContext& ctx) override { on_hook(ctx); }

  // decide() answers `decision` whatever it is asked.
  void answer(Decision decision) {
    on_decide = [decision](const Invocation&, NodeContext&) { return decision; };
  }
};

Probe probe_of(std::initializer_list<std::uint32_t> peers) {
  Probe probe;
  for (std::uint32_t p : peers) probe.peers.push_back(NodeId{p});
  return probe;
}

// Node 1 of a cluster with peers 0, 2 and 3, a clock the test sets, hop limit 1,
// and the effects it asks for collected.
class LiveNodeStateTest : public ::testing::Test {
 protected:
  struct Gossip {
    std::vector<NodeId> peers;
    LoadReport load;
  };

  LiveNodeStateTest()
      : state_(
            NodeId{1}, Rng(42), [this] { return clock_; }, 1, "scripted",
            LiveNodeState::Effects{.gossip =
                                       [this](std::span<const NodeId> peers, LoadReport load) {
                                         gossip_.push_back(Gossip{{peers.begin(), peers.end()}, load});
                                       },
                                   .set_timer = [this](Duration after) { timers_.push_back(after); }}) {
    state_.set_available_peers({NodeId{0}, NodeId{2}, NodeId{3}});
  }

  Invocation invocation_of(FunctionId function, std::uint32_t hops = 0) const {
    return Invocation{.id = InvocationId{7},
                      .function = function,
                      .origin = NodeId{1},
                      .hops = hops,
                      .arrival = clock_,
                      .payload_bytes = 0};
  }

  Time clock_ = time_at(10s);
  std::vector<Gossip> gossip_;
  std::vector<Duration> timers_;
  LiveNodeState state_;
  ScriptedPolicy policy_;
};

TEST_F(LiveNodeStateTest, FunctionsGetStableIdsAndTheirOwnSlots) {
  const FunctionId plates = state_.function_id("plates");
  const FunctionId faces = state_.function_id("faces");
  EXPECT_NE(plates, faces);
  EXPECT_EQ(state_.function_id("plates"), plates);
  EXPECT_EQ(state_.function_name(faces), "faces");

  state_.set_slots(plates, 2);
  state_.set_slots(faces, 1);
  EXPECT_TRUE(state_.try_acquire_slot(plates));
  EXPECT_TRUE(state_.try_acquire_slot(plates));
  EXPECT_FALSE(state_.try_acquire_slot(plates)) << "both slots of plates are taken";
  EXPECT_TRUE(state_.try_acquire_slot(faces)) << "faces has its own slot";
  EXPECT_FALSE(state_.try_acquire_slot(faces));

  EXPECT_EQ(state_.function_load(plates), (LoadReport{.running = 2, .queued = 0, .slots = 2, .queue_capacity = 0}));
  EXPECT_EQ(state_.function_load(faces), (LoadReport{.running = 1, .queued = 0, .slots = 1, .queue_capacity = 0}));
  EXPECT_EQ(state_.total_load(), (LoadReport{.running = 3, .queued = 0, .slots = 3, .queue_capacity = 0}));

  state_.release_slot(plates);
  EXPECT_EQ(state_.function_load(plates).running, 1u);
  EXPECT_TRUE(state_.try_acquire_slot(plates)) << "a released slot is free again";
}

TEST_F(LiveNodeStateTest, ReleasingAnIdleFunctionKeepsItsCountAtZero) {
  const FunctionId f = state_.function_id("f");
  state_.set_slots(f, 1);
  state_.release_slot(f);
  EXPECT_EQ(state_.function_load(f).running, 0u);
  EXPECT_TRUE(state_.try_acquire_slot(f));
  EXPECT_FALSE(state_.try_acquire_slot(f));
}

TEST_F(LiveNodeStateTest, UnknownFunctionsAreErrors) {
  EXPECT_THROW(state_.set_slots(FunctionId{5}, 1), std::out_of_range);
  EXPECT_THROW(static_cast<void>(state_.try_acquire_slot(FunctionId{5})), std::out_of_range);
  EXPECT_THROW(static_cast<void>(state_.function_name(FunctionId{5})), std::out_of_range);
}

TEST_F(LiveNodeStateTest, RemovedFunctionsLeaveNoEntryAndTheirIdsAreNeverReused) {
  const FunctionId plates = state_.function_id("plates");
  const FunctionId faces = state_.function_id("faces");
  state_.set_slots(plates, 2);
  state_.set_slots(faces, 1);
  ASSERT_TRUE(state_.try_acquire_slot(faces));
  EXPECT_FALSE(state_.remove_function(faces)) << "a function with a running execution stays";
  state_.release_slot(faces);
  EXPECT_TRUE(state_.remove_function(faces));
  EXPECT_FALSE(state_.remove_function(faces)) << "already gone";
  EXPECT_EQ(state_.function_count(), 1u);
  EXPECT_EQ(state_.find_function("faces"), std::nullopt);
  EXPECT_EQ(state_.find_function("plates"), plates);
  EXPECT_THROW(static_cast<void>(state_.function_load(faces)), std::out_of_range);
  EXPECT_EQ(state_.total_load(), (LoadReport{.running = 0, .queued = 0, .slots = 2, .queue_capacity = 0}));

  const FunctionId again = state_.function_id("faces");
  EXPECT_NE(again, faces) << "a policy may still hold the old id";
  EXPECT_NE(again, plates);
  EXPECT_EQ(state_.function_load(again).slots, 0u) << "a new entry starts afresh";

  std::vector<std::pair<FunctionId, std::string>> seen;
  state_.for_each_function(
      [&](FunctionId id, const std::string& name, const LoadReport&) { seen.emplace_back(id, name); });
  EXPECT_EQ(seen, (std::vector<std::pair<FunctionId, std::string>>{{plates, "plates"}, {again, "faces"}}))
      << "the live entries, in the order of their ids";
}

TEST_F(LiveNodeStateTest, LocalLoadIsTheInvocationsFunctionInDecideAndTheTotalInHooks) {
  const FunctionId plates = state_.function_id("plates");
  const FunctionId faces = state_.function_id("faces");
  state_.set_slots(plates, 2);
  state_.set_slots(faces, 3);
  ASSERT_TRUE(state_.try_acquire_slot(plates));
  ASSERT_TRUE(state_.try_acquire_slot(faces));
  ASSERT_TRUE(state_.try_acquire_slot(faces));

  std::optional<LoadReport> seen;
  policy_.on_decide = [&](const Invocation&, NodeContext& ctx) {
    seen = ctx.local_load();
    return Decision{RunLocal{}};
  };
  state_.decide(policy_, invocation_of(plates), {}, false);
  EXPECT_EQ(seen, state_.function_load(plates));
  state_.decide(policy_, invocation_of(faces), {}, false);
  EXPECT_EQ(seen, state_.function_load(faces));

  policy_.on_hook = [&](NodeContext& ctx) { seen = ctx.local_load(); };
  const LoadReport total{.running = 3, .queued = 0, .slots = 5, .queue_capacity = 0};
  seen.reset();
  state_.start(policy_);
  EXPECT_EQ(seen, total);
  seen.reset();
  state_.timer(policy_);
  EXPECT_EQ(seen, total);
  seen.reset();
  state_.complete(policy_, Completion{.id = InvocationId{7},
                                      .function = plates,
                                      .executed_on = NodeId{1},
                                      .outcome = Outcome::completed,
                                      .response_time = 1s});
  EXPECT_EQ(seen, total) << "a completion is a hook: the node's overall load, not its function's";
  EXPECT_EQ(state_.local_load(), total) << "outside any decide()";
}

TEST_F(LiveNodeStateTest, LocalFullMakesTheFunctionLookFullForThatCallOnly) {
  const FunctionId f = state_.function_id("f");
  state_.set_slots(f, 4);
  ASSERT_TRUE(state_.try_acquire_slot(f));

  std::optional<LoadReport> seen;
  policy_.on_decide = [&](const Invocation&, NodeContext& ctx) {
    seen = ctx.local_load();
    return Decision{RunLocal{}};
  };
  state_.decide(policy_, invocation_of(f), {}, false, /*local_full=*/true);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->running, 4u);
  EXPECT_EQ(seen->slots, 4u);
  EXPECT_FALSE(seen->can_accept());

  state_.decide(policy_, invocation_of(f), {}, false);
  EXPECT_EQ(seen->running, 1u) << "the flag does not outlive its call";
  EXPECT_EQ(state_.function_load(f).running, 1u) << "the flag takes no slot";
}

TEST_F(LiveNodeStateTest, PeersNeverIncludeSelf) {
  state_.set_available_peers({NodeId{0}, NodeId{1}, NodeId{2}});
  ASSERT_EQ(state_.peer_count(), 2u);
  EXPECT_EQ(state_.peer(0), NodeId{0});
  EXPECT_EQ(state_.peer(1), NodeId{2});
  EXPECT_FALSE(state_.is_available_peer(NodeId{1}));
  EXPECT_TRUE(state_.is_available_peer(NodeId{2}));
  EXPECT_FALSE(state_.is_available_peer(NodeId{3})) << "dropped from the list";
  EXPECT_EQ(state_.self(), NodeId{1});
  EXPECT_EQ(state_.cloud(), std::nullopt);
}

TEST_F(LiveNodeStateTest, TheCloudIsAForwardTargetOnlyWhileSet) {
  const FunctionId f = state_.function_id("f");
  state_.set_slots(f, 1);
  ASSERT_TRUE(state_.try_acquire_slot(f));
  std::unique_ptr<Policy> offload = PolicyRegistry::with_builtins().parse("cloud_offload(threshold=1)").make();

  EXPECT_EQ(state_.decide(*offload, invocation_of(f), {}, false).step, Step::reject)
      << "full, and no cloud to offload to";
  state_.set_cloud(NodeId{9});
  EXPECT_EQ(state_.cloud(), NodeId{9});
  const CheckedDecision to_cloud = state_.decide(*offload, invocation_of(f), {}, false);
  EXPECT_EQ(to_cloud.step, Step::forward);
  EXPECT_EQ(to_cloud.peer, NodeId{9});
  EXPECT_FALSE(state_.is_available_peer(NodeId{9})) << "the cloud is not a peer";

  state_.set_cloud(std::nullopt);  // unreachable
  EXPECT_EQ(state_.decide(*offload, invocation_of(f), {}, false).step, Step::reject);
}

TEST_F(LiveNodeStateTest, KnownLoadAgesWithTheClock) {
  const LoadReport heard{.running = 2, .queued = 0, .slots = 2, .queue_capacity = 0};
  state_.record_known_load(NodeId{2}, heard, clock_ - 300ms);
  ASSERT_TRUE(state_.known_load(NodeId{2}).has_value());
  EXPECT_EQ(state_.known_load(NodeId{2})->load, heard);
  EXPECT_EQ(state_.known_load(NodeId{2})->age, 300ms);
  clock_ += 1200ms;
  EXPECT_EQ(state_.known_load(NodeId{2})->age, 1500ms);
  EXPECT_EQ(state_.now(), time_at(11200ms));
  EXPECT_EQ(state_.known_load(NodeId{3}), std::nullopt) << "never heard from";

  const LoadReport newer{.running = 0, .queued = 0, .slots = 2, .queue_capacity = 0};
  state_.record_known_load(NodeId{2}, newer, clock_);
  EXPECT_EQ(state_.known_load(NodeId{2})->load, newer);
  EXPECT_EQ(state_.known_load(NodeId{2})->age, 0ns);
}

// The least loaded remembered peer is one the policy may forward to now: a peer in
// back-off is forgotten (remembered again when it next gossips), and the memory
// holds gossip_memory peers, forgetting the one heard from longest ago.
TEST_F(LiveNodeStateTest, TheLeastLoadedKnownPeerIsAnAvailableRememberedPeer) {
  const auto load_of = [](std::uint32_t running) {
    return LoadReport{.running = running, .queued = 0, .slots = 4, .queue_capacity = 0};
  };
  EXPECT_EQ(state_.least_loaded_known_peer(), std::nullopt);
  state_.record_known_load(NodeId{0}, load_of(0), clock_);
  state_.record_known_load(NodeId{2}, load_of(1), clock_ - 200ms);
  state_.record_known_load(NodeId{3}, load_of(2), clock_);
  state_.set_available_peers({NodeId{2}, NodeId{3}});  // 0 in back-off
  const auto least = state_.least_loaded_known_peer();
  ASSERT_TRUE(least.has_value());
  EXPECT_EQ(least->peer, NodeId{2});
  EXPECT_EQ(least->known.load, load_of(1));
  EXPECT_EQ(least->known.age, 200ms);
  EXPECT_EQ(state_.known_load(NodeId{0}), std::nullopt) << "forgotten while in back-off";

  LiveNodeState small(
      NodeId{1}, Rng(1), [this] { return clock_; }, 1, "scripted", {}, 2);
  small.set_available_peers({NodeId{0}, NodeId{2}, NodeId{3}});
  small.record_known_load(NodeId{0}, load_of(0), clock_);
  small.record_known_load(NodeId{2}, load_of(3), clock_);
  small.record_known_load(NodeId{3}, load_of(2), clock_);  // forgets 0
  EXPECT_EQ(small.known_load(NodeId{0}), std::nullopt);
  EXPECT_EQ(small.least_loaded_known_peer()->peer, NodeId{3});
}

TEST_F(LiveNodeStateTest, GossipAndTimersReachTheEffects) {
  const FunctionId f = state_.function_id("f");
  state_.set_slots(f, 2);
  ASSERT_TRUE(state_.try_acquire_slot(f));
  policy_.on_hook = [](NodeContext& ctx) {
    const NodeId one_peer[] = {NodeId{3}};
    ctx.gossip_load(one_peer);
    ctx.gossip_load_to_all();
    ctx.set_timer(250ms);
  };
  state_.timer(policy_);

  ASSERT_EQ(gossip_.size(), 2u);
  EXPECT_EQ(gossip_[0].peers, std::vector<NodeId>{NodeId{3}});
  EXPECT_EQ(gossip_[1].peers, (std::vector<NodeId>{NodeId{0}, NodeId{2}, NodeId{3}}));
  for (const Gossip& g : gossip_) EXPECT_EQ(g.load, state_.total_load());
  EXPECT_EQ(timers_, std::vector<Duration>{250ms});
}

TEST_F(LiveNodeStateTest, GossipToANonPeerAndNonPositiveTimersBreakTheContract) {
  policy_.on_hook = [](NodeContext& ctx) {
    const NodeId stranger[] = {NodeId{9}};
    ctx.gossip_load(stranger);
  };
  EXPECT_THROW(state_.timer(policy_), PolicyContractError);
  policy_.on_hook = [](NodeContext& ctx) {
    const NodeId self[] = {NodeId{1}};
    ctx.gossip_load(self);
  };
  EXPECT_THROW(state_.timer(policy_), PolicyContractError);
  policy_.on_hook = [](NodeContext& ctx) { ctx.set_timer(0ns); };
  EXPECT_THROW(state_.timer(policy_), PolicyContractError);
  policy_.on_hook = [](NodeContext& ctx) { ctx.set_timer(-1ms); };
  EXPECT_THROW(state_.timer(policy_), PolicyContractError);
  EXPECT_TRUE(gossip_.empty()) << "nothing is sent when the list has a non-peer";
  EXPECT_TRUE(timers_.empty());
}

TEST_F(LiveNodeStateTest, DecisionsBreakingTheContractThrow) {
  const FunctionId f = state_.function_id("f");
  const Invocation inv = invocation_of(f);

  policy_.answer(Forward{NodeId{1}});
  EXPECT_THROW(state_.decide(policy_, inv, {}, false), PolicyContractError) << "forward to self";
  policy_.answer(Forward{NodeId{9}});
  EXPECT_THROW(state_.decide(policy_, inv, {}, false), PolicyContractError) << "forward to a non-peer";
  policy_.answer(Probe{});
  EXPECT_THROW(state_.decide(policy_, inv, {}, false), PolicyContractError) << "empty probe";
  policy_.answer(probe_of({2, 0, 2}));
  EXPECT_THROW(state_.decide(policy_, inv, {}, false), PolicyContractError) << "peer probed twice";
  policy_.answer(probe_of({2, 9}));
  EXPECT_THROW(state_.decide(policy_, inv, {}, false), PolicyContractError) << "probe of a non-peer";
  policy_.answer(probe_of({2}));
  EXPECT_THROW(state_.decide(policy_, inv, {}, true), PolicyContractError) << "probe on the re-entry";
}

TEST_F(LiveNodeStateTest, ContractMessagesNameThePolicyAndTheNode) {
  const FunctionId f = state_.function_id("f");
  policy_.answer(Forward{NodeId{9}});
  try {
    state_.decide(policy_, invocation_of(f), {}, false);
    FAIL() << "a forward to a non-peer was accepted";
  } catch (const PolicyContractError& error) {
    const std::string what = error.what();
    EXPECT_NE(what.find("'scripted'"), std::string::npos) << what;
    EXPECT_NE(what.find("node 1"), std::string::npos) << what;
    EXPECT_NE(what.find("node 9"), std::string::npos) << what;
  }
}

TEST_F(LiveNodeStateTest, AvailablePeersAreTheOnlyTargets) {
  const FunctionId f = state_.function_id("f");
  state_.set_available_peers({NodeId{0}, NodeId{3}});  // 2 in back-off
  policy_.answer(Forward{NodeId{2}});
  EXPECT_THROW(state_.decide(policy_, invocation_of(f), {}, false), PolicyContractError);
  policy_.answer(Forward{NodeId{3}});
  const CheckedDecision checked = state_.decide(policy_, invocation_of(f), {}, false);
  EXPECT_EQ(checked.step, Step::forward);
  EXPECT_EQ(checked.peer, NodeId{3});
}

TEST_F(LiveNodeStateTest, TheHopLimitTurnsForwardsAndProbesIntoLocalRuns) {
  const FunctionId f = state_.function_id("f");

  policy_.answer(Forward{NodeId{2}});
  CheckedDecision checked = state_.decide(policy_, invocation_of(f, 0), {}, false);
  EXPECT_EQ(checked.step, Step::forward);
  EXPECT_FALSE(checked.hop_limit_enforced);
  checked = state_.decide(policy_, invocation_of(f, 1), {}, false);
  EXPECT_EQ(checked.step, Step::run_local);
  EXPECT_TRUE(checked.hop_limit_enforced);

  policy_.answer(probe_of({0, 3}));
  checked = state_.decide(policy_, invocation_of(f, 1), {}, false);
  EXPECT_EQ(checked.step, Step::run_local);
  EXPECT_TRUE(checked.hop_limit_enforced);

  policy_.answer(Reject{RejectReason::policy});
  checked = state_.decide(policy_, invocation_of(f, 1), {}, false);
  EXPECT_EQ(checked.step, Step::reject);
  EXPECT_FALSE(checked.hop_limit_enforced);
}

TEST_F(LiveNodeStateTest, AProbesPeersOutliveItsDecision) {
  const FunctionId f = state_.function_id("f");
  policy_.answer(probe_of({3, 0}));
  const CheckedDecision checked = state_.decide(policy_, invocation_of(f), {}, false);
  policy_.answer(RunLocal{});  // the Decision the peers came from is gone
  ASSERT_EQ(checked.step, Step::probe);
  ASSERT_NE(checked.probe_peers, nullptr);
  EXPECT_EQ(*checked.probe_peers, probe_of({3, 0}).peers);
}

TEST_F(LiveNodeStateTest, ProbeAnswersAreBoundForTheReentryOnly) {
  const FunctionId f = state_.function_id("f");
  const std::vector<ProbeAnswer> answers = {
      {NodeId{3}, LoadReport{.running = 0, .queued = 0, .slots = 2, .queue_capacity = 0}}};
  bool probed = false;
  std::vector<NodeId> answered;
  policy_.on_decide = [&](const Invocation&, NodeContext& ctx) {
    probed = ctx.probed();
    answered.clear();
    for (const ProbeAnswer& a : ctx.probe_answers()) answered.push_back(a.peer);
    return Decision{RunLocal{}};
  };
  state_.decide(policy_, invocation_of(f), answers, true);
  EXPECT_TRUE(probed);
  EXPECT_EQ(answered, std::vector<NodeId>{NodeId{3}});

  state_.decide(policy_, invocation_of(f), {}, false);
  EXPECT_FALSE(probed);
  EXPECT_TRUE(answered.empty());
  EXPECT_FALSE(state_.probed());
  EXPECT_TRUE(state_.probe_answers().empty());
}

// A decide() that throws must not leave its bindings for the hooks that follow:
// they would see the thrown call's function load, `probed() == true` and probe
// answers that no longer exist.
TEST_F(LiveNodeStateTest, AContractViolationLeavesNoBindingBehind) {
  const FunctionId plates = state_.function_id("plates");
  const FunctionId faces = state_.function_id("faces");
  state_.set_slots(plates, 1);
  state_.set_slots(faces, 2);
  {
    const std::vector<ProbeAnswer> answers = {
        {NodeId{3}, LoadReport{.running = 0, .queued = 0, .slots = 2, .queue_capacity = 0}}};
    policy_.answer(probe_of({2}));
    EXPECT_THROW(state_.decide(policy_, invocation_of(plates), answers, true), PolicyContractError);
  }
  std::optional<LoadReport> load;
  bool probed = true;
  std::size_t answer_count = 1;
  policy_.on_hook = [&](NodeContext& ctx) {
    load = ctx.local_load();
    probed = ctx.probed();
    answer_count = ctx.probe_answers().size();
  };
  state_.timer(policy_);
  EXPECT_EQ(load, state_.total_load());
  EXPECT_FALSE(probed);
  EXPECT_EQ(answer_count, 0u);
}

TEST_F(LiveNodeStateTest, TheRandomStreamIsTheOneGivenAndAdvancesByDraws) {
  Rng expected(42);
  EXPECT_EQ(state_.rng()(), expected());
  EXPECT_EQ(state_.rng()(), expected());
}

// ---------------------------------------------------------------------------------
// check_decision, on its own

class CheckDecision : public ::testing::Test {
 protected:
  // Node 0 with peers 1 to 3, and the cloud 9 when `cloud`.
  DecisionRules rules(std::uint32_t hop_limit = 1, bool cloud = false) const {
    return DecisionRules{.self = NodeId{0},
                         .hop_limit = hop_limit,
                         .policy_name = "p",
                         .is_peer = [](NodeId node) { return node.value >= 1 && node.value <= 3; },
                         .cloud = cloud ? std::optional<NodeId>(NodeId{9}) : std::nullopt};
  }
  static Invocation at_hops(std::uint32_t hops) {
    return Invocation{.id = InvocationId{1},
                      .function = FunctionId{0},
                      .origin = NodeId{0},
                      .hops = hops,
                      .arrival = {},
                      .payload_bytes = 0};
  }
};

TEST_F(CheckDecision, CarriesOutEachKindOfDecision) {
  CheckedDecision c = check_decision(RunLocal{}, at_hops(0), false, rules());
  EXPECT_EQ(c.step, Step::run_local);
  EXPECT_FALSE(c.hop_limit_enforced);

  c = check_decision(Reject{RejectReason::policy}, at_hops(0), false, rules());
  EXPECT_EQ(c.step, Step::reject);
  EXPECT_EQ(c.reason, RejectReason::policy);

  c = check_decision(Forward{NodeId{2}}, at_hops(0), false, rules());
  EXPECT_EQ(c.step, Step::forward);
  EXPECT_EQ(c.peer, NodeId{2});

  const Decision probe = probe_of({3, 1});
  c = check_decision(probe, at_hops(0), false, rules());
  EXPECT_EQ(c.step, Step::probe);
  EXPECT_EQ(c.probe_peers, &std::get<Probe>(probe).peers) << "points into the Decision";

  c = check_decision(Forward{NodeId{1}}, at_hops(0), true, rules());
  EXPECT_EQ(c.step, Step::forward) << "a forward is a fine answer to a probe";
}

TEST_F(CheckDecision, RejectsContractViolations) {
  EXPECT_THROW(check_decision(Forward{NodeId{0}}, at_hops(0), false, rules()), PolicyContractError);
  EXPECT_THROW(check_decision(Forward{NodeId{4}}, at_hops(0), false, rules()), PolicyContractError);
  EXPECT_THROW(check_decision(Probe{}, at_hops(0), false, rules()), PolicyContractError);
  EXPECT_THROW(check_decision(probe_of({1, 0}), at_hops(0), false, rules()), PolicyContractError);
  EXPECT_THROW(check_decision(probe_of({1, 4}), at_hops(0), false, rules()), PolicyContractError);
  EXPECT_THROW(check_decision(probe_of({1, 2, 1}), at_hops(0), false, rules()), PolicyContractError);
  EXPECT_THROW(check_decision(probe_of({1}), at_hops(0), true, rules()), PolicyContractError);
}

TEST_F(CheckDecision, AppliesTheHopLimitToForwardsAndProbesOnly) {
  for (const Decision& d : {Decision{Forward{NodeId{1}}}, Decision{probe_of({1, 2})}}) {
    const CheckedDecision below = check_decision(d, at_hops(1), false, rules(2));
    EXPECT_FALSE(below.hop_limit_enforced);
    EXPECT_NE(below.step, Step::run_local);
    for (std::uint32_t hops : {2u, 3u}) {
      const CheckedDecision at = check_decision(d, at_hops(hops), false, rules(2));
      EXPECT_EQ(at.step, Step::run_local);
      EXPECT_TRUE(at.hop_limit_enforced);
    }
  }
  const CheckedDecision reject = check_decision(Reject{RejectReason::no_capacity}, at_hops(5), false, rules(2));
  EXPECT_EQ(reject.step, Step::reject);
  EXPECT_FALSE(reject.hop_limit_enforced);

  const CheckedDecision no_forwarding = check_decision(Forward{NodeId{1}}, at_hops(0), false, rules(0));
  EXPECT_EQ(no_forwarding.step, Step::run_local) << "hop limit 0 keeps every call at its origin";
  EXPECT_TRUE(no_forwarding.hop_limit_enforced);
}

TEST_F(CheckDecision, TheCloudTakesForwardsButIsNeitherProbedNorGossipedTo) {
  const CheckedDecision to_cloud = check_decision(Forward{NodeId{9}}, at_hops(0), false, rules(1, true));
  EXPECT_EQ(to_cloud.step, Step::forward);
  EXPECT_EQ(to_cloud.peer, NodeId{9});
  EXPECT_THROW(check_decision(Forward{NodeId{9}}, at_hops(0), false, rules()), PolicyContractError)
      << "no cloud in this cluster";
  EXPECT_THROW(check_decision(probe_of({9}), at_hops(0), false, rules(1, true)), PolicyContractError);
  const NodeId cloud[] = {NodeId{9}};
  EXPECT_THROW(check_gossip(cloud, rules(1, true)), PolicyContractError);
}

TEST_F(CheckDecision, TimersMustBeInTheFutureAndGossipGoesToPeersOnly) {
  EXPECT_NO_THROW(check_timer(Duration{1}, rules()));
  EXPECT_THROW(check_timer(Duration::zero(), rules()), PolicyContractError);
  EXPECT_THROW(check_timer(Duration{-1}, rules()), PolicyContractError);
  const NodeId peers[] = {NodeId{1}, NodeId{3}};
  EXPECT_NO_THROW(check_gossip(peers, rules()));
  const NodeId with_self[] = {NodeId{1}, NodeId{0}};
  EXPECT_THROW(check_gossip(with_self, rules()), PolicyContractError);
  const NodeId with_stranger[] = {NodeId{2}, NodeId{4}};
  EXPECT_THROW(check_gossip(with_stranger, rules()), PolicyContractError);
}

TEST_F(CheckDecision, ChecksTargetsEvenAtTheHopLimit) {
  EXPECT_THROW(check_decision(Forward{NodeId{0}}, at_hops(1), false, rules()), PolicyContractError);
  EXPECT_THROW(check_decision(Probe{}, at_hops(1), false, rules()), PolicyContractError);
}

// ---------------------------------------------------------------------------------
// PeerDirectory

Url url_of(const std::string& text) { return parse_url(text); }

std::vector<NodeId> ids(std::initializer_list<std::uint32_t> values) {
  std::vector<NodeId> out;
  for (std::uint32_t v : values) out.emplace_back(v);
  return out;
}

TEST(PeerDirectory, StaticPeersGetIdsFromOneInTheirOrder) {
  const PeerDirectory directory({url_of("http://10.0.0.2:18080"), url_of("http://10.0.0.3:18080")}, 1s, 8s);
  EXPECT_EQ(directory.find_by_url(url_of("http://10.0.0.2:18080")), NodeId{1});
  EXPECT_EQ(directory.find_by_url(url_of("http://10.0.0.3:18080")), NodeId{2});
  EXPECT_EQ(directory.find_by_url(url_of("http://10.0.0.4:18080")), std::nullopt);
  EXPECT_EQ(directory.url(NodeId{2}), url_of("http://10.0.0.3:18080"));
  EXPECT_THROW(static_cast<void>(directory.url(NodeId{0})), std::out_of_range) << "id 0 is the node itself";
  EXPECT_THROW(static_cast<void>(directory.url(NodeId{3})), std::out_of_range);
  EXPECT_EQ(directory.available(time_at(0s)), ids({1, 2}));
  EXPECT_EQ(directory.present(), ids({1, 2}));
}

TEST(PeerDirectory, DnsPeersComingAndGoingKeepTheirIds) {
  PeerDirectory directory({url_of("http://10.0.0.2:18080")}, 1s, 8s);
  const Url a = url_of("http://10.0.1.1:18080");
  const Url b = url_of("http://10.0.1.2:18080");
  const Url c = url_of("http://10.0.1.3:18080");

  directory.set_dns_peers({a, b});
  const std::optional<NodeId> id_a = directory.find_by_url(a);
  const std::optional<NodeId> id_b = directory.find_by_url(b);
  ASSERT_TRUE(id_a && id_b);
  EXPECT_EQ(directory.present(), ids({1, id_a->value, id_b->value}));

  directory.set_dns_peers({b});
  EXPECT_EQ(directory.present(), ids({1, id_b->value})) << "a left DNS; the static peer stays";
  EXPECT_EQ(directory.available(time_at(0s)), ids({1, id_b->value}));

  directory.set_dns_peers({c, a});
  EXPECT_EQ(directory.find_by_url(a), id_a) << "a came back under its old id";
  const std::optional<NodeId> id_c = directory.find_by_url(c);
  ASSERT_TRUE(id_c);
  EXPECT_NE(id_c, id_a);
  EXPECT_NE(id_c, id_b);
  EXPECT_EQ(directory.present(), ids({1, id_a->value, id_c->value}));

  const auto status = directory.status(time_at(0s));
  ASSERT_EQ(status.size(), 4u);
  EXPECT_FALSE(status[0].from_dns);
  EXPECT_TRUE(status[id_b->value - 1].from_dns);
  EXPECT_FALSE(status[id_b->value - 1].present);
  EXPECT_FALSE(status[id_b->value - 1].available);
}

TEST(PeerDirectory, AStaticPeerAlsoFoundByDnsStaysWhenDnsDropsIt) {
  const Url fixed = url_of("http://10.0.0.2:18080");
  PeerDirectory directory({fixed}, 1s, 8s);
  directory.set_dns_peers({fixed});
  EXPECT_EQ(directory.present(), ids({1})) << "one peer, not two";
  directory.set_dns_peers({});
  EXPECT_EQ(directory.present(), ids({1}));
}

TEST(PeerDirectory, BackoffDoublesToTheMaximumAndResetsOnSuccess) {
  PeerDirectory directory({url_of("http://10.0.0.2:18080"), url_of("http://10.0.0.3:18080")}, 1s, 5s);
  const NodeId flaky{1};
  Time now = time_at(100s);
  std::vector<Duration> backoffs;
  for (int failure = 0; failure < 5; ++failure) {
    directory.report_failure(flaky, now);
    const auto status = directory.status(now);
    backoffs.push_back(status[0].backoff);
    EXPECT_EQ(status[0].failures, static_cast<std::uint32_t>(failure + 1));
    EXPECT_EQ(status[0].retry_in, status[0].backoff);
    EXPECT_FALSE(status[0].available);
    EXPECT_TRUE(status[0].present);
    now += status[0].backoff;  // tried again as soon as allowed, and failed again
  }
  EXPECT_EQ(backoffs, (std::vector<Duration>{1s, 2s, 4s, 5s, 5s}));

  directory.report_success(flaky);
  const auto status = directory.status(now);
  EXPECT_EQ(status[0].failures, 0u);
  EXPECT_EQ(status[0].backoff, 0ns);
  EXPECT_TRUE(status[0].available);
  EXPECT_EQ(directory.available(now), ids({1, 2}));

  directory.report_failure(flaky, now);
  EXPECT_EQ(directory.status(now)[0].backoff, 1s) << "a new run of failures starts from the initial back-off";
}

TEST(PeerDirectory, APeerInBackoffIsLeftOutUntilItsTime) {
  PeerDirectory directory({url_of("http://10.0.0.2:18080"), url_of("http://10.0.0.3:18080")}, 2s, 8s);
  const Time failed_at = time_at(50s);
  directory.report_failure(NodeId{2}, failed_at);
  EXPECT_EQ(directory.available(failed_at), ids({1}));
  EXPECT_EQ(directory.available(failed_at + 1999ms), ids({1}));
  EXPECT_EQ(directory.status(failed_at + 1500ms)[1].retry_in, 500ms);
  EXPECT_EQ(directory.available(failed_at + 2s), ids({1, 2})) << "retried once its back-off is over";
  EXPECT_EQ(directory.present(), ids({1, 2})) << "back-off does not remove a peer";
}

TEST(PeerDirectory, UnknownIdsAreIgnoredByFailureAndSuccessReports) {
  PeerDirectory directory({url_of("http://10.0.0.2:18080")}, 1s, 8s);
  directory.report_failure(NodeId{0}, time_at(0s));
  directory.report_failure(NodeId{7}, time_at(0s));
  directory.report_success(NodeId{7});
  EXPECT_EQ(directory.available(time_at(0s)), ids({1}));
}

TEST(PeerDirectory, FindsPeersByTheAddressTheyConnectFrom) {
  PeerDirectory directory({url_of("http://camera-2:18080"), url_of("http://camera-3:18080")}, 1s, 8s);
  directory.set_address(NodeId{1}, "10.0.0.2:18080");
  directory.set_address(NodeId{2}, "10.0.0.3:18080");
  EXPECT_EQ(directory.find_by_address("10.0.0.2:18080"), NodeId{1});
  EXPECT_EQ(directory.find_by_address("10.0.0.3:18080"), NodeId{2});
  EXPECT_EQ(directory.find_by_address("10.0.0.3:18081"), std::nullopt) << "the port is part of the address";
  EXPECT_EQ(directory.find_by_address("10.0.0.9:18080"), std::nullopt);
  EXPECT_EQ(directory.find_by_url(url_of("http://camera-3:18080")), NodeId{2});
}

}  // namespace
}  // namespace live
}  // namespace fogsched
