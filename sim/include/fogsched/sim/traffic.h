#pragma once
// Vehicles driving through a street network, turned into camera recognition triggers.
//
// Vehicles enter the city at border intersections (a Poisson process whose rate
// follows a RateProfile), drive along roads at a speed drawn once per vehicle, turn
// at each intersection with configurable straight / left / right probabilities and
// leave at the border. A camera sees a vehicle while the vehicle is within the
// camera's view radius; each vehicle in view triggers the camera once per pass or
// once per frame interval. The traffic does not depend on scheduling, so each
// vehicle's whole route is computed when it enters and its events are released in
// (time, sequence) order to the simulator, which pulls them with peek_time()/pop().
//
// Geometry is planar in metres; headings are radians counter-clockwise from +x,
// so "left" is counter-clockwise and "right" clockwise.
//
// Use from an event loop: merge the traffic stream with the engine's own queue by time.
//
//   TrafficModel traffic(config, camera_positions, derive_seed(seed, {label}), end);
//   while (auto t = traffic.peek_time()) {       // or: while *t <= the engine's next event
//     std::visit(handler, traffic.pop());        // VehicleEntered / Trigger / VehicleLeft
//   }
//
// Vehicles leave at the border intersection itself: a camera there sees only the
// part of a pass inside the city.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <variant>
#include <vector>

#include "fogsched/core/scenario.h"
#include "fogsched/core/time.h"
#include "fogsched/sim/city.h"

