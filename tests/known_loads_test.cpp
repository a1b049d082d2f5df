// KnownLoads: a node's bounded memory of its peers' gossiped loads. Eviction by
// recency, lookups, and the least loaded peer with uniform ties.
#include "fogsched/core/known_loads.h"

#include <malloc.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace fogsched {
namespace {

using namespace std::chrono_literals;

LoadReport load_of(std::uint32_t running, std::uint32_t queued = 0) {
  return LoadReport{.running = running, .queued = queued, .slots = 4, .queue_capacity = 4};
}

Time at(Duration d) { return Time{d}; }

TEST(KnownLoads, RemembersWhatWasHeardWithItsAge) {
  KnownLoads known(4);
  EXPECT_FALSE(known.find(NodeId{3}, at(0s)).has_value());
  known.record(NodeId{3}, load_of(2, 1), at(1s));
  const auto found = known.find(NodeId{3}, at(4s));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->load, load_of(2, 1));
  EXPECT_EQ(found->age, 3s);
  EXPECT_EQ(known.size(), 1u);
}

TEST(KnownLoads, FullItForgetsThePeerHeardFromLongestAgo) {
  KnownLoads known(3);
  known.record(NodeId{10}, load_of(1), at(1s));
  known.record(NodeId{20}, load_of(1), at(2s));
  known.record(NodeId{30}, load_of(1), at(3s));
  known.record(NodeId{10}, load_of(2), at(4s));  // heard again: now the most recent
  known.record(NodeId{40}, load_of(0), at(5s));  // full: 20 goes
  EXPECT_EQ(known.size(), 3u);
  EXPECT_FALSE(known.find(NodeId{20}, at(5s)).has_value());
  EXPECT_TRUE(known.find(NodeId{10}, at(5s)).has_value());
  known.record(NodeId{50}, load_of(0), at(6s));  // then 30
  EXPECT_FALSE(known.find(NodeId{30}, at(6s)).has_value());
  known.record(NodeId{60}, load_of(0), at(7s));  // then 10
  EXPECT_FALSE(known.find(NodeId{10}, at(7s)).has_value());
  for (std::uint32_t peer : {40u, 50u, 60u}) EXPECT_TRUE(known.find(NodeId{peer}, at(7s)).has_value()) << peer;
}

TEST(KnownLoads, AForgottenPeerIsNoneAndNeverTheLeastLoaded) {
  KnownLoads known(2);
  Rng rng(5);
  known.record(NodeId{1}, load_of(0), at(1s));
  known.record(NodeId{2}, load_of(3), at(2s));
  known.record(NodeId{3}, load_of(2), at(3s));  // forgets 1, the least loaded
  EXPECT_FALSE(known.find(NodeId{1}, at(3s)).has_value());
  EXPECT_EQ(known.least_loaded(at(3s), rng)->peer, NodeId{3});
  known.forget(NodeId{3});
  EXPECT_FALSE(known.find(NodeId{3}, at(3s)).has_value());
  EXPECT_EQ(known.least_loaded(at(3s), rng)->peer, NodeId{2});
  known.forget(NodeId{2});
  known.forget(NodeId{2});  // not remembered: nothing
  EXPECT_EQ(known.size(), 0u);
  EXPECT_FALSE(known.least_loaded(at(3s), rng).has_value());
}

TEST(KnownLoads, AnUpdateMovesThePeerBetweenLoads) {
  KnownLoads known(8);
  Rng rng(1);
  known.record(NodeId{1}, load_of(3), at(1s));
  known.record(NodeId{2}, load_of(2), at(1s));
  known.record(NodeId{3}, load_of(4, 2), at(1s));
  EXPECT_EQ(known.least_loaded(at(2s), rng)->peer, NodeId{2});
  known.record(NodeId{3}, load_of(0), at(2s));  // down past both
  auto least = known.least_loaded(at(3s), rng);
  EXPECT_EQ(least->peer, NodeId{3});
  EXPECT_EQ(least->known.load, load_of(0));
  EXPECT_EQ(least->known.age, 1s);
  known.record(NodeId{3}, load_of(4, 4), at(3s));  // up past both
  known.record(NodeId{2}, load_of(4), at(3s));
  EXPECT_EQ(known.least_loaded(at(3s), rng)->peer, NodeId{1});
  EXPECT_EQ(known.find(NodeId{3}, at(3s))->load, load_of(4, 4));
  EXPECT_EQ(known.size(), 3u);
}

