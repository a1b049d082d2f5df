// Unit and statistical tests of the built-in policies against a fake NodeContext.
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

#include "fogsched/core/policy.h"
#include "fogsched/policies/cloud_offload.h"
#include "fogsched/policies/least_loaded.h"
#include "fogsched/policies/local.h"
#include "fogsched/policies/power_of_d.h"
#include "fogsched/policies/random.h"
#include "fogsched/policies/round_robin.h"
#include "fogsched/policies/threshold_random.h"

namespace fogsched::policies {
namespace {

using namespace std::chrono_literals;

// A NodeContext whose every answer the test sets, recording what the policy asks
// the runtime to do (gossip, timers).
class FakeContext final : public NodeContext {
 public:
  explicit FakeContext(std::uint64_t seed = 1) : random(seed) {}

  Time now() const noexcept override { return current_time; }
  NodeId self() const noexcept override { return self_id; }
  LoadReport local_load() const noexcept override { return load; }
  std::size_t peer_count() const noexcept override { return peers.size(); }
  NodeId peer(std::size_t index) const noexcept override { return peers[index]; }
  std::optional<NodeId> cloud() const noexcept override { return cloud_id; }
  std::optional<KnownLoad> known_load(NodeId peer_id) const noexcept override {
    const auto it = known_loads.find(peer_id);
    if (it == known_loads.end()) return std::nullopt;
    return it->second;
  }
  bool probed() const noexcept override { return is_probe_reentry; }
  std::span<const ProbeAnswer> probe_answers() const noexcept override { return answers; }
  Rng& rng() noexcept override { return random; }
  void gossip_load(std::span<const NodeId> to) override { gossip_rounds.emplace_back(to.begin(), to.end()); }
  void gossip_load_to_all() override { ++gossip_to_all_rounds; }
  void set_timer(Duration after) override { timers.push_back(after); }

  // Peers 1..count (self is node 0).
  void set_peers(std::uint32_t count) {
    peers.clear();
    for (std::uint32_t i = 1; i <= count; ++i) peers.push_back(NodeId{i});
  }
  // Marks the next decide() as the re-entry after a probe with these answers.
  void answer_probe(std::vector<ProbeAnswer> probe_answers_given) {
    is_probe_reentry = true;
    answers = std::move(probe_answers_given);
  }

  Time current_time{};
  NodeId self_id{0};
  LoadReport load{.running = 0, .queued = 0, .slots = 4, .queue_capacity = 0};
  std::vector<NodeId> peers;
  std::optional<NodeId> cloud_id;
  std::map<NodeId, KnownLoad> known_loads;
  bool is_probe_reentry = false;
  std::vector<ProbeAnswer> answers;
  Rng random;

  std::vector<std::vector<NodeId>> gossip_rounds;
  int gossip_to_all_rounds = 0;
  std::vector<Duration> timers;
};

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
  FakeContext ctx;
  ctx.set_peers(5);
  Local policy;
  for (std::uint32_t load = 0; load < kFullLoad; ++load) {
    ctx.load = load_of(load);
    EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx))) << "load " << load;
  }
  ctx.load = load_of(kFullLoad);
  EXPECT_TRUE(rejected(policy.decide(client_invocation(), ctx)));
  EXPECT_TRUE(rejected(policy.decide(forwarded_invocation(), ctx)));
}

// ---- random ------------------------------------------------------------------------

TEST(RandomPolicy, ForwardsEveryClientInvocationToAPeerEvenWhenIdle) {
  FakeContext ctx;
  ctx.set_peers(3);
  RandomPeer policy;
  for (int i = 0; i < 100; ++i) {
    const auto peer = forwarded_to(policy.decide(client_invocation(), ctx));
    ASSERT_TRUE(peer.has_value());
    EXPECT_NE(*peer, ctx.self());
    EXPECT_THAT(ctx.peers, testing::Contains(*peer));
  }
}

