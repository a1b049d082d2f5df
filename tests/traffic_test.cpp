// The traffic model: geometry of camera views, routes, entries, blacklisting and the
// ordering of the event stream. Statistical tests state their seed and tolerance
// (4 standard deviations of the estimate unless said otherwise).
#include "fogsched/sim/traffic.h"

#include <gtest/gtest.h>

#include <array>
#include <boost/math/distributions/normal.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <tuple>
#include <variant>
#include <vector>

namespace fogsched::sim {
namespace {

using namespace std::chrono_literals;

// Everything one vehicle did, gathered from the event stream.
struct VehicleLog {
  std::optional<Time> entered;
  std::optional<Time> left;
  bool blacklisted = false;
  std::vector<Trigger> triggers;  // in stream order
};

std::vector<TrafficEvent> drain(TrafficModel& model) {
  std::vector<TrafficEvent> events;
  while (model.peek_time()) events.push_back(model.pop());
  return events;
}

std::vector<VehicleLog> by_vehicle(const std::vector<TrafficEvent>& events) {
  std::vector<VehicleLog> logs;
  auto log_of = [&logs](VehicleId vehicle) -> VehicleLog& {
    if (vehicle >= logs.size()) logs.resize(vehicle + 1);
    return logs[vehicle];
  };
  for (const TrafficEvent& event : events) {
    if (const auto* entered = std::get_if<VehicleEntered>(&event)) {
      VehicleLog& log = log_of(entered->vehicle);
      log.entered = entered->time;
      log.blacklisted = entered->blacklisted;
    } else if (const auto* trigger = std::get_if<Trigger>(&event)) {
      log_of(trigger->vehicle).triggers.push_back(*trigger);
    } else {
      const auto& left = std::get<VehicleLeft>(event);
      log_of(left.vehicle).left = left.time;
    }
  }
  return logs;
}

// Cameras seeing their own intersection only, once per pass: the order of a
// vehicle's triggers is the order of the intersections it drove through.
std::vector<std::uint32_t> route_of(const VehicleLog& log) {
  std::vector<std::uint32_t> route;
  for (const Trigger& t : log.triggers) route.push_back(t.camera);
  return route;
}

// Two border intersections `length_m` apart on the x axis.
RoadGraph straight_street(double length_m) {
  return {.intersections = {{0, 0}, {length_m, 0}}, .roads = {{0, 1}}, .border = {0, 1}, .exits = {}};
}

std::vector<Point> grid_positions(std::uint32_t columns, std::uint32_t rows, double spacing_m) {
  std::vector<Point> positions;
  for (std::uint32_t i = 0; i < columns * rows; ++i) {
    const std::uint32_t row = i / columns;
    positions.push_back({(i % columns) * spacing_m, row * spacing_m});
  }
  return positions;
}

TEST(GridRoads, JoinsNeighboursAndOpensTheOuterRing) {
  const RoadGraph graph = grid_roads(grid_positions(3, 3, 100), 3);
  EXPECT_EQ(graph.roads.size(), 12U);
  EXPECT_EQ(graph.border, (std::vector<std::uint32_t>{0, 1, 2, 3, 5, 6, 7, 8}));
  std::vector<int> exits_at(9, 0);
  for (const BorderExit& exit : graph.exits) ++exits_at[exit.intersection];
  EXPECT_EQ(exits_at, (std::vector<int>{2, 1, 2, 1, 0, 1, 2, 1, 2}));
}

TEST(GridRoads, PartialLastRow) {
  // Columns 3, five cameras: the last row holds 3 and 4; 2 misses its northern neighbour.
  const RoadGraph graph = grid_roads(grid_positions(3, 2, 100), 3);
  const RoadGraph partial = grid_roads({{0, 0}, {100, 0}, {200, 0}, {0, 100}, {100, 100}}, 3);
  EXPECT_EQ(graph.roads.size(), 7U);
  EXPECT_EQ(partial.roads.size(), 5U);
  bool north_exit_at_2 = false;
  for (const BorderExit& exit : partial.exits) {
    if (exit.intersection == 2 && std::abs(exit.heading_rad - std::acos(0.0)) < 1e-12) north_exit_at_2 = true;
  }
  EXPECT_TRUE(north_exit_at_2);
}

TEST(GridRoads, RefusesEmptyInput) {
  EXPECT_THROW(grid_roads({}, 3), TrafficConfigError);
  EXPECT_THROW(grid_roads({{0, 0}, {1, 0}}, 0), TrafficConfigError);
  EXPECT_THROW(grid_roads({{0, 0}}, 1), TrafficConfigError);
}

// Radius 20 m, 10 m/s, frames every 500 ms: a camera on the street sees each vehicle
// for 4 s (8 frames); one 12 m off the street for 2 * sqrt(20^2 - 12^2) / 10 = 3.2 s
// (7 frames). Both directions are the same by symmetry.
TEST(TrafficModel, StraightStreetGivesExactFrames) {
  const TrafficConfig config{.roads = straight_street(200),
                             .entry_rate_per_s = 0.2,
                             .speed = {.distribution = SpeedDistribution::deterministic, .mean_mps = 10},
                             .view_radius_m = 20,
                             .trigger = TriggerMode::per_frame,
                             .frame_interval = 500ms};
  TrafficModel model(config, {{100, 0}, {100, 12}}, /*seed=*/7, time_at(2000s));
  const auto logs = by_vehicle(drain(model));
  int complete = 0;
  for (const VehicleLog& log : logs) {
    ASSERT_TRUE(log.entered);
    if (!log.left) continue;
    ++complete;
    EXPECT_EQ(*log.left - *log.entered, 20s);
    std::vector<Time> frames[2];
    for (const Trigger& t : log.triggers) {
      frames[t.camera].push_back(t.time);
      if (t.camera == 0) {
        EXPECT_EQ(t.view_enter, *log.entered + 8s);
        EXPECT_EQ(t.view_leave, *log.entered + 12s);
      } else {
        EXPECT_EQ(t.view_enter, *log.entered + 8400ms);
        EXPECT_EQ(t.view_leave, *log.entered + 11600ms);
      }
    }
    ASSERT_EQ(frames[0].size(), 8U);
    ASSERT_EQ(frames[1].size(), 7U);
    for (std::size_t k = 0; k < frames[0].size(); ++k)
      EXPECT_EQ(frames[0][k], *log.entered + 8s + static_cast<std::int64_t>(k) * 500ms);
    for (std::size_t k = 0; k < frames[1].size(); ++k)
      EXPECT_EQ(frames[1][k], *log.entered + 8400ms + static_cast<std::int64_t>(k) * 500ms);
  }
  EXPECT_GT(complete, 300);  // about 0.2/s x 2000 s
}

// A camera at an intersection sees the end of one road and the start of the next:
// one pass of 2 x 20 m at 10 m/s, straight on or round a corner.
TEST(TrafficModel, CameraAtAnIntersectionSeesOneMergedPass) {
  const RoadGraph line{
      .intersections = {{0, 0}, {100, 0}, {200, 0}}, .roads = {{0, 1}, {1, 2}}, .border = {0, 2}, .exits = {}};
  const RoadGraph corner{
      .intersections = {{0, 0}, {100, 0}, {100, 100}}, .roads = {{0, 1}, {1, 2}}, .border = {0, 2}, .exits = {}};
  for (const RoadGraph& graph : {line, corner}) {
    const TrafficConfig config{.roads = graph,
                               .entry_rate_per_s = 0.1,
                               .speed = {.distribution = SpeedDistribution::deterministic, .mean_mps = 10},
                               .view_radius_m = 20,
                               .trigger = TriggerMode::once_per_pass};
    TrafficModel model(config, {{100, 0}}, /*seed=*/11, time_at(3000s));
    const auto logs = by_vehicle(drain(model));
    int complete = 0;
    for (const VehicleLog& log : logs) {
      if (!log.left) continue;
      ++complete;
      ASSERT_EQ(log.triggers.size(), 1U);
      EXPECT_EQ(log.triggers[0].view_enter, *log.entered + 8s);
      EXPECT_EQ(log.triggers[0].view_leave, *log.entered + 12s);
      EXPECT_EQ(log.triggers[0].time, log.triggers[0].view_enter);
    }
    EXPECT_GT(complete, 200);
  }
}

// A dead end that is not on the border: the vehicle turns back, and the camera at the
// dead end sees one pass through the U-turn.
TEST(TrafficModel, DeadEndTurnsBack) {
  const TrafficConfig config{
      .roads = {.intersections = {{0, 0}, {100, 0}, {200, 0}}, .roads = {{0, 1}, {1, 2}}, .border = {0}, .exits = {}},
      .entry_rate_per_s = 0.05,
      .speed = {.distribution = SpeedDistribution::deterministic, .mean_mps = 10},
      .view_radius_m = 20,
      .trigger = TriggerMode::once_per_pass};
  TrafficModel model(config, {{200, 0}}, /*seed=*/5, time_at(2000s));
  int complete = 0;
  for (const VehicleLog& log : by_vehicle(drain(model))) {
    if (!log.left) continue;
    ++complete;
    EXPECT_EQ(*log.left - *log.entered, 40s);
    ASSERT_EQ(log.triggers.size(), 1U);
    EXPECT_EQ(log.triggers[0].view_enter, *log.entered + 18s);
    EXPECT_EQ(log.triggers[0].view_leave, *log.entered + 22s);
  }
  EXPECT_GT(complete, 50);
}

TrafficConfig busy_grid_config(std::uint32_t side, double spacing_m) {
  return TrafficConfig{
      .roads = grid_roads(grid_positions(side, side, spacing_m), side),
      .entry_rate_per_s = 2.0,
      .speed = {.distribution = SpeedDistribution::normal, .mean_mps = 12, .sd_mps = 3, .min_mps = 5, .max_mps = 20},
      .turns = {.straight = 0.6, .left = 0.2, .right = 0.2},
      .view_radius_m = 30,
      .trigger = TriggerMode::per_frame,
      .frame_interval = 500ms,
      .blacklisted_fraction = 0.05};
}

TEST(TrafficModel, ConservesVehiclesAndOrdersEvents) {
  const TrafficConfig config = busy_grid_config(10, 200);
  const Time end = time_at(2h);
  TrafficModel model(config, grid_positions(10, 10, 200), /*seed=*/42, end);
  std::vector<bool> entered;
  std::vector<bool> left;
  std::uint64_t triggers = 0;
  std::optional<Time> previous;
  while (const auto next = model.peek_time()) {
    const TrafficEvent event = model.pop();
    const Time time = time_of(event);
    ASSERT_EQ(time, *next);
    ASSERT_LT(time, end);
    if (previous) {
      ASSERT_LE(*previous, time);
    }
    previous = time;
    if (const auto* e = std::get_if<VehicleEntered>(&event)) {
      ASSERT_EQ(e->vehicle, entered.size()) << "vehicles enter in id order, each once";
      entered.push_back(true);
      left.push_back(false);
    } else if (const auto* t = std::get_if<Trigger>(&event)) {
      ASSERT_LT(t->vehicle, entered.size()) << "a trigger before its vehicle entered";
      ASSERT_FALSE(left[t->vehicle]) << "a trigger after its vehicle left";
      ASSERT_LE(t->view_enter, t->time);
      ASSERT_LT(t->time, t->view_leave);
      ++triggers;
    } else {
      const auto& l = std::get<VehicleLeft>(event);
      ASSERT_LT(l.vehicle, entered.size());
      ASSERT_FALSE(left[l.vehicle]) << "left twice";
      left[l.vehicle] = true;
    }
    ASSERT_EQ(model.entered(), entered.size());
    ASSERT_EQ(model.entered(), model.left() + model.in_city());
  }
  std::uint64_t still_in_city = 0;
  for (std::size_t v = 0; v < entered.size(); ++v) still_in_city += left[v] ? 0 : 1;
  EXPECT_EQ(model.in_city(), still_in_city);
  EXPECT_GT(model.left(), 10'000U);
  EXPECT_GT(triggers, model.entered());
}

// Every vehicle on a straight street at 10 m/s is in the city for exactly 20 s, so
// at any moment the vehicles in the city are those that entered in the last 20 s.
TEST(TrafficModel, InCityCountsVehiclesStillDriving) {
  const TrafficConfig config{.roads = straight_street(200),
                             .entry_rate_per_s = 0.5,
                             .speed = {.distribution = SpeedDistribution::deterministic, .mean_mps = 10},
                             .view_radius_m = 0,
                             .trigger = TriggerMode::once_per_pass};
  TrafficModel model(config, {}, /*seed=*/3, time_at(5000s));
  std::vector<Time> entry_times;
  while (model.peek_time()) {
    const TrafficEvent event = model.pop();
    if (const auto* e = std::get_if<VehicleEntered>(&event)) entry_times.push_back(e->time);
    const Time now = time_of(event);
    std::uint64_t driving = 0;
    for (auto t = entry_times.rbegin(); t != entry_times.rend() && now - *t < 20s; ++t) ++driving;
    ASSERT_EQ(model.in_city(), driving);
  }
}

// Seed 9; 2/s over 20 000 s: 40 000 expected, tolerance 4 sqrt(40 000) = 800.
TEST(TrafficModel, EntryRateMatchesConfiguration) {
  TrafficConfig config = busy_grid_config(5, 100);
  config.trigger = TriggerMode::once_per_pass;
  TrafficModel model(config, {}, /*seed=*/9, time_at(20000s));
  drain(model);
  const double expected = 2.0 * 20000;
  EXPECT_NEAR(static_cast<double>(model.entered()), expected, 4 * std::sqrt(expected));
}

// Seed 13; a 1000 s periodic profile (x1 for 400 s, x3 for 300 s, x0 for 300 s) over
// 40 periods at 1/s. Each phase's count within 4 sqrt(expected); none in the x0 phase.
TEST(TrafficModel, EntryRateFollowsTheProfile) {
  TrafficConfig config{.roads = straight_street(100),
                       .entry_rate_per_s = 1.0,
                       .entry_profile = RateProfile({{0s, 1.0}, {400s, 3.0}, {700s, 0.0}}, 1000s),
                       .view_radius_m = 0};
  TrafficModel model(config, {}, /*seed=*/13, time_at(40000s));
  std::array<double, 3> per_phase{};
  for (const TrafficEvent& event : drain(model)) {
    const auto* e = std::get_if<VehicleEntered>(&event);
    if (!e) continue;
    const auto offset = e->time.time_since_epoch() % 1000s;
    per_phase[offset < 400s ? 0 : offset < 700s ? 1 : 2] += 1;
  }
  const double low = 40 * 400 * 1.0;
  const double high = 40 * 300 * 3.0;
  EXPECT_NEAR(per_phase[0], low, 4 * std::sqrt(low));
  EXPECT_NEAR(per_phase[1], high, 4 * std::sqrt(high));
  EXPECT_EQ(per_phase[2], 0);
}

// Intersection cameras of radius 1 m on a 100 m grid record each route.
TrafficConfig route_tracing_config(std::uint32_t side, TurnWeights turns) {
  return TrafficConfig{.roads = grid_roads(grid_positions(side, side, 100), side),
                       .entry_rate_per_s = 1.0,
                       .speed = {.distribution = SpeedDistribution::deterministic, .mean_mps = 10},
                       .turns = turns,
                       .view_radius_m = 1,
                       .trigger = TriggerMode::once_per_pass};
}

TEST(TrafficModel, StraightOnlyDrivesStraightAcross) {
  constexpr std::uint32_t kSide = 6;
  const TrafficConfig config = route_tracing_config(kSide, {.straight = 1, .left = 0, .right = 0});
  TrafficModel model(config, grid_positions(kSide, kSide, 100), /*seed=*/21, time_at(3000s));
  int complete = 0;
  for (const VehicleLog& log : by_vehicle(drain(model))) {
    if (!log.left) continue;
    ++complete;
    const auto route = route_of(log);
    ASSERT_EQ(route.size(), kSide);
    EXPECT_EQ(*log.left - *log.entered, (kSide - 1) * 10s);
    // One row or one column, in order.
    const auto step = static_cast<std::int64_t>(route[1]) - route[0];
    ASSERT_TRUE(step == 1 || step == -1 || step == kSide || step == -std::int64_t{kSide});
    for (std::size_t i = 1; i < route.size(); ++i) {
      EXPECT_EQ(static_cast<std::int64_t>(route[i]) - route[i - 1], step);
    }
  }
  EXPECT_GT(complete, 2000);
}

// Seed 23; weights straight 0.5, left 0.3, right 0.2 on an 8 x 8 grid, measured at
// interior intersections (all three turns exist there).
TEST(TrafficModel, TurnSharesMatchTheWeights) {
  constexpr std::uint32_t kSide = 8;
  const TrafficConfig config = route_tracing_config(kSide, {.straight = 0.5, .left = 0.3, .right = 0.2});
  const std::vector<Point> cameras = grid_positions(kSide, kSide, 100);
  TrafficModel model(config, cameras, /*seed=*/23, time_at(20000s));
  auto interior = [](std::uint32_t i) {
    return i % kSide != 0 && i % kSide != kSide - 1 && i / kSide != 0 && i / kSide != kSide - 1;
  };
  std::array<double, 3> counts{};  // straight, left, right
  for (const VehicleLog& log : by_vehicle(drain(model))) {
    const auto route = route_of(log);
    for (std::size_t i = 2; i < route.size(); ++i) {
      if (!interior(route[i - 1])) continue;
      const Point a = cameras[route[i - 2]];
      const Point b = cameras[route[i - 1]];
      const Point c = cameras[route[i]];
      const double turn = (b.x_m - a.x_m) * (c.y_m - b.y_m) - (b.y_m - a.y_m) * (c.x_m - b.x_m);
      ASSERT_FALSE(route[i] == route[i - 2]) << "U-turn at an interior intersection";
      counts[turn == 0 ? 0 : turn > 0 ? 1 : 2] += 1;
    }
  }
  const double decisions = counts[0] + counts[1] + counts[2];
  ASSERT_GT(decisions, 30000);
  const std::array<double, 3> expected{0.5, 0.3, 0.2};
  for (int k = 0; k < 3; ++k) {
    const double tolerance = 4 * std::sqrt(expected[k] * (1 - expected[k]) / decisions);
    EXPECT_NEAR(counts[k] / decisions, expected[k], tolerance) << "turn kind " << k;
  }
}

// A cross of four arms without given exits: each arm end is a border with a derived
// exit pointing outward, vehicles enter along the arm, turn once at the centre and
// leave at the next arm end. Seed 31; shares at the centre within 4 sd.
TEST(TrafficModel, ExplicitGraphWithDerivedExits) {
  const RoadGraph cross{.intersections = {{0, 0}, {100, 0}, {0, 100}, {-100, 0}, {0, -100}},
                        .roads = {{0, 1}, {0, 2}, {0, 3}, {0, 4}},
                        .border = {1, 2, 3, 4},
                        .exits = {}};
  const TrafficConfig config{.roads = cross,
                             .entry_rate_per_s = 1.0,
                             .speed = {.distribution = SpeedDistribution::deterministic, .mean_mps = 10},
                             .turns = {.straight = 0.5, .left = 0.3, .right = 0.2},
                             .view_radius_m = 1,
                             .trigger = TriggerMode::once_per_pass};
  TrafficModel model(config, cross.intersections, /*seed=*/31, time_at(20000s));
  std::array<double, 3> counts{};
  std::array<double, 5> entries{};
  for (const VehicleLog& log : by_vehicle(drain(model))) {
    if (!log.left) continue;
    EXPECT_EQ(*log.left - *log.entered, 20s);
    const auto route = route_of(log);
    ASSERT_EQ(route.size(), 3U);
    ASSERT_EQ(route[1], 0U);
    entries[route[0]] += 1;
    // Arms are numbered counter-clockwise (east, north, west, south).
    const auto turn = (route[2] + 4 - route[0]) % 4;  // 2: straight, 1: right, 3: left
    counts[turn == 2 ? 0 : turn == 3 ? 1 : 2] += 1;
  }
  const double total = counts[0] + counts[1] + counts[2];
  const std::array<double, 3> expected{0.5, 0.3, 0.2};
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(counts[k] / total, expected[k], 4 * std::sqrt(expected[k] * (1 - expected[k]) / total));
  }
  for (int arm = 1; arm <= 4; ++arm) {
    EXPECT_NEAR(entries[arm] / total, 0.25, 4 * std::sqrt(0.25 * 0.75 / total)) << "arm " << arm;
  }
}

TEST(TrafficModel, LongRoutesEndAtTheLimit) {
  TrafficConfig config = route_tracing_config(10, {.straight = 1, .left = 0, .right = 0});
  config.max_route_roads = 5;
  TrafficModel model(config, {}, /*seed=*/17, time_at(1000s));
  int complete = 0;
  for (const VehicleLog& log : by_vehicle(drain(model))) {
    if (!log.left) continue;
    ++complete;
    EXPECT_EQ(*log.left - *log.entered, 50s);
  }
  EXPECT_GT(complete, 500);
}

// Seed 19; speeds inferred from trip times on a 200 m street.
TEST(TrafficModel, SpeedDistributions) {
  auto speeds = [](SpeedSpec speed) {
    const TrafficConfig config{
        .roads = straight_street(200), .entry_rate_per_s = 1.0, .speed = speed, .view_radius_m = 0};
    TrafficModel model(config, {}, /*seed=*/19, time_at(10000s));
    std::vector<double> result;
    for (const VehicleLog& log : by_vehicle(drain(model))) {
      if (log.left) result.push_back(200.0 / to_seconds(*log.left - *log.entered));
    }
    return result;
  };
  auto mean_of = [](const std::vector<double>& values) {
    double sum = 0;
    for (double v : values) sum += v;
    return sum / static_cast<double>(values.size());
  };

  const auto uniform = speeds({.distribution = SpeedDistribution::uniform, .min_mps = 8, .max_mps = 12});
  for (double s : uniform) {
    ASSERT_GE(s, 8 - 1e-6);
    ASSERT_LE(s, 12 + 1e-6);
  }
  const double uniform_sd = 4 / std::sqrt(12.0);
  EXPECT_NEAR(mean_of(uniform), 10, 4 * uniform_sd / std::sqrt(static_cast<double>(uniform.size())));

  // normal(10, 2) truncated to [9, 20]: mean 10 + 2 phi(-0.5) / (Phi(5) - Phi(-0.5)).
  const auto normal =
      speeds({.distribution = SpeedDistribution::normal, .mean_mps = 10, .sd_mps = 2, .min_mps = 9, .max_mps = 20});
  for (double s : normal) {
    ASSERT_GE(s, 9 - 1e-6);
    ASSERT_LE(s, 20 + 1e-6);
  }
  const boost::math::normal_distribution<double> standard;
  const double mass = boost::math::cdf(standard, 5.0) - boost::math::cdf(standard, -0.5);
  const double expected_mean = 10 + 2 * (boost::math::pdf(standard, -0.5) - boost::math::pdf(standard, 5.0)) / mass;
  // The truncated distribution's sd is below 2; 2 bounds the tolerance from above.
  EXPECT_NEAR(mean_of(normal), expected_mean, 4 * 2 / std::sqrt(static_cast<double>(normal.size())));
}

// Seed 29; fraction 0.1 of about 40 000 vehicles, within 4 sd.
TEST(TrafficModel, BlacklistedFraction) {
  TrafficConfig config = busy_grid_config(5, 100);
  config.blacklisted_fraction = 0.1;
  TrafficModel model(config, {}, /*seed=*/29, time_at(20000s));
  double vehicles = 0;
  double blacklisted = 0;
  for (const VehicleLog& log : by_vehicle(drain(model))) {
    vehicles += 1;
    blacklisted += log.blacklisted ? 1 : 0;
  }
  EXPECT_NEAR(blacklisted / vehicles, 0.1, 4 * std::sqrt(0.1 * 0.9 / vehicles));
}

TEST(TrafficModel, ExplicitBlacklistedIds) {
  TrafficConfig config = busy_grid_config(5, 100);
  config.blacklisted_fraction = 0;
  config.blacklisted_ids = {100, 3, 17};
  TrafficModel model(config, grid_positions(5, 5, 100), /*seed=*/1, time_at(1000s));
  std::set<VehicleId> seen_blacklisted;
  for (const TrafficEvent& event : drain(model)) {
    std::visit(
        [&](const auto& e) {
          if (e.blacklisted) seen_blacklisted.insert(e.vehicle);
        },
        event);
  }
  EXPECT_GT(model.entered(), 100U);
  EXPECT_EQ(seen_blacklisted, (std::set<VehicleId>{3, 17, 100}));
}

TEST(TrafficModel, SameSeedSameStream) {
  const TrafficConfig config = busy_grid_config(4, 150);
  auto run = [&](std::uint64_t seed) {
    TrafficModel model(config, grid_positions(4, 4, 150), seed, time_at(600s));
    std::vector<std::tuple<std::int64_t, std::size_t, VehicleId>> stream;
    for (const TrafficEvent& event : drain(model)) {
      const VehicleId vehicle = std::visit([](const auto& e) { return e.vehicle; }, event);
      stream.emplace_back(time_of(event).time_since_epoch().count(), event.index(), vehicle);
    }
    return stream;
  };
  const auto first = run(99);
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, run(99));
  EXPECT_NE(first, run(100));
}

TEST(TrafficModel, RefusesInconsistentConfiguration) {
  auto make = [](TrafficConfig config, std::vector<Point> cameras = {}) {
    TrafficModel model(config, cameras, 1, time_at(10s));
  };
  const TrafficConfig good{.roads = straight_street(100)};
  EXPECT_NO_THROW(make(good));

  TrafficConfig bad = good;
  bad.roads.roads.push_back({0, 5});
  EXPECT_THROW(make(bad), TrafficConfigError);

  bad = good;
  bad.roads.intersections.push_back({50, 50});
  bad.roads.border.push_back(2);  // no road at the new border intersection
  EXPECT_THROW(make(bad), TrafficConfigError);

  bad = good;
  bad.roads.exits = {{0, 3.14}};  // intersection 1 then has no exit
  EXPECT_THROW(make(bad), TrafficConfigError);

  bad = good;
  bad.camera_view_radius_m = {10, 20};
  EXPECT_THROW(make(bad, {{0, 0}}), TrafficConfigError);

  bad = good;
  bad.speed = {.distribution = SpeedDistribution::normal, .mean_mps = 10, .sd_mps = 0, .min_mps = 5, .max_mps = 15};
  EXPECT_THROW(make(bad), TrafficConfigError);

  bad = good;
  bad.frame_interval = 0s;
  EXPECT_THROW(make(bad), TrafficConfigError);

  bad = good;
  bad.blacklisted_fraction = 1.5;
  EXPECT_THROW(make(bad), TrafficConfigError);
}

TEST(TrafficModel, PerCameraViewRadius) {
  const TrafficConfig config{.roads = straight_street(200),
                             .entry_rate_per_s = 0.1,
                             .speed = {.distribution = SpeedDistribution::deterministic, .mean_mps = 10},
                             .camera_view_radius_m = {20, 5},
                             .trigger = TriggerMode::once_per_pass};
  TrafficModel model(config, {{50, 0}, {150, 0}}, /*seed=*/2, time_at(2000s));
  for (const VehicleLog& log : by_vehicle(drain(model))) {
    if (!log.left) continue;
    ASSERT_EQ(log.triggers.size(), 2U);
    for (const Trigger& t : log.triggers) {
      EXPECT_EQ(t.view_leave - t.view_enter, t.camera == 0 ? 4s : 1s);
    }
  }
}

}  // namespace
}  // namespace fogsched::sim
