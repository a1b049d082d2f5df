#pragma once
// The simulator's event queue: a small heap for the current time window in front
// of a calendar of time buckets for everything later (a ladder queue with one rung).
//
// Why: a heap of all pending events costs O(log n) per operation, with cache
// misses on its lower levels once n outgrows the cache, so the cost per event grew
// with the fleet. Here a push beyond the window appends to its bucket (O(1)), and
// the heap only holds about one bucket's worth of events (a few dozen, in L1), so
// the cost per event stays nearly flat from a thousand pending events to a million.
//
// Order is exactly the heap's: (time, sequence), ties by sequence number. Every
// event in the window heap is earlier than `window_end_ns_` and every event in the
// calendar is at or after it, so the window heap's top is the global minimum.
//
// The calendar has two rungs of time buckets 2^width_shift_ ns wide (a shift, not a
// division, on the hot path). The near rung holds the buckets from the window up to
// `far_start_`: at most kFarSpan of them, each event in the bucket of its own time,
// so draining one moves all its events into the window heap. Everything later waits
// in the far rung, a ring of buckets kFarSpan times as wide: far bucket f holds the
// events whose far number (bucket number / kFarSpan) is congruent to f modulo the
// ring size, so it may also hold events of later "years", which stay put when it is
// spread. When the near rung runs out, the next far bucket is spread over it.
//
// Why two rungs: an event a second or more ahead would otherwise land in a bucket
// chosen almost at random among tens of thousands, a cache miss for the bucket and
// one for its chunk on every push. A far bucket is kFarSpan times fewer, so the
// lines the far buckets are filling stay in cache, and spreading one writes to
// kFarSpan near buckets that stay in cache too: each event is moved twice, both
// times cheaply.
// The width follows the event rate and the far ring's size the pending count, so a
// near bucket holds about kTargetBucketEvents events and a far year spans several
// mean look-aheads.
//
// Same push / top / take / settle / pop interface as EventHeap (event_heap.h).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fogsched/sim/event_heap.h"
#include "fogsched/sim/huge_pages.h"
#include "fogsched/sim/prefetch.h"

namespace fogsched::sim {

class EventQueue {
 public:
  EventQueue();

  // Sizes the calendar for about `pending` events at once.
  void reserve(std::size_t pending);
  bool empty() const { return size() == 0; }
  std::size_t size() const { return window_.size() + calendar_count_; }

  // For a caller that starts loading what events will touch before they come out
  // (the simulator's look-ahead): a count that changes each time the window is
  // refilled from the calendar, and the events of the bucket that comes into the
  // window next, appended to `out` in no particular order, as far as the calendar
  // holds them now: events pushed later may join them, and none is known while the
  // next window still waits in a far bucket.
  std::uint64_t windows_loaded() const { return windows_loaded_; }
  void copy_next_bucket(std::vector<Event>& out) const;

  void push(std::int64_t time_ns, std::uint32_t kind, std::uint32_t node, std::uint32_t a = 0, std::uint32_t b = 0) {
    const Event e{time_ns, next_sequence_++, kind, node, a, b};
    if (time_ns < window_end_ns_) {
      window_.push(e);
      ++window_arrivals_;
      return;
    }
    add_to_calendar(e);
    if (window_.empty() && !window_.root_taken()) refill_window();
  }

  // The earliest event. Precondition: !empty() and no event taken but not settled.
  const Event& top() const { return window_.top(); }

  // Removes and returns the earliest event. Precondition: !empty().
  Event pop() {
    Event earliest = take();
    settle();
    return earliest;
  }

  // Takes the earliest event out; settle() once the handler is done (see
  // EventHeap::take()). Precondition: !empty() and the last take() settled.
  Event take() { return window_.take(); }

  void settle() {
    window_.settle();
    if (window_.empty()) refill_window();
  }

