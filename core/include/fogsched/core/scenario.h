#pragma once
// The scenario model: plain structs, parsed and validated once at the edge
// (scenario_yaml.h) and read by the simulator, live mode and the Python module.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fogsched/core/errors.h"
#include "fogsched/core/time.h"

namespace fogsched {

struct Point {
  double x_m = 0;
  double y_m = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

enum class Layout : std::uint8_t { grid, random, explicit_positions };

// Per-camera settings that differ from the cameras' defaults.
struct CameraOverride {
  std::vector<std::uint32_t> cameras;  // camera indices this override applies to
  std::optional<std::uint32_t> slots;
  std::optional<std::uint32_t> queue;
  std::optional<double> speed;
  SourceLocation where;
};

// Per-camera values that differ across the fleet: listed one per camera, or drawn
// once per camera with the scenario seed (the same fleet in every replication).
struct CameraValueSpread {
  enum class Kind : std::uint8_t { list, uniform, choice };
  Kind kind = Kind::list;
  std::vector<double> values;   // list: one per camera; choice: the options
  std::vector<double> weights;  // choice: relative weights, one per option
  double min = 0;               // uniform: bounds (integers for slots)
  double max = 0;

  // The fleet-wide mean the spread implies (used where one value stands for all).
  double mean() const;
};

struct CamerasSpec {
  std::uint32_t count = 0;
  Layout layout = Layout::grid;
  double spacing_m = 200;           // grid: distance between neighbouring cameras
  std::uint32_t columns = 0;        // grid: 0 = ceil(sqrt(count))
  double area_width_m = 0;          // random: cameras uniform in [0,w] x [0,h]
  double area_height_m = 0;
  std::vector<Point> positions;     // explicit_positions: one per camera
  std::uint32_t slots = 1;          // K
  std::uint32_t queue = 0;          // Q; 0 = loss node
  double speed = 1.0;               // relative CPU speed: service time = work / speed
  std::optional<CameraValueSpread> slots_spread;  // replaces `slots` per camera
  std::optional<CameraValueSpread> speed_spread;  // replaces `speed` per camera
  std::vector<CameraOverride> overrides;          // applied after the spreads
};

struct CloudSpec {
  bool enabled = false;
  std::uint32_t slots = 64;
  std::uint32_t queue = 0;
  double speed = 1.0;
  Duration latency{};               // one-way, between any camera and the cloud
  double bandwidth_bps = 0;         // 0 = payload transfer takes no time
};

struct NetworkSpec {
  Duration latency_base{};          // one-way latency between two cameras ...
  Duration latency_per_km{};        // ... plus this per km of straight-line distance
  double bandwidth_bps = 0;         // 0 = payload transfer takes no time
  std::uint64_t probe_bytes = 0;    // size of a probe request and of its answer
  std::uint64_t gossip_bytes = 0;   // size of one gossip message
  Duration probe_timeout{};         // a probe not answered by then is dropped; 0 = none
};

enum class ServiceDist : std::uint8_t { exponential, deterministic, uniform, lognormal, empirical };

// Service time of a function on a node of speed 1.
struct ServiceTimeSpec {
  ServiceDist dist = ServiceDist::exponential;
  Duration mean{};                  // exponential, deterministic, lognormal
  double cv = 1.0;                  // lognormal: coefficient of variation
  Duration min{};                   // uniform
  Duration max{};                   // uniform
  std::vector<double> samples_s;    // empirical: samples in seconds (from `file`)
  std::string samples_file;         // empirical: the CSV the samples came from

  // Mean service time in seconds whatever the distribution.
  double mean_seconds() const;
};

struct FunctionSpec {
  std::string name;
  ServiceTimeSpec service_time;
  std::uint64_t payload_bytes = 0;   // request body moved on a forward
  std::uint64_t response_bytes = 0;  // answer moved back to the origin after a forward
  std::optional<Duration> deadline;  // finishing later is `deadline_missed`
};

// Piecewise-constant rate multiplier: from `at` on, rates are multiplied by `factor`.
struct ProfileStep {
  Duration at{};
  double factor = 1.0;
};

enum class ArrivalProcess : std::uint8_t { poisson };

struct ArrivalSpec {
  ArrivalProcess process = ArrivalProcess::poisson;
  // Exactly one of rate / load is given. load = rate * E[S] / (slots * speed),
  // i.e. the offered load per slot of a camera with the default slots and speed
  // (the spread's mean when slots or speed vary per camera).
  std::optional<double> rate_per_s;
  std::optional<double> load;
  // Hot spots: `hotspot_count` cameras drawn with the scenario seed, or the
  // listed `hotspot_cameras`, get `hotspot_factor` times the base rate.
  std::uint32_t hotspot_count = 0;
  std::vector<std::uint32_t> hotspot_cameras;
  double hotspot_factor = 1.0;
  // Explicit per-camera rates (camera index, rate /s) replacing the base rate.
  std::vector<std::pair<std::uint32_t, double>> camera_rates;
  std::vector<ProfileStep> profile;  // empty = constant; sorted by `at`
  Duration profile_period{};         // 0 = the last step holds forever; else repeats
};

struct WorkloadSpec {
  std::string function;             // name in `functions`
  std::uint32_t function_index = 0; // index into Scenario::functions
  std::vector<std::uint32_t> cameras;  // cameras receiving this workload; empty = all
  ArrivalSpec arrivals;
  SourceLocation where;
};

// A policy as the scenario names it: validated against the registry by policies/.
struct PolicySpec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;  // as written, in order
  SourceLocation where;
};

struct Scenario {
  std::string name;
  std::string source_file;          // file it was loaded from ("" when built in memory)
  std::uint64_t seed = 1;
  Duration duration{};              // simulated time per replication, warm-up included
  Duration warmup{};                // arrivals before this are not measured
  std::uint32_t replications = 1;
  std::uint32_t hop_limit = 1;      // forwards an invocation may take
  CamerasSpec cameras;
  CloudSpec cloud;
  NetworkSpec network;
  std::vector<FunctionSpec> functions;
  std::vector<WorkloadSpec> workload;
  std::vector<PolicySpec> policies;
};

}  // namespace fogsched
