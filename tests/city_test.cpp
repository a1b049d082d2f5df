// The city the simulator builds from a scenario: layouts, per-camera slots and
// speeds (listed or drawn), overrides, arrival rates and network delays.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "fogsched/core/scenario_yaml.h"
#include "fogsched/sim/city.h"
#include "scenario_text.h"

namespace fogsched::sim {
namespace {

using ::testing::HasSubstr;

std::string scenario_text(std::uint32_t cameras, const std::string& slots_yaml, const std::string& speed_yaml) {
  return "name: t\n"
         "duration: 10min\n"
         "cluster:\n"
         "  cameras:\n"
         "    count: " +
         std::to_string(cameras) +
         "\n"
         "    spacing: 100m\n"
         "    slots: " +
         slots_yaml +
         "\n"
         "    speed: " +
         speed_yaml +
         "\n"
         "functions:\n"
         "  f:\n"
         "    service_time: {dist: exponential, mean: 2s}\n"
         "workload:\n"
         "  - function: f\n"
         "    arrivals: {load: 0.5}\n";
}

Scenario parse(const std::string& text) { return fogsched::testing::parse(text, "c.yaml"); }
std::string error_of(const std::string& text) { return fogsched::testing::error_of(text, "c.yaml"); }

TEST(City, GridLayoutAndNetworkDelay) {
  Scenario s = parse(scenario_text(9, "2", "1"));
  s.network.latency_base = std::chrono::milliseconds(1);
  s.network.latency_per_km = std::chrono::milliseconds(2);
  s.network.bandwidth_bps = 8e6;  // 1 MB/s
  const City city(s);
  ASSERT_EQ(city.camera_count(), 9u);
  EXPECT_EQ(city.node(4).position, (Point{100, 100}));
  EXPECT_EQ(city.node(8).position, (Point{200, 200}));
  // Cameras 0 and 2 are 200 m apart: 1 ms + 0.4 ms, plus 1000 bytes at 1 MB/s = 1 ms.
  EXPECT_EQ(city.one_way(0, 2, 1000), std::chrono::microseconds(2400));
  EXPECT_EQ(city.one_way(3, 3, 1000), Duration::zero());
}

TEST(City, ListedSlotsAndSpeedsArePerCamera) {
  const City city(parse(scenario_text(4, "[1, 2, 3, 4]", "[0.5, 1, 1.5, 2]")));
  for (std::uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(city.node(i).slots, i + 1);
    EXPECT_DOUBLE_EQ(city.node(i).speed, 0.5 * (i + 1));
  }
  // load 0.5 = rate x 2 s / (mean slots 2.5 x mean speed 1.25)  ->  0.78125/s per camera
  ASSERT_EQ(city.streams().size(), 4u);
  EXPECT_DOUBLE_EQ(city.streams()[0].base_rate_per_s, 0.5 * 2.5 * 1.25 / 2.0);
}

TEST(City, DrawnSlotsAndSpeedsFollowTheirDistribution) {
  // 4000 cameras, seed 1 (the scenario's default): every value within bounds, each
  // slot count of uniform{2..5} near 1/4 (tolerance 0.03, about 4 sd), weighted
  // choice shares within 0.03 of 0.25 / 0.75.
  const City city(parse(scenario_text(4000, "{dist: uniform, min: 2, max: 5}", "{choice: [1, 2], weights: [1, 3]}")));
  std::map<std::uint32_t, int> slots;
  int fast = 0;
  for (std::uint32_t i = 0; i < 4000; ++i) {
    ++slots[city.node(i).slots];
    fast += city.node(i).speed == 2.0;
    EXPECT_TRUE(city.node(i).speed == 1.0 || city.node(i).speed == 2.0);
  }
  ASSERT_EQ(slots.size(), 4u);
  for (const auto& [k, n] : slots) {
    EXPECT_GE(k, 2u);
    EXPECT_LE(k, 5u);
    EXPECT_NEAR(n / 4000.0, 0.25, 0.03) << k;
  }
  EXPECT_NEAR(fast / 4000.0, 0.75, 0.03);
}

TEST(City, OverridesApplyAfterSpreads) {
  std::string text = scenario_text(3, "[1, 2, 3]", "1");
  text.replace(text.find("functions:"), 0, "    overrides: [{camera: 1, slots: 9}]\n");  // last key of cameras
  const City city(parse(text));
  EXPECT_EQ(city.node(0).slots, 1u);
  EXPECT_EQ(city.node(1).slots, 9u);
  EXPECT_EQ(city.node(2).slots, 3u);
}

TEST(City, SpreadErrorsNameTheKey) {
  EXPECT_THAT(error_of(scenario_text(3, "[1, 2]", "1")),
              HasSubstr("c.yaml:7: cluster.cameras.slots: has 2 values but count is 3 (one value per camera)"));
  EXPECT_THAT(error_of(scenario_text(3, "[1, 0, 2]", "1")), HasSubstr("cluster.cameras.slots.1: expected a positive"));
  EXPECT_THAT(error_of(scenario_text(3, "{dist: uniform, min: 4, max: 2}", "1")),
              HasSubstr("cluster.cameras.slots.max: must not be less than min (4)"));
  EXPECT_THAT(error_of(scenario_text(3, "{dist: normal, min: 1, max: 2}", "1")),
              HasSubstr("cluster.cameras.slots.dist: expected one of uniform"));
  EXPECT_THAT(error_of(scenario_text(3, "2", "{choice: [1, 2], weights: [1]}")),
              HasSubstr("cluster.cameras.speed.weights: has 1 weights for 2 options"));
  EXPECT_THAT(error_of(scenario_text(3, "2", "{choice: [1], colour: red}")),
              HasSubstr("cluster.cameras.speed.colour: unknown key"));
}

}  // namespace
}  // namespace fogsched::sim