TEST(RandomPolicy, PicksPeersUniformly) {
  FakeContext ctx(kStatisticalSeed);
  ctx.set_peers(5);
  RandomPeer policy;
  std::vector<NodeId> picks;
  for (int i = 0; i < kDraws; ++i) picks.push_back(*forwarded_to(policy.decide(client_invocation(), ctx)));
  for (double share : shares(picks, ctx.peers)) EXPECT_NEAR(share, 0.2, kShareTolerance);
}

TEST(RandomPolicy, ForwardedArrivalRunsHereOrIsRejected) {
  FakeContext ctx;
  ctx.set_peers(3);
  RandomPeer policy;
  EXPECT_TRUE(runs_here(policy.decide(forwarded_invocation(), ctx)));
  ctx.load = load_of(kFullLoad);
  EXPECT_TRUE(rejected(policy.decide(forwarded_invocation(), ctx)));
}

TEST(RandomPolicy, WithoutPeersBehavesAsLocal) {
  FakeContext ctx;
  RandomPeer policy;
  EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx)));
  ctx.load = load_of(kFullLoad);
  EXPECT_TRUE(rejected(policy.decide(client_invocation(), ctx)));
}

// ---- round_robin -------------------------------------------------------------------

TEST(RoundRobinPolicy, CyclesThroughAllPeersInOrder) {
  FakeContext ctx;
  ctx.set_peers(4);
  RoundRobin policy;
  std::vector<NodeId> picks;
  for (int i = 0; i < 12; ++i) picks.push_back(*forwarded_to(policy.decide(client_invocation(), ctx)));
  const std::set<NodeId> first_round(picks.begin(), picks.begin() + 4);
  EXPECT_EQ(first_round, std::set<NodeId>(ctx.peers.begin(), ctx.peers.end()));
  for (std::size_t i = 1; i < picks.size(); ++i) {
    const auto previous = std::find(ctx.peers.begin(), ctx.peers.end(), picks[i - 1]) - ctx.peers.begin();
    EXPECT_EQ(picks[i], ctx.peers[static_cast<std::size_t>((previous + 1) % 4)]) << "pick " << i;
  }
}

TEST(RoundRobinPolicy, FirstPeerComesFromTheNodesRandomStream) {
  std::set<NodeId> first_peers;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    FakeContext ctx(seed);
    ctx.set_peers(4);
    RoundRobin policy;
    first_peers.insert(*forwarded_to(policy.decide(client_invocation(), ctx)));
  }
  EXPECT_EQ(first_peers.size(), 4u);
}

TEST(RoundRobinPolicy, ForwardedArrivalsAndPeerlessNodesStayLocal) {
  FakeContext ctx;
  ctx.set_peers(2);
  RoundRobin policy;
  EXPECT_TRUE(runs_here(policy.decide(forwarded_invocation(), ctx)));
  FakeContext alone;
  alone.load = load_of(kFullLoad);
  EXPECT_TRUE(rejected(policy.decide(client_invocation(), alone)));
}

// ---- threshold_random --------------------------------------------------------------

TEST(ThresholdRandomPolicy, RunsHereBelowTheThreshold) {
  FakeContext ctx;
  ctx.set_peers(5);
  ThresholdRandom policy({.threshold = 3});
  for (std::uint32_t load = 0; load < 3; ++load) {
    ctx.load = load_of(load);
    EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx))) << "load " << load;
  }
}

TEST(ThresholdRandomPolicy, ForwardsToARandomPeerAtOrAboveTheThreshold) {
  FakeContext ctx(kStatisticalSeed);
  ctx.set_peers(4);
  ThresholdRandom policy({.threshold = 3});
  std::vector<NodeId> picks;
  for (int i = 0; i < kDraws; ++i) {
    ctx.load = load_of(3 + static_cast<std::uint32_t>(i % 4));
    const auto peer = forwarded_to(policy.decide(client_invocation(), ctx));
    ASSERT_TRUE(peer.has_value()) << "load " << ctx.load.load();
    picks.push_back(*peer);
  }
  for (double share : shares(picks, ctx.peers)) EXPECT_NEAR(share, 0.25, kShareTolerance);
}

