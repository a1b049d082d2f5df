// Unit and statistical tests of the built-in policies against FakeNodeContext, which
// holds them to the runtimes' contract checks.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fogsched/core/decision_rules.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/policy.h"
#include "fogsched/policies/cloud_offload.h"
#include "fogsched/policies/least_loaded.h"
#include "fogsched/policies/local.h"
#include "fogsched/policies/power_of_d.h"
#include "fogsched/policies/random.h"
#include "fogsched/policies/round_robin.h"
#include "fogsched/policies/threshold_random.h"
#include "fogsched/testing/fake_node_context.h"
#include "recording_policy.h"

namespace fogsched::policies {
namespace {

using namespace std::chrono_literals;

using fogsched::testing::FakeNodeContext;

// Peers 1..count (self is node 0).
std::vector<NodeId> numbered_peers(std::uint32_t count) {
  std::vector<NodeId> peers;
  for (std::uint32_t i = 1; i <= count; ++i) peers.emplace_back(i);
  return peers;
}

// The peers the context lists, in its order.
std::vector<NodeId> peers_of(const NodeContext& ctx) {
  std::vector<NodeId> peers;
  for (std::size_t i = 0; i < ctx.peer_count(); ++i) peers.push_back(ctx.peer(i));
  return peers;
}

// The gossip_load() rounds (peer lists) and the number of gossip_load_to_all() rounds.
std::vector<std::vector<NodeId>> gossip_rounds(const FakeNodeContext& ctx) {
  std::vector<std::vector<NodeId>> rounds;
  for (const FakeNodeContext::GossipSent& sent : ctx.gossip_sent()) {
    if (!sent.to_all) rounds.push_back(sent.peers);
  }
  return rounds;
}
int gossip_to_all_rounds(const FakeNodeContext& ctx) {
  return static_cast<int>(std::count_if(ctx.gossip_sent().begin(), ctx.gossip_sent().end(),
                                        [](const FakeNodeContext::GossipSent& sent) { return sent.to_all; }));
}

// A node with 4 slots and a 2-place queue carrying `load` (running first).
LoadReport load_of(std::uint32_t load) {
  const std::uint32_t running = std::min(load, 4u);
  return LoadReport{.running = running, .queued = load - running, .slots = 4, .queue_capacity = 2};
}
constexpr std::uint32_t kFullLoad = 6;  // load_of(6) has no slot and no queue place left

// A load report for a probe answer or gossip: `load` running on a large node.
LoadReport peer_load(std::uint32_t load) {
  return LoadReport{.running = load, .queued = 0, .slots = 100, .queue_capacity = 0};
}

Invocation with_hops(std::uint32_t hops) {
  Invocation invocation;
  invocation.hops = hops;
  return invocation;
}
Invocation client_invocation() { return with_hops(0); }
Invocation forwarded_invocation() { return with_hops(1); }

bool runs_here(const Decision& d) { return std::holds_alternative<RunLocal>(d); }
bool rejected(const Decision& d) {
  return std::holds_alternative<Reject>(d) && std::get<Reject>(d).reason == RejectReason::no_capacity;
}
std::optional<NodeId> forwarded_to(const Decision& d) {
  if (const auto* forward = std::get_if<Forward>(&d)) return forward->peer;
  return std::nullopt;
}
std::optional<Probe> probe_of(const Decision& d) {
  if (const auto* probe = std::get_if<Probe>(&d)) return *probe;
  return std::nullopt;
}

// Share of `picks` that went to each of `peers`, in their order.
std::vector<double> shares(const std::vector<NodeId>& picks, const std::vector<NodeId>& peers) {
  std::vector<double> out;
  out.reserve(peers.size());
  for (NodeId peer : peers) {
    out.push_back(static_cast<double>(std::count(picks.begin(), picks.end(), peer)) /
                  static_cast<double>(picks.size()));
  }
  return out;
}

// Statistical tests: 100 000 draws; a share's standard error is at most
// sqrt(0.25 / 100 000) = 0.0016, so +-0.01 is over 6 standard errors.
constexpr int kDraws = 100'000;
constexpr double kShareTolerance = 0.01;
constexpr std::uint64_t kStatisticalSeed = 20240601;

// ---- local -------------------------------------------------------------------------

TEST(LocalPolicy, RunsHereWhileASlotOrQueuePlaceIsFreeElseRejects) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(5));
  Local policy;
  for (std::uint32_t load = 0; load < kFullLoad; ++load) {
    ctx.set_local_load(load_of(load));
    EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation()))) << "load " << load;
  }
  ctx.set_local_load(load_of(kFullLoad));
  EXPECT_TRUE(rejected(ctx.decide(policy, client_invocation())));
  EXPECT_TRUE(rejected(ctx.decide(policy, forwarded_invocation())));
}

