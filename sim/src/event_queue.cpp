#include "fogsched/sim/event_queue.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>

namespace fogsched::sim {

namespace {

// Buckets drained between two looks at the width and ring size: enough events for
// a steady estimate of the rate, few enough to follow a warm-up within seconds.
constexpr std::uint64_t kRetuneInterval = 256;
constexpr std::size_t kMinBuckets = 64;
// A year (the ring's span) covers about this many mean look-aheads, so few events
// sit in a bucket for a later year and get looked at more than once.
constexpr std::size_t kYearsPerLookAhead = 4;
// Until the rate is known: 2^20 ns, about a millisecond.
constexpr int kInitialWidthShift = 20;
// One retune changes the width by at most 2^6.
constexpr int kMaxWidthStep = 6;
constexpr int kMaxWidthShift = 62;

std::size_t buckets_for(std::size_t pending, std::size_t target_bucket_events) {
  return std::bit_ceil(std::max(kMinBuckets, kYearsPerLookAhead * pending / target_bucket_events));
}

}  // namespace

EventQueue::EventQueue() : buckets_(kMinBuckets), bucket_mask_(kMinBuckets - 1), width_shift_(kInitialWidthShift) {}

void EventQueue::reserve(std::size_t pending) {
  window_.reserve(4 * kTargetBucketEvents);
  const std::size_t wanted = buckets_for(pending, kTargetBucketEvents);
  // Half full on average, plus the partly filled one of every bucket.
  chunks_.reserve(2 * pending / kChunkEvents + wanted);
  if (wanted > buckets_.size()) rebuild(width_shift_, wanted);
}

std::uint32_t EventQueue::allocate_chunk() {
  if (free_chunk_ == kNoChunk) {
    chunks_.emplace_back();
    return static_cast<std::uint32_t>(chunks_.size() - 1);
  }
  const std::uint32_t chunk = free_chunk_;
  free_chunk_ = chunks_[chunk].next;
  return chunk;
}

template <class Visit>
void EventQueue::drain_bucket(std::size_t bucket, Visit visit) {
  std::uint32_t chunk = buckets_[bucket].newest;
  std::uint32_t count = buckets_[bucket].newest_count;
  buckets_[bucket] = Bucket{};
  while (chunk != kNoChunk) {
    Chunk& c = chunks_[chunk];
    for (std::uint32_t i = 0; i < count; ++i) visit(c.events[i]);
    count = kChunkEvents;  // older chunks are full
    const std::uint32_t older = c.next;
    c.next = free_chunk_;
    free_chunk_ = chunk;
    chunk = older;
  }
}

void EventQueue::refill_window() {
  assert(window_.empty() && !window_.root_taken());
  if (calendar_count_ == 0) return;
  if (buckets_drained_ >= kRetuneInterval) retune();
  std::size_t empty_in_a_row = 0;
  for (;;) {
    const std::size_t bucket = static_cast<std::size_t>(next_bucket_) & bucket_mask_;
    ++next_bucket_;
    ++buckets_drained_;
    window_end_ns_ = next_bucket_ << width_shift_;
    // This year's events go to the window heap; later years' back to the bucket.
    std::size_t moved = 0;
    later_years_.clear();
    drain_bucket(bucket, [&](const Event& e) {
      if (e.time_ns < window_end_ns_) {
        window_.push(e);
        ++moved;
      } else {
        later_years_.push_back(e);
      }
    });
    calendar_count_ -= moved + later_years_.size();
    for (const Event& e : later_years_) add_to_calendar(e);
    window_arrivals_ += moved;
    if (moved > 0) {
      ++windows_loaded_;
      return;
    }
    if (++empty_in_a_row > bucket_mask_) {
      // A whole year without an event: go straight to the earliest one's bucket.
      next_bucket_ = earliest_calendar_time() >> width_shift_;
      empty_in_a_row = 0;
    }
  }
}

void EventQueue::retune() {
  const double per_bucket = static_cast<double>(window_arrivals_) / static_cast<double>(buckets_drained_);
  buckets_drained_ = 0;
  window_arrivals_ = 0;

  int shift = width_shift_;
  const double target = static_cast<double>(kTargetBucketEvents);
  if (per_bucket > 2 * target || per_bucket < target / 2) {
    // Width in proportion to target / per_bucket, in powers of two.
    const double step = std::round(std::log2(target / std::max(per_bucket, 1e-3)));
    shift += static_cast<int>(std::clamp(step, double{-kMaxWidthStep}, double{kMaxWidthStep}));
    shift = std::clamp(shift, 0, kMaxWidthShift);
  }
  const std::size_t wanted = buckets_for(size(), kTargetBucketEvents);
  const bool ring_off = wanted >= 2 * buckets_.size() || 4 * wanted <= buckets_.size();
  if (shift != width_shift_ || ring_off) rebuild(shift, ring_off ? wanted : buckets_.size());
}

void EventQueue::rebuild(int width_shift, std::size_t bucket_count) {
  std::vector<Event> calendar;
  calendar.reserve(calendar_count_);
  for (std::size_t bucket = 0; bucket < buckets_.size(); ++bucket) {
    drain_bucket(bucket, [&](const Event& e) { calendar.push_back(e); });
  }
  buckets_.assign(bucket_count, Bucket{});
  bucket_mask_ = bucket_count - 1;
  width_shift_ = width_shift;
  // Every calendar event is at or after window_end_ns_, so none is in an earlier
  // bucket than the one holding window_end_ns_.
  next_bucket_ = window_end_ns_ >> width_shift_;
  calendar_count_ = 0;
  for (const Event& e : calendar) add_to_calendar(e);
}

std::int64_t EventQueue::earliest_calendar_time() const {
  std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
  for (const Bucket& bucket : buckets_) {
    std::uint32_t count = bucket.newest_count;
    for (std::uint32_t chunk = bucket.newest; chunk != kNoChunk; chunk = chunks_[chunk].next) {
      for (std::uint32_t i = 0; i < count; ++i) earliest = std::min(earliest, chunks_[chunk].events[i].time_ns);
      count = kChunkEvents;
    }
  }
  return earliest;
}

}  // namespace fogsched::sim
