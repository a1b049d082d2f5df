// Micro-benchmarks of the engine's hot paths: the event queue in a "hold" loop
// (pop the earliest event, push one later) at several queue sizes, for the engine's
// EventQueue and for the plain 4-ary EventHeap it replaced; and RNG draws.
#include <benchmark/benchmark.h>

#include "fogsched/core/rng.h"
#include "fogsched/sim/event_heap.h"
#include "fogsched/sim/event_queue.h"

namespace {

// One hold step per iteration on a queue of `state.range(0)` events whose
// increments are exponential with a mean of one second, as service times are.
template <class Queue>
void BM_Hold(benchmark::State& state) {
  const auto pending = static_cast<std::size_t>(state.range(0));
  fogsched::Rng rng(42);
  Queue queue;
  queue.reserve(pending + 1);
  for (std::size_t i = 0; i < pending; ++i) {
    queue.push(static_cast<std::int64_t>(rng.exponential(1e9)), 0, 0);
  }
  for (auto _ : state) {
    const fogsched::sim::Event e = queue.pop();
    queue.push(e.time_ns + static_cast<std::int64_t>(rng.exponential(1e9)), e.kind, e.node);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Hold<fogsched::sim::EventQueue>)->Name("BM_EventQueueHold")->Arg(1'000)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_Hold<fogsched::sim::EventHeap>)->Name("BM_EventHeapHold")->Arg(1'000)->Arg(100'000)->Arg(1'000'000);

void BM_RngExponential(benchmark::State& state) {
  fogsched::Rng rng(42);
  for (auto _ : state) benchmark::DoNotOptimize(rng.exponential(1.0));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngExponential);

void BM_RngUniformIndex(benchmark::State& state) {
  fogsched::Rng rng(42);
  for (auto _ : state) benchmark::DoNotOptimize(rng.uniform_index(999));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RngUniformIndex);

}  // namespace
