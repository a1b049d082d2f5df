// The street network's precomputation: validation, directed roads, turn and entry
// options, and the camera views along each road.
#include "road_network.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <utility>

namespace fogsched::sim {

namespace {

// Two headings closer than this (radians) are the same heading change.
constexpr double kAngleTolerance = 1e-9;

using Vec = RoadNetwork::Direction;

Vec operator-(Point a, Point b) { return {a.x_m - b.x_m, a.y_m - b.y_m}; }
double dot(Vec a, Vec b) { return a.x * b.x + a.y * b.y; }
double cross(Vec a, Vec b) { return a.x * b.y - a.y * b.x; }
double norm(Vec v) { return std::hypot(v.x, v.y); }
Vec heading_vector(double radians) { return {std::cos(radians), std::sin(radians)}; }

// Signed heading change from `from` to `to`, in (-pi, pi]; positive = counter-clockwise.
double heading_change(Vec from, Vec to) { return std::atan2(cross(from, to), dot(from, to)); }

// Cameras bucketed by square cells (compressed rows), so the cameras near a road are
// found without looking at the others.
class CameraGrid {
 public:
  CameraGrid(const std::vector<Point>& cameras, double cell_m) {
    if (cameras.empty()) return;
    min_ = max_ = cameras.front();
    for (const Point& c : cameras) {
      min_ = {std::min(min_.x_m, c.x_m), std::min(min_.y_m, c.y_m)};
      max_ = {std::max(max_.x_m, c.x_m), std::max(max_.y_m, c.y_m)};
    }
    // Bound the cell count when the radius is tiny compared with the city.
    constexpr double kMaxCellsPerSide = 1024;
    cell_m_ =
        std::max({cell_m, (max_.x_m - min_.x_m) / kMaxCellsPerSide, (max_.y_m - min_.y_m) / kMaxCellsPerSide, 1e-6});
    columns_ = cell_index(max_.x_m - min_.x_m) + 1;
    rows_ = cell_index(max_.y_m - min_.y_m) + 1;
    cell_begin_.assign(std::size_t{columns_} * rows_ + 1, 0);
    for (const Point& c : cameras) ++cell_begin_[cell_of(c) + 1];
    for (std::size_t i = 1; i < cell_begin_.size(); ++i) cell_begin_[i] += cell_begin_[i - 1];
    camera_.resize(cameras.size());
    std::vector<std::uint32_t> fill(cell_begin_.begin(), cell_begin_.end() - 1);
    for (std::uint32_t i = 0; i < cameras.size(); ++i) camera_[fill[cell_of(cameras[i])]++] = i;
  }

  // Calls visit(camera) for every camera in a cell overlapping the box; each once.
  template <class Visit>
  void for_each_near(Point low, Point high, Visit&& visit) const {
    if (camera_.empty() || high.x_m < min_.x_m || high.y_m < min_.y_m || low.x_m > max_.x_m || low.y_m > max_.y_m) {
      return;
    }
    const std::uint32_t column_lo = cell_index(std::max(low.x_m - min_.x_m, 0.0));
    const std::uint32_t column_hi = std::min(cell_index(high.x_m - min_.x_m), columns_ - 1);
    const std::uint32_t row_lo = cell_index(std::max(low.y_m - min_.y_m, 0.0));
    const std::uint32_t row_hi = std::min(cell_index(high.y_m - min_.y_m), rows_ - 1);
    for (std::uint32_t row = row_lo; row <= row_hi; ++row) {
      for (std::uint32_t column = column_lo; column <= column_hi; ++column) {
        const std::size_t cell = std::size_t{row} * columns_ + column;
        for (std::uint32_t i = cell_begin_[cell]; i < cell_begin_[cell + 1]; ++i) visit(camera_[i]);
      }
    }
  }

 private:
  std::uint32_t cell_index(double offset_m) const { return static_cast<std::uint32_t>(offset_m / cell_m_); }
  std::size_t cell_of(Point p) const {
    return std::size_t{cell_index(p.y_m - min_.y_m)} * columns_ + cell_index(p.x_m - min_.x_m);
  }

