// What the machine's memory costs the simulator by working-set size: the figures
// that explain how the cost per invocation grows with the fleet (a 10^3-camera city
// fits a core's L2, a 10^5-camera one spans tens of megabytes read almost at random).
//
// BM_DependentLoad/MiB: one load of a chain through every cache line of the buffer
// in random order, each address read from the line before: the full latency of a
// miss, nothing to overlap it with.
// BM_LinePerPage/MiB: the same chain through one line of each 4 KiB page: the
// lines fit L2 up to 64 MiB, so what grows is the cost of translating addresses
// (the TLB's reach; on a virtual machine whose host maps guest memory in small
// pages, 2 MiB pages in the guest do not extend it).
// BM_PrefetchedLines/MiB: one step reads and writes kLinesPerStep random lines, each
// asked for kStepsAhead steps before (what the simulator's look-ahead does for the
// records an event will touch): what the misses cost when they overlap.
//
// Each runs on memory asked for in 2 MiB pages, as the engine's big arrays are
// (huge_pages.h); BM_LinePerPage also on 4 KiB pages (second argument 0), to show
// whether the larger pages extend the TLB's reach on this machine.
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <numeric>
#include <random>
#include <vector>

#include "fogsched/sim/huge_pages.h"
#include "fogsched/sim/prefetch.h"

namespace {

using fogsched::sim::kCacheLine;

struct alignas(kCacheLine) Line {
  std::uint64_t word[kCacheLine / sizeof(std::uint64_t)];
};

// `state.range(0)` MiB of zeroed lines, in 2 MiB pages unless `state.range(1)` is 0.
class Lines {
 public:
  explicit Lines(const benchmark::State& state)
      : bytes_(static_cast<std::size_t>(state.range(0)) << 20),
        memory_(static_cast<Line*>(std::aligned_alloc(fogsched::sim::kHugePageBytes, bytes_))) {
    if (!memory_) throw std::bad_alloc();
    const bool huge = state.range(1) != 0;
    ::madvise(memory_.get(), bytes_, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    std::uninitialized_value_construct_n(memory_.get(), size());
  }
  std::size_t size() const { return bytes_ / sizeof(Line); }
  Line& operator[](std::size_t i) { return memory_.get()[i]; }

 private:
  struct Free {
    void operator()(Line* memory) const { std::free(memory); }
  };
  std::size_t bytes_;
  std::unique_ptr<Line, Free> memory_;
};

// Loads along a cycle through every `stride`-th line of the buffer, in random order.
void chain_through(benchmark::State& state, std::size_t stride) {
  Lines lines(state);
  std::vector<std::uint64_t> order(lines.size() / stride);
  for (std::size_t i = 0; i < order.size(); ++i) {
    // Which line of its page varies, so the lines spread over the cache's sets.
    order[i] = i * stride + (i % stride);
  }
  std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
  for (std::size_t i = 0; i < order.size(); ++i) lines[order[i]].word[0] = order[(i + 1) % order.size()];
  std::uint64_t at = order[0];
  for (auto _ : state) {
    at = lines[at].word[0];
    benchmark::DoNotOptimize(at);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DependentLoad(benchmark::State& state) { chain_through(state, 1); }
BENCHMARK(BM_DependentLoad)->ArgsProduct({{1, 8, 16, 32, 64, 256}, {1}});

constexpr std::size_t kLinesPerPage = 4096 / kCacheLine;
void BM_LinePerPage(benchmark::State& state) { chain_through(state, kLinesPerPage); }
BENCHMARK(BM_LinePerPage)->ArgsProduct({{8, 16, 32, 64}, {1, 0}});

// About the lines an invocation of a 10^5-camera city reads from beyond L2
// (docs/performance.md), and how far ahead the look-ahead asks for them.
constexpr std::size_t kLinesPerStep = 9;
constexpr std::size_t kStepsAhead = 8;

void BM_PrefetchedLines(benchmark::State& state) {
  Lines lines(state);
  // A long random pattern, read in order (so its own lines stream), that comes
  // round again only after far more lines than the caches hold.
  std::vector<std::uint32_t> index(std::size_t{1} << 20);
  std::mt19937_64 random(42);
  std::uniform_int_distribution<std::uint32_t> any(0, static_cast<std::uint32_t>(lines.size() - 1));
  for (std::uint32_t& i : index) i = any(random);
  const std::size_t steps = index.size() / kLinesPerStep;
  std::size_t step = 0;
  std::uint64_t sum = 0;
  for (auto _ : state) {
    const std::size_t ahead = (step + kStepsAhead) % steps;
    for (std::size_t l = 0; l < kLinesPerStep; ++l) fogsched::sim::prefetch(&lines[index[ahead * kLinesPerStep + l]]);
    for (std::size_t l = 0; l < kLinesPerStep; ++l) {
      std::uint64_t& word = lines[index[step * kLinesPerStep + l]].word[0];
      sum += word;
      word = sum;
    }
    step = step + 1 == steps ? 0 : step + 1;
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kLinesPerStep));
}
BENCHMARK(BM_PrefetchedLines)->ArgsProduct({{1, 8, 16, 32, 64, 256}, {1}});

}  // namespace