TEST(ThresholdRandomPolicy, ForwardsBelowTheThresholdWhenTheNodeIsFull) {
  FakeContext ctx;
  ctx.set_peers(2);
  ctx.load = LoadReport{.running = 1, .queued = 0, .slots = 1, .queue_capacity = 0};
  ThresholdRandom policy({.threshold = 5});
  EXPECT_TRUE(forwarded_to(policy.decide(client_invocation(), ctx)).has_value());
}

TEST(ThresholdRandomPolicy, ForwardedArrivalsAndPeerlessNodesRunHereOrReject) {
  FakeContext ctx;
  ctx.set_peers(2);
  ThresholdRandom policy({.threshold = 1});
  ctx.load = load_of(4);
  EXPECT_TRUE(runs_here(policy.decide(forwarded_invocation(), ctx)));
  ctx.load = load_of(kFullLoad);
  EXPECT_TRUE(rejected(policy.decide(forwarded_invocation(), ctx)));
  ctx.peers.clear();
  EXPECT_TRUE(rejected(policy.decide(client_invocation(), ctx)));
}

// ---- power_of_d --------------------------------------------------------------------

TEST(PowerOfDPolicy, NeverProbesOrForwardsBelowTheThreshold) {
  FakeContext ctx;
  ctx.set_peers(10);
  PowerOfD policy({.d = 2, .threshold = 4});
  for (std::uint32_t load = 0; load < 4; ++load) {
    ctx.load = load_of(load);
    for (int i = 0; i < 50; ++i) {
      EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx))) << "load " << load;
    }
  }
}

TEST(PowerOfDPolicy, ProbesExactlyDDistinctPeersExcludingSelf) {
  FakeContext ctx;
  ctx.set_peers(10);
  ctx.load = load_of(3);
  PowerOfD policy({.d = 3, .threshold = 3});
  for (int i = 0; i < 1000; ++i) {
    const auto probe = probe_of(policy.decide(client_invocation(), ctx));
    ASSERT_TRUE(probe.has_value());
    ASSERT_EQ(probe->peers.size(), 3u);
    const std::set<NodeId> distinct(probe->peers.begin(), probe->peers.end());
    EXPECT_EQ(distinct.size(), 3u);
    EXPECT_FALSE(distinct.contains(ctx.self()));
    for (NodeId peer : probe->peers) EXPECT_THAT(ctx.peers, testing::Contains(peer));
  }
}

TEST(PowerOfDPolicy, ProbesEveryPeerWhenThereAreFewerThanD) {
  FakeContext ctx;
  ctx.set_peers(2);
  ctx.load = load_of(3);
  PowerOfD policy({.d = 5, .threshold = 1});
  const auto probe = probe_of(policy.decide(client_invocation(), ctx));
  ASSERT_TRUE(probe.has_value());
  EXPECT_THAT(probe->peers, testing::UnorderedElementsAre(NodeId{1}, NodeId{2}));
}

TEST(PowerOfDPolicy, ProbedSetsAreUniform) {
  // Floyd's sampling: each of 5 peers is in a 2-peer probe with probability 2/5.
  FakeContext ctx(kStatisticalSeed);
  ctx.set_peers(5);
  ctx.load = load_of(3);
  PowerOfD policy({.d = 2, .threshold = 1});
  std::map<NodeId, int> probes_including;
  for (int i = 0; i < kDraws; ++i) {
    const auto probe = probe_of(policy.decide(client_invocation(), ctx));
    ASSERT_TRUE(probe.has_value());
    for (NodeId peer : probe->peers) ++probes_including[peer];
  }
  for (NodeId peer : ctx.peers) {
    EXPECT_NEAR(static_cast<double>(probes_including[peer]) / kDraws, 0.4, kShareTolerance) << "peer " << peer.value;
  }
}

