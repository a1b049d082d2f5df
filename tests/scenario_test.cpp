// Scenario files: the model they build, the exact "FILE:LINE: key.path: problem"
// of every kind of mistake, overrides, the JSON form, and the shipped scenarios.
#include "fogsched/core/scenario.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "fogsched/core/scenario_yaml.h"
#include "fogsched/core/service_time_grammar.h"
#include "scenario_text.h"

namespace fogsched {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

// The smallest valid scenario. Line numbers matter: tests edit single lines.
constexpr const char* kMinimal =
    "name: t\n"                                          // 1
    "duration: 10min\n"                                  // 2
    "cluster:\n"                                         // 3
    "  cameras:\n"                                       // 4
    "    count: 4\n"                                     // 5
    "    slots: 2\n"                                     // 6
    "functions:\n"                                       // 7
    "  f:\n"                                             // 8
    "    service_time: {dist: exponential, mean: 1s}\n"  // 9
    "workload:\n"                                        // 10
    "  - function: f\n"                                  // 11
    "    arrivals: {rate: 1/s}\n";                       // 12

// kMinimal with the first occurrence of `from` replaced by `to`.
std::string minimal_with(const std::string& from, const std::string& to) {
  std::string text = kMinimal;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

using fogsched::testing::error_of;
using fogsched::testing::parse;
using fogsched::testing::ScenarioFiles;

// ---- the model -------------------------------------------------------------------

TEST(ScenarioParse, MinimalScenarioGetsTheDocumentedDefaults) {
  const Scenario s = parse(kMinimal);
  EXPECT_EQ(s.name, "t");
  EXPECT_EQ(s.source_file, "x.yaml");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.duration, minutes{10});
  EXPECT_EQ(s.warmup, Duration{0});
  EXPECT_EQ(s.replications, 1u);
  EXPECT_EQ(s.hop_limit, 1u);
  EXPECT_EQ(s.cameras.count, 4u);
  EXPECT_EQ(s.cameras.layout, Layout::grid);
  EXPECT_DOUBLE_EQ(s.cameras.spacing_m, 200);
  EXPECT_EQ(s.cameras.columns, 0u);
  EXPECT_EQ(s.cameras.slots, 2u);
  EXPECT_EQ(s.cameras.queue, 0u);
  EXPECT_DOUBLE_EQ(s.cameras.speed, 1.0);
  EXPECT_FALSE(s.cloud.enabled);
  EXPECT_EQ(s.network.latency_base, Duration{0});
  EXPECT_DOUBLE_EQ(s.network.bandwidth_bps, 0);
  EXPECT_EQ(s.network.gossip_memory, 128u);
  ASSERT_EQ(s.functions.size(), 1u);
  EXPECT_EQ(s.functions[0].name, "f");
  EXPECT_EQ(s.functions[0].service_time.dist, ServiceDist::exponential);
  EXPECT_EQ(s.functions[0].service_time.mean, seconds{1});
  EXPECT_FALSE(s.functions[0].deadline.has_value());
  ASSERT_EQ(s.workload.size(), 1u);
  EXPECT_TRUE(s.workload[0].cameras.empty());
  EXPECT_EQ(s.workload[0].arrivals.rate_per_s, 1.0);
  EXPECT_FALSE(s.workload[0].arrivals.load.has_value());
  ASSERT_EQ(s.policies.size(), 1u);
  EXPECT_EQ(s.policies[0].name, "local");
}

TEST(ScenarioParse, EveryKey) {
  const Scenario s = parse(R"(name: everything
seed: 18446744073709551615
duration: 2h
warmup: 5min
replications: 3
hop_limit: 2
cluster:
  cameras:
    count: 3
    layout: explicit
    positions: [[0m, 0m], {x: 1.5km, y: -20m}, ["0", 300m]]
    slots: 4
    queue: 2
    speed: 1.5
    overrides:
      - {camera: 2, slots: 8}
      - {cameras: [0, 1], queue: 0, speed: 0.5}
  cloud: {slots: 32, queue: 5, speed: 2, latency: 80ms, bandwidth: 1Gbps}
network:
  latency: {base: 1ms, per_km: 0.5ms}
  bandwidth: 100Mbps
  probe_bytes: 200B
  gossip_bytes: 1KiB
  gossip_memory: 16
  probe_timeout: 50ms
functions:
  a: {service_time: {dist: lognormal, mean: 800ms, cv: 0.5}, payload: 150KB, response: 1KB, deadline: 3s}
  b: {service_time: {dist: uniform, min: 1s, max: 3s}}
  c: {service_time: {dist: deterministic, mean: 250ms}}
workload:
  - function: b
    cameras: [0, 2]
    arrivals:
      process: poisson
      rate: 12/min
      hotspots: {cameras: [2], factor: 3}
      rates: {0: 1/s}
      profile: [{at: 0, factor: 1}, {at: 30min, factor: 2.5}]
      profile_period: 1h
  - function: a
    arrivals: {load: 0.6, hotspots: {count: 1, factor: 4}}
policies:
  - local
  - power_of_d(d=2, threshold=3)
  - {name: least_loaded, gossip_interval: 1s}
)");
  EXPECT_EQ(s.seed, 18446744073709551615u);
  EXPECT_EQ(s.duration, hours{2});
  EXPECT_EQ(s.warmup, minutes{5});
  EXPECT_EQ(s.replications, 3u);
  EXPECT_EQ(s.hop_limit, 2u);
  EXPECT_EQ(s.cameras.layout, Layout::explicit_positions);
  EXPECT_THAT(s.cameras.positions, ElementsAre(Point{0, 0}, Point{1500, -20}, Point{0, 300}));
  EXPECT_EQ(s.cameras.slots, 4u);
  EXPECT_EQ(s.cameras.queue, 2u);
  EXPECT_DOUBLE_EQ(s.cameras.speed, 1.5);
  ASSERT_EQ(s.cameras.overrides.size(), 2u);
  EXPECT_THAT(s.cameras.overrides[0].cameras, ElementsAre(2u));
  EXPECT_EQ(s.cameras.overrides[0].slots, 8u);
  EXPECT_FALSE(s.cameras.overrides[0].queue.has_value());
  EXPECT_THAT(s.cameras.overrides[1].cameras, ElementsAre(0u, 1u));
  EXPECT_EQ(s.cameras.overrides[1].queue, 0u);
  EXPECT_EQ(s.cameras.overrides[1].speed, 0.5);
  EXPECT_EQ(s.cameras.overrides[1].where.line, 17);

  EXPECT_TRUE(s.cloud.enabled);  // a described cloud is used unless switched off
  EXPECT_EQ(s.cloud.slots, 32u);
  EXPECT_EQ(s.cloud.queue, 5u);
  EXPECT_DOUBLE_EQ(s.cloud.speed, 2);
  EXPECT_EQ(s.cloud.latency, milliseconds{80});
  EXPECT_DOUBLE_EQ(s.cloud.bandwidth_bps, 1e9);

  EXPECT_EQ(s.network.latency_base, milliseconds{1});
  EXPECT_EQ(s.network.latency_per_km, std::chrono::microseconds{500});
  EXPECT_DOUBLE_EQ(s.network.bandwidth_bps, 100e6);
  EXPECT_EQ(s.network.probe_bytes, 200u);
  EXPECT_EQ(s.network.gossip_bytes, 1024u);
  EXPECT_EQ(s.network.gossip_memory, 16u);
  EXPECT_EQ(s.network.probe_timeout, milliseconds{50});

  ASSERT_EQ(s.functions.size(), 3u);
  const FunctionSpec& a = s.functions[0];
  EXPECT_EQ(a.service_time.dist, ServiceDist::lognormal);
  EXPECT_EQ(a.service_time.mean, milliseconds{800});
  EXPECT_DOUBLE_EQ(a.service_time.cv, 0.5);
  EXPECT_EQ(a.payload_bytes, 150'000u);
  EXPECT_EQ(a.response_bytes, 1'000u);
  EXPECT_EQ(a.deadline, seconds{3});
  EXPECT_EQ(s.functions[1].service_time.dist, ServiceDist::uniform);
  EXPECT_EQ(s.functions[1].service_time.min, seconds{1});
  EXPECT_EQ(s.functions[1].service_time.max, seconds{3});
  EXPECT_DOUBLE_EQ(s.functions[1].service_time.mean_seconds(), 2.0);
  EXPECT_EQ(s.functions[2].service_time.dist, ServiceDist::deterministic);
  EXPECT_DOUBLE_EQ(s.functions[2].service_time.mean_seconds(), 0.25);

  ASSERT_EQ(s.workload.size(), 2u);
  const WorkloadSpec& w0 = s.workload[0];
  EXPECT_EQ(w0.function, "b");
  EXPECT_EQ(w0.function_index, 1u);
  EXPECT_THAT(w0.cameras, ElementsAre(0u, 2u));
  EXPECT_DOUBLE_EQ(*w0.arrivals.rate_per_s, 0.2);
  EXPECT_THAT(w0.arrivals.hotspot_cameras, ElementsAre(2u));
  EXPECT_DOUBLE_EQ(w0.arrivals.hotspot_factor, 3);
  EXPECT_THAT(w0.arrivals.camera_rates, ElementsAre(Pair(0u, 1.0)));
  ASSERT_EQ(w0.arrivals.profile.size(), 2u);
  EXPECT_EQ(w0.arrivals.profile[1].at, minutes{30});
  EXPECT_DOUBLE_EQ(w0.arrivals.profile[1].factor, 2.5);
  EXPECT_EQ(w0.arrivals.profile_period, hours{1});
  EXPECT_EQ(w0.where.line, 31);
  const WorkloadSpec& w1 = s.workload[1];
  EXPECT_EQ(w1.function_index, 0u);
  EXPECT_EQ(w1.arrivals.load, 0.6);
  EXPECT_FALSE(w1.arrivals.rate_per_s.has_value());
  EXPECT_EQ(w1.arrivals.hotspot_count, 1u);

  ASSERT_EQ(s.policies.size(), 3u);
  EXPECT_EQ(s.policies[0].name, "local");
  EXPECT_TRUE(s.policies[0].params.empty());
  EXPECT_EQ(s.policies[1].name, "power_of_d");
  EXPECT_THAT(s.policies[1].params, ElementsAre(Pair("d", "2"), Pair("threshold", "3")));
  EXPECT_EQ(s.policies[1].where.to_string(), "x.yaml:44");
  EXPECT_EQ(s.policies[2].name, "least_loaded");
  EXPECT_THAT(s.policies[2].params, ElementsAre(Pair("gossip_interval", "1s")));
}

TEST(ScenarioParse, LayoutsGridAndRandom) {
  const Scenario grid = parse(minimal_with("count: 4", "count: 4\n    spacing: 1.5km\n    columns: 2"));
  EXPECT_DOUBLE_EQ(grid.cameras.spacing_m, 1500);
  EXPECT_EQ(grid.cameras.columns, 2u);
  const Scenario random =
      parse(minimal_with("count: 4", "count: 4\n    layout: random\n    area: {width: 2km, height: 500m}"));
  EXPECT_EQ(random.cameras.layout, Layout::random);
  EXPECT_DOUBLE_EQ(random.cameras.area_width_m, 2000);
  EXPECT_DOUBLE_EQ(random.cameras.area_height_m, 500);
}

TEST(ScenarioParse, NetworkLatencyMayBeASingleDuration) {
  const Scenario s = parse(std::string(kMinimal) + "network: {latency: 2ms}\n");
  EXPECT_EQ(s.network.latency_base, milliseconds{2});
  EXPECT_EQ(s.network.latency_per_km, Duration{0});
}

TEST(ScenarioParse, CloudCanBeDescribedButSwitchedOff) {
  const Scenario s = parse(minimal_with("functions:", "  cloud: {enabled: false, latency: 80ms}\nfunctions:"));
  EXPECT_FALSE(s.cloud.enabled);
  EXPECT_EQ(s.cloud.latency, milliseconds{80});
}

TEST(ScenarioParse, ExplicitRatesAllowABaseRateOfZero) {
  const Scenario s = parse(minimal_with("arrivals: {rate: 1/s}", "arrivals: {rate: 0, rates: {3: 2/s}}"));
  EXPECT_EQ(s.workload[0].arrivals.rate_per_s, 0.0);
  EXPECT_THAT(s.workload[0].arrivals.camera_rates, ElementsAre(Pair(3u, 2.0)));
}

// ---- errors: the exact message of each kind ---------------------------------------

TEST(ScenarioErrors, ErrorCarriesLocationPathAndProblem) {
  try {
    parse(minimal_with("count: 4", "count: four"));
    FAIL() << "no error";
  } catch (const ScenarioError& error) {
    EXPECT_STREQ(error.what(), "x.yaml:5: cluster.cameras.count: expected a positive integer, got 'four'");
    EXPECT_EQ(error.where().file, "x.yaml");
    EXPECT_EQ(error.where().line, 5);
    EXPECT_EQ(error.where().column, 12);
    EXPECT_EQ(error.key_path(), "cluster.cameras.count");
    EXPECT_EQ(error.problem(), "expected a positive integer, got 'four'");
  }
}

TEST(ScenarioErrors, BadIntegers) {
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots: four")),
            "x.yaml:6: cluster.cameras.slots: expected a positive integer, got 'four'");
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots: 0")),
            "x.yaml:6: cluster.cameras.slots: expected a positive integer, got '0'");
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots: -1")),
            "x.yaml:6: cluster.cameras.slots: expected a positive integer, got '-1'");
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots: 2.5")),
            "x.yaml:6: cluster.cameras.slots: expected a positive integer, got '2.5'");
  EXPECT_EQ(error_of(minimal_with("slots: 2", "queue: -2")),
            "x.yaml:6: cluster.cameras.queue: expected a non-negative integer, got '-2'");
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots: 5000000000")),
            "x.yaml:6: cluster.cameras.slots: expected a positive integer no larger than 4294967295, got '5000000000'");
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots: [2]")),
            "x.yaml:6: cluster.cameras.slots: has 1 values but count is 4 (one value per camera)");
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots:")),
            "x.yaml:6: cluster.cameras.slots: expected a value, a list or a map, got nothing");
}