// ---- random ------------------------------------------------------------------------

TEST(RandomPolicy, ForwardsEveryClientInvocationToAPeerEvenWhenIdle) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(3));
  RandomPeer policy;
  for (int i = 0; i < 100; ++i) {
    const auto peer = forwarded_to(ctx.decide(policy, client_invocation()));
    ASSERT_TRUE(peer.has_value());
    EXPECT_NE(*peer, ctx.self());
    EXPECT_THAT(peers_of(ctx), ::testing::Contains(*peer));
  }
}

TEST(RandomPolicy, PicksPeersUniformly) {
  FakeNodeContext ctx(kStatisticalSeed);
  ctx.set_peers(numbered_peers(5));
  RandomPeer policy;
  std::vector<NodeId> picks;
  picks.reserve(kDraws);
  for (int i = 0; i < kDraws; ++i) picks.push_back(*forwarded_to(ctx.decide(policy, client_invocation())));
  for (double share : shares(picks, peers_of(ctx))) EXPECT_NEAR(share, 0.2, kShareTolerance);
}

TEST(RandomPolicy, ForwardedArrivalRunsHereOrIsRejected) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(3));
  RandomPeer policy;
  EXPECT_TRUE(runs_here(ctx.decide(policy, forwarded_invocation())));
  ctx.set_local_load(load_of(kFullLoad));
  EXPECT_TRUE(rejected(ctx.decide(policy, forwarded_invocation())));
}

TEST(RandomPolicy, WithoutPeersBehavesAsLocal) {
  FakeNodeContext ctx;
  RandomPeer policy;
  EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation())));
  ctx.set_local_load(load_of(kFullLoad));
  EXPECT_TRUE(rejected(ctx.decide(policy, client_invocation())));
}

// ---- round_robin -------------------------------------------------------------------

TEST(RoundRobinPolicy, CyclesThroughAllPeersInOrder) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(4));
  RoundRobin policy;
  std::vector<NodeId> picks;
  picks.reserve(12);
  for (int i = 0; i < 12; ++i) picks.push_back(*forwarded_to(ctx.decide(policy, client_invocation())));
  const std::vector<NodeId> peers = peers_of(ctx);
  const std::set<NodeId> first_round(picks.begin(), picks.begin() + 4);
  EXPECT_EQ(first_round, std::set<NodeId>(peers.begin(), peers.end()));
  for (std::size_t i = 1; i < picks.size(); ++i) {
    const auto previous = std::find(peers.begin(), peers.end(), picks[i - 1]) - peers.begin();
    EXPECT_EQ(picks[i], peers[static_cast<std::size_t>((previous + 1) % 4)]) << "pick " << i;
  }
}

TEST(RoundRobinPolicy, FirstPeerComesFromTheNodesRandomStream) {
  std::set<NodeId> first_peers;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    FakeNodeContext ctx(seed);
    ctx.set_peers(numbered_peers(4));
    RoundRobin policy;
    first_peers.insert(*forwarded_to(ctx.decide(policy, client_invocation())));
  }
  EXPECT_EQ(first_peers.size(), 4u);
}

TEST(RoundRobinPolicy, ForwardedArrivalsAndPeerlessNodesStayLocal) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(2));
  RoundRobin policy;
  EXPECT_TRUE(runs_here(ctx.decide(policy, forwarded_invocation())));
  FakeNodeContext alone;
  alone.set_local_load(load_of(kFullLoad));
  EXPECT_TRUE(rejected(alone.decide(policy, client_invocation())));
}

// ---- threshold_random --------------------------------------------------------------

TEST(ThresholdRandomPolicy, RunsHereBelowTheThreshold) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(5));
  ThresholdRandom policy({.threshold = 3});
  for (std::uint32_t load = 0; load < 3; ++load) {
    ctx.set_local_load(load_of(load));
    EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation()))) << "load " << load;
  }
}

