// Scenario files, the city world: MMPP, trace and traffic arrivals, deadlines until a
// vehicle leaves the view, the cameras' uplink and faults. The model each key
// builds, the exact "FILE:LINE: key.path: problem" of each kind of mistake,
// overrides of the new keys, and the shipped city scenarios.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "fogsched/core/scenario.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/core/trace_csv.h"
#include "scenario_text.h"

namespace fogsched {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::Pair;

// Shared head of the scenarios below: 9 cameras on a 3 x 3 grid, one function.
// Line numbers matter: tests append to or edit single lines.
constexpr const char* kHead =
    "name: t\n"                           // 1
    "duration: 10min\n"                   // 2
    "cluster:\n"                          // 3
    "  cameras:\n"                        // 4
    "    count: 9\n"                      // 5
    "    spacing: 150m\n"                 // 6
    "functions:\n"                        // 7
    "  f:\n"                              // 8
    "    service_time: {mean: 300ms}\n";  // 9

// A traffic workload; arrivals keys appended to it start at line 15.
const std::string kTraffic = std::string(kHead) +
                             "workload:\n"                 // 10
                             "  - function: f\n"           // 11
                             "    arrivals:\n"             // 12
                             "      process: traffic\n"    // 13
                             "      entry_rate: 0.5/s\n";  // 14

// An MMPP workload; arrivals keys appended to it start at line 15.
const std::string kMmpp = std::string(kHead) +
                          "workload:\n"                                                              // 10
                          "  - function: f\n"                                                        // 11
                          "    arrivals:\n"                                                          // 12
                          "      process: mmpp\n"                                                    // 13
                          "      states: [{rate: 2/s, sojourn: 30s}, {rate: 10/s, sojourn: 5s}]\n";  // 14

// A Poisson workload; top-level keys appended to it start at line 13.
const std::string kPoisson = std::string(kHead) +
                             "workload:\n"                   // 10
                             "  - function: f\n"             // 11
                             "    arrivals: {rate: 1/s}\n";  // 12

// `text` with the first occurrence of `from` replaced by `to`.
std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

using fogsched::testing::error_of;
using fogsched::testing::parse;

// ---- process selection -----------------------------------------------------------

TEST(CityScenarioErrors, UnknownProcess) {
  EXPECT_EQ(
      error_of(with(kTraffic, "process: traffic", "process: bursty")),
      "x.yaml:13: workload.0.arrivals.process: expected one of poisson, mmpp, trace, traffic, azure2019, azure2021, "
      "got 'bursty'");
}

TEST(CityScenarioErrors, KeysOfAnotherProcess) {
  EXPECT_EQ(error_of(kMmpp + "      rate: 1/s\n"),
            "x.yaml:15: workload.0.arrivals.rate: only used with process: poisson (process is mmpp)");
  EXPECT_EQ(error_of(kMmpp + "      load: 0.5\n"),
            "x.yaml:15: workload.0.arrivals.load: only used with process: poisson (process is mmpp)");
  EXPECT_EQ(error_of(kMmpp + "      rates: {1: 2/s}\n"),
            "x.yaml:15: workload.0.arrivals.rates: only used with process: poisson (process is mmpp)");
  EXPECT_EQ(error_of(with(kPoisson, "{rate: 1/s}", "{rate: 1/s, states: []}")),
            "x.yaml:12: workload.0.arrivals.states: only used with process: mmpp (process is poisson)");
  EXPECT_EQ(error_of(kTraffic + "      hotspots: {count: 2, factor: 3}\n"),
            "x.yaml:15: workload.0.arrivals.hotspots: only used with process: poisson or mmpp (process is traffic)");
  EXPECT_EQ(error_of(kTraffic + "      rate: 1/s\n"),
            "x.yaml:15: workload.0.arrivals.rate: only used with process: poisson (process is traffic)");
  EXPECT_EQ(error_of(kMmpp + "      view_radius: 30m\n"),
            "x.yaml:15: workload.0.arrivals.view_radius: only used with process: traffic (process is mmpp)");
  EXPECT_EQ(error_of(with(kPoisson, "- function: f\n    arrivals: {rate: 1/s}",
                          "- arrivals: {process: trace, file: t.csv, profile: []}")),
            "x.yaml:11: workload.0.arrivals.profile: only used with process: poisson, mmpp or traffic (process is "
            "trace)");
  EXPECT_EQ(error_of(with(kPoisson, "{rate: 1/s}", "{rate: 1/s, file: t.csv}")),
            "x.yaml:12: workload.0.arrivals.file: only used with process: trace or azure2021 (process is poisson)");
}

// ---- mmpp ------------------------------------------------------------------------

TEST(CityScenarioParse, Mmpp) {
  const Scenario s = parse(kMmpp +
                           "      transitions: [[0, 1], [1, 0]]\n"
                           "      hotspots: {cameras: [4], factor: 2}\n"
                           "      profile: [{at: 0, factor: 0.5}, {at: 5min, factor: 1}]\n");
  const ArrivalSpec& a = s.workload[0].arrivals;
  EXPECT_EQ(a.process, ArrivalProcess::mmpp);
  ASSERT_EQ(a.mmpp_states.size(), 2u);
  EXPECT_DOUBLE_EQ(a.mmpp_states[0].rate_per_s, 2);
  EXPECT_EQ(a.mmpp_states[0].mean_sojourn, seconds{30});
  EXPECT_DOUBLE_EQ(a.mmpp_states[1].rate_per_s, 10);
  EXPECT_EQ(a.mmpp_states[1].mean_sojourn, seconds{5});
  EXPECT_THAT(a.mmpp_transitions, ElementsAre(ElementsAre(0.0, 1.0), ElementsAre(1.0, 0.0)));
  EXPECT_THAT(a.hotspot_cameras, ElementsAre(4u));
  EXPECT_DOUBLE_EQ(a.hotspot_factor, 2);
  ASSERT_EQ(a.profile.size(), 2u);
  EXPECT_FALSE(a.rate_per_s.has_value());
  EXPECT_FALSE(a.load.has_value());
  EXPECT_EQ(s.workload[0].function, "f");
}

TEST(CityScenarioParse, MmppTransitionsAreOptionalAndSilentStatesAllowed) {
  EXPECT_TRUE(parse(kMmpp).workload[0].arrivals.mmpp_transitions.empty());
  // A silent state is fine while another one is not.
  const Scenario s =
      parse(with(kMmpp, "states: [{rate: 2/s, sojourn: 30s}, {rate: 10/s, sojourn: 5s}]",
                 "states: [{rate: 0, sojourn: 1min}, {rate: 4/s, sojourn: 5s}, {rate: 9/s, sojourn: 2s}]") +
            "      transitions: [[0, 0.25, 0.75], [1, 0, 0], [0.5, 0.5, 0]]\n");
  const ArrivalSpec& a = s.workload[0].arrivals;
  ASSERT_EQ(a.mmpp_states.size(), 3u);
  EXPECT_DOUBLE_EQ(a.mmpp_states[0].rate_per_s, 0);
  EXPECT_EQ(a.mmpp_states[0].mean_sojourn, minutes{1});
  EXPECT_THAT(a.mmpp_transitions,
              ElementsAre(ElementsAre(0.0, 0.25, 0.75), ElementsAre(1.0, 0.0, 0.0), ElementsAre(0.5, 0.5, 0.0)));
}

TEST(CityScenarioErrors, MmppStates) {
  const std::string states = "states: [{rate: 2/s, sojourn: 30s}, {rate: 10/s, sojourn: 5s}]";
  EXPECT_EQ(error_of(with(kMmpp, "      " + states + "\n", "")),
            "x.yaml:13: workload.0.arrivals: missing required key 'states'");
  EXPECT_EQ(error_of(with(kMmpp, states, "states: []")),
            "x.yaml:14: workload.0.arrivals.states: expected at least one state");
  EXPECT_EQ(error_of(with(kMmpp, states, "states: {rate: 1/s}")),
            "x.yaml:14: workload.0.arrivals.states: expected a list of {rate, sojourn} states, got a map");
  EXPECT_EQ(error_of(with(kMmpp, states, "states: [{rate: 0, sojourn: 30s}, {rate: 0/s, sojourn: 5s}]")),
            "x.yaml:14: workload.0.arrivals.states: every state has rate 0 (at least one must be positive)");
  EXPECT_EQ(error_of(with(kMmpp, "sojourn: 5s", "sojourn: 0")),
            "x.yaml:14: workload.0.arrivals.states.1.sojourn: expected a positive duration, got '0'");
  EXPECT_EQ(error_of(with(kMmpp, "rate: 2/s", "rate: -2/s")),
            "x.yaml:14: workload.0.arrivals.states.0.rate: expected a non-negative rate, got '-2/s'");
  EXPECT_EQ(error_of(with(kMmpp, ", sojourn: 5s", "")),
            "x.yaml:14: workload.0.arrivals.states.1: missing required key 'sojourn'");
  EXPECT_EQ(error_of(with(kMmpp, "sojourn: 5s", "sojourn: 5s, weight: 2")),
            "x.yaml:14: workload.0.arrivals.states.1.weight: unknown key (expected one of: rate, sojourn)");
}

TEST(CityScenarioErrors, MmppTransitions) {
  const auto transitions = [](const std::string& matrix) {
    return error_of(kMmpp + "      transitions: " + matrix + "\n");
  };
  EXPECT_EQ(transitions("[[0, 1], [1, 0], [1, 0]]"),
            "x.yaml:15: workload.0.arrivals.transitions: expected 2 rows (one per state), got 3");
  EXPECT_EQ(transitions("[[0, 1], [1]]"),
            "x.yaml:15: workload.0.arrivals.transitions.1: expected 2 entries (one per state), got 1");
  EXPECT_EQ(transitions("[[0, 1], 1]"),
            "x.yaml:15: workload.0.arrivals.transitions.1: expected a row of 2 probabilities, got '1'");
  EXPECT_EQ(transitions("0"),
            "x.yaml:15: workload.0.arrivals.transitions: expected a list of rows, one per state, got '0'");
  EXPECT_EQ(transitions("[[0, 1], [-1, 2]]"),
            "x.yaml:15: workload.0.arrivals.transitions.1.0: expected a non-negative number, got '-1'");
  EXPECT_EQ(transitions("[[0, 1], [1.5, 0]]"),
            "x.yaml:15: workload.0.arrivals.transitions.1.0: must be a probability in [0, 1], got '1.5'");
  EXPECT_EQ(transitions("[[0.5, 0.5], [1, 0]]"),
            "x.yaml:15: workload.0.arrivals.transitions.0.0: must be 0 (a sojourn always ends in another state), got "
            "'0.5'");
  EXPECT_EQ(transitions("[[0, 1], [0.9, 0]]"),
            "x.yaml:15: workload.0.arrivals.transitions.1: entries must sum to 1, got 0.9");
  EXPECT_EQ(transitions("[[0, 1], [x, 0]]"),
            "x.yaml:15: workload.0.arrivals.transitions.1.0: expected a number, got 'x'");
  EXPECT_EQ(error_of(with(kMmpp, ", {rate: 10/s, sojourn: 5s}", "") + "      transitions: [[0]]\n"),
            "x.yaml:15: workload.0.arrivals.transitions: a single state has no transitions; leave the matrix out");
  // 0 <-> 1 and 2 <-> 3 never meet.
  const std::string four_states = with(kMmpp, "{rate: 10/s, sojourn: 5s}",
                                       "{rate: 10/s, sojourn: 5s}, {rate: 1/s, sojourn: 5s}, {rate: 3/s, sojourn: 5s}");
  EXPECT_EQ(error_of(four_states + "      transitions: [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]\n"),
            "x.yaml:15: workload.0.arrivals.transitions: state 2 cannot be reached from state 0 (the chain must be "
            "irreducible)");
  // Everything is reached from 0, but nothing leads back: 1 goes to 2, and 2 and 3
  // only to each other.
  EXPECT_EQ(error_of(four_states + "      transitions: [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 1, 0]]\n"),
            "x.yaml:15: workload.0.arrivals.transitions: state 0 cannot be reached from state 1 (the chain must be "
            "irreducible)");
  // Rows that sum to 1 only up to decimal rounding are accepted.
  EXPECT_EQ(error_of(with(kMmpp, "{rate: 10/s, sojourn: 5s}", "{rate: 10/s, sojourn: 5s}, {rate: 1/s, sojourn: 5s}") +
                     "      transitions: [[0, 0.1, 0.9], [0.7, 0, 0.3], [0.1, 0.9, 0]]\n"),
            "");
}

// ---- trace -----------------------------------------------------------------------

// A fresh directory per test: the scenario in city/, its trace in city/data/.
class CityScenarioFiles : public fogsched::testing::ScenarioFiles {
 protected:
  void SetUp() override {
    ScenarioFiles::SetUp();
    std::filesystem::create_directories(dir_ / "city" / "data");
  }