TEST(ScenarioErrors, GossipMemoryIsAPositiveCount) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "network: {gossip_memory: 0}\n"),
            "x.yaml:13: network.gossip_memory: expected a positive integer, got '0'");
  EXPECT_EQ(error_of(std::string(kMinimal) + "network: {gossip_memory: many}\n"),
            "x.yaml:13: network.gossip_memory: expected a positive integer, got 'many'");
  EXPECT_EQ(error_of(std::string(kMinimal) + "network: {gossip_memory: 5000000000}\n"),
            "x.yaml:13: network.gossip_memory: expected a positive integer no larger than 4294967295, got "
            "'5000000000'");
}

TEST(ScenarioErrors, BadUnits) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "network:\n  bandwidth: 100Mbs\n"),
            "x.yaml:14: network.bandwidth: unknown unit 'Mbs' in '100Mbs' (expected bps, kbps, Mbps, Gbps)");
  EXPECT_EQ(error_of(minimal_with("duration: 10min", "duration: 600")),
            "x.yaml:2: duration: missing unit in '600' (expected ns, us, ms, s, min, h, d; e.g. '250ms')");
  EXPECT_EQ(error_of(minimal_with("mean: 1s", "mean: soon")),
            "x.yaml:9: functions.f.service_time.mean: expected a duration such as '250ms', got 'soon'");
  EXPECT_EQ(error_of(std::string(kMinimal) + "network: {probe_bytes: 200}\n"),
            "x.yaml:13: network.probe_bytes: missing unit in '200' (expected B, KB, MB, GB, KiB, MiB, GiB; e.g. "
            "'150KB')");
  EXPECT_EQ(error_of(minimal_with("count: 4", "count: 4\n    spacing: 200")),
            "x.yaml:6: cluster.cameras.spacing: missing unit in '200' (expected m, km; e.g. '200m')");
  EXPECT_EQ(error_of(minimal_with("duration: 10min", "duration: .nan")),
            "x.yaml:2: duration: expected a duration such as '250ms', got '.nan'");
  EXPECT_EQ(error_of(minimal_with("duration: 10min", "duration: infs")),
            "x.yaml:2: duration: not a finite duration: 'infs'");
  EXPECT_EQ(error_of(minimal_with("duration: 10min", "duration: 1e300h")),
            "x.yaml:2: duration: duration out of range: '1e300h'");
}