TEST(ThresholdRandomPolicy, ForwardsToARandomPeerAtOrAboveTheThreshold) {
  FakeNodeContext ctx(kStatisticalSeed);
  ctx.set_peers(numbered_peers(4));
  ThresholdRandom policy({.threshold = 3});
  std::vector<NodeId> picks;
  for (int i = 0; i < kDraws; ++i) {
    ctx.set_local_load(load_of(3 + static_cast<std::uint32_t>(i % 4)));
    const auto peer = forwarded_to(ctx.decide(policy, client_invocation()));
    ASSERT_TRUE(peer.has_value()) << "load " << ctx.local_load().load();
    picks.push_back(*peer);
  }
  for (double share : shares(picks, peers_of(ctx))) EXPECT_NEAR(share, 0.25, kShareTolerance);
}

TEST(ThresholdRandomPolicy, ForwardsBelowTheThresholdWhenTheNodeIsFull) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(2));
  ctx.set_local_load(LoadReport{.running = 1, .queued = 0, .slots = 1, .queue_capacity = 0});
  ThresholdRandom policy({.threshold = 5});
  EXPECT_TRUE(forwarded_to(ctx.decide(policy, client_invocation())).has_value());
}

TEST(ThresholdRandomPolicy, ForwardedArrivalsAndPeerlessNodesRunHereOrReject) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(2));
  ThresholdRandom policy({.threshold = 1});
  ctx.set_local_load(load_of(4));
  EXPECT_TRUE(runs_here(ctx.decide(policy, forwarded_invocation())));
  ctx.set_local_load(load_of(kFullLoad));
  EXPECT_TRUE(rejected(ctx.decide(policy, forwarded_invocation())));
  ctx.set_peers({});
  EXPECT_TRUE(rejected(ctx.decide(policy, client_invocation())));
}

// ---- power_of_d --------------------------------------------------------------------

TEST(PowerOfDPolicy, NeverProbesOrForwardsBelowTheThreshold) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(10));
  PowerOfD policy({.d = 2, .threshold = 4});
  for (std::uint32_t load = 0; load < 4; ++load) {
    ctx.set_local_load(load_of(load));
    for (int i = 0; i < 50; ++i) {
      EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation()))) << "load " << load;
    }
  }
}

TEST(PowerOfDPolicy, ProbesExactlyDDistinctPeersExcludingSelf) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(10));
  ctx.set_local_load(load_of(3));
  PowerOfD policy({.d = 3, .threshold = 3});
  for (int i = 0; i < 1000; ++i) {
    const auto probe = probe_of(ctx.decide(policy, client_invocation()));
    ASSERT_TRUE(probe.has_value());
    ASSERT_EQ(probe->peers.size(), 3u);
    const std::set<NodeId> distinct(probe->peers.begin(), probe->peers.end());
    EXPECT_EQ(distinct.size(), 3u);
    EXPECT_FALSE(distinct.contains(ctx.self()));
    for (NodeId peer : probe->peers) EXPECT_THAT(peers_of(ctx), ::testing::Contains(peer));
  }
}

TEST(PowerOfDPolicy, ProbesEveryPeerWhenThereAreFewerThanD) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(2));
  ctx.set_local_load(load_of(3));
  PowerOfD policy({.d = 5, .threshold = 1});
  const auto probe = probe_of(ctx.decide(policy, client_invocation()));
  ASSERT_TRUE(probe.has_value());
  EXPECT_THAT(probe->peers, ::testing::UnorderedElementsAre(NodeId{1}, NodeId{2}));
}

TEST(PowerOfDPolicy, ProbedSetsAreUniform) {
  // Floyd's sampling: each of 5 peers is in a 2-peer probe with probability 2/5.
  FakeNodeContext ctx(kStatisticalSeed);
  ctx.set_peers(numbered_peers(5));
  ctx.set_local_load(load_of(3));
  PowerOfD policy({.d = 2, .threshold = 1});
  std::map<NodeId, int> probes_including;
  for (int i = 0; i < kDraws; ++i) {
    const auto probe = probe_of(ctx.decide(policy, client_invocation()));
    ASSERT_TRUE(probe.has_value());
    for (NodeId peer : probe->peers) ++probes_including[peer];
  }
  for (NodeId peer : peers_of(ctx)) {
    EXPECT_NEAR(static_cast<double>(probes_including[peer]) / kDraws, 0.4, kShareTolerance) << "peer " << peer.value;
  }
}