  Point min_{};
  Point max_{};
  double cell_m_ = 1;
  std::uint32_t columns_ = 0;
  std::uint32_t rows_ = 0;
  std::vector<std::uint32_t> cell_begin_;  // cameras of cell k: camera_[cell_begin_[k], cell_begin_[k + 1])
  std::vector<std::uint32_t> camera_;
};

bool finite_non_negative(double value) { return std::isfinite(value) && value >= 0; }

}  // namespace

void validate(const TrafficConfig& config, std::size_t camera_count) {
  const RoadGraph& graph = config.roads;
  const auto n = graph.intersections.size();
  auto fail = [](const std::string& message) { throw TrafficConfigError(message); };
  if (n == 0) fail("roads: no intersections");
  for (std::size_t i = 0; i < graph.roads.size(); ++i) {
    const Road& road = graph.roads[i];
    if (road.from >= n || road.to >= n) {
      fail(fmt::format("roads[{}]: intersection index out of range (there are {})", i, n));
    }
    if (norm(graph.intersections[road.to] - graph.intersections[road.from]) <= 0) {
      fail(fmt::format("roads[{}]: joins intersection {} to itself or to one at the same position", i, road.from));
    }
  }
  if (graph.border.empty()) fail("border: no border intersections, so no vehicle can enter");
  std::vector<bool> is_border(n, false);
  for (std::uint32_t b : graph.border) {
    if (b >= n) fail(fmt::format("border: intersection {} out of range (there are {})", b, n));
    if (is_border[b]) fail(fmt::format("border: intersection {} listed twice", b));
    is_border[b] = true;
  }
  std::vector<bool> has_exit(n, false);
  for (const BorderExit& exit : graph.exits) {
    if (exit.intersection >= n || !is_border[exit.intersection]) {
      fail(fmt::format("exits: intersection {} is not a border intersection", exit.intersection));
    }
    if (!std::isfinite(exit.heading_rad)) fail(fmt::format("exits: heading at {} is not finite", exit.intersection));
    has_exit[exit.intersection] = true;
  }
  std::vector<bool> has_road(n, false);
  for (const Road& road : graph.roads) has_road[road.from] = has_road[road.to] = true;
  for (std::uint32_t b : graph.border) {
    if (!has_road[b]) fail(fmt::format("border: intersection {} has no road into the city", b));
    if (!graph.exits.empty() && !has_exit[b]) fail(fmt::format("exits: border intersection {} has no exit", b));
  }

  if (!finite_non_negative(config.entry_rate_per_s)) fail("entry_rate_per_s: must be a finite rate >= 0");
  const SpeedSpec& speed = config.speed;
  switch (speed.distribution) {
    case SpeedDistribution::deterministic:
      if (!(std::isfinite(speed.mean_mps) && speed.mean_mps > 0)) fail("speed.mean_mps: must be > 0");
      break;
    case SpeedDistribution::uniform:
    case SpeedDistribution::normal:
      if (!(std::isfinite(speed.min_mps) && speed.min_mps > 0)) fail("speed.min_mps: must be > 0");
      if (!(std::isfinite(speed.max_mps) && speed.max_mps >= speed.min_mps)) {
        fail("speed.max_mps: must be >= speed.min_mps");
      }
      if (speed.distribution == SpeedDistribution::normal &&
          !(std::isfinite(speed.mean_mps) && std::isfinite(speed.sd_mps) && speed.sd_mps > 0)) {
        fail("speed: normal needs a finite mean_mps and sd_mps > 0");
      }
      break;
  }
  const TurnWeights& turns = config.turns;
  if (!finite_non_negative(turns.straight) || !finite_non_negative(turns.left) || !finite_non_negative(turns.right)) {
    fail("turns: weights must be finite and >= 0");
  }
  if (!finite_non_negative(config.view_radius_m)) fail("view_radius_m: must be finite and >= 0");
  if (!config.camera_view_radius_m.empty() && config.camera_view_radius_m.size() != camera_count) {
    fail(
        fmt::format("camera_view_radius_m: {} radii for {} cameras", config.camera_view_radius_m.size(), camera_count));
  }
  for (double radius : config.camera_view_radius_m) {
    if (!finite_non_negative(radius)) fail("camera_view_radius_m: every radius must be finite and >= 0");
  }
  if (config.trigger == TriggerMode::per_frame && config.frame_interval <= Duration::zero()) {
    fail("frame_interval: must be > 0 for per-frame triggers");
  }
  if (!(config.blacklisted_fraction >= 0 && config.blacklisted_fraction <= 1)) {
    fail("blacklisted_fraction: must be in [0, 1]");
  }
  if (config.max_route_roads == 0) fail("max_route_roads: must be >= 1");
}

RoadGraph grid_roads(const std::vector<Point>& camera_positions, std::uint32_t columns) {
  if (camera_positions.empty()) throw TrafficConfigError("grid roads: no camera positions");
  if (columns == 0) throw TrafficConfigError("grid roads: columns must be >= 1");
  const auto count = static_cast<std::uint32_t>(camera_positions.size());
  constexpr double kEast = 0;
  constexpr double kNorth = std::numbers::pi / 2;
  constexpr double kWest = std::numbers::pi;
  constexpr double kSouth = -std::numbers::pi / 2;

  RoadGraph graph;
  graph.intersections = camera_positions;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t column = i % columns;
    const bool has_east = column + 1 < columns && i + 1 < count;
    const bool has_north = i + columns < count;
    const bool has_west = column > 0;
    const bool has_south = i >= columns;
    if (has_east) graph.roads.push_back({i, i + 1});
    if (has_north) graph.roads.push_back({i, i + columns});
    const std::size_t exits_before = graph.exits.size();
    if (!has_east) graph.exits.push_back({i, kEast});
    if (!has_north) graph.exits.push_back({i, kNorth});
    if (!has_west) graph.exits.push_back({i, kWest});
    if (!has_south) graph.exits.push_back({i, kSouth});
    if (graph.exits.size() > exits_before) graph.border.push_back(i);
  }
  // A single intersection has no road to enter by; there is no street grid to drive.
  if (graph.roads.empty()) throw TrafficConfigError("grid roads: a grid of one intersection has no roads");
  return graph;
}

