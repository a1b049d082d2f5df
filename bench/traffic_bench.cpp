// Throughput of the traffic model: events released per second on a 10 x 10 street
// grid (200 m blocks, a camera at every intersection) at a busy entry rate, per frame
// and once per pass; a 30 x 30 grid at the same rate per border intersection (longer
// routes, more vehicles in the city). Construction (the camera views of every road,
// through the grid index) is timed apart and should grow linearly with the grid.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "fogsched/sim/traffic.h"

namespace {

using namespace std::chrono_literals;
using fogsched::Point;
using fogsched::sim::TrafficConfig;
using fogsched::sim::TrafficModel;
using fogsched::sim::TriggerMode;

std::vector<Point> grid(std::uint32_t side) {
  std::vector<Point> positions;
  for (std::uint32_t i = 0; i < side * side; ++i) {
    const std::uint32_t row = i / side;
    positions.push_back({(i % side) * 200.0, row * 200.0});
  }
  return positions;
}

// 0.25 vehicles/s per border intersection: 9/s on a 10 x 10 grid.
TrafficConfig busy_city(std::uint32_t side, TriggerMode trigger) {
  return TrafficConfig{
      .roads = fogsched::sim::grid_roads(grid(side), side),
      .entry_rate_per_s = 0.25 * 4 * (side - 1),
      .speed = {.distribution = fogsched::sim::SpeedDistribution::normal,
                .mean_mps = 12,
                .sd_mps = 3,
                .min_mps = 5,
                .max_mps = 20},
      .turns = {.straight = 0.6, .left = 0.2, .right = 0.2},
      .view_radius_m = 30,
      .trigger = trigger,
      .frame_interval = 500ms,
      .blacklisted_fraction = 0.01,
  };
}

void BM_TrafficEvents(benchmark::State& state) {
  const auto side = static_cast<std::uint32_t>(state.range(0));
  const auto trigger = state.range(1) == 0 ? TriggerMode::per_frame : TriggerMode::once_per_pass;
  const TrafficConfig config = busy_city(side, trigger);
  // An end far enough that the stream never runs dry during the measurement.
  TrafficModel model(config, grid(side), 42, fogsched::time_at(std::chrono::hours{24 * 365}));
  for (auto _ : state) {
    if (!model.peek_time()) state.SkipWithError("traffic ran dry");
    benchmark::DoNotOptimize(model.pop());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["in_city"] = static_cast<double>(model.in_city());
}
BENCHMARK(BM_TrafficEvents)->ArgNames({"side", "once_per_pass"})->Args({10, 0})->Args({10, 1})->Args({30, 0});

void BM_TrafficConstruction(benchmark::State& state) {
  const auto side = static_cast<std::uint32_t>(state.range(0));
  const TrafficConfig config = busy_city(side, TriggerMode::per_frame);
  const std::vector<Point> cameras = grid(side);
  for (auto _ : state) {
    TrafficModel model(config, cameras, 42, fogsched::time_at(1h));
    benchmark::DoNotOptimize(model);
  }
  state.SetComplexityN(std::int64_t{side} * side);
}
BENCHMARK(BM_TrafficConstruction)->Arg(10)->Arg(100)->Arg(300)->Complexity(benchmark::oN);

}  // namespace
