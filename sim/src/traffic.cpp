// The traffic model's vehicles: entries at the border, speeds and routes drawn when a
// vehicle enters, and the ordered release of its events. The street network they
// drive is precomputed once (road_network.h).
#include "fogsched/sim/traffic.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <span>
#include <stdexcept>

#include "fogsched/core/rng.h"
#include "road_network.h"

namespace fogsched::sim {

namespace {

// Sub-streams of the model's seed. Changing a value changes every result for a seed.
constexpr std::uint64_t kEntryStream = 1;      // entry times
constexpr std::uint64_t kRouteStream = 2;      // entry points, speeds, turns
constexpr std::uint64_t kBlacklistStream = 3;  // one draw per vehicle, whatever its route

}  // namespace

Time time_of(const TrafficEvent& event) {
  return std::visit([](const auto& e) { return e.time; }, event);
}

struct TrafficModel::Impl {
  using TurnOption = RoadNetwork::TurnOption;
  struct Pass {
    std::uint32_t camera = 0;
    double enter_s = 0;  // since the vehicle entered
    double leave_s = 0;
  };
  enum class PendingKind : std::uint8_t { entered, trigger, left };
  struct Pending {
    std::int64_t time_ns = 0;
    std::uint64_t sequence = 0;
    VehicleId vehicle = 0;
    std::int64_t view_enter_ns = 0;
    std::int64_t view_leave_ns = 0;
    std::uint32_t camera = 0;
    PendingKind kind = PendingKind::entered;
    bool blacklisted = false;
  };
  struct Later {
    bool operator()(const Pending& x, const Pending& y) const {
      return x.time_ns != y.time_ns ? x.time_ns > y.time_ns : x.sequence > y.sequence;
    }
  };

  Impl(const TrafficConfig& config, const std::vector<Point>& cameras, std::uint64_t seed, Time end);

  std::int32_t choose(std::span<const TurnOption> options);
  double draw_speed();
  void draw_next_entry(std::int64_t from_ns);
  void admit(std::int64_t time_ns);
  void drive(std::uint32_t road, double start_s, double end_s, double speed_mps);
  void push(const Pending& pending);
  std::optional<Time> peek_time();
  TrafficEvent pop();

  RoadNetwork network_;

  double entry_rate_per_s_ = 0;
  RateProfile entry_profile_;
  SpeedSpec speed_;
  double speed_cdf_low_ = 0;  // truncated normal: the normal CDF at the bounds
  double speed_cdf_high_ = 1;
  bool per_frame_ = false;
  std::int64_t frame_ns_ = 0;
  double blacklisted_fraction_ = 0;
  std::vector<VehicleId> blacklisted_ids_;  // sorted
  std::uint32_t max_route_roads_ = 0;
  std::int64_t end_ns_ = 0;

  Rng entry_rng_;
  Rng route_rng_;
  Rng blacklist_rng_;
  std::int64_t next_entry_ns_ = 0;
  bool has_next_entry_ = false;
  VehicleId next_vehicle_ = 0;

  std::vector<Pending> heap_;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t entered_ = 0;
  std::uint64_t left_ = 0;