RoadNetwork::RoadNetwork(const TrafficConfig& config, const std::vector<Point>& cameras) : turn_weights_(config.turns) {
  validate(config, cameras.size());
  build_roads(config);
  build_views(config, cameras);
}

void RoadNetwork::append_turn_options(Vec heading, std::span<const std::pair<Vec, std::int32_t>> candidates,
                                      bool by_turn, std::vector<TurnOption>& options) const {
  // Weights first, held in `cumulative`, then turned into cumulative probabilities.
  const std::size_t first = options.size();
  if (!by_turn) {
    for (const auto& [direction, next] : candidates) options.push_back({1.0, next});
  } else {
    enum Kind : std::uint8_t { straight, left, right };
    std::vector<double> change(candidates.size());
    double smallest = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      change[i] = heading_change(heading, candidates[i].first);
      smallest = std::min(smallest, std::abs(change[i]));
    }
    const auto tied = std::count_if(change.begin(), change.end(),
                                    [&](double c) { return std::abs(c) - smallest <= kAngleTolerance; });
    std::vector<Kind> kind(candidates.size());
    std::array<int, 3> per_kind{};
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      const bool is_straight = tied == 1 && std::abs(change[i]) - smallest <= kAngleTolerance;
      kind[i] = is_straight ? straight : change[i] > 0 ? left : right;
      ++per_kind[kind[i]];
    }
    const std::array<double, 3> weight{turn_weights_.straight, turn_weights_.left, turn_weights_.right};
    double available = 0;
    for (int k = 0; k < 3; ++k) available += per_kind[k] > 0 ? weight[k] : 0;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
      options.push_back({available > 0 ? weight[kind[i]] / per_kind[kind[i]] : 1.0, candidates[i].second});
    }
  }
  double total = 0;
  for (std::size_t i = first; i < options.size(); ++i) total += options[i].cumulative;
  double running = 0;
  for (std::size_t i = first; i < options.size(); ++i) {
    running += options[i].cumulative;
    options[i].cumulative = running / total;
  }
  options.back().cumulative = 1.0;  // so that a draw below 1 always finds an option
}