TEST(ScenarioErrors, NegativeOrZeroWhereNotAllowed) {
  EXPECT_EQ(error_of(minimal_with("rate: 1/s", "rate: -3/s")),
            "x.yaml:12: workload.0.arrivals.rate: expected a positive rate, got '-3/s'");
  EXPECT_EQ(error_of(minimal_with("rate: 1/s", "rate: 0")),
            "x.yaml:12: workload.0.arrivals.rate: expected a positive rate, got '0'");
  EXPECT_EQ(error_of(minimal_with("duration: 10min", "duration: 0")),
            "x.yaml:2: duration: expected a positive duration, got '0'");
  EXPECT_EQ(error_of(minimal_with("mean: 1s", "mean: -1s")),
            "x.yaml:9: functions.f.service_time.mean: expected a positive duration, got '-1s'");
  EXPECT_EQ(error_of(minimal_with("count: 4", "count: 4\n    speed: 0")),
            "x.yaml:6: cluster.cameras.speed: expected a positive number, got '0'");
  EXPECT_EQ(error_of(minimal_with("rate: 1/s", "load: -0.5")),
            "x.yaml:12: workload.0.arrivals.load: expected a positive number, got '-0.5'");
  EXPECT_EQ(error_of(std::string(kMinimal) + "network: {latency: {base: -1ms}}\n"),
            "x.yaml:13: network.latency.base: expected a non-negative duration, got '-1ms'");
  EXPECT_EQ(error_of(minimal_with("mean: 1s}", "mean: 1s}\n    deadline: 0")),
            "x.yaml:10: functions.f.deadline: expected a positive duration, got '0'");
}

