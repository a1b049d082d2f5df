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
// The calendar is a ring of buckets 2^width_shift_ ns wide (a shift, not a division,
// on the hot path); bucket b holds the events whose bucket number (time >>
// width_shift_) is congruent to b modulo the ring size, so a bucket may also hold
// events of later "years", which stay put when it is drained. The width follows the
// event rate and the ring size the pending count, so a bucket holds about
// kTargetBucketEvents events and a year spans several mean look-aheads.
//
// Same push / top / take / settle / pop interface as EventHeap (event_heap.h).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fogsched/sim/event_heap.h"

namespace fogsched::sim {

class EventQueue {
 public:
  EventQueue();

  // Sizes the calendar for about `pending` events at once.
  void reserve(std::size_t pending);
  bool empty() const { return size() == 0; }
  std::size_t size() const { return window_.size() + calendar_count_; }

  // The next events to come out, in no particular order: the window's. A count that
  // changes each time the window is refilled from the calendar tells a caller when
  // to look again, so it can start loading what they will touch (the simulator's
  // look-ahead). Precondition of window(): no event taken but not settled.
  std::span<const Event> window() const { return window_.events(); }
  std::uint64_t windows_loaded() const { return windows_loaded_; }

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
  // Events a bucket should hold on average: few enough that the window heap stays
  // in L1, enough that advancing the window is rare beside the pops.
  static constexpr std::size_t kTargetBucketEvents = 32;
  // A bucket is a chain of chunks from one pool, so the calendar's memory follows
  // the events it holds, not the most each bucket ever held. Only the newest chunk
  // of a bucket may be partly filled, and its fill count sits in the bucket, so an
  // insertion touches the bucket and one line of one chunk.
  static constexpr std::uint32_t kChunkEvents = 8;
  static constexpr std::uint32_t kNoChunk = ~std::uint32_t{0};
  struct Chunk {
    Event events[kChunkEvents];
    std::uint32_t next = kNoChunk;  // older (full) chunk of the same bucket, or next free chunk
  };
  struct Bucket {
    std::uint32_t newest = kNoChunk;
    std::uint32_t newest_count = 0;  // events in the newest chunk
  };

  void add_to_calendar(const Event& e) {
    Bucket& bucket = buckets_[static_cast<std::size_t>(e.time_ns >> width_shift_) & bucket_mask_];
    if (bucket.newest == kNoChunk || bucket.newest_count == kChunkEvents) {
      const std::uint32_t fresh = allocate_chunk();
      chunks_[fresh].next = bucket.newest;
      bucket.newest = fresh;
      bucket.newest_count = 0;
    }
    chunks_[bucket.newest].events[bucket.newest_count++] = e;
    ++calendar_count_;
  }

  std::uint32_t allocate_chunk();
  // Unlinks bucket `bucket`'s chunks and returns them to the pool; `visit` sees each
  // event first.
  template <class Visit>
  void drain_bucket(std::size_t bucket, Visit visit);
  // Moves the next non-empty bucket's events of the current year into the window
  // heap. Precondition: the window heap is empty and settled.
  void refill_window();
  // Refits the bucket width to the event rate and the ring to the pending count when
  // either is off by more than a factor of two.
  void retune();
  // Re-spreads the calendar over `bucket_count` buckets 2^width_shift ns wide.
  void rebuild(int width_shift, std::size_t bucket_count);
  std::int64_t earliest_calendar_time() const;

  EventHeap window_;  // events before window_end_ns_ (numbered by this queue)
  std::vector<Bucket> buckets_;
  std::vector<Chunk> chunks_;
  std::uint32_t free_chunk_ = kNoChunk;
  std::vector<Event> later_years_;  // scratch of refill_window()
  std::size_t bucket_mask_ = 0;     // ring size - 1 (a power of two)
  int width_shift_ = 0;
  std::int64_t next_bucket_ = 0;    // number of the next bucket to drain
  std::int64_t window_end_ns_ = 0;  // calendar events are at or after it
  std::size_t calendar_count_ = 0;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t windows_loaded_ = 0;

  // Since the last retune: buckets drained (empty ones included) and the events
  // that went through the window heap.
  std::uint64_t buckets_drained_ = 0;
  std::uint64_t window_arrivals_ = 0;
};

}  // namespace fogsched::sim