TEST(PowerOfDPolicy, WithoutPeersRunsHereOrRejectsInsteadOfProbing) {
  FakeContext ctx;
  PowerOfD policy({.d = 2, .threshold = 1});
  ctx.load = load_of(3);
  EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx)));
  ctx.load = load_of(kFullLoad);
  EXPECT_TRUE(rejected(policy.decide(client_invocation(), ctx)));
}

TEST(PowerOfDPolicy, ForwardsToTheLeastLoadedProbedPeer) {
  FakeContext ctx;
  ctx.set_peers(5);
  ctx.load = load_of(4);
  ctx.answer_probe({{NodeId{2}, peer_load(5)}, {NodeId{4}, peer_load(1)}, {NodeId{5}, peer_load(3)}});
  PowerOfD policy({.d = 3, .threshold = 3});
  EXPECT_EQ(forwarded_to(policy.decide(client_invocation(), ctx)), NodeId{4});
}

TEST(PowerOfDPolicy, NeverForwardsToAPeerAsLoadedAsItself) {
  FakeContext ctx;
  ctx.set_peers(5);
  PowerOfD policy({.d = 2, .threshold = 3});
  ctx.answer_probe({{NodeId{1}, peer_load(4)}, {NodeId{3}, peer_load(7)}});
  ctx.load = load_of(4);
  EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx)));
  // Full: the peer is no better, so reject rather than move the load around.
  ctx.answer_probe({{NodeId{1}, peer_load(kFullLoad)}, {NodeId{3}, peer_load(kFullLoad)}});
  ctx.load = load_of(kFullLoad);
  EXPECT_TRUE(rejected(policy.decide(client_invocation(), ctx)));
}

TEST(PowerOfDPolicy, NoAnswersRunsHereOrRejects) {
  FakeContext ctx;
  ctx.set_peers(5);
  PowerOfD policy({.d = 2, .threshold = 3});
  ctx.answer_probe({});
  ctx.load = load_of(5);
  EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx)));
  ctx.load = load_of(kFullLoad);
  EXPECT_TRUE(rejected(policy.decide(client_invocation(), ctx)));
}

TEST(PowerOfDPolicy, BreaksTiesUniformly) {
  FakeContext ctx(kStatisticalSeed);
  ctx.set_peers(3);
  ctx.load = load_of(5);
  ctx.answer_probe({{NodeId{1}, peer_load(2)}, {NodeId{2}, peer_load(3)}, {NodeId{3}, peer_load(2)}});
  PowerOfD policy({.d = 3, .threshold = 3});
  std::vector<NodeId> picks;
  for (int i = 0; i < kDraws; ++i) picks.push_back(*forwarded_to(policy.decide(client_invocation(), ctx)));
  const auto share = shares(picks, {NodeId{1}, NodeId{2}, NodeId{3}});
  EXPECT_NEAR(share[0], 0.5, kShareTolerance);
  EXPECT_EQ(share[1], 0.0);
  EXPECT_NEAR(share[2], 0.5, kShareTolerance);
}

TEST(PowerOfDPolicy, ForwardedArrivalNeverProbes) {
  FakeContext ctx;
  ctx.set_peers(5);
  ctx.load = load_of(5);
  PowerOfD policy({.d = 2, .threshold = 1});
  EXPECT_TRUE(runs_here(policy.decide(forwarded_invocation(), ctx)));
}

TEST(PowerOfDPolicy, ProbeNeverExceedsTheContractsBound) {
  FakeContext ctx;
  ctx.set_peers(40);
  ctx.load = load_of(5);
  PowerOfD policy({.d = static_cast<std::uint32_t>(kMaxProbePeers), .threshold = 1});
  const auto probe = probe_of(policy.decide(client_invocation(), ctx));
  ASSERT_TRUE(probe.has_value());
  EXPECT_EQ(probe->peers.size(), kMaxProbePeers);
}