TEST(PowerOfDPolicy, WithoutPeersRunsHereOrRejectsInsteadOfProbing) {
  FakeNodeContext ctx;
  PowerOfD policy({.d = 2, .threshold = 1});
  ctx.set_local_load(load_of(3));
  EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation())));
  ctx.set_local_load(load_of(kFullLoad));
  EXPECT_TRUE(rejected(ctx.decide(policy, client_invocation())));
}

TEST(PowerOfDPolicy, ForwardsToTheLeastLoadedProbedPeer) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(5));
  ctx.set_local_load(load_of(4));
  ctx.set_probe_answers({{NodeId{2}, peer_load(5)}, {NodeId{4}, peer_load(1)}, {NodeId{5}, peer_load(3)}});
  PowerOfD policy({.d = 3, .threshold = 3});
  EXPECT_EQ(forwarded_to(ctx.decide(policy, client_invocation())), NodeId{4});
}

TEST(PowerOfDPolicy, NeverForwardsToAPeerAsLoadedAsItself) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(5));
  PowerOfD policy({.d = 2, .threshold = 3});
  ctx.set_probe_answers({{NodeId{1}, peer_load(4)}, {NodeId{3}, peer_load(7)}});
  ctx.set_local_load(load_of(4));
  EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation())));
  // Full: the peer is no better, so reject rather than move the load around.
  ctx.set_probe_answers({{NodeId{1}, peer_load(kFullLoad)}, {NodeId{3}, peer_load(kFullLoad)}});
  ctx.set_local_load(load_of(kFullLoad));
  EXPECT_TRUE(rejected(ctx.decide(policy, client_invocation())));
}

TEST(PowerOfDPolicy, NoAnswersRunsHereOrRejects) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(5));
  PowerOfD policy({.d = 2, .threshold = 3});
  ctx.set_probe_answers({});
  ctx.set_local_load(load_of(5));
  EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation())));
  ctx.set_local_load(load_of(kFullLoad));
  EXPECT_TRUE(rejected(ctx.decide(policy, client_invocation())));
}

TEST(PowerOfDPolicy, BreaksTiesUniformly) {
  FakeNodeContext ctx(kStatisticalSeed);
  ctx.set_peers(numbered_peers(3));
  ctx.set_local_load(load_of(5));
  ctx.set_probe_answers({{NodeId{1}, peer_load(2)}, {NodeId{2}, peer_load(3)}, {NodeId{3}, peer_load(2)}});
  PowerOfD policy({.d = 3, .threshold = 3});
  std::vector<NodeId> picks;
  picks.reserve(kDraws);
  for (int i = 0; i < kDraws; ++i) picks.push_back(*forwarded_to(ctx.decide(policy, client_invocation())));
  const auto share = shares(picks, {NodeId{1}, NodeId{2}, NodeId{3}});
  EXPECT_NEAR(share[0], 0.5, kShareTolerance);
  EXPECT_EQ(share[1], 0.0);
  EXPECT_NEAR(share[2], 0.5, kShareTolerance);
}

TEST(PowerOfDPolicy, ForwardedArrivalNeverProbes) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(5));
  ctx.set_local_load(load_of(5));
  PowerOfD policy({.d = 2, .threshold = 1});
  EXPECT_TRUE(runs_here(ctx.decide(policy, forwarded_invocation())));
}

TEST(PowerOfDPolicy, ProbeNeverExceedsTheContractsBound) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(40));
  ctx.set_local_load(load_of(5));
  PowerOfD policy({.d = static_cast<std::uint32_t>(kMaxProbePeers), .threshold = 1});
  const auto probe = probe_of(ctx.decide(policy, client_invocation()));
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->peers.size(), kMaxProbePeers);
}

// ---- least_loaded ------------------------------------------------------------------

TEST(LeastLoadedPolicy, StartArmsTheTimerAtARandomPhaseWithinOneInterval) {
  std::set<Duration> phases;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    FakeNodeContext ctx(seed);
    ctx.set_peers(numbered_peers(3));
    LeastLoaded policy({.gossip_interval = 2s, .fanout = 0});
    policy.on_start(ctx);
    ASSERT_EQ(ctx.timers().size(), 1u);
    EXPECT_GT(ctx.timers()[0], 0s);
    EXPECT_LE(ctx.timers()[0], 2s);
    phases.insert(ctx.timers()[0]);
  }
  EXPECT_GT(phases.size(), 40u) << "nodes would gossip in lockstep";
}