TEST(ScenarioErrors, UnknownKeysEverywhere) {
  EXPECT_EQ(error_of(minimal_with("slots: 2", "colour: red")),
            "x.yaml:6: cluster.cameras.colour: unknown key (expected one of: count, layout, spacing, columns, area, "
            "positions, slots, queue, speed, overrides)");
  EXPECT_EQ(error_of(std::string(kMinimal) + "replicas: 3\n"),
            "x.yaml:13: replicas: unknown key (expected one of: name, seed, duration, warmup, replications, hop_limit, "
            "cluster, network, functions, workload, policies, faults, plugins)");
  EXPECT_EQ(error_of(minimal_with("{rate: 1/s}", "{rate: 1/s, burst: 2}")),
            "x.yaml:12: workload.0.arrivals.burst: unknown key (expected one of: process, rate, load, hotspots, rates, "
            "profile, profile_period, states, transitions, file, entry_rate, speed, turns, view_radius, trigger, "
            "frame_interval, roads, blacklist, invocations, durations, within_minute, scale, functions, placement, "
            "weights, window, speedup)");
  EXPECT_EQ(error_of(minimal_with("mean: 1s}", "mean: 1s, shape: 2}")),
            "x.yaml:9: functions.f.service_time.shape: unknown key (expected one of: dist, mean, cv, min, max, file)");
}

TEST(ScenarioErrors, DuplicateKey) {
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots: 2\n    slots: 3")),
            "x.yaml:7: cluster.cameras.slots: duplicate key");
}

TEST(ScenarioErrors, MissingRequiredKeysPointAtTheEnclosingMap) {
  EXPECT_EQ(error_of(minimal_with("duration: 10min\n", "")), "x.yaml:1: missing required key 'duration'");
  EXPECT_EQ(error_of(minimal_with("count: 4\n", "")), "x.yaml:5: cluster.cameras: missing required key 'count'");
  EXPECT_EQ(error_of(minimal_with("dist: exponential, mean: 1s", "dist: exponential")),
            "x.yaml:9: functions.f.service_time: missing required key 'mean'");
  EXPECT_EQ(error_of(minimal_with("arrivals: {rate: 1/s}", "cameras: [1]")),
            "x.yaml:11: workload.0: missing required key 'arrivals'");
}

TEST(ScenarioErrors, MalformedYamlKeepsItsLine) {
  const std::string message = error_of("name: t\nduration: 10min\ncluster: {cameras: [1, 2}\n");
  EXPECT_THAT(message, StartsWith("x.yaml:3: malformed YAML: "));
  EXPECT_THAT(error_of("name: t\n  bad indent: here\n"), StartsWith("x.yaml:2: malformed YAML: "));
  // yaml-cpp 0.7 alone would loop forever (LoadAll) or return null (Load) on these.
  EXPECT_EQ(error_of(", K"), "x.yaml:1: malformed YAML: unexpected ','");
  EXPECT_EQ(error_of("# comment\n  , K slots\nname: t\n"), "x.yaml:2: malformed YAML: unexpected ','");
}

TEST(ScenarioErrors, DocumentShape) {
  EXPECT_EQ(error_of(""),
            "x.yaml:1: the scenario is empty (expected a map with name, duration, cluster, functions, workload)");
  EXPECT_EQ(error_of("- a\n- b\n"), "x.yaml:1: expected a map, got a list");
  // A second document is located where it starts.
  EXPECT_EQ(error_of("name: t\n---\nname: u\n"),
            "x.yaml:2: the file holds a second YAML document here; only one is allowed");
  EXPECT_EQ(error_of("---\nname: t\n\n---\nname: u\n"),
            "x.yaml:4: the file holds a second YAML document here; only one is allowed");
  EXPECT_EQ(error_of(minimal_with("cameras:\n    count: 4\n    slots: 2\n", "cameras: 3\n")),
            "x.yaml:4: cluster.cameras: expected a map, got '3'");
}

// yaml-cpp reads a long line in more than linear time, so a line longer than any
// value may be is refused before yaml-cpp sees it, at its line and key.
TEST(ScenarioErrors, OverlongValuesAreRefusedAtTheirLineAndKey) {
  const std::string value(kMaxValueCharacters + 1, 'a');
  EXPECT_EQ(error_of("seed: 1\nname: " + value + "\n"),
            fmt::format("x.yaml:2: name: the line holds {} characters, more than a value may ({})",
                        kMaxValueCharacters + 7, kMaxValueCharacters));
  EXPECT_THAT(error_of("seed: 1\npolicies:\n  - \"" + value + "\"\n"), StartsWith("x.yaml:3: policies: "));
  auto document = ScenarioDocument::from_string(kMinimal, "x.yaml");
  EXPECT_THAT([&] { document.set("name", value); },
              ::testing::ThrowsMessage<ScenarioError>(StartsWith("--set: name: the line holds")));
  // At the limit a value is still read.
  const std::string longest(kMaxValueCharacters - 6, 'a');
  EXPECT_THAT(error_of("name: " + longest + "\n"), HasSubstr("missing required key"));
}

TEST(ScenarioErrors, CrossReferences) {
  EXPECT_EQ(error_of(minimal_with("function: f", "function: g")),
            "x.yaml:11: workload.0.function: unknown function 'g' (functions: f)");
  EXPECT_EQ(error_of(minimal_with("- function: f", "- function: f\n    cameras: [1, 4]")),
            "x.yaml:12: workload.0.cameras.1: camera 4 does not exist (the cluster has 4 cameras, numbered 0 to 3)");
  EXPECT_EQ(error_of(minimal_with("- function: f", "- function: f\n    cameras: [1, 1]")),
            "x.yaml:12: workload.0.cameras.1: camera 1 is listed twice");
  EXPECT_EQ(error_of(minimal_with("duration: 10min", "duration: 10min\nwarmup: 10min")),
            "x.yaml:3: warmup: must be shorter than duration (10min)");
  EXPECT_EQ(error_of(minimal_with("count: 4", "count: 4\n    layout: explicit\n    positions: [[0m, 0m]]")),
            "x.yaml:7: cluster.cameras.positions: has 1 positions but count is 4 (one position per camera)");
  EXPECT_EQ(error_of(minimal_with("count: 4", "count: 2\n    layout: explicit\n    positions: [[0m, 0m], [1m]]")),
            "x.yaml:7: cluster.cameras.positions.1: expected [x, y], got a list of 1 values");
  EXPECT_EQ(error_of(minimal_with("{rate: 1/s}", "{rate: 1/s, load: 0.5}")),
            "x.yaml:12: workload.0.arrivals: give either 'rate' or 'load', not both");
  EXPECT_EQ(error_of(minimal_with("{rate: 1/s}", "{process: poisson}")),
            "x.yaml:12: workload.0.arrivals: missing 'rate' or 'load' (exactly one is required)");
  EXPECT_EQ(error_of(minimal_with("- function: f\n    arrivals: {rate: 1/s}",
                                  "- function: f\n    cameras: [0]\n    arrivals: {rate: 1/s, rates: {2: 1/s}}")),
            "x.yaml:13: workload.0.arrivals.rates.2: camera 2 does not receive this workload (see workload.0.cameras)");
}