// ---- least_loaded ------------------------------------------------------------------

TEST(LeastLoadedPolicy, StartArmsTheTimerAtARandomPhaseWithinOneInterval) {
  std::set<Duration> phases;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    FakeContext ctx(seed);
    ctx.set_peers(3);
    LeastLoaded policy({.gossip_interval = 2s, .fanout = 0});
    policy.on_start(ctx);
    ASSERT_EQ(ctx.timers.size(), 1u);
    EXPECT_GE(ctx.timers[0], 0s);
    EXPECT_LT(ctx.timers[0], 2s);
    phases.insert(ctx.timers[0]);
  }
  EXPECT_GT(phases.size(), 40u) << "nodes would gossip in lockstep";
}

TEST(LeastLoadedPolicy, TimerGossipsToAllAndReArmsAtTheInterval) {
  FakeContext ctx;
  ctx.set_peers(3);
  LeastLoaded policy({.gossip_interval = 250ms, .fanout = 0});
  for (int round = 1; round <= 3; ++round) {
    policy.on_timer(ctx);
    EXPECT_EQ(ctx.gossip_to_all_rounds, round);
    EXPECT_EQ(ctx.timers.back(), 250ms);
  }
  EXPECT_EQ(ctx.timers.size(), 3u);
  EXPECT_TRUE(ctx.gossip_rounds.empty());
}

TEST(LeastLoadedPolicy, FanoutGossipsToThatManyDistinctRandomPeers) {
  FakeContext ctx;
  ctx.set_peers(10);
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 3});
  std::set<NodeId> told;
  for (int round = 0; round < 100; ++round) {
    policy.on_timer(ctx);
    const auto& peers = ctx.gossip_rounds.back();
    ASSERT_EQ(peers.size(), 3u);
    const std::set<NodeId> distinct(peers.begin(), peers.end());
    EXPECT_EQ(distinct.size(), 3u);
    EXPECT_FALSE(distinct.contains(ctx.self()));
    told.insert(peers.begin(), peers.end());
  }
  EXPECT_EQ(told.size(), 10u);
  EXPECT_EQ(ctx.gossip_to_all_rounds, 0);
  EXPECT_EQ(ctx.timers.back(), 1s);
}

TEST(LeastLoadedPolicy, FanoutOfAtLeastThePeerCountTellsEveryPeer) {
  FakeContext ctx;
  ctx.set_peers(3);
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 3});
  policy.on_timer(ctx);
  EXPECT_EQ(ctx.gossip_to_all_rounds, 1);
}

TEST(LeastLoadedPolicy, ForwardsToTheLeastLoadedKnownPeerOnlyWhenStrictlyLower) {
  FakeContext ctx;
  ctx.set_peers(4);
  ctx.known_loads[NodeId{1}] = KnownLoad{peer_load(3), 100ms};
  ctx.known_loads[NodeId{2}] = KnownLoad{peer_load(1), 5s};  // stale, still believed
  ctx.known_loads[NodeId{4}] = KnownLoad{peer_load(2), 0s};
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  ctx.load = load_of(2);
  EXPECT_EQ(forwarded_to(policy.decide(client_invocation(), ctx)), NodeId{2});
  ctx.load = load_of(1);
  EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx)));
  ctx.load = load_of(0);
  EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx)));
}

TEST(LeastLoadedPolicy, PeersNeverHeardFromAreNotCandidates) {
  FakeContext ctx;
  ctx.set_peers(4);
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  ctx.load = load_of(5);
  EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx)));
  ctx.load = load_of(kFullLoad);
  EXPECT_TRUE(rejected(policy.decide(client_invocation(), ctx)));
}