namespace fogsched::sim {

// The traffic configuration is inconsistent (bad index, no road at an entry, ...).
// The message names the field; the scenario loader adds file, line and key path.
class TrafficConfigError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// A two-way road between two intersections (indices into RoadGraph::intersections).
struct Road {
  std::uint32_t from = 0;
  std::uint32_t to = 0;
};

// A street leaving the city at a border intersection.
struct BorderExit {
  std::uint32_t intersection = 0;  // index into RoadGraph::intersections; must be a border intersection
  double heading_rad = 0;          // direction of the street out of the city
};

struct RoadGraph {
  std::vector<Point> intersections{};   // positions, metres
  std::vector<Road> roads{};            // two-way, straight segments
  std::vector<std::uint32_t> border{};  // intersections where vehicles enter and leave
  // Streets out of the city. Empty = one per border intersection, pointing away from
  // the mean direction of its roads (or, if those cancel out, away from the centre of
  // all intersections); vehicles then enter along a uniformly chosen road. When given,
  // a vehicle enters along a uniformly chosen exit of its entry intersection, driving
  // into the city, and takes its first turn by the turn probabilities.
  std::vector<BorderExit> exits{};
};

// The street grid of a camera grid: intersections at the camera positions (camera i
// in column i % columns and row i / columns, rows along +y as the `grid` layout puts
// them), roads between 4-neighbours, border = the intersections that miss a
// neighbour, with a street out of the city in each direction that misses one (two at
// a corner). Throws TrafficConfigError when there are no positions or columns is 0.
RoadGraph grid_roads(const std::vector<Point>& camera_positions, std::uint32_t columns);

enum class SpeedDistribution : std::uint8_t {
  deterministic,  // every vehicle drives at mean_mps
  uniform,        // uniform in [min_mps, max_mps]
  normal,         // normal(mean_mps, sd_mps) truncated to [min_mps, max_mps]
};

struct SpeedSpec {
  SpeedDistribution distribution = SpeedDistribution::deterministic;
  double mean_mps = 13.9;  // metres per second: deterministic value, normal mean
  double sd_mps = 0;       // metres per second: normal standard deviation
  double min_mps = 0;      // metres per second: uniform / normal lower bound, > 0
  double max_mps = 0;      // metres per second: uniform / normal upper bound
};

// Relative weights of the turns at an intersection, normalised over the turns that
// exist there (several roads of one kind share its weight equally). Straight is the
// road with the smallest heading change, when there is exactly one such road; left
// turns counter-clockwise, right clockwise. A U-turn is taken only at a dead end.
// If every available turn has weight 0, all available turns are equally likely.
struct TurnWeights {
  double straight = 0.6;  // dimensionless, >= 0
  double left = 0.2;      // dimensionless, >= 0
  double right = 0.2;     // dimensionless, >= 0
};

enum class TriggerMode : std::uint8_t {
  once_per_pass,  // one trigger when the vehicle comes into view
  per_frame,      // one at view_enter, view_enter + frame_interval, ... while in view
};

struct TrafficConfig {
  RoadGraph roads{};                             // the street network, metres
  double entry_rate_per_s = 1.0;                 // vehicles per second entering the whole city, before the profile
  RateProfile entry_profile{};                   // dimensionless multiplier of entry_rate_per_s over time
  SpeedSpec speed{};                             // drawn once per vehicle
  TurnWeights turns{};                           // dimensionless weights at each intersection
  double view_radius_m = 25;                     // metres, every camera
  std::vector<double> camera_view_radius_m{};    // metres, one per camera; empty = view_radius_m for all
  TriggerMode trigger = TriggerMode::per_frame;  // recognitions per vehicle in view
  Duration frame_interval = std::chrono::milliseconds{500};  // per_frame: time between triggers, > 0
  double blacklisted_fraction = 0;                           // probability, each vehicle independently
  std::vector<std::uint64_t> blacklisted_ids{};              // vehicle ids blacklisted in addition
  // Roads a vehicle drives at most. A vehicle that has driven this many leaves the
  // city at the intersection it then reaches (it parks), so no route is endless.
  std::uint32_t max_route_roads = 1000;
};

// Vehicles are numbered 0, 1, 2, ... in the order they enter.
using VehicleId = std::uint64_t;

struct VehicleEntered {
  Time time{};
  VehicleId vehicle = 0;
  bool blacklisted = false;
};

// A camera is to run recognition on a vehicle in its view.
struct Trigger {
  Time time{};
  std::uint32_t camera = 0;  // index into the cameras given to TrafficModel
  VehicleId vehicle = 0;
  bool blacklisted = false;
  Time view_enter{};  // this pass of this camera: the vehicle came into view
  Time view_leave{};  // ... and leaves the view (may be after the run's end)
};

struct VehicleLeft {
  Time time{};
  VehicleId vehicle = 0;
  bool blacklisted = false;
};

using TrafficEvent = std::variant<VehicleEntered, Trigger, VehicleLeft>;

Time time_of(const TrafficEvent& event);

// The pull-driven stream of traffic events for one replication.
//
// Events are released in (time, sequence) order, where the sequence numbers events
// as they are generated: a vehicle is generated when it enters, and an event is only
// released once every vehicle entering before it has been generated. Events at or
// after `end` are not released; vehicles still driving then count as in the city.
// Memory holds the pending events of the vehicles in the city; there is no
// allocation per event beyond amortised vector growth.
class TrafficModel {
 public:
  // `cameras` are positions in the road graph's coordinates (anywhere, not only at
  // intersections). `seed` should be a stream of its own (derive_seed(replication
  // seed, {label})); entries, routes and blacklisting draw from sub-streams of it.
  // Throws TrafficConfigError for an inconsistent configuration.
  TrafficModel(const TrafficConfig& config, const std::vector<Point>& cameras, std::uint64_t seed, Time end);
  ~TrafficModel();
  TrafficModel(TrafficModel&&) noexcept;
  TrafficModel& operator=(TrafficModel&&) noexcept;
  TrafficModel(const TrafficModel&) = delete;
  TrafficModel& operator=(const TrafficModel&) = delete;

  // Time of the next event, or nothing when no event remains before `end`.
  std::optional<Time> peek_time();
  // The next event. Precondition: peek_time() has a value.
  TrafficEvent pop();

  // Counts over the events popped so far: entered() == left() + in_city().
  std::uint64_t entered() const noexcept;
  std::uint64_t left() const noexcept;
  std::uint64_t in_city() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fogsched::sim