TEST(ScenarioErrors, KeysOfAnotherLayoutOrDistribution) {
  EXPECT_EQ(error_of(minimal_with("count: 4", "count: 4\n    area: {width: 1km, height: 1km}")),
            "x.yaml:6: cluster.cameras.area: only used with layout: random (layout is grid)");
  EXPECT_EQ(error_of(minimal_with(
                "count: 4", "count: 4\n    layout: random\n    spacing: 100m\n    area: {width: 1km, height: 1km}")),
            "x.yaml:7: cluster.cameras.spacing: only used with layout: grid (layout is random)");
  EXPECT_EQ(error_of(minimal_with("mean: 1s}", "mean: 1s, cv: 0.5}")),
            "x.yaml:9: functions.f.service_time.cv: not used with dist: exponential (only with lognormal)");
  EXPECT_EQ(error_of(minimal_with("dist: exponential", "dist: weibull")),
            "x.yaml:9: functions.f.service_time.dist: expected one of exponential, deterministic, uniform, lognormal, "
            "empirical, got 'weibull'");
  EXPECT_EQ(error_of(minimal_with("count: 4", "count: 4\n    layout: hex")),
            "x.yaml:6: cluster.cameras.layout: expected one of grid, random, explicit, got 'hex'");
}

TEST(ScenarioErrors, DistributionParameters) {
  EXPECT_EQ(error_of(minimal_with("dist: exponential, mean: 1s", "dist: uniform, min: 3s, max: 2s")),
            "x.yaml:9: functions.f.service_time.max: must not be less than min (3s)");
  EXPECT_EQ(error_of(minimal_with("dist: exponential, mean: 1s", "dist: lognormal, mean: 1s, cv: 0")),
            "x.yaml:9: functions.f.service_time.cv: expected a positive number, got '0'");
  EXPECT_EQ(error_of(minimal_with("dist: exponential, mean: 1s", "dist: uniform, max: 2s")),
            "x.yaml:9: functions.f.service_time: missing required key 'min'");
}

// The word form of the host's synthetic functions reads to the same model as the map.
TEST(ScenarioServiceTime, OneWordReadsLikeTheMap) {
  const auto spec_of = [](const std::string& service_time) {
    return ScenarioDocument::from_string(minimal_with("{dist: exponential, mean: 1s}", service_time), "x.yaml")
        .parse()
        .functions[0]
        .service_time;
  };
  for (const auto& [word, map] : std::vector<std::pair<std::string, std::string>>{
           {"exponential(1s)", "{mean: 1s}"},
           {"deterministic(250ms)", "{dist: deterministic, mean: 250ms}"},
           {"uniform(1s, 3s)", "{dist: uniform, min: 1s, max: 3s}"},
           {"lognormal(800ms,0.5)", "{dist: lognormal, mean: 800ms, cv: 0.5}"},
           {"lognormal(800ms)", "{dist: lognormal, mean: 800ms}"}}) {
    const ServiceTimeSpec from_word = spec_of(word);
    const ServiceTimeSpec from_map = spec_of(map);
    EXPECT_EQ(from_word.dist, from_map.dist) << word;
    EXPECT_EQ(from_word.mean, from_map.mean) << word;
    EXPECT_EQ(from_word.min, from_map.min) << word;
    EXPECT_EQ(from_word.max, from_map.max) << word;
    EXPECT_DOUBLE_EQ(from_word.cv, from_map.cv) << word;
    EXPECT_EQ(format_service_time(from_word), format_service_time(from_map)) << word;
  }
}

TEST(ScenarioServiceTime, WordErrorsNameTheWordAndItsPart) {
  const std::pair<std::string, std::string> cases[] = {
      {"exponential(0s)", "'exponential(0s)': mean: expected a positive duration, got '0s'"},
      {"uniform(1s)", "'uniform(1s)': expected uniform(MIN,MAX)"},
      {"weibull(1s)",
       "'weibull(1s)': dist: expected one of exponential, deterministic, uniform, lognormal, empirical, got 'weibull'"},
      {"fast",
       "'fast' is not a service time such as exponential(1s), deterministic(250ms), uniform(1s,2s) or "
       "lognormal(1s,0.5)"},
  };
  for (const auto& [word, problem] : cases) {
    EXPECT_EQ(error_of(minimal_with("{dist: exponential, mean: 1s}", word)),
              "x.yaml:9: functions.f.service_time: " + problem);
  }
}

TEST(ScenarioErrors, HotSpotsAndProfiles) {
  EXPECT_EQ(error_of(minimal_with("{rate: 1/s}", "{rate: 1/s, hotspots: {count: 5, factor: 4}}")),
            "x.yaml:12: workload.0.arrivals.hotspots.count: 5 hot spots but only 4 cameras receive this workload");
  EXPECT_EQ(error_of(minimal_with("{rate: 1/s}", "{rate: 1/s, hotspots: {count: 1}}")),
            "x.yaml:12: workload.0.arrivals.hotspots: missing required key 'factor'");
  EXPECT_EQ(error_of(minimal_with("{rate: 1/s}", "{rate: 1/s, hotspots: {count: 1, cameras: [0], factor: 2}}")),
            "x.yaml:12: workload.0.arrivals.hotspots: expected exactly one of 'count' and 'cameras'");
  EXPECT_EQ(error_of(minimal_with("{rate: 1/s}",
                                  "\n      rate: 1/s\n      profile:\n        - {at: 20min, factor: 2}\n"
                                  "        - {at: 10min, factor: 1}")),
            "x.yaml:16: workload.0.arrivals.profile.1.at: profile steps must be in increasing order of 'at' (10min is "
            "not after 20min)");
  EXPECT_EQ(error_of(minimal_with("{rate: 1/s}", "{rate: 1/s, profile_period: 1h}")),
            "x.yaml:12: workload.0.arrivals.profile_period: needs a non-empty 'profile' to repeat");
  EXPECT_EQ(error_of(minimal_with("{rate: 1/s}", "{rate: 1/s, profile: [{at: 1h, factor: 2}], profile_period: 1h}")),
            "x.yaml:12: workload.0.arrivals.profile_period: must be longer than the last profile step (at 1h)");
}

