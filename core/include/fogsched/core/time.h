#pragma once
// Integer-nanosecond time shared by the simulator and live mode.
//
// `Time` is a point on the scenario's clock (0 = start of the run in the simulator,
// the Unix epoch in live mode); `Duration` is a signed span. Both are
// std::chrono types over int64 nanoseconds, so units never convert implicitly to
// or from bare numbers.
#include <chrono>
#include <cstdint>

namespace fogsched {

using Duration = std::chrono::nanoseconds;

// A clock tag with no now(): reading a clock is the runtime's job, never a policy's.
struct ScenarioClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = Duration;
  using time_point = std::chrono::time_point<ScenarioClock, Duration>;
  static constexpr bool is_steady = true;
};

using Time = ScenarioClock::time_point;

constexpr Time time_at(Duration since_start) { return Time{since_start}; }

constexpr double to_seconds(Duration d) { return static_cast<double>(d.count()) * 1e-9; }
constexpr double to_seconds(Time t) { return to_seconds(t.time_since_epoch()); }

// Rounds to the nearest nanosecond; the caller guarantees the value is finite and in range.
constexpr Duration from_seconds(double s) {
  const double ns = s * 1e9;
  return Duration{static_cast<std::int64_t>(ns < 0 ? ns - 0.5 : ns + 0.5)};
}

}  // namespace fogsched
