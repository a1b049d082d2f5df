#pragma once
// Flat 32-byte event records and a 4-ary min-heap of them ordered by (time,
// sequence). The sequence number makes ties deterministic: events at the same time
// run in the order they were scheduled. EventQueue (event_queue.h) keeps its
// current window of events in one of these; on its own it is the baseline that
// queue is benchmarked against (bench/engine_bench.cpp).
//
// Four children per node halve the heap's depth against a binary heap, and the four
// children of a node share one or two cache lines; sifting moves a "hole" instead
// of swapping, so each level costs one 32-byte copy; and take()/settle() let the
// first event a handler schedules reuse the root (see take()).
//
// The interface is the narrow Insert / PeekNext / RemoveNext seam of ns-3's
// scheduler (push / top / pop), shared with EventQueue.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fogsched::sim {

struct Event {
  std::int64_t time_ns = 0;
  std::uint64_t sequence = 0;
  std::uint32_t kind = 0;  // what happens: interpreted by the simulator
  std::uint32_t node = 0;  // where it happens
  std::uint32_t a = 0;     // kind-specific operands
  std::uint32_t b = 0;
};
static_assert(sizeof(Event) == 32);

class EventHeap {
 public:
  void reserve(std::size_t n) { heap_.reserve(n); }
  bool empty() const { return size() == 0; }
  std::size_t size() const { return heap_.size() - (root_vacant_ ? 1 : 0); }

  void push(std::int64_t time_ns, std::uint32_t kind, std::uint32_t node, std::uint32_t a = 0, std::uint32_t b = 0) {
    push(Event{time_ns, next_sequence_++, kind, node, a, b});
  }

  // Inserts an event that already has its sequence number (EventQueue numbers the
  // events it holds itself).
  void push(const Event& e) {
    if (root_vacant_) {
      // The event just taken left the root free: one sift-down places the new one.
      root_vacant_ = false;
      sift_down_from_root(e);
      return;
    }
    std::size_t hole = heap_.size();
    heap_.emplace_back();
    while (hole > 0) {
      const std::size_t parent = (hole - 1) / kArity;
      if (!before(e, heap_[parent])) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = e;
  }

  // The earliest event. Precondition: !empty() and no event taken but not settled.
  const Event& top() const { return heap_.front(); }

  // Removes and returns the earliest event. Precondition: !empty().
  Event pop() {
    Event earliest = take();
    settle();
    return earliest;
  }

  // Takes the earliest event out but defers repairing the heap: a handler almost
  // always schedules a new event, and the first push() then refills the root with a
  // single sift-down instead of a sift-down now and a sift-up then. Call settle()
  // once the handler is done. Precondition: !empty() and the last take() settled.
  Event take() {
    root_vacant_ = true;
    return heap_.front();
  }

  // True between a take() and the next push() or settle().
  bool root_taken() const { return root_vacant_; }

  // Repairs the heap after take() if no push() has refilled the root.
  void settle() {
    if (!root_vacant_) return;
    root_vacant_ = false;
    const Event last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down_from_root(last);
  }

 private:
  static constexpr std::size_t kArity = 4;

  // Places `e` in the heap whose root slot is free (heap_ is non-empty).
  void sift_down_from_root(const Event& e) {
    const std::size_t n = heap_.size();
    std::size_t hole = 0;
    for (;;) {
      const std::size_t first = hole * kArity + 1;
      if (first >= n) break;
      const std::size_t end = first + kArity < n ? first + kArity : n;
      std::size_t best = first;
      for (std::size_t c = first + 1; c < end; ++c) {
        if (before(heap_[c], heap_[best])) best = c;
      }
      if (!before(heap_[best], e)) break;
      heap_[hole] = heap_[best];
      hole = best;
    }
    heap_[hole] = e;
  }

  static bool before(const Event& x, const Event& y) {
    return x.time_ns != y.time_ns ? x.time_ns < y.time_ns : x.sequence < y.sequence;
  }

  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
  bool root_vacant_ = false;  // take() happened and neither push() nor settle() since
};

}  // namespace fogsched::sim