TEST(ScenarioErrors, CameraOverrides) {
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots: 2\n    overrides: [{camera: 1, cameras: [2], slots: 1}]")),
            "x.yaml:7: cluster.cameras.overrides.0: expected exactly one of 'camera' and 'cameras'");
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots: 2\n    overrides: [{camera: 1}]")),
            "x.yaml:7: cluster.cameras.overrides.0: sets nothing (expected at least one of slots, queue, speed)");
  EXPECT_EQ(error_of(minimal_with("slots: 2",
                                  "slots: 2\n    overrides:\n      - {camera: 1, slots: 1}\n"
                                  "      - {cameras: [0, 1], speed: 2}")),
            "x.yaml:9: cluster.cameras.overrides.1.cameras: camera 1 is already overridden by "
            "cluster.cameras.overrides.0");
  EXPECT_EQ(error_of(minimal_with("slots: 2", "slots: 2\n    overrides: [{camera: 9, slots: 1}]")),
            "x.yaml:7: cluster.cameras.overrides.0.camera: camera 9 does not exist (the cluster has 4 cameras, "
            "numbered 0 to 3)");
}

TEST(ScenarioErrors, Policies) {
  EXPECT_EQ(error_of(std::string(kMinimal) + "policies: ['power_of_d(d=2']\n"),
            "x.yaml:13: policies.0: malformed policy 'power_of_d(d=2': no closing ')' (expected NAME or "
            "NAME(key=value,...))");
  EXPECT_EQ(error_of(std::string(kMinimal) + "policies: ['power_of_d(d=2,d=3)']\n"),
            "x.yaml:13: policies.0: malformed policy 'power_of_d(d=2,d=3)': parameter 'd' given twice (expected NAME "
            "or NAME(key=value,...))");
  EXPECT_EQ(error_of(std::string(kMinimal) + "policies: ['power_of_d(d)']\n"),
            "x.yaml:13: policies.0: malformed policy 'power_of_d(d)': 'd' is not key=value (expected NAME or "
            "NAME(key=value,...))");
  EXPECT_EQ(error_of(std::string(kMinimal) + "policies:\n  - {d: 2}\n"),
            "x.yaml:14: policies.0: missing required key 'name'");
  EXPECT_EQ(error_of(std::string(kMinimal) + "policies:\n  - {name: power_of_d, d: [2]}\n"),
            "x.yaml:14: policies.0.d: expected a parameter value, got a list");
  EXPECT_EQ(error_of(std::string(kMinimal) + "policies: []\n"), "x.yaml:13: policies: expected at least one policy");
}

TEST(ScenarioErrors, UnknownPolicyNamesAreLeftToTheRegistry) {
  const Scenario s = parse(std::string(kMinimal) + "policies: [no_such_policy(x=1)]\n");
  EXPECT_EQ(s.policies[0].name, "no_such_policy");
  EXPECT_THAT(s.policies[0].params, ElementsAre(Pair("x", "1")));
}

TEST(ScenarioErrors, HostileInputNeverCrashes) {
  const std::vector<std::string> inputs = {
      "&a [*a]",
      "a: &a {b: *a}",
      std::string(5000, '['),
      "name: &n t\nduration: *n\n",
      "\x01\x02\xff\xfe",
      "name: t\nduration: 10min\ncluster: &c {cameras: *c}\n",
      "{? [a, b] : c}",
      ": :",
      "name: t\nduration: 10min\ncluster: {cameras: {count: 4}}\nfunctions: {? [x] : y}\n",
      std::string(kMinimal) + "policies: [{? [x] : y}]\n",
      std::string(kMinimal) + "policies: ['(']\n",
      std::string(kMinimal) + "policies: ['a(,)']\n",
      std::string(kMinimal) + "policies: [')']\n",
      minimal_with("{rate: 1/s}", "{rate: 1/s, rates: {[1]: 2/s}}"),
      minimal_with("{rate: 1/s}", "{rate: 1/s, rates: {-1: 2/s}}"),
  };
  for (const auto& input : inputs) {
    EXPECT_THROW(parse(input), ScenarioError) << input.substr(0, 80);
  }
}

TEST_F(ScenarioFiles, RecursiveAliasesCannotBeConvertedButDoNotCrash) {
  const auto document = ScenarioDocument::from_string("a: &a [*a]\n", "x.yaml");
  EXPECT_THROW(document.to_json(), ScenarioError);
  EXPECT_THROW(document.to_yaml(), ScenarioError);
}

// ---- files -----------------------------------------------------------------------

TEST_F(ScenarioFiles, MissingFileIsNamed) {
  const std::string path = (dir_ / "missing.yaml").string();
  try {
    ScenarioDocument::load_file(path);
    FAIL() << "no error";
  } catch (const ScenarioError& error) {
    EXPECT_EQ(std::string(error.what()), path + ": no such file");
  }
  EXPECT_THROW(load_scenario(dir_.string()), ScenarioError);
}

TEST_F(ScenarioFiles, ErrorsNameTheFileAsGiven) {
  const std::string path = write("city.yaml", minimal_with("slots: 2", "slots: four"));
  try {
    load_scenario(path);
    FAIL() << "no error";
  } catch (const ScenarioError& error) {
    EXPECT_EQ(std::string(error.what()), path + ":6: cluster.cameras.slots: expected a positive integer, got 'four'");
  }
}

std::string empirical(const std::string& file) {
  return minimal_with("{dist: exponential, mean: 1s}", "{dist: empirical, file: " + file + "}");
}

TEST_F(ScenarioFiles, EmpiricalSamplesAreReadRelativeToTheScenario) {
  write("data/times.csv", "# measured\nseconds,frame\n0.5,1\n\n1.5,2\n  1.0 \n");
  const std::string path = write("s.yaml", empirical("data/times.csv"));
  const Scenario s = load_scenario(path);
  const ServiceTimeSpec& spec = s.functions[0].service_time;
  EXPECT_EQ(spec.dist, ServiceDist::empirical);
  EXPECT_THAT(spec.samples_s, ElementsAre(0.5, 1.5, 1.0));
  EXPECT_DOUBLE_EQ(spec.mean_seconds(), 1.0);
  EXPECT_EQ(fs::path(spec.samples_file), (dir_ / "data/times.csv").lexically_normal());
}

