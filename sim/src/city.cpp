#include "fogsched/sim/city.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "fogsched/core/rng.h"
#include "stream_labels.h"

namespace fogsched::sim {

RateProfile::RateProfile(std::vector<ProfileStep> steps, Duration period) : steps_(std::move(steps)), period_(period) {}

double RateProfile::factor_at(Time t) const {
  if (steps_.empty()) return 1.0;
  Duration offset = t.time_since_epoch();
  if (period_ > Duration::zero()) offset %= period_;
  // The last step at or before `offset`; before the first step the factor is 1.
  auto after = std::upper_bound(steps_.begin(), steps_.end(), offset,
                                [](Duration value, const ProfileStep& s) { return value < s.at; });
  return after == steps_.begin() ? 1.0 : std::prev(after)->factor;
}

Time RateProfile::next_change_after(Time t) const {
  if (steps_.empty()) return Time::max();
  const Duration since_start = t.time_since_epoch();
  Duration cycle_start{};
  Duration offset = since_start;
  if (period_ > Duration::zero()) {
    offset = since_start % period_;
    cycle_start = since_start - offset;
  }
  auto next = std::upper_bound(steps_.begin(), steps_.end(), offset,
                               [](Duration value, const ProfileStep& s) { return value < s.at; });
  if (next != steps_.end()) return Time{cycle_start + next->at};
  if (period_ > Duration::zero()) return Time{cycle_start + period_};
  return Time::max();
}

namespace {

std::uint32_t grid_columns_of(const CamerasSpec& cams) {
  return cams.columns > 0 ? cams.columns
                          : static_cast<std::uint32_t>(std::ceil(std::sqrt(static_cast<double>(cams.count))));
}

std::vector<Point> layout_positions(const Scenario& scenario) {
  const CamerasSpec& cams = scenario.cameras;
  std::vector<Point> positions;
  positions.reserve(cams.count);
  switch (cams.layout) {
    case Layout::grid: {
      const std::uint32_t columns = grid_columns_of(cams);
      for (std::uint32_t i = 0; i < cams.count; ++i) {
        const std::uint32_t column = i % columns;
        const std::uint32_t row = i / columns;
        positions.push_back({static_cast<double>(column) * cams.spacing_m, static_cast<double>(row) * cams.spacing_m});
      }
      break;
    }
    case Layout::random: {
      Rng rng(derive_seed(scenario.seed, {stream::kLayout}));
      for (std::uint32_t i = 0; i < cams.count; ++i) {
        const double x = rng.uniform(0.0, cams.area_width_m);
        positions.push_back({x, rng.uniform(0.0, cams.area_height_m)});
      }
      break;
    }
    case Layout::explicit_positions: positions = cams.positions; break;
  }
  return positions;
}

// `count` distinct elements of `from`, drawn uniformly (partial Fisher-Yates).
std::vector<std::uint32_t> draw_distinct(std::vector<std::uint32_t> from, std::uint32_t count, Rng& rng) {
  count = std::min<std::uint32_t>(count, static_cast<std::uint32_t>(from.size()));
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto j = i + static_cast<std::uint32_t>(rng.uniform_index(from.size() - i));
    std::swap(from[i], from[j]);
  }
  from.resize(count);
  return from;
}

// One value per camera from a spread: listed, or drawn with the scenario seed.
std::vector<double> spread_values(const CameraValueSpread& spread, std::uint32_t cameras, bool integers,
                                  std::uint64_t seed) {
  if (spread.kind == CameraValueSpread::Kind::list) return spread.values;
  Rng rng(seed);
  std::vector<double> out(cameras);
  const double total_weight = std::accumulate(spread.weights.begin(), spread.weights.end(), 0.0);
  for (double& v : out) {
    if (spread.kind == CameraValueSpread::Kind::uniform) {
      v = integers ? spread.min +
                         static_cast<double>(rng.uniform_index(static_cast<std::uint64_t>(spread.max - spread.min) + 1))
                   : rng.uniform(spread.min, spread.max);
    } else {
      double pick = rng.uniform01() * total_weight;
      std::size_t i = 0;
      while (i + 1 < spread.values.size() && pick >= spread.weights[i]) pick -= spread.weights[i++];
      v = spread.values[i];
    }
  }
  return out;
}

}  // namespace

