#include "fogsched/core/known_loads.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <utility>

namespace fogsched {
namespace {

constexpr std::size_t kFirstIndexCells = 16;

}  // namespace

KnownLoads::KnownLoads(std::size_t capacity) : capacity_(capacity) { assert(capacity_ >= 1); }

std::uint32_t KnownLoads::rank_key(const LoadReport& load) noexcept {
  return std::min(load.load(), kHighestRankedLoad);
}

std::size_t KnownLoads::bytes_for(std::size_t peers, std::uint32_t highest_load) noexcept {
  // Entries and ranks in vectors grown by doubling (up to twice what they hold),
  // index cells at most half full (up to four per peer), a bucket end per key.
  const std::size_t cells = std::max(kFirstIndexCells, std::bit_ceil(2 * std::max<std::size_t>(peers, 1)));
  const std::size_t keys = std::size_t{std::min(highest_load, kHighestRankedLoad)} + 1;
  return 2 * peers * (sizeof(Entry) + sizeof(std::uint32_t)) + cells * sizeof(std::uint32_t) +
         2 * keys * sizeof(std::uint32_t);
}

// --- The peer index

std::size_t KnownLoads::home_cell(NodeId peer) const noexcept {
  // Fibonacci hashing: the top bits of a multiplication spread consecutive ids.
  return static_cast<std::size_t>((std::uint64_t{peer.value} * 0x9e3779b97f4a7c15ULL) >> index_shift_);
}

std::size_t KnownLoads::find_cell(NodeId peer) const noexcept {
  const std::size_t mask = index_.size() - 1;
  std::size_t cell = home_cell(peer);
  while (index_[cell] != 0 && entries_[index_[cell] - 1].peer != peer) cell = (cell + 1) & mask;
  return cell;
}

void KnownLoads::erase_cell(std::size_t cell) noexcept {
  // Backward-shift deletion: later cells of the run move up unless that would put
  // one before its home, so lookups never meet a hole inside a run.
  const std::size_t mask = index_.size() - 1;
  for (std::size_t next = (cell + 1) & mask; index_[next] != 0; next = (next + 1) & mask) {
    const std::size_t home = home_cell(entries_[index_[next] - 1].peer);
    if (((next - home) & mask) >= ((next - cell) & mask)) {
      index_[cell] = index_[next];
      cell = next;
    }
  }
  index_[cell] = 0;
}

void KnownLoads::grow_index() {
  const std::size_t cells = index_.empty() ? kFirstIndexCells : 2 * index_.size();
  index_.assign(cells, 0);
  index_shift_ = 64 - std::countr_zero(cells);
  for (std::uint32_t slot = 0; slot < entries_.size(); ++slot) index_[find_cell(entries_[slot].peer)] = slot + 1;
}

// --- Recency

void KnownLoads::unlink(std::uint32_t slot) noexcept {
  Entry& e = entries_[slot];
  (e.older == kNone ? oldest_ : entries_[e.older].newer) = e.newer;
  (e.newer == kNone ? newest_ : entries_[e.newer].older) = e.older;
  e.older = e.newer = kNone;
}

void KnownLoads::link_newest(std::uint32_t slot) noexcept {
  Entry& e = entries_[slot];
  e.older = newest_;
  e.newer = kNone;
  (newest_ == kNone ? oldest_ : entries_[newest_].newer) = slot;
  newest_ = slot;
}

// --- The ranking. ranked_ holds the slots ordered by key, bucket k being
// [bucket_end_[k - 1], bucket_end_[k]); a slot changes key by crossing the bucket
// boundaries between, one swap each.

void KnownLoads::swap_ranks(std::uint32_t a, std::uint32_t b) noexcept {
  std::swap(ranked_[a], ranked_[b]);
  entries_[ranked_[a]].rank = a;
  entries_[ranked_[b]].rank = b;
}

void KnownLoads::move_key(std::uint32_t slot, std::uint32_t from, std::uint32_t to) {
  if (to > top_key()) bucket_end_.resize(to + 1, bucket_end_.back());
  for (std::uint32_t k = from; k < to; ++k) swap_ranks(entries_[slot].rank, --bucket_end_[k]);
  for (std::uint32_t k = from; k > to; --k) swap_ranks(entries_[slot].rank, bucket_end_[k - 1]++);
  // Empty buckets above the highest key held are dropped: keys only go as high as loads do.
  while (bucket_end_.size() > 1 && bucket_end_[bucket_end_.size() - 2] == bucket_end_.back()) bucket_end_.pop_back();
}

void KnownLoads::add_ranked(std::uint32_t slot) {
  if (bucket_end_.empty()) bucket_end_.push_back(0);
  entries_[slot].rank = static_cast<std::uint32_t>(ranked_.size());
  ranked_.push_back(slot);
  ++bucket_end_.back();
  move_key(slot, top_key(), rank_key(entries_[slot].load));
}

void KnownLoads::remove_ranked(std::uint32_t slot) noexcept {
  // To the top bucket (only shrinks bucket_end_), then to the very end.
  move_key(slot, rank_key(entries_[slot].load), top_key());
  swap_ranks(entries_[slot].rank, static_cast<std::uint32_t>(ranked_.size() - 1));
  ranked_.pop_back();
  --bucket_end_.back();
  while (bucket_end_.size() > 1 && bucket_end_[bucket_end_.size() - 2] == bucket_end_.back()) bucket_end_.pop_back();
}

// --- The queries

void KnownLoads::record(NodeId peer, LoadReport load, Time measured_at) {
  if (index_.empty()) grow_index();
  std::size_t cell = find_cell(peer);
  std::uint32_t slot;
  if (index_[cell] != 0) {
    slot = index_[cell] - 1;
    unlink(slot);
  } else if (entries_.size() == capacity_) {
    slot = oldest_;  // forgotten, its slot reused
    unlink(slot);
    erase_cell(find_cell(entries_[slot].peer));
    entries_[slot].peer = peer;
    index_[find_cell(peer)] = slot + 1;
  } else {
    if (2 * (entries_.size() + 1) > index_.size()) {
      grow_index();
      cell = find_cell(peer);
    }
    slot = static_cast<std::uint32_t>(entries_.size());
    entries_.push_back(Entry{.peer = peer, .load = load, .measured_at = measured_at});
    index_[cell] = slot + 1;
    link_newest(slot);
    add_ranked(slot);
    return;
  }
  Entry& e = entries_[slot];
  const std::uint32_t from = rank_key(e.load);
  e.load = load;
  e.measured_at = measured_at;
  link_newest(slot);
  move_key(slot, from, rank_key(load));
}

void KnownLoads::forget(NodeId peer) {
  if (index_.empty()) return;
  const std::size_t cell = find_cell(peer);
  if (index_[cell] == 0) return;
  const std::uint32_t slot = index_[cell] - 1;
  remove_ranked(slot);
  unlink(slot);
  erase_cell(cell);
  // The last slot moves into the hole, so slots stay dense.
  const auto last = static_cast<std::uint32_t>(entries_.size() - 1);
  if (slot != last) {
    Entry& moved = entries_[slot];
    moved = entries_[last];
    index_[find_cell(moved.peer)] = slot + 1;
    (moved.older == kNone ? oldest_ : entries_[moved.older].newer) = slot;
    (moved.newer == kNone ? newest_ : entries_[moved.newer].older) = slot;
    ranked_[moved.rank] = slot;
  }
  entries_.pop_back();
}

std::optional<KnownLoad> KnownLoads::find(NodeId peer, Time now) const noexcept {
  if (index_.empty()) return std::nullopt;
  const std::uint32_t cell = index_[find_cell(peer)];
  if (cell == 0) return std::nullopt;
  const Entry& e = entries_[cell - 1];
  return KnownLoad{.load = e.load, .age = now - e.measured_at};
}

std::optional<KnownPeer> KnownLoads::least_loaded(Time now, Rng& rng) const noexcept {
  if (ranked_.empty()) return std::nullopt;
  const std::uint32_t tied = bucket_end_[rank_key(entries_[ranked_.front()].load)];
  const std::uint32_t pick = tied > 1 ? static_cast<std::uint32_t>(rng.uniform_index(tied)) : 0;
  const Entry& e = entries_[ranked_[pick]];
  return KnownPeer{.peer = e.peer, .known = KnownLoad{.load = e.load, .age = now - e.measured_at}};
}

}  // namespace fogsched
