#pragma once
// A node's memory of its peers' gossiped loads, bounded: it remembers at most
// `capacity` peers and, full, forgets the peer heard from longest ago to remember a
// new one. Looking up a peer and finding the least loaded remembered peer take
// constant time; recording a message costs one swap per load value the peer's load
// moves by (loads are small integers); none of them depends on the cluster's size:
//
//   KnownLoads known(64);
//   known.record(NodeId{7}, load, measured_at);     // a gossip message arrived
//   known.find(NodeId{7}, now);                     // its load and age, or none
//   known.least_loaded(now, rng);                   // one draw among ties
//
// The simulator and live mode both keep one per node (the scenario's
// network.gossip_memory); nothing in it is sized by the cluster.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "fogsched/core/ids.h"
#include "fogsched/core/load.h"
#include "fogsched/core/rng.h"
#include "fogsched/core/time.h"

namespace fogsched {

// Peers a node remembers unless told otherwise (network.gossip_memory, live
// peers.gossip_memory).
inline constexpr std::uint32_t kDefaultGossipMemory = 128;

class KnownLoads {
 public:
  // Loads from this value up rank as equal: a peer that busy is as full as any, and
  // the ranking's memory stays bounded whatever loads peers report.
  static constexpr std::uint32_t kHighestRankedLoad = 1024;

  // Remembers up to `capacity` (>= 1) peers. Allocates nothing until the first
  // record(), then grows with the peers remembered: no allocation per message once
  // they stop growing.
  explicit KnownLoads(std::size_t capacity);

  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t size() const noexcept { return entries_.size(); }

  // `peer` reported `load`, read at `measured_at`: updated in place when remembered,
  // else remembered, forgetting the peer heard from longest ago when full.
  void record(NodeId peer, LoadReport load, Time measured_at);
  // Forgets `peer`; nothing when it is not remembered.
  void forget(NodeId peer);

  // What `peer` last reported, aged to `now`; none when it was never heard from or
  // has been forgotten.
  std::optional<KnownLoad> find(NodeId peer, Time now) const noexcept;
  // The remembered peer with the least load (running + queued); ties broken
  // uniformly with one draw of `rng` (no draw without a tie); none when empty.
  std::optional<KnownPeer> least_loaded(Time now, Rng& rng) const noexcept;

  // Bytes held at most while remembering `peers` peers whose loads reach at most
  // `highest_load`: what a run prices per node.
  static std::size_t bytes_for(std::size_t peers, std::uint32_t highest_load) noexcept;

 private:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  struct Entry {
    NodeId peer;
    LoadReport load;
    Time measured_at{};
    std::uint32_t older = kNone;  // the next peer towards the one heard from longest ago
    std::uint32_t newer = kNone;
    std::uint32_t rank = 0;  // position in ranked_
  };

  static std::uint32_t rank_key(const LoadReport& load) noexcept;

  // The peer index: open addressing with linear probing, slot + 1 per cell (0:
  // empty), at most half full; a power-of-two cell count.
  std::size_t home_cell(NodeId peer) const noexcept;
  std::size_t find_cell(NodeId peer) const noexcept;  // the cell holding peer, or the empty one ending its run
  void erase_cell(std::size_t cell) noexcept;
  void grow_index();

  // Recency: a list from the peer heard from most recently to the one longest ago.
  void unlink(std::uint32_t slot) noexcept;
  void link_newest(std::uint32_t slot) noexcept;

  // The ranking: slots ordered by rank_key, a bucket per key value.
  void swap_ranks(std::uint32_t a, std::uint32_t b) noexcept;
  void move_key(std::uint32_t slot, std::uint32_t from, std::uint32_t to);
  void add_ranked(std::uint32_t slot);
  void remove_ranked(std::uint32_t slot) noexcept;
  std::uint32_t top_key() const noexcept { return static_cast<std::uint32_t>(bucket_end_.size() - 1); }

  std::size_t capacity_;
  std::vector<Entry> entries_;  // by slot
  std::vector<std::uint32_t> index_;
  int index_shift_ = 64;                   // 64 - log2(cells)
  std::vector<std::uint32_t> ranked_;      // slots by rank key, ascending
  std::vector<std::uint32_t> bucket_end_;  // [k]: one past the last slot in ranked_ with key <= k
  std::uint32_t newest_ = kNone;
  std::uint32_t oldest_ = kNone;
};

}  // namespace fogsched
