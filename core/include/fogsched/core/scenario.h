#pragma once
// The scenario model: plain structs, parsed and validated once at the edge
// (scenario_yaml.h) and read by the simulator, live mode and the Python module.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fogsched/core/errors.h"
#include "fogsched/core/known_loads.h"
#include "fogsched/core/policy_spec.h"
#include "fogsched/core/time.h"

namespace fogsched {

struct Trace;                 // trace_csv.h
struct AzureInvocations2019;  // azure2019.h
struct AzureInvocations2021;  // azure2021.h

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
  double spacing_m = 200;     // grid: distance between neighbouring cameras
  std::uint32_t columns = 0;  // grid: 0 = ceil(sqrt(count))
  double area_width_m = 0;    // random: cameras uniform in [0,w] x [0,h]
  double area_height_m = 0;
  std::vector<Point> positions;                   // explicit_positions: one per camera
  std::uint32_t slots = 1;                        // K
  std::uint32_t queue = 0;                        // Q; 0 = loss node
  double speed = 1.0;                             // relative CPU speed: service time = work / speed
  std::optional<CameraValueSpread> slots_spread;  // replaces `slots` per camera
  std::optional<CameraValueSpread> speed_spread;  // replaces `speed` per camera
  std::vector<CameraOverride> overrides;          // applied after the spreads
};

struct CloudSpec {
  bool enabled = false;
  std::uint32_t slots = 64;
  std::uint32_t queue = 0;
  double speed = 1.0;
  Duration latency{};        // one-way, between any camera and the cloud
  double bandwidth_bps = 0;  // 0 = payload transfer takes no time
};

// Each camera's own uplink to the cloud (NB-IoT by default): one FIFO per camera,
// used for blacklist alerts.
struct UplinkSpec {
  double bandwidth_bps = 60e3;                         // NB-IoT class
  Duration latency = std::chrono::milliseconds(1600);  // one-way, after transmission
  double loss_probability = 0;                         // an alert is lost with this probability
};

struct NetworkSpec {
  Duration latency_base{};         // one-way latency between two cameras ...
  Duration latency_per_km{};       // ... plus this per km of straight-line distance
  double bandwidth_bps = 0;        // 0 = payload transfer takes no time
  std::uint64_t probe_bytes = 0;   // size of a probe request and of its answer
  std::uint64_t gossip_bytes = 0;  // size of one gossip message
  // Peers whose last gossiped load a node remembers; hearing from one more forgets
  // the peer heard from longest ago.
  std::uint32_t gossip_memory = kDefaultGossipMemory;
  Duration probe_timeout{};  // a probe not answered by then is dropped; 0 = none
  UplinkSpec uplink;
};

enum class ServiceDist : std::uint8_t { exponential, deterministic, uniform, lognormal, empirical };
const char* to_string(ServiceDist) noexcept;

// Service time of a function on a node of speed 1.
struct ServiceTimeSpec {
  ServiceDist dist = ServiceDist::exponential;
  Duration mean{};                // exponential, deterministic, lognormal
  double cv = 1.0;                // lognormal: coefficient of variation
  Duration min{};                 // uniform
  Duration max{};                 // uniform
  std::vector<double> samples_s;  // empirical: samples in seconds (from `file`)
  std::string samples_file;       // empirical: the CSV the samples came from

  // Mean service time in seconds whatever the distribution.
  double mean_seconds() const;
};

struct FunctionSpec {
  std::string name;
  ServiceTimeSpec service_time;
  std::uint64_t payload_bytes = 0;   // request body moved on a forward
  std::uint64_t response_bytes = 0;  // answer moved back to the origin after a forward
  std::optional<Duration> deadline;  // finishing later is `deadline_missed`
  // Traffic workloads: finishing after the vehicle left the view of the camera that
  // saw it is `deadline_missed` (`deadline: until_leaves_view`).
  bool deadline_until_leaves_view = false;
};

// Piecewise-constant rate multiplier: from `at` on, rates are multiplied by `factor`.
struct ProfileStep {
  Duration at{};
  double factor = 1.0;
};

enum class ArrivalProcess : std::uint8_t { poisson, mmpp, trace, traffic, azure2019, azure2021 };
const char* to_string(ArrivalProcess) noexcept;

// One state of a Markov-modulated Poisson process.
struct MmppStateSpec {
  double rate_per_s = 0;    // arrival rate while in this state (per camera)
  Duration mean_sojourn{};  // mean (exponential) time spent in the state
};

// A road network for traffic: intersections, two-way roads between them, and the
// border intersections where vehicles enter and leave.
struct RoadGraphSpec {
  std::vector<Point> intersections;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> roads;
  std::vector<std::uint32_t> border;
};

enum class VehicleSpeedDist : std::uint8_t { deterministic, uniform, normal };