void RoadNetwork::build_roads(const TrafficConfig& config) {
  const RoadGraph& graph = config.roads;
  const auto n = static_cast<std::uint32_t>(graph.intersections.size());

  // Outgoing directed roads of each intersection.
  std::vector<std::uint32_t> out_begin(n + 1, 0);
  std::vector<std::uint32_t> from_of(2 * graph.roads.size());
  roads_.reserve(2 * graph.roads.size());
  for (const Road& road : graph.roads) {
    const Vec along = graph.intersections[road.to] - graph.intersections[road.from];
    const double length = norm(along);
    const Vec unit{along.x / length, along.y / length};
    from_of[roads_.size()] = road.from;
    roads_.push_back({road.to, length, unit});
    from_of[roads_.size()] = road.to;
    roads_.push_back({road.from, length, {-unit.x, -unit.y}});
    ++out_begin[road.from + 1];
    ++out_begin[road.to + 1];
  }
  for (std::uint32_t i = 0; i < n; ++i) out_begin[i + 1] += out_begin[i];
  std::vector<std::uint32_t> outgoing(roads_.size());
  {
    std::vector<std::uint32_t> fill(out_begin.begin(), out_begin.end() - 1);
    for (std::uint32_t d = 0; d < roads_.size(); ++d) outgoing[fill[from_of[d]]++] = d;
  }

  // Exit directions of each intersection, given or derived.
  const bool exits_given = !graph.exits.empty();
  std::vector<BorderExit> exits = graph.exits;
  if (!exits_given) {
    Vec centre;
    for (const Point& p : graph.intersections) centre = {centre.x + p.x_m / n, centre.y + p.y_m / n};
    for (std::uint32_t b : graph.border) {
      Vec inward;
      for (std::uint32_t i = out_begin[b]; i < out_begin[b + 1]; ++i) {
        inward = {inward.x + roads_[outgoing[i]].direction.x, inward.y + roads_[outgoing[i]].direction.y};
      }
      if (norm(inward) < 1e-9) {
        const Point& p = graph.intersections[b];
        inward = {centre.x - p.x_m, centre.y - p.y_m};
        if (norm(inward) < 1e-9) {
          throw TrafficConfigError(
              fmt::format("border: cannot tell which way intersection {} leaves the city; give its exits", b));
        }
      }
      exits.push_back({b, std::atan2(-inward.y, -inward.x)});
    }
  }
  std::vector<std::uint32_t> exit_begin(n + 1, 0);
  for (const BorderExit& e : exits) ++exit_begin[e.intersection + 1];
  for (std::uint32_t i = 0; i < n; ++i) exit_begin[i + 1] += exit_begin[i];
  std::vector<Vec> exit_direction(exits.size());
  {
    std::vector<std::uint32_t> fill(exit_begin.begin(), exit_begin.end() - 1);
    for (const BorderExit& e : exits) exit_direction[fill[e.intersection]++] = heading_vector(e.heading_rad);
  }

  // Turn options on arriving by each directed road.
  std::vector<std::pair<Vec, std::int32_t>> candidates;
  turn_begin_.reserve(roads_.size() + 1);
  for (std::uint32_t d = 0; d < roads_.size(); ++d) {
    turn_begin_.push_back(static_cast<std::uint32_t>(turns_.size()));
    const std::uint32_t at = roads_[d].to;
    const std::uint32_t back = d ^ 1U;
    candidates.clear();
    for (std::uint32_t i = out_begin[at]; i < out_begin[at + 1]; ++i) {
      if (outgoing[i] != back)
        candidates.emplace_back(roads_[outgoing[i]].direction, static_cast<std::int32_t>(outgoing[i]));
    }
    for (std::uint32_t i = exit_begin[at]; i < exit_begin[at + 1]; ++i) {
      candidates.emplace_back(exit_direction[i], kLeave);
    }
    if (candidates.empty())
      candidates.emplace_back(roads_[back].direction, static_cast<std::int32_t>(back));  // a dead end
    append_turn_options(roads_[d].direction, candidates, true, turns_);
  }
  turn_begin_.push_back(static_cast<std::uint32_t>(turns_.size()));

  // Entry options for each exit of each border intersection, in border order.
  for (std::uint32_t b : graph.border) {
    border_exit_begin_.push_back(static_cast<std::uint32_t>(entry_begin_.size()));
    for (std::uint32_t e = exit_begin[b]; e < exit_begin[b + 1]; ++e) {
      entry_begin_.push_back(static_cast<std::uint32_t>(entries_.size()));
      candidates.clear();
      for (std::uint32_t i = out_begin[b]; i < out_begin[b + 1]; ++i) {
        candidates.emplace_back(roads_[outgoing[i]].direction, static_cast<std::int32_t>(outgoing[i]));
      }
      const Vec into_city{-exit_direction[e].x, -exit_direction[e].y};
      append_turn_options(into_city, candidates, exits_given, entries_);
    }
  }
  border_exit_begin_.push_back(static_cast<std::uint32_t>(entry_begin_.size()));
  entry_begin_.push_back(static_cast<std::uint32_t>(entries_.size()));
}