// Loads from kHighestRankedLoad up rank as equal: still found, and tied.
TEST(KnownLoads, HugeLoadsRankAsEqualAndStayBounded) {
  KnownLoads known(4);
  Rng rng(2);
  known.record(NodeId{1}, load_of(4'000'000'000u), at(0s));
  known.record(NodeId{2}, load_of(KnownLoads::kHighestRankedLoad), at(0s));
  EXPECT_EQ(known.find(NodeId{1}, at(0s))->load.running, 4'000'000'000u);
  std::map<std::uint32_t, int> seen;
  for (int i = 0; i < 100; ++i) ++seen[known.least_loaded(at(0s), rng)->peer.value];
  EXPECT_EQ(seen.size(), 2u);
  known.record(NodeId{1}, load_of(1), at(0s));
  EXPECT_EQ(known.least_loaded(at(0s), rng)->peer, NodeId{1});
}

// Ties take one draw, rng.uniform_index(tied), and are uniform: 60'000 picks among
// six peers at the least load (two more peers above it), seed 7. Chi-square with 5
// degrees of freedom stays below 20.5 (p = 0.001) for a uniform pick.
TEST(KnownLoads, TiesAtTheLeastLoadAreBrokenUniformlyWithOneDraw) {
  KnownLoads known(16);
  for (std::uint32_t peer = 1; peer <= 6; ++peer) known.record(NodeId{peer * 100}, load_of(1), at(0s));
  known.record(NodeId{7}, load_of(2), at(0s));
  known.record(NodeId{8}, load_of(3), at(0s));
  Rng rng(7);
  constexpr int kPicks = 60'000;
  std::map<std::uint32_t, int> picks;
  for (int i = 0; i < kPicks; ++i) {
    Rng before = rng;
    const auto least = known.least_loaded(at(0s), rng);
    ASSERT_TRUE(least.has_value());
    ASSERT_EQ(least->known.load.load(), 1u);
    before.uniform_index(6);
    ASSERT_EQ(before(), rng()) << "one draw per pick";
    ++picks[least->peer.value];
  }
  ASSERT_EQ(picks.size(), 6u);
  const double expected = kPicks / 6.0;
  double chi_square = 0;
  for (const auto& [peer, count] : picks) chi_square += (count - expected) * (count - expected) / expected;
  EXPECT_LT(chi_square, 20.5);

  // Without a tie there is no draw.
  KnownLoads single(4);
  single.record(NodeId{1}, load_of(0), at(0s));
  single.record(NodeId{2}, load_of(1), at(0s));
  Rng untouched(7);
  Rng reference(7);
  EXPECT_EQ(single.least_loaded(at(0s), untouched)->peer, NodeId{1});
  EXPECT_EQ(untouched(), reference());
}

// Against a plain model over a long random stream of records and forgets: the same
// peers remembered, the same loads, the least load right.
TEST(KnownLoads, AgreesWithAPlainModelOverARandomStream) {
  constexpr std::size_t kCapacity = 37;
  KnownLoads known(kCapacity);
  std::map<std::uint32_t, std::pair<LoadReport, std::int64_t>> model;  // peer -> load, heard at
  Rng stream(11);
  Rng picks(3);
  for (std::int64_t step = 1; step <= 50'000; ++step) {
    const auto peer = static_cast<std::uint32_t>(stream.uniform_index(200));
    if (stream.bernoulli(0.05)) {
      known.forget(NodeId{peer});
      model.erase(peer);
    } else {
      const LoadReport load = load_of(static_cast<std::uint32_t>(stream.uniform_index(9)),
                                      static_cast<std::uint32_t>(stream.uniform_index(3)));
      known.record(NodeId{peer}, load, at(Duration{step}));
      if (!model.contains(peer) && model.size() == kCapacity) {
        auto oldest = model.begin();
        for (auto it = model.begin(); it != model.end(); ++it) {
          if (it->second.second < oldest->second.second) oldest = it;
        }
        model.erase(oldest);
      }
      model[peer] = {load, step};
    }
    ASSERT_EQ(known.size(), model.size()) << step;
    if (step % 97 == 0) {
      std::uint32_t least = ~0u;
      for (std::uint32_t p = 0; p < 200; ++p) {
        const auto found = known.find(NodeId{p}, at(Duration{step}));
        const auto it = model.find(p);
        ASSERT_EQ(found.has_value(), it != model.end()) << step << " peer " << p;
        if (found) {
          ASSERT_EQ(found->load, it->second.first);
          ASSERT_EQ(found->age, Duration{step - it->second.second});
          least = std::min(least, found->load.load());
        }
      }
      const auto chosen = known.least_loaded(at(Duration{step}), picks);
      ASSERT_EQ(chosen.has_value(), !model.empty());
      if (chosen) {
        ASSERT_EQ(chosen->known.load.load(), least) << step;
      }
    }
  }
}

// Memory does not grow past what `capacity` peers take, however many peers are
// heard from, and recording allocates nothing once the memory is full.
TEST(KnownLoads, MemoryStopsGrowingAtCapacity) {
  KnownLoads known(64);
  for (std::uint32_t peer = 0; peer < 64; ++peer) known.record(NodeId{peer}, load_of(peer % 5, peer % 3), at(0s));
  const std::size_t warmed = mallinfo2().uordblks;
  for (std::uint32_t peer = 64; peer < 200'000; ++peer) {
    known.record(NodeId{peer}, load_of(peer % 5, peer % 3), at(Duration{peer}));
  }
  EXPECT_EQ(known.size(), 64u);
  EXPECT_EQ(mallinfo2().uordblks, warmed);
  EXPECT_LE(KnownLoads::bytes_for(64, 6), std::size_t{8} << 10);
}

}  // namespace
}  // namespace fogsched
