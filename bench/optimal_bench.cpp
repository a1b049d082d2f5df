// Solving the optimal policy of a small Markovian cluster (analysis/optimal.h):
// relative value iteration to convergence, then the exact evaluation of the
// decision table, on 2, 3 and 4 identical cameras of 4 slots at load 0.8 (25, 125
// and 625 states). Counters: states solved per second, state updates per second
// (states x iterations), states, iterations.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "fogsched/analysis/optimal.h"

namespace {

using fogsched::analysis::NodeModel;
using fogsched::analysis::OptimalSolution;

void BM_SolveOptimal(benchmark::State& state) {
  const auto cameras = static_cast<std::size_t>(state.range(0));
  const std::vector<NodeModel> nodes(cameras,
                                     NodeModel{.arrival_rate_per_s = 3.2, .service_rate_per_s = 1, .slots = 4});
  OptimalSolution solution;
  for (auto _ : state) {
    solution = fogsched::analysis::solve_optimal(nodes, {.forward = 0.05});
    benchmark::DoNotOptimize(solution.cost_per_arrival);
  }
  const auto states = static_cast<double>(solution.states);
  state.counters["states_per_second"] =
      benchmark::Counter(states * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  // Each iteration updates every state once: the rate the value iteration runs at.
  state.counters["state_updates_per_second"] =
      benchmark::Counter(states * static_cast<double>(solution.iterations) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  state.counters["states"] = states;
  state.counters["iterations"] = static_cast<double>(solution.iterations);
}

BENCHMARK(BM_SolveOptimal)->DenseRange(2, 4)->Unit(benchmark::kMillisecond);

}  // namespace