void RoadNetwork::build_views(const TrafficConfig& config, const std::vector<Point>& cameras) {
  const RoadGraph& graph = config.roads;
  auto radius_of = [&](std::uint32_t camera) {
    return config.camera_view_radius_m.empty() ? config.view_radius_m : config.camera_view_radius_m[camera];
  };
  double largest_radius = 0;
  for (std::uint32_t c = 0; c < cameras.size(); ++c) largest_radius = std::max(largest_radius, radius_of(c));
  const CameraGrid grid(cameras, largest_radius);

  view_begin_.reserve(roads_.size() + 1);
  for (std::uint32_t d = 0; d < roads_.size(); ++d) {
    view_begin_.push_back(static_cast<std::uint32_t>(views_.size()));
    const DirectedRoad& road = roads_[d];
    const Point start = graph.intersections[roads_[d ^ 1U].to];
    const Point finish = graph.intersections[road.to];
    const Point low{std::min(start.x_m, finish.x_m) - largest_radius, std::min(start.y_m, finish.y_m) - largest_radius};
    const Point high{std::max(start.x_m, finish.x_m) + largest_radius,
                     std::max(start.y_m, finish.y_m) + largest_radius};
    const auto first = views_.size();
    grid.for_each_near(low, high, [&](std::uint32_t camera) {
      // |start + s * direction - camera| <= radius  <=>  (s - along)^2 <= radius^2 - across^2.
      const Vec offset = cameras[camera] - start;
      const double along = dot(offset, road.direction);
      const double across = cross(road.direction, offset);
      const double radius = radius_of(camera);
      const double half_chord_squared = radius * radius - across * across;
      if (half_chord_squared <= 0) return;
      const double half_chord = std::sqrt(half_chord_squared);
      const double enter = along - half_chord;
      const double leave = along + half_chord;
      if (leave <= 0 || enter >= road.length_m) return;
      views_.push_back(
          {camera, std::max(enter, 0.0), std::min(leave, road.length_m), enter <= 0, leave >= road.length_m});
    });
    std::sort(views_.begin() + static_cast<std::ptrdiff_t>(first), views_.end(),
              [](const CameraView& x, const CameraView& y) {
                return x.enter_m != y.enter_m ? x.enter_m < y.enter_m : x.camera < y.camera;
              });
  }
  view_begin_.push_back(static_cast<std::uint32_t>(views_.size()));
}

}  // namespace fogsched::sim