TEST(LeastLoadedPolicy, StartNeverArmsAZeroTimerEvenWhenThePhaseDrawIsZero) {
  // Seed 1630882's first draw of uniform_index(1 ms in ns) is 0: the draw that used
  // to arm set_timer(0), which every runtime refuses.
  constexpr std::uint64_t kZeroPhaseSeed = 1630882;
  constexpr Duration kInterval = 1ms;
  ASSERT_EQ(Rng(kZeroPhaseSeed).uniform_index(static_cast<std::uint64_t>(kInterval.count())), 0u);
  FakeNodeContext ctx(kZeroPhaseSeed);
  ctx.set_peers(numbered_peers(3));
  LeastLoaded policy({.gossip_interval = kInterval, .fanout = 0});
  ASSERT_NO_THROW(policy.on_start(ctx));
  ASSERT_EQ(ctx.timers().size(), 1u);
  EXPECT_EQ(ctx.timers()[0], kInterval) << "a zero phase stands for a whole interval";
}

TEST(LeastLoadedPolicy, TimerGossipsToAllAndReArmsAtTheInterval) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(3));
  LeastLoaded policy({.gossip_interval = 250ms, .fanout = 0});
  for (int round = 1; round <= 3; ++round) {
    policy.on_timer(ctx);
    EXPECT_EQ(gossip_to_all_rounds(ctx), round);
    EXPECT_EQ(ctx.timers().back(), 250ms);
  }
  EXPECT_EQ(ctx.timers().size(), 3u);
  EXPECT_TRUE(gossip_rounds(ctx).empty());
}

TEST(LeastLoadedPolicy, FanoutGossipsToThatManyDistinctRandomPeers) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(10));
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 3});
  std::set<NodeId> told;
  for (int round = 0; round < 100; ++round) {
    policy.on_timer(ctx);
    const std::vector<NodeId> peers = gossip_rounds(ctx).back();
    ASSERT_EQ(peers.size(), 3u);
    const std::set<NodeId> distinct(peers.begin(), peers.end());
    EXPECT_EQ(distinct.size(), 3u);
    EXPECT_FALSE(distinct.contains(ctx.self()));
    told.insert(peers.begin(), peers.end());
  }
  EXPECT_EQ(told.size(), 10u);
  EXPECT_EQ(gossip_to_all_rounds(ctx), 0);
  EXPECT_EQ(ctx.timers().back(), 1s);
}

TEST(LeastLoadedPolicy, FanoutOfAtLeastThePeerCountTellsEveryPeer) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(3));
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 3});
  policy.on_timer(ctx);
  EXPECT_EQ(gossip_to_all_rounds(ctx), 1);
}

TEST(LeastLoadedPolicy, ForwardsToTheLeastLoadedKnownPeerOnlyWhenStrictlyLower) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(4));
  ctx.set_known_load(NodeId{1}, peer_load(3), 100ms);
  ctx.set_known_load(NodeId{2}, peer_load(1), 5s);  // stale, still believed
  ctx.set_known_load(NodeId{4}, peer_load(2), 0s);
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  ctx.set_local_load(load_of(2));
  EXPECT_EQ(forwarded_to(ctx.decide(policy, client_invocation())), NodeId{2});
  ctx.set_local_load(load_of(1));
  EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation())));
  ctx.set_local_load(load_of(0));
  EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation())));
}

TEST(LeastLoadedPolicy, PeersNeverHeardFromAreNotCandidates) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(4));
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  ctx.set_local_load(load_of(5));
  EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation())));
  ctx.set_local_load(load_of(kFullLoad));
  EXPECT_TRUE(rejected(ctx.decide(policy, client_invocation())));
}

TEST(LeastLoadedPolicy, BreaksTiesUniformly) {
  FakeNodeContext ctx(kStatisticalSeed);
  ctx.set_peers(numbered_peers(3));
  ctx.set_known_load(NodeId{1}, peer_load(1), 0s);
  ctx.set_known_load(NodeId{3}, peer_load(1), 0s);
  ctx.set_local_load(load_of(4));
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  std::vector<NodeId> picks;
  picks.reserve(kDraws);
  for (int i = 0; i < kDraws; ++i) picks.push_back(*forwarded_to(ctx.decide(policy, client_invocation())));
  const auto share = shares(picks, {NodeId{1}, NodeId{3}});
  EXPECT_NEAR(share[0], 0.5, kShareTolerance);
  EXPECT_NEAR(share[1], 0.5, kShareTolerance);
}

