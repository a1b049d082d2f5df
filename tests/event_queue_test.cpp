// The engine's EventQueue (a window heap in front of a calendar of buckets) must
// hand out events in exactly the order of the plain EventHeap: by time, ties by the
// order they were pushed. Each test drives both with the same pushes and compares
// every event taken.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "fogsched/core/rng.h"
#include "fogsched/sim/event_heap.h"
#include "fogsched/sim/event_queue.h"

namespace fogsched::sim {
namespace {

// Pushes the same event into both queues (each numbers its own pushes from 0).
struct QueuePair {
  EventQueue queue;
  EventHeap reference;

  void push(std::int64_t time_ns, std::uint32_t tag) {
    queue.push(time_ns, 0, tag, tag ^ 0x5a5a5a5au, tag * 3u);
    reference.push(time_ns, 0, tag, tag ^ 0x5a5a5a5au, tag * 3u);
  }
};

void expect_same_event(const Event& got, const Event& want) {
  ASSERT_EQ(got.time_ns, want.time_ns);
  ASSERT_EQ(got.sequence, want.sequence);
  ASSERT_EQ(got.node, want.node);
  ASSERT_EQ(got.a, want.a);
  ASSERT_EQ(got.b, want.b);
}

// A simulator-like workload: take the earliest event, push 0 to 3 later ones as a
// handler would (some at the same time, some a little later, most about a second
// later, a few hours later), then settle.
void run_hold_workload(std::uint64_t seed, std::size_t initial, std::size_t steps) {
  Rng rng(seed);
  QueuePair pair;
  std::uint32_t tag = 0;
  for (std::size_t i = 0; i < initial; ++i) pair.push(static_cast<std::int64_t>(rng.exponential(1e9)), tag++);

  for (std::size_t step = 0; step < steps && !pair.reference.empty(); ++step) {
    ASSERT_EQ(pair.queue.size(), pair.reference.size());
    ASSERT_FALSE(pair.queue.empty());
    expect_same_event(pair.queue.top(), pair.reference.top());
    const Event taken = pair.queue.take();
    expect_same_event(taken, pair.reference.take());
    const auto pushes = rng.uniform_index(4);
    for (std::uint64_t k = 0; k < pushes; ++k) {
      constexpr std::int64_t kMillisecondNs = 1'000'000;
      constexpr std::int64_t kHourNs = 3'600'000'000'000;
      std::int64_t delay = 0;  // case 0: a tie with now
      switch (rng.uniform_index(8)) {
        case 0: break;
        case 1: delay = kMillisecondNs; break;  // a fixed link latency
        case 2: delay = static_cast<std::int64_t>(rng.uniform_index(3)) * kHourNs; break;
        default: delay = static_cast<std::int64_t>(rng.exponential(1e9)); break;
      }
      pair.push(taken.time_ns + delay, tag++);
    }
    pair.queue.settle();
    pair.reference.settle();
  }
  while (!pair.reference.empty()) {
    ASSERT_FALSE(pair.queue.empty());
    expect_same_event(pair.queue.pop(), pair.reference.pop());
  }
  EXPECT_TRUE(pair.queue.empty());
}

TEST(EventQueue, MatchesTheHeapOnASmallQueue) { run_hold_workload(1, 50, 20'000); }

TEST(EventQueue, MatchesTheHeapWhileTheQueueGrowsAndRetunes) { run_hold_workload(2, 5'000, 300'000); }

TEST(EventQueue, MatchesTheHeapWhenDrainedToEmpty) { run_hold_workload(3, 20'000, 10'000); }

TEST(EventQueue, EqualTimesComeOutInPushOrder) {
  QueuePair pair;
  // Many events at two instants, pushed interleaved: ties are broken by push order.
  for (std::uint32_t tag = 0; tag < 1'000; ++tag) pair.push(tag % 2 == 0 ? 5'000 : 7'000, tag);
  std::uint32_t previous_tag = 0;
  for (std::uint32_t i = 0; i < 1'000; ++i) {
    const Event e = pair.queue.pop();
    expect_same_event(e, pair.reference.pop());
    EXPECT_EQ(e.time_ns, i < 500 ? 5'000 : 7'000);
    if (i != 0 && i != 500) {
      EXPECT_GT(e.node, previous_tag);
    }
    previous_tag = e.node;
  }
  EXPECT_TRUE(pair.queue.empty());
}

TEST(EventQueue, FindsEventsAfterLongEmptyStretches) {
  // Events days apart leave whole years of the calendar empty.
  QueuePair pair;
  Rng rng(4);
  std::uint32_t tag = 0;
  for (int burst = 0; burst < 20; ++burst) {
    const std::int64_t at = static_cast<std::int64_t>(rng.uniform_index(30)) * 86'400'000'000'000;
    for (int i = 0; i < 50; ++i) pair.push(at + static_cast<std::int64_t>(rng.uniform_index(1'000)), tag++);
  }
  while (!pair.reference.empty()) expect_same_event(pair.queue.pop(), pair.reference.pop());
  EXPECT_TRUE(pair.queue.empty());
}

struct NextBucketShown {
  std::size_t compared = 0;    // windows shown a window ahead
  std::size_t shown_none = 0;  // windows still in a far bucket when the one before loaded
  std::size_t largest = 0;     // events of the largest window compared
};

// With nothing pushed meanwhile, what copy_next_bucket shows when a window is
// loaded is exactly the next window's events, or nothing when those still wait in
// a far bucket. `time_of(tag)` gives the events' times.
template <class TimeOf>
NextBucketShown expect_next_bucket_shows_next_window(std::uint32_t count, TimeOf time_of) {
  EventQueue queue;
  for (std::uint32_t tag = 0; tag < count; ++tag) queue.push(time_of(tag), 0, tag);
  const auto by_sequence = [](std::vector<Event> events) {
    std::sort(events.begin(), events.end(), [](const Event& x, const Event& y) { return x.sequence < y.sequence; });
    std::vector<std::uint64_t> sequences;
    for (const Event& e : events) sequences.push_back(e.sequence);
    return sequences;
  };
  const auto next_bucket = [&] {
    std::vector<Event> events;
    queue.copy_next_bucket(events);
    return events;
  };
  std::uint64_t loaded = queue.windows_loaded();
  std::vector<Event> shown_for_next = next_bucket();
  std::optional<std::vector<Event>> shown_for_current;  // unknown for the first window
  std::vector<Event> current;
  NextBucketShown shown;
  while (!queue.empty()) {
    current.push_back(queue.pop());
    if (queue.windows_loaded() == loaded && !queue.empty()) continue;
    if (shown_for_current && !shown_for_current->empty()) {
      EXPECT_EQ(by_sequence(*shown_for_current), by_sequence(current)) << "window " << loaded;
      ++shown.compared;
      shown.largest = std::max(shown.largest, current.size());
    } else if (shown_for_current) {
      ++shown.shown_none;
    }
    shown_for_current = shown_for_next;
    shown_for_next = next_bucket();
    current.clear();
    loaded = queue.windows_loaded();
  }
  return shown;
}

TEST(EventQueue, TheNextBucketHoldsTheNextWindowsEvents) {
  Rng rng(5);
  const NextBucketShown shown = expect_next_bucket_shows_next_window(
      20'000, [&](std::uint32_t) { return static_cast<std::int64_t>(rng.uniform_index(10'000'000'000)); });
  EXPECT_GT(shown.compared, 10 * shown.shown_none) << "most windows are shown a window ahead";
}

TEST(EventQueue, TheNextBucketHoldsTheNextWindowsEventsBeyondOneChunk) {
  // 200 events at each of 100 instants: a bucket cannot be narrower than an
  // instant, so a window holds more events than one chunk of the calendar (128).
  std::vector<std::int64_t> instants(100);
  Rng rng(6);
  for (std::int64_t& at : instants) at = static_cast<std::int64_t>(rng.uniform_index(10'000'000'000));
  const NextBucketShown shown =
      expect_next_bucket_shows_next_window(20'000, [&](std::uint32_t tag) { return instants[tag % instants.size()]; });
  EXPECT_GT(shown.compared, 0u);
  EXPECT_GE(shown.largest, 200u);
}

TEST(EventQueue, PushesDuringAHandlerMayPrecedeTheRest) {
  // A handler's first push can be the next event (it refills the taken root) or not.
  EventQueue queue;
  queue.push(10, 0, 1);
  queue.push(20, 0, 2);
  const Event first = queue.take();
  EXPECT_EQ(first.node, 1u);
  queue.push(15, 0, 3);
  queue.push(30, 0, 4);
  queue.settle();
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.pop().node, 3u);
  EXPECT_EQ(queue.pop().node, 2u);
  EXPECT_EQ(queue.pop().node, 4u);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace fogsched::sim