// Vehicles driving through the city, seen by cameras (process: traffic).
struct TrafficSpec {
  std::optional<RoadGraphSpec> roads;  // none = the streets of the cameras' grid
  double entry_rate_per_s = 1;         // vehicles entering the whole city, before the profile
  VehicleSpeedDist speed_dist = VehicleSpeedDist::deterministic;
  double speed_mean_mps = 13.9;  // m/s: deterministic value, normal mean
  double speed_sd_mps = 0;       // normal
  double speed_min_mps = 0;      // uniform, normal (truncation)
  double speed_max_mps = 0;
  double turn_straight = 0.6;  // relative weights at an intersection
  double turn_left = 0.2;
  double turn_right = 0.2;
  double view_radius_m = 25;
  bool per_frame = true;  // false: one recognition per pass
  Duration frame_interval = std::chrono::milliseconds(500);
  double blacklisted_fraction = 0;
  std::vector<std::uint64_t> blacklisted_vehicles;  // vehicle ids (numbered in order of entry)
  std::uint64_t alert_bytes = 1000;                 // size of one blacklist alert on the uplink
};

// The public Azure Functions traces (process: azure2019 or azure2021): which of the
// trace's functions replay, at which cameras, over which part of the trace and how
// fast. Units and rules in docs/scenarios.md.
enum class AzureFunctionChoice : std::uint8_t { all, top, sample, listed };
enum class AzurePlacement : std::uint8_t { per_app, spread, weighted };
enum class AzureMinuteRule : std::uint8_t { even, poisson };  // azure2019: arrivals within a minute

struct AzureSelection {
  AzureFunctionChoice choice = AzureFunctionChoice::all;
  std::uint32_t count = 0;                // top, sample: how many functions
  std::vector<std::string> hashes;        // listed: function hashes (HashFunction, func)
  std::uint64_t seed = 0;                 // sample: drawn with this seed (from the scenario's)
  Duration window_from{};                 // trace time replayed as the run's time 0
  std::optional<Duration> window_length;  // none = to the end of the trace
};

struct AzureSpec {
  std::string file;            // azure2021: the invocations; azure2019: invocations per minute
  std::string durations_file;  // azure2019: duration percentiles per function
  AzureSelection selection;
  AzureMinuteRule minute_rule = AzureMinuteRule::even;
  AzurePlacement placement = AzurePlacement::per_app;
  std::vector<double> weights;  // weighted: one per camera receiving the workload
  double speedup = 1;           // trace time runs this many times faster
  double scale = 1;             // azure2019: per-minute counts multiplied by this
  // What the loader read, shared by every replication: per function, never per
  // invocation (2019: the kept functions' non-zero per-minute counts; 2021: their
  // names, while each replication streams the file again).
  std::shared_ptr<const AzureInvocations2019> trace2019;
  std::shared_ptr<const AzureInvocations2021> trace2021;
};

struct ArrivalSpec {
  ArrivalProcess process = ArrivalProcess::poisson;
  // mmpp: per-camera modulating chains (rates are per camera; hot spots and the
  // profile multiply them). transitions: the jump chain's row-stochastic matrix with
  // a zero diagonal; empty = uniform over the other states.
  std::vector<MmppStateSpec> mmpp_states;
  std::vector<std::vector<double>> mmpp_transitions;
  // trace: the file (resolved relative to the scenario) and its rows, shared because
  // scenarios are copied freely and a trace may be large.
  std::string trace_file;
  std::shared_ptr<const Trace> trace;
  std::vector<std::uint32_t> trace_functions;  // trace function index -> Scenario::functions index
  // traffic: the whole city's vehicles (the workload's `cameras` list is not used).
  TrafficSpec traffic;
  // azure2019, azure2021:
  AzureSpec azure;
  // poisson and mmpp:
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
  std::string function;                // name in `functions`
  std::uint32_t function_index = 0;    // index into Scenario::functions
  std::vector<std::uint32_t> cameras;  // cameras receiving this workload; empty = all
  ArrivalSpec arrivals;
  SourceLocation where;
};

// Cameras going down for a while: in-flight work there ends `failed`, arrivals there
// fail, and peers forwarding or probing there see a timeout and fall back.
struct OutageSpec {
  std::vector<std::uint32_t> cameras;  // explicit list, or drawn with the scenario seed:
  std::uint32_t count = 0;             //   this many cameras, or
  double fraction = 0;                 //   this share of the cameras (rounded)
  Duration at{};                       // start, since the start of the run
  Duration length{};                   // how long they stay down
  SourceLocation where;
};

// Independent failures and repairs per camera: exponential up and down times drawn
// per replication.
struct FailureProcessSpec {
  Duration mean_time_to_failure{};
  Duration mean_time_to_repair{};
  std::vector<std::uint32_t> cameras;  // empty = every camera
};

struct FaultsSpec {
  std::vector<OutageSpec> outages;
  std::optional<FailureProcessSpec> failures;
  // A forward or probe to a node that is down is noticed after this long.
  Duration timeout = std::chrono::seconds(1);
};

struct Scenario {
  std::string name;
  std::string source_file;  // file it was loaded from ("" when built in memory)
  std::uint64_t seed = 1;
  Duration duration{};  // simulated time per replication, warm-up included
  Duration warmup{};    // arrivals before this are not measured
  std::uint32_t replications = 1;
  std::uint32_t hop_limit = 1;  // forwards an invocation may take
  CamerasSpec cameras;
  CloudSpec cloud;
  NetworkSpec network;
  std::vector<FunctionSpec> functions;
  std::vector<WorkloadSpec> workload;
  std::vector<PluginSpec> plugins;  // loaded before `policies` are looked up
  std::vector<PolicySpec> policies;
  FaultsSpec faults;
};

}  // namespace fogsched