TEST_F(ScenarioFiles, EmpiricalErrorsNameTheCsvAndItsLine) {
  const std::string csv = write("times.csv", "seconds\n0.5\n0.7\nabc\n");
  const std::string path = write("s.yaml", empirical("times.csv"));
  EXPECT_THAT([&] { load_scenario(path); },
              ::testing::ThrowsMessage<ScenarioError>(fs::path(csv).lexically_normal().string() +
                                                      ":4: functions.f.service_time.file: expected a service time in "
                                                      "seconds, got 'abc'"));
  write("times.csv", "0.5\n-1\n");
  EXPECT_THAT([&] { load_scenario(path); },
              ::testing::ThrowsMessage<ScenarioError>(HasSubstr(
                  "times.csv:2: functions.f.service_time.file: service times must not be negative, got '-1'")));
  write("times.csv", "# nothing\nseconds\n");
  EXPECT_THAT([&] { load_scenario(path); },
              ::testing::ThrowsMessage<ScenarioError>(
                  path + ":9: functions.f.service_time.file: 'times.csv' holds no samples"));
  write("times.csv", "0\n0\n");
  EXPECT_THAT([&] { load_scenario(path); },
              ::testing::ThrowsMessage<ScenarioError>(
                  path + ":9: functions.f.service_time.file: the samples in 'times.csv' average to 0"));
  const std::string missing = write("m.yaml", empirical("nope.csv"));
  EXPECT_THAT([&] { load_scenario(missing); },
              ::testing::ThrowsMessage<ScenarioError>(
                  missing + ":9: functions.f.service_time.file: cannot read 'nope.csv' (no such file: '" +
                  (dir_ / "nope.csv").lexically_normal().string() + "')"));
}

// ---- overrides -------------------------------------------------------------------

TEST(Overrides, ParseOverride) {
  const Override o = parse_override("cluster.cameras.slots=8");
  EXPECT_EQ(o.path, "cluster.cameras.slots");
  EXPECT_EQ(o.value, "8");
  EXPECT_EQ(parse_override("policies.0 = power_of_d(d=2)").value, "power_of_d(d=2)");
  EXPECT_THAT([] { parse_override("cluster.cameras.slots"); },
              ::testing::ThrowsMessage<ScenarioError>("--set: expected key.path=value, got 'cluster.cameras.slots'"));
  EXPECT_THAT([] { parse_override("=8"); }, ::testing::ThrowsMessage<ScenarioError>("--set: no key path in '=8'"));
  EXPECT_THAT([] { parse_override("cluster..slots=8"); },
              ::testing::ThrowsMessage<ScenarioError>("--set: cluster..slots: empty key in path"));
}

TEST(Overrides, SetScalarsAndSequenceElements) {
  auto document = ScenarioDocument::from_string(kMinimal, "x.yaml");
  document.apply({parse_override("cluster.cameras.slots=8"), parse_override("workload.0.arrivals.rate=5/s"),
                  parse_override("seed=7")});
  const Scenario s = document.parse();
  EXPECT_EQ(s.cameras.slots, 8u);
  EXPECT_EQ(s.workload[0].arrivals.rate_per_s, 5.0);
  EXPECT_EQ(s.seed, 7u);
}

TEST(Overrides, SetCreatesMissingMapsAndTakesYamlValues) {
  auto document = ScenarioDocument::from_string(kMinimal, "x.yaml");
  document.set("cluster.cloud.latency", "80ms");
  document.set("network.latency.per_km", "1ms");
  document.set("policies", "[local, {name: power_of_d, d: 3}]");
  document.set("policies.1.d", "4");
  const Scenario s = document.parse();
  EXPECT_TRUE(s.cloud.enabled);
  EXPECT_EQ(s.cloud.latency, milliseconds{80});
  EXPECT_EQ(s.network.latency_per_km, milliseconds{1});
  ASSERT_EQ(s.policies.size(), 2u);
  EXPECT_THAT(s.policies[1].params, ElementsAre(Pair("d", "4")));
  EXPECT_EQ(s.policies[1].where.to_string(), "--set");
}

TEST(Overrides, ErrorsInSetValuesAreLocatedAtSet) {
  auto document = ScenarioDocument::from_string(kMinimal, "x.yaml");
  document.set("cluster.cameras.slots", "x");
  EXPECT_THAT([&] { document.parse(); }, ::testing::ThrowsMessage<ScenarioError>(
                                             "--set: cluster.cameras.slots: expected a positive integer, got 'x'"));

  auto unknown = ScenarioDocument::from_string(kMinimal, "x.yaml");
  unknown.set("cluster.cameras.colour", "red");
  EXPECT_THAT([&] { unknown.parse(); },
              ::testing::ThrowsMessage<ScenarioError>(StartsWith("--set: cluster.cameras.colour: unknown key")));

  // A map created for the override is located at --set too, not at line 1.
  auto created = ScenarioDocument::from_string(kMinimal, "x.yaml");
  created.set("cluster.cameras.area.width", "1km");
  EXPECT_THAT([&] { created.parse(); },
              ::testing::ThrowsMessage<ScenarioError>(
                  "--set: cluster.cameras.area: only used with layout: random (layout is grid)"));

  // Untouched keys keep their file lines.
  auto other = ScenarioDocument::from_string(minimal_with("count: 4", "count: four"), "x.yaml");
  other.set("cluster.cameras.slots", "3");
  EXPECT_THAT([&] { other.parse(); }, ::testing::ThrowsMessage<ScenarioError>(
                                          "x.yaml:5: cluster.cameras.count: expected a positive integer, got 'four'"));
}

TEST(Overrides, BadPaths) {
  auto document = ScenarioDocument::from_string(kMinimal, "x.yaml");
  EXPECT_THAT([&] { document.set("workload.3.function", "f"); },
              ::testing::ThrowsMessage<ScenarioError>(
                  "--set: workload.3.function: index 3 is past the end of 'workload' (1 entries)"));
  EXPECT_THAT([&] { document.set("workload.first.function", "f"); },
              ::testing::ThrowsMessage<ScenarioError>(
                  "--set: workload.first.function: 'workload' is a list; expected an index, got 'first'"));
  EXPECT_THAT([&] { document.set("cluster.cameras.slots.max", "3"); },
              ::testing::ThrowsMessage<ScenarioError>(
                  "--set: cluster.cameras.slots.max: 'cluster.cameras.slots' is a value, not a map or a list"));
  EXPECT_THAT([&] { document.set("name", "[unclosed"); },
              ::testing::ThrowsMessage<ScenarioError>(StartsWith("--set: name: malformed YAML: ")));
  EXPECT_THAT([&] { document.set("name", ","); },
              ::testing::ThrowsMessage<ScenarioError>("--set: name: malformed YAML: unexpected ','"));
  EXPECT_THAT([&] { document.set("name", "a\n---\nb"); },
              ::testing::ThrowsMessage<ScenarioError>(
                  "--set: name: the value holds a second YAML document; only one is allowed"));
  // Failed sets leave the document as it was.
  EXPECT_EQ(document.parse().name, "t");
}