  // Scratch for one vehicle's route, kept to reuse its capacity.
  std::vector<Pass> passes_;
  std::vector<std::uint32_t> open_passes_;  // passes in view at the current intersection
  std::vector<std::uint32_t> still_open_;
};

TrafficModel::Impl::Impl(const TrafficConfig& config, const std::vector<Point>& cameras, std::uint64_t seed, Time end)
    : network_(config, cameras),
      entry_rate_per_s_(config.entry_rate_per_s),
      entry_profile_(config.entry_profile),
      speed_(config.speed),
      per_frame_(config.trigger == TriggerMode::per_frame),
      frame_ns_(config.frame_interval.count()),
      blacklisted_fraction_(config.blacklisted_fraction),
      blacklisted_ids_(config.blacklisted_ids),
      max_route_roads_(config.max_route_roads),
      end_ns_(end.time_since_epoch().count()),
      entry_rng_(derive_seed(seed, {kEntryStream})),
      route_rng_(derive_seed(seed, {kRouteStream})),
      blacklist_rng_(derive_seed(seed, {kBlacklistStream})) {
  std::sort(blacklisted_ids_.begin(), blacklisted_ids_.end());
  if (speed_.distribution == SpeedDistribution::normal) {
    const boost::math::normal_distribution<double> normal(speed_.mean_mps, speed_.sd_mps);
    speed_cdf_low_ = boost::math::cdf(normal, speed_.min_mps);
    speed_cdf_high_ = boost::math::cdf(normal, speed_.max_mps);
    if (speed_.max_mps > speed_.min_mps && !(speed_cdf_high_ > speed_cdf_low_)) {
      throw TrafficConfigError("speed: [min_mps, max_mps] lies where the normal distribution has no mass");
    }
  }
  draw_next_entry(0);
}

std::int32_t TrafficModel::Impl::choose(std::span<const TurnOption> options) {
  if (options.size() == 1) return options.front().next;
  const double u = route_rng_.uniform01();
  for (const TurnOption& option : options) {
    if (u < option.cumulative) return option.next;
  }
  return options.back().next;
}

double TrafficModel::Impl::draw_speed() {
  switch (speed_.distribution) {
    case SpeedDistribution::deterministic: return speed_.mean_mps;
    case SpeedDistribution::uniform: return route_rng_.uniform(speed_.min_mps, speed_.max_mps);
    case SpeedDistribution::normal: {
      // Inverse transform over the CDF's range on [min, max]: exact truncation, one draw.
      const double u = route_rng_.uniform(speed_cdf_low_, speed_cdf_high_);
      if (u <= 0) return speed_.min_mps;
      if (u >= 1) return speed_.max_mps;
      const boost::math::normal_distribution<double> normal(speed_.mean_mps, speed_.sd_mps);
      return std::clamp(boost::math::quantile(normal, u), speed_.min_mps, speed_.max_mps);
    }
  }
  return speed_.mean_mps;
}

void TrafficModel::Impl::draw_next_entry(std::int64_t from_ns) {
  // Exact for a piecewise-constant rate: a draw that crosses a rate change is
  // discarded and drawn again from the change (the process is memoryless).
  has_next_entry_ = false;
  Time t{Duration{from_ns}};
  while (t.time_since_epoch().count() < end_ns_) {
    const double rate = entry_rate_per_s_ * entry_profile_.factor_at(t);
    const Time change = entry_profile_.next_change_after(t);
    if (rate <= 0) {
      if (change == Time::max()) return;
      t = change;
      continue;
    }
    const Time candidate = t + from_seconds(entry_rng_.exponential(1.0 / rate));
    if (candidate >= change) {
      t = change;
      continue;
    }
    if (candidate.time_since_epoch().count() < end_ns_) {
      next_entry_ns_ = candidate.time_since_epoch().count();
      has_next_entry_ = true;
    }
    return;
  }
}

void TrafficModel::Impl::push(const Pending& pending) {
  heap_.push_back(pending);
  heap_.back().sequence = next_sequence_++;
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

void TrafficModel::Impl::drive(std::uint32_t road, double start_s, double end_s, double speed_mps) {
  still_open_.clear();
  for (const RoadNetwork::CameraView& view : network_.views_along(road)) {
    // At the road's ends use the exact end times, so a pass continues without a gap.
    const double enter_s = view.from_start ? start_s : start_s + view.enter_m / speed_mps;
    const double leave_s = view.to_end ? end_s : start_s + view.leave_m / speed_mps;
    auto continued = open_passes_.end();
    if (view.from_start) {
      continued = std::find_if(open_passes_.begin(), open_passes_.end(),
                               [&](std::uint32_t p) { return passes_[p].camera == view.camera; });
    }
    std::uint32_t pass = 0;
    if (continued != open_passes_.end()) {
      pass = *continued;
      passes_[pass].leave_s = leave_s;
    } else {
      pass = static_cast<std::uint32_t>(passes_.size());
      passes_.push_back({view.camera, enter_s, leave_s});
    }
    if (view.to_end) still_open_.push_back(pass);
  }
  std::swap(open_passes_, still_open_);
}

void TrafficModel::Impl::admit(std::int64_t time_ns) {
  const VehicleId vehicle = next_vehicle_++;
  const bool drawn_blacklisted = blacklist_rng_.bernoulli(blacklisted_fraction_);
  const bool blacklisted =
      drawn_blacklisted || std::binary_search(blacklisted_ids_.begin(), blacklisted_ids_.end(), vehicle);
  const double speed_mps = draw_speed();

  const auto border = route_rng_.uniform_index(network_.border_count());
  const auto exit = static_cast<std::uint32_t>(route_rng_.uniform_index(network_.exit_count(border)));
  std::int32_t road = choose(network_.entry_options(border, exit));

  push({.time_ns = time_ns, .vehicle = vehicle, .kind = PendingKind::entered, .blacklisted = blacklisted});

  passes_.clear();
  open_passes_.clear();
  double clock_s = 0;  // since entering
  for (std::uint32_t driven = 1;; ++driven) {
    const auto d = static_cast<std::uint32_t>(road);
    const double arrive_s = clock_s + network_.road(d).length_m / speed_mps;
    drive(d, clock_s, arrive_s, speed_mps);
    clock_s = arrive_s;
    if (driven >= max_route_roads_) break;
    road = choose(network_.turns_after(d));
    if (road == RoadNetwork::kLeave) break;
  }

  const Time entered{Duration{time_ns}};
  for (const Pass& pass : passes_) {
    const std::int64_t enter_ns = (entered + from_seconds(pass.enter_s)).time_since_epoch().count();
    const std::int64_t leave_ns = (entered + from_seconds(pass.leave_s)).time_since_epoch().count();
    // A glimpse shorter than a nanosecond is no view at all.
    if (enter_ns >= end_ns_ || leave_ns <= enter_ns) continue;
    push({.time_ns = enter_ns,
          .vehicle = vehicle,
          .view_enter_ns = enter_ns,
          .view_leave_ns = leave_ns,
          .camera = pass.camera,
          .kind = PendingKind::trigger,
          .blacklisted = blacklisted});
  }
  const std::int64_t left_ns = (entered + from_seconds(clock_s)).time_since_epoch().count();
  if (left_ns < end_ns_) {
    push({.time_ns = left_ns, .vehicle = vehicle, .kind = PendingKind::left, .blacklisted = blacklisted});
  }
}

std::optional<Time> TrafficModel::Impl::peek_time() {
  // A vehicle entering at t produces no event before t, so every event before the
  // next entry is final.
  while (has_next_entry_ && (heap_.empty() || next_entry_ns_ < heap_.front().time_ns)) {
    const std::int64_t entry_ns = next_entry_ns_;
    admit(entry_ns);
    draw_next_entry(entry_ns);
  }
  if (heap_.empty() || heap_.front().time_ns >= end_ns_) return std::nullopt;
  return Time{Duration{heap_.front().time_ns}};
}

TrafficEvent TrafficModel::Impl::pop() {
  if (!peek_time()) throw std::logic_error("TrafficModel::pop() with no event left before the end");
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  Pending& event = heap_.back();
  const Time time{Duration{event.time_ns}};
  switch (event.kind) {
    case PendingKind::entered: {
      ++entered_;
      const VehicleEntered entered{time, event.vehicle, event.blacklisted};
      heap_.pop_back();
      return entered;
    }
    case PendingKind::left: {
      ++left_;
      const VehicleLeft left{time, event.vehicle, event.blacklisted};
      heap_.pop_back();
      return left;
    }
    case PendingKind::trigger: {
      const Trigger trigger{time,
                            event.camera,
                            event.vehicle,
                            event.blacklisted,
                            Time{Duration{event.view_enter_ns}},
                            Time{Duration{event.view_leave_ns}}};
      // Per frame, the same record comes back for the next frame of the pass.
      const std::int64_t next_frame_ns = event.time_ns + frame_ns_;
      if (per_frame_ && next_frame_ns < event.view_leave_ns && next_frame_ns < end_ns_) {
        event.time_ns = next_frame_ns;
        event.sequence = next_sequence_++;
        std::push_heap(heap_.begin(), heap_.end(), Later{});
      } else {
        heap_.pop_back();
      }
      return trigger;
    }
  }
  return VehicleLeft{};
}

TrafficModel::TrafficModel(const TrafficConfig& config, const std::vector<Point>& cameras, std::uint64_t seed, Time end)
    : impl_(std::make_unique<Impl>(config, cameras, seed, end)) {}
TrafficModel::~TrafficModel() = default;
TrafficModel::TrafficModel(TrafficModel&&) noexcept = default;
TrafficModel& TrafficModel::operator=(TrafficModel&&) noexcept = default;

std::optional<Time> TrafficModel::peek_time() { return impl_->peek_time(); }
TrafficEvent TrafficModel::pop() { return impl_->pop(); }
std::uint64_t TrafficModel::entered() const noexcept { return impl_->entered_; }
std::uint64_t TrafficModel::left() const noexcept { return impl_->left_; }
std::uint64_t TrafficModel::in_city() const noexcept { return impl_->entered_ - impl_->left_; }

}  // namespace fogsched::sim