 private:
  // Events a near bucket should hold on average: few enough that the window heap
  // stays in L1, enough that advancing the window is rare beside the pops.
  static constexpr std::size_t kTargetBucketEvents = 32;
  // Near buckets per far bucket (a power of two), and so the near rung's size.
  static constexpr int kFarShift = 6;
  static constexpr std::int64_t kFarSpan = std::int64_t{1} << kFarShift;
  // A bucket is a chain of chunks from one pool, so the calendar's memory follows
  // the events it holds, not the most each bucket ever held. Only the newest chunk
  // of a bucket may be partly filled, and its fill count sits in the bucket, so an
  // insertion touches the bucket and one line of one chunk. A chunk holds a page's
  // worth of events (4 KiB): a far bucket is read from memory about once per far
  // year, and its drain finds each chunk from the one before, waiting for a page
  // walk and a miss per chunk; per 128 events that is rare, and the lines between
  // stream in order (chunks of 8 cost 10 % more per invocation at 10^5 cameras).
  static constexpr std::uint32_t kChunkEvents = 128;
  static constexpr std::uint32_t kNoChunk = ~std::uint32_t{0};
  struct Chunk {
    std::uint32_t next = kNoChunk;  // older (full) chunk of the same bucket, or next free chunk
    Event events[kChunkEvents];
  };
  struct Bucket {
    std::uint32_t newest = kNoChunk;
    std::uint32_t newest_count = 0;  // events in the newest chunk
  };

  void add_to_calendar(const Event& e) {
    const std::int64_t number = e.time_ns >> width_shift_;
    if (number < far_start_) {
      append(near_[static_cast<std::size_t>(number & (kFarSpan - 1))], e);
      ++near_count_;
    } else {
      append(far_[static_cast<std::size_t>(number >> kFarShift) & far_mask_], e);
    }
    ++calendar_count_;
  }

  void append(Bucket& bucket, const Event& e) {
    if (bucket.newest == kNoChunk || bucket.newest_count == kChunkEvents) {
      const std::uint32_t fresh = allocate_chunk();
      chunks_[fresh].next = bucket.newest;
      bucket.newest = fresh;
      bucket.newest_count = 0;
    }
    chunks_[bucket.newest].events[bucket.newest_count++] = e;
  }

  std::uint32_t allocate_chunk();
  // Unlinks `bucket`'s chunks and returns them to the pool; `visit` sees each event
  // first and may append to any bucket, `bucket` included.
  template <class Visit>
  void drain(Bucket& bucket, Visit visit);
  // Moves the next non-empty near bucket's events into the window heap, spreading
  // far buckets over the near rung as it runs out. Precondition: the window heap is
  // empty and settled.
  void refill_window();
  // Spreads the far bucket starting at far_start_ over the near rung (its later
  // years' events stay) and moves far_start_ one far bucket on.
  void spread_far_bucket();
  // Refits the bucket width to the event rate and the far ring to the pending count
  // when either is off by more than a factor of two.
  void retune();
  // Re-spreads the calendar over near buckets 2^width_shift ns wide and a far ring of
  // `far_count` buckets.
  void rebuild(int width_shift, std::size_t far_count);
  std::int64_t earliest_far_time() const;

  EventHeap window_;          // events before window_end_ns_ (numbered by this queue)
  std::vector<Bucket> near_;  // kFarSpan buckets: bucket numbers [next_bucket_, far_start_)
  std::vector<Bucket> far_;   // the far ring
  HugePageVector<Chunk> chunks_;
  std::uint32_t free_chunk_ = kNoChunk;
  std::size_t far_mask_ = 0;  // far ring size - 1 (a power of two)
  int width_shift_ = 0;
  std::int64_t next_bucket_ = 0;    // number of the next near bucket to drain
  std::int64_t far_start_ = 0;      // first bucket number held by the far rung (a multiple of kFarSpan)
  std::int64_t window_end_ns_ = 0;  // calendar events are at or after it
  std::size_t calendar_count_ = 0;
  std::size_t near_count_ = 0;  // of calendar_count_, in the near rung
  std::uint64_t next_sequence_ = 0;
  std::uint64_t windows_loaded_ = 0;

  // Since the last retune: near buckets drained (empty ones included) and the
  // events that went through the window heap.
  std::uint64_t buckets_drained_ = 0;
  std::uint64_t window_arrivals_ = 0;
};

}  // namespace fogsched::sim