TEST(LeastLoadedPolicy, BreaksTiesUniformly) {
  FakeContext ctx(kStatisticalSeed);
  ctx.set_peers(3);
  ctx.known_loads[NodeId{1}] = KnownLoad{peer_load(1), 0s};
  ctx.known_loads[NodeId{3}] = KnownLoad{peer_load(1), 0s};
  ctx.load = load_of(4);
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  std::vector<NodeId> picks;
  for (int i = 0; i < kDraws; ++i) picks.push_back(*forwarded_to(policy.decide(client_invocation(), ctx)));
  const auto share = shares(picks, {NodeId{1}, NodeId{3}});
  EXPECT_NEAR(share[0], 0.5, kShareTolerance);
  EXPECT_NEAR(share[1], 0.5, kShareTolerance);
}

TEST(LeastLoadedPolicy, ForwardedArrivalRunsHere) {
  FakeContext ctx;
  ctx.set_peers(2);
  ctx.known_loads[NodeId{1}] = KnownLoad{peer_load(0), 0s};
  ctx.load = load_of(5);
  LeastLoaded policy({.gossip_interval = 1s, .fanout = 0});
  EXPECT_TRUE(runs_here(policy.decide(forwarded_invocation(), ctx)));
}

// ---- cloud_offload -----------------------------------------------------------------

TEST(CloudOffloadPolicy, GoesToTheCloudOnlyAtOrAboveTheThreshold) {
  FakeContext ctx;
  ctx.set_peers(3);
  ctx.cloud_id = NodeId{99};
  CloudOffload policy({.threshold = 4});
  for (std::uint32_t load = 0; load <= kFullLoad; ++load) {
    ctx.load = load_of(load);
    const Decision decision = policy.decide(client_invocation(), ctx);
    if (load < 4) {
      EXPECT_TRUE(runs_here(decision)) << "load " << load;
    } else {
      EXPECT_EQ(forwarded_to(decision), NodeId{99}) << "load " << load;
    }
  }
}

TEST(CloudOffloadPolicy, WithoutACloudRunsHereOrRejects) {
  FakeContext ctx;
  ctx.set_peers(3);
  CloudOffload policy({.threshold = 1});
  ctx.load = load_of(3);
  EXPECT_TRUE(runs_here(policy.decide(client_invocation(), ctx)));
  ctx.load = load_of(kFullLoad);
  EXPECT_TRUE(rejected(policy.decide(client_invocation(), ctx)));
}

TEST(CloudOffloadPolicy, ForwardedArrivalNeverGoesToTheCloud) {
  FakeContext ctx;
  ctx.cloud_id = NodeId{99};
  ctx.load = load_of(5);
  CloudOffload policy({.threshold = 1});
  EXPECT_TRUE(runs_here(policy.decide(forwarded_invocation(), ctx)));
}

// ---- every policy ------------------------------------------------------------------

TEST(AllPolicies, NeverForwardToSelfEvenIfTheRuntimeListsIt) {
  FakeContext ctx;
  ctx.peers = {NodeId{0}};  // a broken runtime offering self as the only peer
  ctx.cloud_id = NodeId{0};
  ctx.known_loads[NodeId{0}] = KnownLoad{peer_load(0), 0s};
  ctx.load = load_of(5);
  RandomPeer random_policy;
  RoundRobin round_robin_policy;
  ThresholdRandom threshold_policy({.threshold = 1});
  PowerOfD power_of_d_policy({.d = 2, .threshold = 1});
  LeastLoaded least_loaded_policy({.gossip_interval = 1s, .fanout = 0});
  CloudOffload cloud_policy({.threshold = 1});
  for (Policy* policy : std::initializer_list<Policy*>{&random_policy, &round_robin_policy, &threshold_policy,
                                                       &power_of_d_policy, &least_loaded_policy, &cloud_policy}) {
    EXPECT_TRUE(runs_here(policy->decide(client_invocation(), ctx)));
  }
  ctx.answer_probe({{NodeId{0}, peer_load(0)}});
  EXPECT_TRUE(runs_here(power_of_d_policy.decide(client_invocation(), ctx)));
}

}  // namespace
}  // namespace fogsched::policies