City::City(const Scenario& scenario)
    : camera_count_(scenario.cameras.count), network_(scenario.network), cloud_spec_(scenario.cloud) {
  const CamerasSpec& cams = scenario.cameras;
  if (cams.layout == Layout::grid) grid_columns_ = grid_columns_of(cams);
  const std::vector<Point> positions = layout_positions(scenario);
  nodes_.reserve(cams.count + 1);
  for (std::uint32_t i = 0; i < cams.count; ++i) {
    nodes_.push_back({positions[i], cams.slots, cams.queue, cams.speed});
  }
  if (cams.slots_spread) {
    const auto slots =
        spread_values(*cams.slots_spread, cams.count, true, derive_seed(scenario.seed, {stream::kCameraValues, 0}));
    for (std::uint32_t i = 0; i < cams.count; ++i) nodes_[i].slots = static_cast<std::uint32_t>(slots[i]);
  }
  if (cams.speed_spread) {
    const auto speeds =
        spread_values(*cams.speed_spread, cams.count, false, derive_seed(scenario.seed, {stream::kCameraValues, 1}));
    for (std::uint32_t i = 0; i < cams.count; ++i) nodes_[i].speed = speeds[i];
  }
  for (const CameraOverride& o : cams.overrides) {
    for (std::uint32_t c : o.cameras) {
      if (o.slots) nodes_[c].slots = *o.slots;
      if (o.queue) nodes_[c].queue = *o.queue;
      if (o.speed) nodes_[c].speed = *o.speed;
    }
  }
  if (scenario.cloud.enabled) {
    cloud_ = NodeId{static_cast<std::uint32_t>(nodes_.size())};
    nodes_.push_back({Point{}, scenario.cloud.slots, scenario.cloud.queue, scenario.cloud.speed});
  }

  for (std::uint32_t w = 0; w < scenario.workload.size(); ++w) {
    const WorkloadSpec& work = scenario.workload[w];
    const ArrivalSpec& arrivals = work.arrivals;
    profiles_.emplace_back(arrivals.profile, arrivals.profile_period);
    // Only Poisson and MMPP arrivals come in per-camera streams: the others bring
    // their own arrivals.
    if (arrivals.process != ArrivalProcess::poisson && arrivals.process != ArrivalProcess::mmpp) continue;

    std::vector<std::uint32_t> cameras = work.cameras;
    if (cameras.empty()) {
      cameras.resize(cams.count);
      for (std::uint32_t i = 0; i < cams.count; ++i) cameras[i] = i;
    }
    const double mean_s = scenario.functions[work.function_index].service_time.mean_seconds();
    const double default_slots = cams.slots_spread ? cams.slots_spread->mean() : cams.slots;
    const double default_speed = cams.speed_spread ? cams.speed_spread->mean() : cams.speed;
    const double base_rate = arrivals.process == ArrivalProcess::mmpp ? 1.0
                             : arrivals.rate_per_s                    ? *arrivals.rate_per_s
                                                   : *arrivals.load * default_slots * default_speed / mean_s;

    std::vector<double> rate(cams.count, 0.0);
    for (std::uint32_t c : cameras) rate[c] = base_rate;
    std::vector<std::uint32_t> hot = arrivals.hotspot_cameras;
    if (hot.empty() && arrivals.hotspot_count > 0) {
      Rng rng(derive_seed(scenario.seed, {stream::kHotspots, w}));
      hot = draw_distinct(cameras, arrivals.hotspot_count, rng);
    }
    for (std::uint32_t c : hot) rate[c] *= arrivals.hotspot_factor;
    for (const auto& [camera, camera_rate] : arrivals.camera_rates) rate[camera] = camera_rate;

    for (std::uint32_t c = 0; c < cams.count; ++c) {
      if (rate[c] <= 0) continue;
      if (arrivals.process == ArrivalProcess::mmpp) {
        streams_.push_back({c, w, work.function_index, 0, rate[c]});
      } else {
        streams_.push_back({c, w, work.function_index, rate[c], 1});
      }
    }
  }

  for (std::uint32_t i = 0; i < scenario.faults.outages.size(); ++i) {
    const OutageSpec& o = scenario.faults.outages[i];
    std::vector<std::uint32_t> cameras = o.cameras;
    if (cameras.empty()) {
      const auto wanted = o.count > 0 ? o.count : static_cast<std::uint32_t>(std::lround(o.fraction * cams.count));
      std::vector<std::uint32_t> all(cams.count);
      std::iota(all.begin(), all.end(), 0u);
      Rng rng(derive_seed(scenario.seed, {stream::kOutages, i}));
      cameras = draw_distinct(std::move(all), wanted, rng);
      std::sort(cameras.begin(), cameras.end());
    }
    outages_.push_back({std::move(cameras), Time{o.at}, Time{o.at + o.length}});
  }
}

std::vector<Point> City::camera_positions() const {
  std::vector<Point> positions;
  positions.reserve(camera_count_);
  for (std::uint32_t i = 0; i < camera_count_; ++i) positions.push_back(nodes_[i].position);
  return positions;
}

Duration City::one_way(std::uint32_t from, std::uint32_t to, std::uint64_t bytes) const {
  if (from == to) return Duration::zero();
  auto transfer = [bytes](double bandwidth_bps) {
    return bandwidth_bps > 0 ? from_seconds(static_cast<double>(bytes) * 8.0 / bandwidth_bps) : Duration::zero();
  };
  if (cloud_ && (from == cloud_->value || to == cloud_->value)) {
    return cloud_spec_.latency + transfer(cloud_spec_.bandwidth_bps);
  }
  Duration latency = network_.latency_base + transfer(network_.bandwidth_bps);
  if (network_.latency_per_km != Duration::zero()) {
    const Point& a = nodes_[from].position;
    const Point& b = nodes_[to].position;
    const double dx = a.x_m - b.x_m;
    const double dy = a.y_m - b.y_m;
    latency += from_seconds(to_seconds(network_.latency_per_km) * std::sqrt(dx * dx + dy * dy) / 1000.0);
  }
  return latency;
}

}  // namespace fogsched::sim