TEST(Overrides, CopiesKeepOverridesAndLinesAndAreIndependent) {
  auto original = ScenarioDocument::from_string(minimal_with("count: 4", "count: four"), "x.yaml");
  original.set("cluster.cameras.slots", "3");
  ScenarioDocument copy = original;
  copy.set("cluster.cameras.count", "6");
  EXPECT_EQ(copy.parse().cameras.slots, 3u);
  EXPECT_EQ(copy.parse().cameras.count, 6u);
  EXPECT_THAT([&] { original.parse(); },
              ::testing::ThrowsMessage<ScenarioError>(StartsWith("x.yaml:5: cluster.cameras.count:")));
}

// ---- JSON ------------------------------------------------------------------------

TEST(ScenarioJson, TypedScalars) {
  const auto document = ScenarioDocument::from_string(
      "a: 3\nb: -4\nc: 2.5\nd: true\ne: 250ms\nf: '7'\ng: ~\nh: [1, x]\ni: {j: False}\n", "x.yaml");
  EXPECT_EQ(document.to_json(),
            "{\n  \"a\": 3,\n  \"b\": -4,\n  \"c\": 2.5,\n  \"d\": true,\n  \"e\": \"250ms\",\n  \"f\": \"7\",\n"
            "  \"g\": null,\n  \"h\": [\n    1,\n    \"x\"\n  ],\n  \"i\": {\n    \"j\": false\n  }\n}");
}

TEST(ScenarioJson, RoundTripsThroughTheParser) {
  auto document = ScenarioDocument::from_string(
      minimal_with("slots: 2", "slots: 2\n    overrides: [{cameras: [1, 2], speed: 0.5}]") +
          "policies: [local, 'power_of_d(d=2,threshold=3)', {name: cloud_offload, threshold: 4}]\n",
      "x.yaml");
  document.set("cluster.cameras.queue", "3");
  const std::string json = document.to_json();
  const auto reread = ScenarioDocument::from_string(json, "x.json");
  EXPECT_EQ(reread.to_json(), json);
  const Scenario before = document.parse();
  const Scenario after = reread.parse();
  EXPECT_EQ(after.cameras.queue, 3u);
  EXPECT_EQ(after.cameras.overrides[0].speed, before.cameras.overrides[0].speed);
  EXPECT_EQ(after.duration, before.duration);
  EXPECT_EQ(after.functions[0].service_time.mean, before.functions[0].service_time.mean);
  ASSERT_EQ(after.policies.size(), 3u);
  EXPECT_EQ(after.policies[1].params, before.policies[1].params);
  EXPECT_EQ(after.policies[2].params, before.policies[2].params);
  // The YAML form parses back to the same model too.
  EXPECT_EQ(ScenarioDocument::from_string(document.to_yaml(), "y.yaml").parse().cameras.queue, 3u);
}

// ---- shipped scenarios -----------------------------------------------------------

std::vector<fs::path> shipped_scenarios() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(FOGSCHED_SOURCE_DIR) / "scenarios")) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ShippedScenarios, EveryFileParses) {
  const auto files = shipped_scenarios();
  EXPECT_GE(files.size(), 3u);
  for (const auto& file : files) {
    EXPECT_NO_THROW(load_scenario(file.string())) << file;
  }
}

TEST(ShippedScenarios, CityDefault) {
  const Scenario s = load_scenario(FOGSCHED_SOURCE_DIR "/scenarios/city-default.yaml");
  EXPECT_EQ(s.cameras.count, 100u);
  EXPECT_EQ(s.cameras.slots, 4u);
  EXPECT_TRUE(s.cloud.enabled);
  EXPECT_EQ(s.workload[0].arrivals.hotspot_count, 10u);
  std::vector<std::string> names;
  for (const auto& policy : s.policies) names.push_back(policy.name);
  EXPECT_THAT(names, ElementsAre("local", "random", "round_robin", "threshold_random", "power_of_d", "least_loaded",
                                 "cloud_offload"));
  // Average offered load per slot: 90 cameras at the base load, 10 at `factor` times it.
  const ArrivalSpec& a = s.workload[0].arrivals;
  const double average =
      *a.load * ((s.cameras.count - a.hotspot_count) + a.hotspot_count * a.hotspot_factor) / s.cameras.count;
  EXPECT_NEAR(average, 0.6, 0.02);
  EXPECT_GT(*a.load * a.hotspot_factor, 1.0);  // hot spots are overloaded on their own
}

TEST(ShippedScenarios, ErlangB) {
  const Scenario s = load_scenario(FOGSCHED_SOURCE_DIR "/scenarios/erlang-b.yaml");
  EXPECT_EQ(s.cameras.queue, 0u);
  EXPECT_EQ(s.functions[0].service_time.dist, ServiceDist::exponential);
  EXPECT_EQ(s.network.latency_base, Duration{0});
  EXPECT_EQ(s.network.latency_per_km, Duration{0});
  ASSERT_EQ(s.policies.size(), 1u);
  EXPECT_EQ(s.policies[0].name, "local");
}

TEST(ShippedScenarios, EmpiricalSamplesAreLoaded) {
  const Scenario s = load_scenario(FOGSCHED_SOURCE_DIR "/scenarios/empirical-service.yaml");
  const ServiceTimeSpec& spec = s.functions[0].service_time;
  EXPECT_EQ(spec.dist, ServiceDist::empirical);
  EXPECT_EQ(spec.samples_s.size(), 400u);
  EXPECT_GT(spec.mean_seconds(), 0.5);
  EXPECT_LT(spec.mean_seconds(), 1.5);
}

}  // namespace
}  // namespace fogsched
