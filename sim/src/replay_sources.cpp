#include "fogsched/sim/replay_sources.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "fogsched/core/azure2019.h"

namespace fogsched::sim {
namespace {

constexpr std::int64_t kMinuteNs = std::chrono::nanoseconds(std::chrono::minutes(1)).count();

// The k-th of n arrivals spread evenly over a minute: exact in nanoseconds, and
// without overflow for counts beyond 2^63 / 60e9.
std::int64_t even_offset_ns(std::int64_t k, std::int64_t n) {
  constexpr std::int64_t kExactBelow = std::numeric_limits<std::int64_t>::max() / kMinuteNs;
  if (k < kExactBelow) return k * kMinuteNs / n;
  return static_cast<std::int64_t>(static_cast<double>(k) / static_cast<double>(n) * static_cast<double>(kMinuteNs));
}

// Trace time to run time.
Time replayed_at(const AzureSpec& spec, std::int64_t since_window_ns) {
  if (spec.speedup == 1) return Time{Duration{since_window_ns}};
  return Time{Duration{std::llround(static_cast<double>(since_window_ns) / spec.speedup)}};
}

}  // namespace

AzurePlacementRule::AzurePlacementRule(const AzureSpec& spec, std::vector<std::uint32_t> cameras,
                                       const std::vector<std::uint32_t>& function_app, Rng rng)
    : placement_(spec.placement), cameras_(std::move(cameras)), function_app_(&function_app), rng_(rng) {
  std::partial_sum(spec.weights.begin(), spec.weights.end(), std::back_inserter(cumulative_weights_));
}

std::uint32_t AzurePlacementRule::camera(std::uint32_t function) {
  switch (placement_) {
    case AzurePlacement::per_app: return cameras_[(*function_app_)[function] % cameras_.size()];
    case AzurePlacement::spread: return cameras_[rng_.uniform_index(cameras_.size())];
    case AzurePlacement::weighted: {
      const double u = rng_.uniform01() * cumulative_weights_.back();
      const auto pick = std::upper_bound(cumulative_weights_.begin(), cumulative_weights_.end(), u);
      const auto i = static_cast<std::size_t>(pick - cumulative_weights_.begin());
      return cameras_[std::min(i, cameras_.size() - 1)];
    }
  }
  return cameras_.front();
}

Azure2019Replay::Azure2019Replay(const AzureSpec& spec, std::uint32_t function, std::vector<std::uint32_t> cameras,
                                 AzureStreams streams)
    : spec_(&spec),
      function_(function),
      placement_(spec, std::move(cameras), spec.trace2019->function_app, streams.cameras),
      time_rng_(streams.times),
      service_rng_(streams.service),
      carried_(spec.trace2019->functions.size(), 0.0),
      next_count_(spec.trace2019->function_start.begin(), spec.trace2019->function_start.end() - 1) {}

void Azure2019Replay::fill_next_minute() {
  const AzureInvocations2019& trace = *spec_->trace2019;
  minute_.clear();
  taken_ = 0;
  const std::int64_t window_ns = spec_->selection.window_from.count();
  while (minute_.empty() && next_minute_ < trace.minutes) {
    const std::uint32_t m = next_minute_++;
    const std::int64_t start_ns = m * kMinuteNs;
    for (std::uint32_t f = 0; f < next_count_.size(); ++f) {
      if (next_count_[f] == trace.function_start[f + 1] || trace.counts[next_count_[f]].minute != m) continue;
      const MinuteCount& c = trace.counts[next_count_[f]++];
      const double expected = c.count * spec_->scale;
      if (spec_->minute_rule == AzureMinuteRule::even) {
        carried_[f] += expected;
        const auto n = static_cast<std::int64_t>(std::floor(carried_[f]));
        carried_[f] -= static_cast<double>(n);
        for (std::int64_t k = 0; k < n; ++k) minute_.push_back({start_ns + even_offset_ns(k, n), f});
      } else {
        const double mean_gap_ns = static_cast<double>(kMinuteNs) / expected;
        double t = static_cast<double>(start_ns);
        for (;;) {
          t += time_rng_.exponential(mean_gap_ns);
          if (t >= static_cast<double>(start_ns + kMinuteNs)) break;
          minute_.push_back({static_cast<std::int64_t>(t), f});
        }
      }
    }
    // In time order; equal times keep the order of the functions.
    std::stable_sort(minute_.begin(), minute_.end(),
                     [](const Pending& a, const Pending& b) { return a.at_ns < b.at_ns; });
    for (Pending& p : minute_) p.at_ns = replayed_at(*spec_, p.at_ns - window_ns).time_since_epoch().count();
  }
}

Time Azure2019Replay::next_time() {
  if (taken_ == minute_.size()) fill_next_minute();
  if (taken_ == minute_.size()) return Time::max();
  return Time{Duration{minute_[taken_].at_ns}};
}

ReplayedArrival Azure2019Replay::take() {
  const Pending& p = minute_[taken_++];
  return {.camera = placement_.camera(p.function),
          .function = function_,
          .work_s = spec_->trace2019->service[p.function].sample_s(service_rng_),
          .payload_bytes = std::nullopt};
}

Azure2021Replay::Azure2021Replay(const AzureSpec& spec, std::uint32_t function, std::vector<std::uint32_t> cameras,
                                 AzureStreams streams)
    : spec_(&spec),
      function_(function),
      placement_(spec, std::move(cameras), spec.trace2021->function_app, streams.cameras),
      reader_(*spec.trace2021) {}

Time Azure2021Replay::next_time() {
  if (!next_) next_ = reader_.next();
  if (!next_) return Time::max();
  return replayed_at(*spec_, next_->start.count());
}

ReplayedArrival Azure2021Replay::take() {
  const AzureCall2021 call = *next_;
  next_.reset();
  return {.camera = placement_.camera(call.function),
          .function = function_,
          .work_s = static_cast<double>(call.duration.count()) / 1e9,  // the recorded seconds, to the nanosecond
          .payload_bytes = std::nullopt};
}

TraceReplay::TraceReplay(const ArrivalSpec& arrivals, const std::vector<FunctionSpec>& functions, Rng rng)
    : cursor_(*arrivals.trace), functions_(&arrivals.trace_functions), rng_(rng) {
  for (const FunctionSpec& f : functions) service_.emplace_back(f.service_time);
}

ReplayedArrival TraceReplay::take() {
  const TraceArrival& arrival = cursor_.take();
  const std::uint32_t function = (*functions_)[arrival.function];
  return {.camera = arrival.camera,
          .function = function,
          .work_s = service_[function].sample_s(rng_),
          .payload_bytes = arrival.payload_bytes};
}

}  // namespace fogsched::sim