// One query of the node's ranked memory, whatever the number of peers: no pass over
// the peer list, no lookup per peer.
TEST(LeastLoadedPolicy, DecidesWithOneQueryInsteadOfAPassOverThePeers) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(50));
  for (std::uint32_t peer = 1; peer <= 50; ++peer) ctx.set_known_load(NodeId{peer}, peer_load(peer % 3 + 1), 0s);
  ctx.set_local_load(load_of(3));
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  std::vector<testing::ContextEntry> entries;
  testing::RecordingContext recording(ctx, entries);
  const Decision decision = policy.decide(client_invocation(), recording);
  ASSERT_TRUE(forwarded_to(decision).has_value());
  EXPECT_EQ(ctx.known_load(*forwarded_to(decision))->load.load(), 1u);
  std::vector<std::string> calls;
  for (const testing::ContextEntry& e : entries) calls.push_back(e.call);
  EXPECT_THAT(calls, ::testing::ElementsAre("least_loaded_known_peer()", "local_load()", "self()"));
}

// Ties among the least loaded take one draw, uniform_index(tied), not one per tied peer.
TEST(LeastLoadedPolicy, BreaksTiesWithOneDraw) {
  FakeNodeContext ctx(kStatisticalSeed);
  ctx.set_peers(numbered_peers(5));
  for (std::uint32_t peer : {1u, 3u, 4u, 5u}) ctx.set_known_load(NodeId{peer}, peer_load(1), 0s);
  ctx.set_known_load(NodeId{2}, peer_load(0), 0s);
  ctx.set_known_load(NodeId{2}, peer_load(2), 0s);  // moved up past the tied
  ctx.set_local_load(load_of(4));
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  Rng expected = ctx.rng();
  const auto picked = forwarded_to(ctx.decide(policy, client_invocation()));
  ASSERT_TRUE(picked.has_value());
  EXPECT_NE(*picked, NodeId{2});
  expected.uniform_index(4);
  EXPECT_EQ(expected(), ctx.rng()());
}

// A node remembers gossip_memory peers: a peer forgotten for a newer one is no
// candidate, however light its last load.
TEST(LeastLoadedPolicy, ForgottenPeersAreNoCandidates) {
  FakeNodeContext ctx;
  ctx.set_gossip_memory(2);
  ctx.set_peers(numbered_peers(3));
  ctx.set_known_load(NodeId{1}, peer_load(0), 3s);
  ctx.set_known_load(NodeId{2}, peer_load(2), 2s);
  ctx.set_known_load(NodeId{3}, peer_load(1), 1s);  // forgets 1
  ctx.set_local_load(load_of(4));
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  EXPECT_FALSE(ctx.known_load(NodeId{1}).has_value());
  EXPECT_EQ(forwarded_to(ctx.decide(policy, client_invocation())), NodeId{3});
}

TEST(LeastLoadedPolicy, ForwardedArrivalRunsHere) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(2));
  ctx.set_known_load(NodeId{1}, peer_load(0), 0s);
  ctx.set_local_load(load_of(5));
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  EXPECT_TRUE(runs_here(ctx.decide(policy, forwarded_invocation())));
}

// ---- cloud_offload -----------------------------------------------------------------

TEST(CloudOffloadPolicy, GoesToTheCloudOnlyAtOrAboveTheThreshold) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(3));
  ctx.set_cloud(NodeId{99});
  CloudOffload policy({.threshold = 4});
  for (std::uint32_t load = 0; load <= kFullLoad; ++load) {
    ctx.set_local_load(load_of(load));
    const Decision decision = ctx.decide(policy, client_invocation());
    if (load < 4) {
      EXPECT_TRUE(runs_here(decision)) << "load " << load;
    } else {
      EXPECT_EQ(forwarded_to(decision), NodeId{99}) << "load " << load;
    }
  }
}