  // A trace scenario (4 cameras, functions f and g) reading city/data/t.csv; its
  // arrivals line is line 12.
  std::string write_scenario(const std::string& workload_entry = "  - arrivals: {process: trace, file: data/t.csv}\n",
                             const std::string& deadline = "") const {
    return write("city/t.yaml",
                 "name: t\n"                         // 1
                 "duration: 1min\n"                  // 2
                 "cluster:\n"                        // 3
                 "  cameras: {count: 4}\n"           // 4
                 "functions:\n"                      // 5
                 "  f:\n"                            // 6
                 "    service_time: {mean: 1s}\n"    // 7
                 "  g:\n"                            // 8
                 "    service_time: {mean: 2s}\n" +  // 9
                     deadline +                      //
                     "workload:\n" +
                     workload_entry);  // 10, 11 (without a deadline line)
  }

  std::string csv_path() const { return (dir_ / "city" / "data" / "t.csv").lexically_normal().string(); }

  static std::string error_loading(const std::string& path, const std::vector<Override>& overrides = {}) {
    try {
      load_scenario(path, overrides);
    } catch (const ScenarioError& error) {
      return error.what();
    }
    return "";
  }
};

TEST_F(CityScenarioFiles, TraceIsReadRelativeToTheScenarioAndResolved) {
  write("city/data/t.csv",
        "time,camera,function,payload_bytes\n"
        "0s,3,g,\n"
        "250ms,0,f,150KB\n"
        "1s,3,g,\n");
  const Scenario s = load_scenario(write_scenario());
  const ArrivalSpec& a = s.workload[0].arrivals;
  EXPECT_EQ(a.process, ArrivalProcess::trace);
  EXPECT_EQ(a.trace_file, csv_path());
  ASSERT_NE(a.trace, nullptr);
  EXPECT_EQ(a.trace->file, csv_path());
  EXPECT_THAT(a.trace->functions, ElementsAre("g", "f"));
  ASSERT_EQ(a.trace->arrivals.size(), 3u);
  EXPECT_EQ(a.trace->arrivals[1].at, milliseconds{250});
  EXPECT_EQ(a.trace->arrivals[1].camera, 0u);
  EXPECT_EQ(a.trace->arrivals[1].payload_bytes, 150'000u);
  // Trace function index -> scenario function index: g is 1, f is 0.
  EXPECT_THAT(a.trace_functions, ElementsAre(1u, 0u));
  EXPECT_TRUE(s.workload[0].function.empty());
  EXPECT_TRUE(s.workload[0].cameras.empty());
  // Copies of the scenario share the rows.
  const Scenario copy = s;
  EXPECT_EQ(copy.workload[0].arrivals.trace.get(), a.trace.get());
}

TEST_F(CityScenarioFiles, TraceErrorsCarryTheCsvLine) {
  const std::string scenario = write_scenario();
  write("city/data/t.csv", "time,camera,function\n0s,1,f\n# a comment\n2s,9,f\n");
  EXPECT_EQ(error_loading(scenario),
            csv_path() + ":4: workload.0.arrivals.file: camera 9 does not exist (the scenario has 4 cameras, 0 to 3)");
  write("city/data/t.csv", "time,camera,function\n0s,1,f\n1s,2,h\n");
  EXPECT_EQ(error_loading(scenario),
            csv_path() + ":3: workload.0.arrivals.file: unknown function 'h' (the scenario defines: f, g)");
  write("city/data/t.csv", "time,camera,function\n2s,1,f\n1s,2,f\n");
  EXPECT_EQ(error_loading(scenario),
            csv_path() +
                ":3: workload.0.arrivals.file: time 1s is earlier than the previous row's 2s (line 2); rows must be "
                "in non-decreasing time order");
  write("city/data/t.csv", "time,camera,function\n5,1,f\n");
  EXPECT_EQ(error_loading(scenario),
            csv_path() +
                ":2: workload.0.arrivals.file: time: missing unit in '5' (expected ns, us, ms, s, min, h, d; e.g. "
                "'250ms')");
  // Problems of the file as a whole are located at the key that names it.
  write("city/data/t.csv", "# nothing but a comment\n");
  EXPECT_EQ(error_loading(scenario),
            scenario +
                ":11: workload.0.arrivals.file: 'data/t.csv': the file holds no header (expected "
                "'time,camera,function' or 'time,camera,function,payload_bytes')");
  fs::remove(csv_path());
  EXPECT_EQ(error_loading(scenario),
            scenario + ":11: workload.0.arrivals.file: cannot read 'data/t.csv' (no such file: '" + csv_path() + "')");
}

TEST_F(CityScenarioFiles, TraceWorkloadsNameNeitherFunctionNorCameras) {
  write("city/data/t.csv", "time,camera,function\n0s,1,f\n");
  EXPECT_EQ(error_loading(write_scenario("  - function: f\n    arrivals: {process: trace, file: data/t.csv}\n")),
            write_scenario("  - function: f\n    arrivals: {process: trace, file: data/t.csv}\n") +
                ":11: workload.0.function: not used with process: trace (each row of the trace names its function)");
  const std::string with_cameras =
      write_scenario("  - cameras: [1]\n    arrivals: {process: trace, file: data/t.csv}\n");
  EXPECT_EQ(error_loading(with_cameras),
            with_cameras +
                ":11: workload.0.cameras: not used with process: trace (each row of the trace names its "
                "camera)");
  const std::string without_file = write_scenario("  - arrivals: {process: trace}\n");
  EXPECT_EQ(error_loading(without_file), without_file + ":11: workload.0.arrivals: missing required key 'file'");
}

TEST_F(CityScenarioFiles, UntilLeavesViewIsRefusedForTracedFunctions) {
  write("city/data/t.csv", "time,camera,function\n0s,1,g\n");
  const std::string scenario =
      write_scenario("  - arrivals: {process: trace, file: data/t.csv}\n", "    deadline: until_leaves_view\n");
  EXPECT_EQ(error_loading(scenario),
            scenario +
                ":10: functions.g.deadline: until_leaves_view needs a traffic workload (workload.0 has "
                "process: trace)");
}

TEST_F(CityScenarioFiles, TraceFileCanBeSetFromTheCommandLine) {
  write("city/data/t.csv", "time,camera,function\n0s,1,f\n");
  write("city/data/u.csv", "time,camera,function\n0s,1,g\n3s,2,g\n");
  const Scenario s = load_scenario(write_scenario(), {{"workload.0.arrivals.file", "data/u.csv"}});
  EXPECT_EQ(s.workload[0].arrivals.trace->arrivals.size(), 2u);
  EXPECT_THAT(s.workload[0].arrivals.trace_functions, ElementsAre(1u));
}

// ---- traffic ---------------------------------------------------------------------

TEST(CityScenarioParse, TrafficDefaults) {
  const Scenario s = parse(kTraffic);
  const ArrivalSpec& a = s.workload[0].arrivals;
  EXPECT_EQ(a.process, ArrivalProcess::traffic);
  const TrafficSpec& t = a.traffic;
  EXPECT_FALSE(t.roads.has_value());
  EXPECT_DOUBLE_EQ(t.entry_rate_per_s, 0.5);
  EXPECT_EQ(t.speed_dist, VehicleSpeedDist::deterministic);
  EXPECT_DOUBLE_EQ(t.speed_mean_mps, 13.9);
  EXPECT_DOUBLE_EQ(t.turn_straight, 0.6);
  EXPECT_DOUBLE_EQ(t.turn_left, 0.2);
  EXPECT_DOUBLE_EQ(t.turn_right, 0.2);
  EXPECT_DOUBLE_EQ(t.view_radius_m, 25);
  EXPECT_TRUE(t.per_frame);
  EXPECT_EQ(t.frame_interval, milliseconds{500});
  EXPECT_DOUBLE_EQ(t.blacklisted_fraction, 0);
  EXPECT_TRUE(t.blacklisted_vehicles.empty());
  EXPECT_EQ(t.alert_bytes, 1000u);
  EXPECT_TRUE(a.profile.empty());
  EXPECT_FALSE(a.rate_per_s.has_value());
}

TEST(CityScenarioParse, TrafficEveryKey) {
  const Scenario s = parse(kTraffic +
                           "      profile: [{at: 0, factor: 1}, {at: 30min, factor: 3}]\n"
                           "      profile_period: 1h\n"
                           "      speed: {dist: normal, mean: 36km/h, sd: 5m/s, min: 18km/h, max: 72km/h}\n"
                           "      turns: {straight: 0.5, left: 0.25, right: 0}\n"
                           "      view_radius: 40m\n"
                           "      trigger: per_frame\n"
                           "      frame_interval: 250ms\n"
                           "      blacklist: {fraction: 0.01, vehicles: [3, 17], alert: 2KB}\n");
  const ArrivalSpec& a = s.workload[0].arrivals;
  ASSERT_EQ(a.profile.size(), 2u);
  EXPECT_EQ(a.profile[1].at, minutes{30});
  EXPECT_DOUBLE_EQ(a.profile[1].factor, 3);
  EXPECT_EQ(a.profile_period, hours{1});
  const TrafficSpec& t = a.traffic;
  EXPECT_EQ(t.speed_dist, VehicleSpeedDist::normal);
  EXPECT_DOUBLE_EQ(t.speed_mean_mps, 10);
  EXPECT_DOUBLE_EQ(t.speed_sd_mps, 5);
  EXPECT_DOUBLE_EQ(t.speed_min_mps, 5);
  EXPECT_DOUBLE_EQ(t.speed_max_mps, 20);
  EXPECT_DOUBLE_EQ(t.turn_straight, 0.5);
  EXPECT_DOUBLE_EQ(t.turn_left, 0.25);
  EXPECT_DOUBLE_EQ(t.turn_right, 0);
  EXPECT_DOUBLE_EQ(t.view_radius_m, 40);
  EXPECT_TRUE(t.per_frame);
  EXPECT_EQ(t.frame_interval, milliseconds{250});
  EXPECT_DOUBLE_EQ(t.blacklisted_fraction, 0.01);
  EXPECT_THAT(t.blacklisted_vehicles, ElementsAre(3u, 17u));
  EXPECT_EQ(t.alert_bytes, 2000u);
}

TEST(CityScenarioParse, TrafficSpeedFormsAndTriggerOncePerPass) {
  const Scenario fixed = parse(kTraffic + "      speed: 50km/h\n      trigger: once_per_pass\n");
  EXPECT_EQ(fixed.workload[0].arrivals.traffic.speed_dist, VehicleSpeedDist::deterministic);
  EXPECT_NEAR(fixed.workload[0].arrivals.traffic.speed_mean_mps, 50 / 3.6, 1e-12);
  EXPECT_FALSE(fixed.workload[0].arrivals.traffic.per_frame);
  const Scenario uniform = parse(kTraffic + "      speed: {dist: uniform, min: 10m/s, max: 15m/s}\n");
  const TrafficSpec& t = uniform.workload[0].arrivals.traffic;
  EXPECT_EQ(t.speed_dist, VehicleSpeedDist::uniform);
  EXPECT_DOUBLE_EQ(t.speed_min_mps, 10);
  EXPECT_DOUBLE_EQ(t.speed_max_mps, 15);
}

TEST(CityScenarioParse, TrafficOnAnExplicitRoadGraph) {
  // Without a grid the cameras may stand anywhere; the roads carry the vehicles.
  const Scenario s =
      parse(with(kTraffic, "    spacing: 150m\n", "    layout: random\n    area: {width: 1km, height: 1km}\n") +
            "      roads:\n"
            "        intersections: [[0m, 0m], [200m, 0m], {x: 200m, y: 150m}]\n"
            "        roads: [[0, 1], [1, 2]]\n"
            "        border: [0, 2]\n");
  const auto& roads = s.workload[0].arrivals.traffic.roads;
  ASSERT_TRUE(roads.has_value());
  EXPECT_THAT(roads->intersections, ElementsAre(Point{0, 0}, Point{200, 0}, Point{200, 150}));
  EXPECT_THAT(roads->roads, ElementsAre(Pair(0u, 1u), Pair(1u, 2u)));
  EXPECT_THAT(roads->border, ElementsAre(0u, 2u));
}

TEST(CityScenarioErrors, TrafficWorkloadAndCity) {
  EXPECT_EQ(error_of(with(kTraffic, "  - function: f\n", "  - function: f\n    cameras: [0, 1]\n")),
            "x.yaml:12: workload.0.cameras: not used with process: traffic (the whole city's vehicles drive past "
            "every camera)");
  EXPECT_EQ(
      error_of(with(kTraffic, "    spacing: 150m\n", "    layout: random\n    area: {width: 1km, height: 1km}\n")),
      "x.yaml:14: workload.0.arrivals: traffic needs the cameras' grid layout or an explicit roads graph");
  EXPECT_EQ(error_of(with(kTraffic, "count: 9", "count: 1")),
            "x.yaml:13: workload.0.arrivals: traffic on the cameras' grid needs at least two cameras (one street)");
  EXPECT_EQ(error_of(with(kTraffic, "      entry_rate: 0.5/s\n", "")),
            "x.yaml:13: workload.0.arrivals: missing required key 'entry_rate'");
  EXPECT_EQ(error_of(with(kTraffic, "0.5/s", "0")),
            "x.yaml:14: workload.0.arrivals.entry_rate: expected a positive rate, got '0'");
  EXPECT_EQ(error_of(with(kTraffic, "  - function: f\n", "  - function: g\n")),
            "x.yaml:11: workload.0.function: unknown function 'g' (functions: f)");
}

TEST(CityScenarioErrors, TrafficVehicles) {
  const auto traffic = [](const std::string& line) { return error_of(kTraffic + "      " + line + "\n"); };
  EXPECT_EQ(traffic("speed: 50kmh"),
            "x.yaml:15: workload.0.arrivals.speed: unknown unit 'kmh' in '50kmh' (expected m/s, km/h)");
  EXPECT_EQ(traffic("speed: 0km/h"), "x.yaml:15: workload.0.arrivals.speed: expected a positive speed, got '0km/h'");
  EXPECT_EQ(traffic("speed: [1m/s]"),
            "x.yaml:15: workload.0.arrivals.speed: expected a speed or a map with 'dist', got a list");
  EXPECT_EQ(traffic("speed: {dist: gamma, min: 1m/s, max: 2m/s}"),
            "x.yaml:15: workload.0.arrivals.speed.dist: expected one of uniform, normal, got 'gamma'");
  EXPECT_EQ(traffic("speed: {dist: uniform, mean: 10m/s, min: 1m/s, max: 2m/s}"),
            "x.yaml:15: workload.0.arrivals.speed.mean: not used with dist: uniform (only with normal)");
  EXPECT_EQ(traffic("speed: {dist: uniform, min: 30km/h, max: 20km/h}"),
            "x.yaml:15: workload.0.arrivals.speed.max: must not be less than min (30km/h)");
  EXPECT_EQ(traffic("speed: {dist: uniform, min: 30km/h}"),
            "x.yaml:15: workload.0.arrivals.speed: missing required key 'max'");
  EXPECT_EQ(traffic("speed: {dist: normal, mean: 40km/h, min: 20km/h, max: 60km/h}"),
            "x.yaml:15: workload.0.arrivals.speed: missing required key 'sd'");
  EXPECT_EQ(traffic("speed: {dist: normal, mean: 80km/h, sd: 5km/h, min: 20km/h, max: 60km/h}"),
            "x.yaml:15: workload.0.arrivals.speed.mean: must lie between min (20km/h) and max (60km/h)");
  EXPECT_EQ(traffic("turns: {straight: 0, left: 0, right: 0}"),
            "x.yaml:15: workload.0.arrivals.turns: every weight is 0 (at least one must be positive)");
  EXPECT_EQ(traffic("turns: {straight: 1, left: 0}"),
            "x.yaml:15: workload.0.arrivals.turns: missing required key 'right'");
  EXPECT_EQ(traffic("turns: {straight: 1, left: -1, right: 0}"),
            "x.yaml:15: workload.0.arrivals.turns.left: expected a non-negative number, got '-1'");
  EXPECT_EQ(traffic("view_radius: 0"),
            "x.yaml:15: workload.0.arrivals.view_radius: expected a positive distance, got '0'");
  EXPECT_EQ(traffic("trigger: always"),
            "x.yaml:15: workload.0.arrivals.trigger: expected one of per_frame, once_per_pass, got 'always'");
  EXPECT_EQ(error_of(kTraffic + "      trigger: once_per_pass\n      frame_interval: 1s\n"),
            "x.yaml:16: workload.0.arrivals.frame_interval: only used with trigger: per_frame (trigger is "
            "once_per_pass)");
  EXPECT_EQ(traffic("frame_interval: 0"),
            "x.yaml:15: workload.0.arrivals.frame_interval: expected a positive duration, got '0'");
}

TEST(CityScenarioErrors, TrafficBlacklist) {
  const auto blacklist = [](const std::string& map) { return error_of(kTraffic + "      blacklist: " + map + "\n"); };
  EXPECT_EQ(blacklist("{fraction: 1.5}"),
            "x.yaml:15: workload.0.arrivals.blacklist.fraction: expected a fraction in [0, 1], got '1.5'");
  EXPECT_EQ(blacklist("{fraction: 2%}"),
            "x.yaml:15: workload.0.arrivals.blacklist.fraction: expected a fraction in [0, 1], got '2%'");
  EXPECT_EQ(blacklist("{alert: 1KB}"),
            "x.yaml:15: workload.0.arrivals.blacklist: blacklists no vehicle (expected 'fraction', 'vehicles' or "
            "both)");
  EXPECT_EQ(blacklist("{vehicles: [3, 4, 3]}"),
            "x.yaml:15: workload.0.arrivals.blacklist.vehicles.2: vehicle 3 is listed twice");
  EXPECT_EQ(blacklist("{vehicles: [-3]}"),
            "x.yaml:15: workload.0.arrivals.blacklist.vehicles.0: expected a non-negative integer, got '-3'");
  EXPECT_EQ(blacklist("{fraction: 0.1, alert: 0}"),
            "x.yaml:15: workload.0.arrivals.blacklist.alert: expected a positive size, got '0'");
}

TEST(CityScenarioErrors, TrafficRoadGraph) {
  const auto roads = [](const std::string& intersections, const std::string& road_list, const std::string& border) {
    return error_of(kTraffic +
                    "      roads:\n"  // 15
                    "        intersections: " +
                    intersections +
                    "\n"  // 16
                    "        roads: " +
                    road_list +
                    "\n"  // 17
                    "        border: " +
                    border + "\n");  // 18
  };
  const std::string three = "[[0m, 0m], [100m, 0m], [100m, 100m]]";
  EXPECT_EQ(roads(three, "[[0, 1], [1, 2]]", "[0]"), "");
  EXPECT_EQ(roads("[[0m, 0m]]", "[[0, 1]]", "[0]"),
            "x.yaml:16: workload.0.arrivals.roads.intersections: expected at least two intersections, got 1");
  EXPECT_EQ(roads(three, "[[0, 3]]", "[0]"),
            "x.yaml:17: workload.0.arrivals.roads.roads.0.1: intersection 3 does not exist (the graph has 3 "
            "intersections, numbered 0 to 2)");
  EXPECT_EQ(roads(three, "[[0, 1], [2, 2]]", "[0]"),
            "x.yaml:17: workload.0.arrivals.roads.roads.1: a road from intersection 2 to itself");
  EXPECT_EQ(roads(three, "[[0, 1], [1, 0]]", "[0]"),
            "x.yaml:17: workload.0.arrivals.roads.roads.1: the road between intersections 1 and 0 is already "
            "workload.0.arrivals.roads.roads.0 (roads are two-way)");
  EXPECT_EQ(roads(three, "[[0, 1, 2]]", "[0]"),
            "x.yaml:17: workload.0.arrivals.roads.roads.0: expected [from, to] (two intersection indices), got a list");
  EXPECT_EQ(roads(three, "[]", "[0]"), "x.yaml:17: workload.0.arrivals.roads.roads: expected at least one road");
  EXPECT_EQ(roads("[[0m, 0m], [0m, 0m]]", "[[0, 1]]", "[0]"),
            "x.yaml:17: workload.0.arrivals.roads.roads.0: intersections 0 and 1 are at the same place");
  EXPECT_EQ(roads(three, "[[0, 1]]", "[]"),
            "x.yaml:18: workload.0.arrivals.roads.border: expected at least one border intersection");
  EXPECT_EQ(roads(three, "[[0, 1]]", "[0, 0]"),
            "x.yaml:18: workload.0.arrivals.roads.border.1: intersection 0 is listed twice");
  EXPECT_EQ(roads(three, "[[0, 1]]", "[2]"),
            "x.yaml:18: workload.0.arrivals.roads.border.0: intersection 2 has no road (vehicles could not enter "
            "there)");
  EXPECT_EQ(error_of(kTraffic + "      roads: {intersections: [[0m, 0m], [1m, 0m]], roads: [[0, 1]]}\n"),
            "x.yaml:15: workload.0.arrivals.roads: missing required key 'border'");
}

// ---- deadline: until_leaves_view ----------------------------------------------------

TEST(CityScenarioParse, UntilLeavesViewWithTraffic) {
  const Scenario s = parse(with(kTraffic, "service_time: {mean: 300ms}\n",
                                "service_time: {mean: 300ms}\n    deadline: until_leaves_view\n"));
  EXPECT_TRUE(s.functions[0].deadline_until_leaves_view);
  EXPECT_FALSE(s.functions[0].deadline.has_value());
  const Scenario timed =
      parse(with(kTraffic, "service_time: {mean: 300ms}\n", "service_time: {mean: 300ms}\n    deadline: 2s\n"));
  EXPECT_FALSE(timed.functions[0].deadline_until_leaves_view);
  EXPECT_EQ(timed.functions[0].deadline, seconds{2});
}

TEST(CityScenarioErrors, UntilLeavesViewNeedsATrafficWorkload) {
  const std::string deadline = "service_time: {mean: 300ms}\n    deadline: until_leaves_view\n";
  EXPECT_EQ(error_of(with(kPoisson, "service_time: {mean: 300ms}\n", deadline)),
            "x.yaml:10: functions.f.deadline: until_leaves_view needs a traffic workload (workload.0 has process: "
            "poisson)");
  // Used by a traffic stream and an MMPP stream: the second one is the problem.
  EXPECT_EQ(error_of(with(kTraffic, "service_time: {mean: 300ms}\n", deadline) +
                     "  - function: f\n"
                     "    arrivals: {process: mmpp, states: [{rate: 1/s, sojourn: 1s}]}\n"),
            "x.yaml:10: functions.f.deadline: until_leaves_view needs a traffic workload (workload.1 has process: "
            "mmpp)");
  // A function no workload uses may carry it.
  EXPECT_EQ(error_of(kPoisson.substr(0, kPoisson.find("workload:")) +
                     "  g:\n    service_time: {mean: 1s}\n    deadline: until_leaves_view\n" +
                     kPoisson.substr(kPoisson.find("workload:"))),
            "");
  EXPECT_EQ(error_of(with(kPoisson, "service_time: {mean: 300ms}\n",
                          "service_time: {mean: 300ms}\n    deadline: until_leaves\n")),
            "x.yaml:10: functions.f.deadline: expected a positive duration or until_leaves_view, got "
            "'until_leaves'");
}

// ---- network.uplink --------------------------------------------------------------

TEST(CityScenarioParse, UplinkDefaultsToNbIot) {
  const Scenario defaults = parse(kPoisson);
  EXPECT_DOUBLE_EQ(defaults.network.uplink.bandwidth_bps, 60e3);
  EXPECT_EQ(defaults.network.uplink.latency, milliseconds{1600});
  EXPECT_DOUBLE_EQ(defaults.network.uplink.loss_probability, 0);
  const Scenario s = parse(kPoisson + "network: {uplink: {bandwidth: 250kbps, latency: 300ms, loss: 0.01}}\n");
  EXPECT_DOUBLE_EQ(s.network.uplink.bandwidth_bps, 250e3);
  EXPECT_EQ(s.network.uplink.latency, milliseconds{300});
  EXPECT_DOUBLE_EQ(s.network.uplink.loss_probability, 0.01);
  // Keys left out keep their NB-IoT values.
  const Scenario lossy = parse(kPoisson + "network: {uplink: {loss: 0.5}}\n");
  EXPECT_DOUBLE_EQ(lossy.network.uplink.bandwidth_bps, 60e3);
  EXPECT_EQ(lossy.network.uplink.latency, milliseconds{1600});
}

TEST(CityScenarioErrors, Uplink) {
  const auto uplink = [](const std::string& map) { return error_of(kPoisson + "network: {uplink: " + map + "}\n"); };
  EXPECT_EQ(uplink("{loss: 1}"), "x.yaml:13: network.uplink.loss: expected a probability in [0, 1), got '1'");
  EXPECT_EQ(uplink("{loss: -0.1}"), "x.yaml:13: network.uplink.loss: expected a probability in [0, 1), got '-0.1'");
  EXPECT_EQ(uplink("{bandwidth: 0}"), "x.yaml:13: network.uplink.bandwidth: expected a positive bandwidth, got '0'");
  EXPECT_EQ(uplink("{latency: -1s}"), "x.yaml:13: network.uplink.latency: expected a non-negative duration, got '-1s'");
  EXPECT_EQ(uplink("{mtu: 1KB}"),
            "x.yaml:13: network.uplink.mtu: unknown key (expected one of: bandwidth, latency, loss)");
}

// ---- faults ----------------------------------------------------------------------

TEST(CityScenarioParse, Faults) {
  EXPECT_EQ(parse(kPoisson).faults.timeout, seconds{1});
  EXPECT_TRUE(parse(kPoisson).faults.outages.empty());
  EXPECT_FALSE(parse(kPoisson).faults.failures.has_value());
  const Scenario s = parse(kPoisson +
                           "faults:\n"                                         // 13
                           "  timeout: 250ms\n"                                // 14
                           "  outages:\n"                                      // 15
                           "    - {cameras: [0, 5], at: 20min, for: 10min}\n"  // 16
                           "    - {count: 3, at: 0, for: 1h}\n"                // 17
                           "    - {fraction: 0.25, at: 9min, for: 5min}\n"     // 18
                           "  failures: {mttf: 2h, mttr: 5min, cameras: [1, 2]}\n");
  const FaultsSpec& f = s.faults;
  EXPECT_EQ(f.timeout, milliseconds{250});
  ASSERT_EQ(f.outages.size(), 3u);
  EXPECT_THAT(f.outages[0].cameras, ElementsAre(0u, 5u));
  EXPECT_EQ(f.outages[0].at, minutes{20});
  EXPECT_EQ(f.outages[0].length, minutes{10});  // at + for may run past the end: fine
  EXPECT_EQ(f.outages[0].where.to_string(), "x.yaml:16");
  EXPECT_TRUE(f.outages[1].cameras.empty());
  EXPECT_EQ(f.outages[1].count, 3u);
  EXPECT_EQ(f.outages[1].at, Duration{0});
  EXPECT_DOUBLE_EQ(f.outages[2].fraction, 0.25);
  EXPECT_EQ(f.outages[2].count, 0u);
  ASSERT_TRUE(f.failures.has_value());
  EXPECT_EQ(f.failures->mean_time_to_failure, hours{2});
  EXPECT_EQ(f.failures->mean_time_to_repair, minutes{5});
  EXPECT_THAT(f.failures->cameras, ElementsAre(1u, 2u));
  EXPECT_TRUE(parse(kPoisson + "faults: {failures: {mttf: 1h, mttr: 1min}}\n").faults.failures->cameras.empty());
}

TEST(CityScenarioErrors, Faults) {
  const auto outage = [](const std::string& map) {
    return error_of(kPoisson + "faults:\n  outages:\n    - " + map + "\n");  // the outage is on line 15
  };
  EXPECT_EQ(outage("{count: 2, fraction: 0.5, at: 0, for: 1min}"),
            "x.yaml:15: faults.outages.0: expected exactly one of 'cameras', 'count' and 'fraction'");
  EXPECT_EQ(outage("{at: 0, for: 1min}"),
            "x.yaml:15: faults.outages.0: expected exactly one of 'cameras', 'count' and 'fraction'");
  EXPECT_EQ(outage("{count: 10, at: 0, for: 1min}"),
            "x.yaml:15: faults.outages.0.count: 10 cameras but the cluster has 9");
  EXPECT_EQ(outage("{fraction: 0, at: 0, for: 1min}"),
            "x.yaml:15: faults.outages.0.fraction: expected a fraction in (0, 1], got '0'");
  EXPECT_EQ(outage("{fraction: 1.01, at: 0, for: 1min}"),
            "x.yaml:15: faults.outages.0.fraction: expected a fraction in (0, 1], got '1.01'");
  EXPECT_EQ(outage("{fraction: 0.05, at: 0, for: 1min}"),
            "x.yaml:15: faults.outages.0.fraction: 0.05 of 9 cameras rounds to no camera");
  EXPECT_EQ(outage("{cameras: [9], at: 0, for: 1min}"),
            "x.yaml:15: faults.outages.0.cameras.0: camera 9 does not exist (the cluster has 9 cameras, numbered 0 "
            "to 8)");
  EXPECT_EQ(outage("{count: 1, for: 1min}"), "x.yaml:15: faults.outages.0: missing required key 'at'");
  EXPECT_EQ(outage("{count: 1, at: 0, for: 0}"),
            "x.yaml:15: faults.outages.0.for: expected a positive duration, got '0'");
  EXPECT_EQ(outage("{count: 1, at: -1s, for: 1s}"),
            "x.yaml:15: faults.outages.0.at: expected a non-negative duration, got '-1s'");
  EXPECT_EQ(outage("{count: 1, at: 0, length: 1s}"),
            "x.yaml:15: faults.outages.0.length: unknown key (expected one of: cameras, count, fraction, at, for)");
  EXPECT_EQ(error_of(kPoisson + "faults: {failures: {mttr: 5min}}\n"),
            "x.yaml:13: faults.failures: missing required key 'mttf'");
  EXPECT_EQ(error_of(kPoisson + "faults: {failures: {mttf: 0, mttr: 5min}}\n"),
            "x.yaml:13: faults.failures.mttf: expected a positive duration, got '0'");
  EXPECT_EQ(error_of(kPoisson + "faults: {timeout: -1s}\n"),
            "x.yaml:13: faults.timeout: expected a non-negative duration, got '-1s'");
  EXPECT_EQ(error_of(kPoisson + "faults: {outages: {count: 1}}\n"),
            "x.yaml:13: faults.outages: expected a list of outages, got a map");
}

// ---- overrides ---------------------------------------------------------------------

TEST(CityScenarioOverrides, NewKeysCanBeSet) {
  ScenarioDocument document = ScenarioDocument::from_string(kTraffic, "x.yaml");
  document.set("workload.0.arrivals.speed", "50km/h");
  document.set("workload.0.arrivals.blacklist", "{vehicles: [7]}");
  document.set("functions.f.deadline", "until_leaves_view");
  document.set("network.uplink.loss", "0.2");
  document.set("faults.timeout", "2s");
  document.set("faults.outages", "[{count: 2, at: 1min, for: 2min}]");
  const Scenario s = document.parse();
  EXPECT_NEAR(s.workload[0].arrivals.traffic.speed_mean_mps, 50 / 3.6, 1e-12);
  EXPECT_THAT(s.workload[0].arrivals.traffic.blacklisted_vehicles, ElementsAre(7u));
  EXPECT_TRUE(s.functions[0].deadline_until_leaves_view);
  EXPECT_DOUBLE_EQ(s.network.uplink.loss_probability, 0.2);
  EXPECT_EQ(s.faults.timeout, seconds{2});
  ASSERT_EQ(s.faults.outages.size(), 1u);
  EXPECT_EQ(s.faults.outages[0].count, 2u);

  // Switching the process through --set checks the keys against the new process.
  ScenarioDocument switched = ScenarioDocument::from_string(kTraffic, "x.yaml");
  switched.set("workload.0.arrivals.process", "poisson");
  try {
    switched.parse();
    ADD_FAILURE() << "entry_rate with process: poisson must be refused";
  } catch (const ScenarioError& error) {
    EXPECT_STREQ(error.what(),
                 "x.yaml:14: workload.0.arrivals.entry_rate: only used with process: traffic (process is poisson)");
  }
}

TEST(CityScenarioOverrides, ErrorsInSetValuesAreReportedAtSet) {
  const auto error_after = [](const std::string& base, const std::string& path, const std::string& value) {
    ScenarioDocument document = ScenarioDocument::from_string(base, "x.yaml");
    document.set(path, value);
    try {
      document.parse();
    } catch (const ScenarioError& error) {
      return std::string(error.what());
    }
    return std::string();
  };
  EXPECT_EQ(error_after(kTraffic, "workload.0.arrivals.trigger", "sometimes"),
            "--set: workload.0.arrivals.trigger: expected one of per_frame, once_per_pass, got 'sometimes'");
  EXPECT_EQ(error_after(kPoisson, "network.uplink.loss", "1"),
            "--set: network.uplink.loss: expected a probability in [0, 1), got '1'");
  EXPECT_EQ(error_after(kPoisson, "faults.outages", "[{fraction: 0.5, count: 1, at: 0, for: 1s}]"),
            "--set: faults.outages.0: expected exactly one of 'cameras', 'count' and 'fraction'");
  EXPECT_EQ(error_after(kPoisson, "functions.f.deadline", "until_leaves_view"),
            "--set: functions.f.deadline: until_leaves_view needs a traffic workload (workload.0 has process: "
            "poisson)");
  EXPECT_EQ(error_after(kMmpp, "workload.0.arrivals.transitions", "[[0, 0.5], [1, 0]]"),
            "--set: workload.0.arrivals.transitions.0: entries must sum to 1, got 0.5");
}

// ---- shipped scenarios -------------------------------------------------------------

Scenario shipped(const std::string& name) {
  return load_scenario(std::string(FOGSCHED_SOURCE_DIR) + "/scenarios/" + name + ".yaml");
}

std::vector<std::string> policy_names(const Scenario& s) {
  std::vector<std::string> names;
  for (const auto& policy : s.policies) names.push_back(policy.name);
  return names;
}

TEST(ShippedCityScenarios, RushHour) {
  const Scenario s = shipped("city-rush-hour");
  EXPECT_EQ(s.cameras.count, 64u);
  EXPECT_EQ(s.cameras.layout, Layout::grid);
  EXPECT_DOUBLE_EQ(s.cameras.spacing_m, 150);
  EXPECT_EQ(s.cameras.slots, 2u);
  EXPECT_TRUE(s.cloud.enabled);
  EXPECT_DOUBLE_EQ(s.network.uplink.bandwidth_bps, 60e3);
  EXPECT_EQ(s.network.uplink.latency, milliseconds{1600});
  ASSERT_EQ(s.functions.size(), 1u);
  EXPECT_TRUE(s.functions[0].deadline_until_leaves_view);
  EXPECT_EQ(s.functions[0].service_time.dist, ServiceDist::lognormal);
  EXPECT_EQ(s.functions[0].service_time.mean, milliseconds{300});
  ASSERT_EQ(s.workload.size(), 1u);
  const ArrivalSpec& a = s.workload[0].arrivals;
  EXPECT_EQ(a.process, ArrivalProcess::traffic);
  EXPECT_FALSE(a.traffic.roads.has_value());
  EXPECT_TRUE(a.traffic.per_frame);
  EXPECT_EQ(a.traffic.frame_interval, milliseconds{500});
  EXPECT_DOUBLE_EQ(a.traffic.view_radius_m, 30);
  EXPECT_DOUBLE_EQ(a.traffic.blacklisted_fraction, 0.02);
  EXPECT_EQ(a.traffic.alert_bytes, 1000u);
  // A morning peak: the profile rises to three times the base entry rate and falls
  // back before the end of the run.
  double peak = 0;
  for (const ProfileStep& step : a.profile) peak = std::max(peak, step.factor);
  EXPECT_DOUBLE_EQ(peak, 3);
  ASSERT_FALSE(a.profile.empty());
  EXPECT_DOUBLE_EQ(a.profile.back().factor, 1);
  EXPECT_LT(a.profile.back().at, s.duration);
  EXPECT_THAT(policy_names(s), ElementsAre("local", "power_of_d", "cloud_offload", "least_loaded"));
}

TEST(ShippedCityScenarios, Outage) {
  const Scenario s = shipped("city-outage");
  EXPECT_EQ(s.cameras.count, 100u);
  EXPECT_EQ(s.duration, minutes{20});
  EXPECT_EQ(s.workload[0].arrivals.process, ArrivalProcess::poisson);
  EXPECT_EQ(s.workload[0].arrivals.hotspot_count, 10u);
  EXPECT_EQ(s.faults.timeout, milliseconds{500});
  ASSERT_EQ(s.faults.outages.size(), 1u);
  EXPECT_DOUBLE_EQ(s.faults.outages[0].fraction, 0.25);
  EXPECT_EQ(s.faults.outages[0].at, minutes{5});
  EXPECT_EQ(s.faults.outages[0].length, minutes{10});
  EXPECT_THAT(policy_names(s), ElementsAre("local", "random", "power_of_d"));
}

TEST(ShippedCityScenarios, BurstyMmppHasTheStationaryRateItsCommentStates) {
  const Scenario s = shipped("bursty-mmpp");
  const ArrivalSpec& a = s.workload[0].arrivals;
  EXPECT_EQ(a.process, ArrivalProcess::mmpp);
  ASSERT_EQ(a.mmpp_states.size(), 2u);
  // Two states alternate, so each is occupied in proportion to its mean sojourn.
  const double quiet = to_seconds(a.mmpp_states[0].mean_sojourn);
  const double burst = to_seconds(a.mmpp_states[1].mean_sojourn);
  const double stationary =
      (quiet * a.mmpp_states[0].rate_per_s + burst * a.mmpp_states[1].rate_per_s) / (quiet + burst);
  EXPECT_NEAR(stationary, 2.0, 1e-12);
}

TEST(ShippedCityScenarios, TraceReplayMatchesItsTrace) {
  const Scenario s = shipped("trace-replay");
  const ArrivalSpec& a = s.workload[0].arrivals;
  EXPECT_EQ(a.process, ArrivalProcess::trace);
  ASSERT_NE(a.trace, nullptr);
  EXPECT_EQ(a.trace->arrivals.size(), 320u);
  EXPECT_THAT(a.trace->functions, ElementsAre("plate-recognition"));
  std::uint32_t highest_camera = 0;
  for (const TraceArrival& arrival : a.trace->arrivals) highest_camera = std::max(highest_camera, arrival.camera);
  EXPECT_EQ(highest_camera + 1, s.cameras.count);  // every camera of the scenario appears in the trace
  EXPECT_LE(a.trace->arrivals.back().at, s.duration);
}

}  // namespace
}  // namespace fogsched
