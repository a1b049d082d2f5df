#pragma once
// The simulator's event queue: flat 32-byte records in a binary heap ordered by
// (time, sequence). The sequence number makes ties deterministic: events at the
// same time run in the order they were scheduled.
//
// The interface is the narrow Insert / PeekNext / RemoveNext seam of ns-3's
// scheduler, so other queue layouts can be swapped in and benchmarked.
#include <algorithm>
#include <cstdint>
#include <functional>
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

class EventQueue {
 public:
  void reserve(std::size_t n) { heap_.reserve(n); }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }

  void push(std::int64_t time_ns, std::uint32_t kind, std::uint32_t node, std::uint32_t a = 0,
            std::uint32_t b = 0) {
    heap_.push_back(Event{time_ns, next_sequence_++, kind, node, a, b});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }
  const Event& top() const { return heap_.front(); }
  Event pop() {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    Event e = heap_.back();
    heap_.pop_back();
    return e;
  }

 private:
  struct Later {
    bool operator()(const Event& x, const Event& y) const {
      return x.time_ns != y.time_ns ? x.time_ns > y.time_ns : x.sequence > y.sequence;
    }
  };
  std::vector<Event> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace fogsched::sim