TEST(CloudOffloadPolicy, WithoutACloudRunsHereOrRejects) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(3));
  CloudOffload policy({.threshold = 1});
  ctx.set_local_load(load_of(3));
  EXPECT_TRUE(runs_here(ctx.decide(policy, client_invocation())));
  ctx.set_local_load(load_of(kFullLoad));
  EXPECT_TRUE(rejected(ctx.decide(policy, client_invocation())));
}

TEST(CloudOffloadPolicy, ForwardedArrivalNeverGoesToTheCloud) {
  FakeNodeContext ctx;
  ctx.set_cloud(NodeId{99});
  ctx.set_local_load(load_of(5));
  CloudOffload policy({.threshold = 1});
  EXPECT_TRUE(runs_here(ctx.decide(policy, forwarded_invocation())));
}

// ---- FakeNodeContext: the runtimes' rules ----------------------------------------

TEST(FakeNodeContext, RefusesWhatEveryRuntimeRefuses) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(2));
  ctx.set_cloud(NodeId{9});
  const Invocation call = client_invocation();
  EXPECT_THROW(ctx.check(Forward{NodeId{0}}, call), PolicyContractError) << "forward to self";
  EXPECT_THROW(ctx.check(Forward{NodeId{5}}, call), PolicyContractError) << "forward to a node not listed";
  EXPECT_EQ(ctx.check(Forward{NodeId{9}}, call).step, Step::forward) << "the cloud takes forwards";
  Probe cloud_probe;
  cloud_probe.peers.push_back(NodeId{9});
  EXPECT_THROW(ctx.check(cloud_probe, call), PolicyContractError) << "the cloud is not probed";
  EXPECT_THROW(ctx.set_timer(0ns), PolicyContractError);
  EXPECT_THROW(ctx.set_timer(-1ms), PolicyContractError);
  const NodeId cloud_only[] = {NodeId{9}};
  EXPECT_THROW(ctx.gossip_load(cloud_only), PolicyContractError) << "the cloud is not gossiped to";
  const NodeId self_only[] = {NodeId{0}};
  EXPECT_THROW(ctx.gossip_load(self_only), PolicyContractError);
  EXPECT_TRUE(ctx.timers().empty());
  EXPECT_TRUE(ctx.gossip_sent().empty());

  ctx.set_probe_answers({});
  Probe again;
  again.peers.push_back(NodeId{1});
  EXPECT_THROW(ctx.check(again, call), PolicyContractError) << "a Probe answering a probe";
}

TEST(FakeNodeContext, AppliesTheHopLimitAsTheRuntimesDo) {
  FakeNodeContext ctx;
  ctx.set_peers(numbered_peers(2));
  const CheckedDecision at_limit = ctx.check(Forward{NodeId{1}}, forwarded_invocation());
  EXPECT_EQ(at_limit.step, Step::run_local);
  EXPECT_TRUE(at_limit.hop_limit_enforced);
  ctx.set_hop_limit(2);
  EXPECT_EQ(ctx.check(Forward{NodeId{1}}, forwarded_invocation()).step, Step::forward);
}

// ---- every policy ------------------------------------------------------------------

TEST(AllPolicies, NeverForwardToSelfEvenIfTheRuntimeListsIt) {
  FakeNodeContext ctx;
  ctx.set_peers({NodeId{0}});  // a broken runtime offering self as the only peer
  ctx.set_cloud(NodeId{0});
  ctx.set_known_load(NodeId{0}, peer_load(0), 0s);
  ctx.set_local_load(load_of(5));
  RandomPeer random_policy;
  RoundRobin round_robin_policy;
  ThresholdRandom threshold_policy({.threshold = 1});
  PowerOfD power_of_d_policy({.d = 2, .threshold = 1});
  LeastLoaded least_loaded_policy({.gossip_interval = 1s, .fanout = 0});
  CloudOffload cloud_policy({.threshold = 1});
  for (Policy* policy : std::initializer_list<Policy*>{&random_policy, &round_robin_policy, &threshold_policy,
                                                       &power_of_d_policy, &least_loaded_policy, &cloud_policy}) {
    EXPECT_TRUE(runs_here(ctx.decide(*policy, client_invocation())));
  }
  ctx.set_probe_answers({{NodeId{0}, peer_load(0)}});
  EXPECT_TRUE(runs_here(ctx.decide(power_of_d_policy, client_invocation())));
}

}  // namespace
}  // namespace fogsched::policies
