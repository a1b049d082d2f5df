#include "fogsched/sim/event_queue.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>

namespace fogsched::sim {

namespace {

// Near buckets drained between two looks at the width and ring size: enough events
// for a steady estimate of the rate, few enough to follow a warm-up within seconds.
constexpr std::uint64_t kRetuneInterval = 256;
constexpr std::size_t kMinFarBuckets = 16;
// A far year (the far ring's span) covers about this many mean look-aheads, so few
// events sit in a far bucket for a later year and get looked at more than once.
constexpr std::size_t kYearsPerLookAhead = 4;
// Until the rate is known: 2^20 ns, about a millisecond.
constexpr int kInitialWidthShift = 20;
// One retune changes the width by at most 2^6.
constexpr int kMaxWidthStep = 6;
constexpr int kMaxWidthShift = 62;

std::size_t far_buckets_for(std::size_t pending, std::size_t events_per_far_bucket) {
  return std::bit_ceil(std::max(kMinFarBuckets, kYearsPerLookAhead * pending / events_per_far_bucket));
}

}  // namespace

EventQueue::EventQueue()
    : near_(kFarSpan),
      far_(kMinFarBuckets),
      far_mask_(kMinFarBuckets - 1),
      width_shift_(kInitialWidthShift),
      far_start_(kFarSpan) {}

void EventQueue::reserve(std::size_t pending) {
  window_.reserve(4 * kTargetBucketEvents);
  const std::size_t wanted = far_buckets_for(pending, kTargetBucketEvents * kFarSpan);
  // Half full on average, plus the partly filled one of every bucket.
  chunks_.reserve(2 * pending / kChunkEvents + wanted + kFarSpan);
  if (wanted > far_.size()) rebuild(width_shift_, wanted);
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
void EventQueue::drain(Bucket& bucket, Visit visit) {
  std::uint32_t chunk = bucket.newest;
  std::uint32_t count = bucket.newest_count;
  bucket = Bucket{};
  while (chunk != kNoChunk) {
    const std::uint32_t older = chunks_[chunk].next;
    // Its page walk and first line start while this one is read; the lines after
    // come in order, which the hardware streams.
    if (older != kNoChunk) prefetch(&chunks_[older]);
    // Copies, by index: `visit` may append to a bucket, which may grow the pool. A
    // chunk returns to the pool only once read, so appends reuse only read ones.
    for (std::uint32_t i = 0; i < count; ++i) {
      const Event e = chunks_[chunk].events[i];
      visit(e);
    }
    count = kChunkEvents;  // older chunks are full
    chunks_[chunk].next = free_chunk_;
    free_chunk_ = chunk;
    chunk = older;
  }
}

void EventQueue::refill_window() {
  assert(window_.empty() && !window_.root_taken());
  if (calendar_count_ == 0) return;
  std::size_t empty_far_buckets = 0;
  for (;;) {
    if (near_count_ == 0) {
      // Nothing near: the empty buckets up to the far rung count as drained.
      buckets_drained_ += static_cast<std::uint64_t>(far_start_ - next_bucket_);
      next_bucket_ = far_start_;
    }
    if (next_bucket_ == far_start_) {
      if (++empty_far_buckets > far_mask_ + 1) {
        // A whole far year without an event: go straight to the earliest one's.
        far_start_ = (earliest_far_time() >> width_shift_) & ~(kFarSpan - 1);
        next_bucket_ = far_start_;
        empty_far_buckets = 0;
      }
      spread_far_bucket();
      if (near_count_ == 0) continue;
      empty_far_buckets = 0;
    }
    Bucket& bucket = near_[static_cast<std::size_t>(next_bucket_ & (kFarSpan - 1))];
    ++next_bucket_;
    ++buckets_drained_;
    window_end_ns_ = next_bucket_ << width_shift_;
    std::size_t moved = 0;
    drain(bucket, [&](const Event& e) {
      window_.push(e);
      ++moved;
    });
    calendar_count_ -= moved;
    near_count_ -= moved;
    window_arrivals_ += moved;
    if (moved > 0) {
      ++windows_loaded_;
      // Now rather than before draining, so that the next bucket, as
      // copy_next_bucket shows it, is what the next refill drains.
      if (buckets_drained_ >= kRetuneInterval) retune();
      return;
    }
  }
}

void EventQueue::copy_next_bucket(std::vector<Event>& out) const {
  if (next_bucket_ >= far_start_) return;
  const Bucket& bucket = near_[static_cast<std::size_t>(next_bucket_ & (kFarSpan - 1))];
  std::uint32_t count = bucket.newest_count;
  for (std::uint32_t chunk = bucket.newest; chunk != kNoChunk; chunk = chunks_[chunk].next) {
    out.insert(out.end(), chunks_[chunk].events, chunks_[chunk].events + count);
    count = kChunkEvents;
  }
}

void EventQueue::spread_far_bucket() {
  assert(next_bucket_ == far_start_ && near_count_ == 0);
  Bucket& bucket = far_[static_cast<std::size_t>(far_start_ >> kFarShift) & far_mask_];
  far_start_ += kFarSpan;
  drain(bucket, [&](const Event& e) {
    const std::int64_t number = e.time_ns >> width_shift_;
    if (number < far_start_) {
      append(near_[static_cast<std::size_t>(number & (kFarSpan - 1))], e);
      ++near_count_;
    } else {
      append(bucket, e);  // a later year's: stays
    }
  });
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
  const std::size_t wanted = far_buckets_for(size(), kTargetBucketEvents * kFarSpan);
  const bool ring_off = wanted >= 2 * far_.size() || 4 * wanted <= far_.size();
  if (shift != width_shift_ || ring_off) rebuild(shift, ring_off ? wanted : far_.size());
}

void EventQueue::rebuild(int width_shift, std::size_t far_count) {
  std::vector<Event> calendar;
  calendar.reserve(calendar_count_);
  const auto keep = [&](const Event& e) { calendar.push_back(e); };
  for (Bucket& bucket : near_) drain(bucket, keep);
  for (Bucket& bucket : far_) drain(bucket, keep);
  far_.assign(far_count, Bucket{});
  far_mask_ = far_count - 1;
  width_shift_ = width_shift;
  // Every calendar event is at or after window_end_ns_, so none is in an earlier
  // bucket than the one holding window_end_ns_.
  next_bucket_ = window_end_ns_ >> width_shift_;
  far_start_ = (next_bucket_ | (kFarSpan - 1)) + 1;
  calendar_count_ = 0;
  near_count_ = 0;
  for (const Event& e : calendar) add_to_calendar(e);
}

std::int64_t EventQueue::earliest_far_time() const {
  std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
  for (const Bucket& bucket : far_) {
    std::uint32_t count = bucket.newest_count;
    for (std::uint32_t chunk = bucket.newest; chunk != kNoChunk; chunk = chunks_[chunk].next) {
      for (std::uint32_t i = 0; i < count; ++i) earliest = std::min(earliest, chunks_[chunk].events[i].time_ns);
      count = kChunkEvents;
    }
  }
  return earliest;
}

}  // namespace fogsched::sim
