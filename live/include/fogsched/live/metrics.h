#pragma once
// A few Prometheus metrics and their text exposition (format 0.0.4), for /metrics.
// Lock-free to update from any thread; rendering reads a consistent-enough snapshot,
// as Prometheus client libraries do. Debian packages no C++ Prometheus client.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace fogsched::live {

class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// Response-time histogram with fixed buckets in seconds (those of the OpenFaaS
// gateway's gateway_functions_seconds, plus finer ones for a scheduler's overhead).
class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  void observe(double seconds) noexcept;
  // Appends `name_bucket{labels,le=…}`, `name_sum{labels}` and `name_count{labels}`.
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> buckets_{};  // last: +Inf
  std::atomic<std::uint64_t> sum_micros_{0};
  std::atomic<std::uint64_t> count_{0};
};

// `# HELP name help` and `# TYPE name type` lines.
void render_metric_header(std::string& out, std::string_view name, std::string_view type, std::string_view help);
// One sample line: `name{labels} value`.
void render_sample(std::string& out, std::string_view name, std::string_view labels, double value);
// A label value with \, " and newline escaped.
std::string escape_label_value(std::string_view value);

}  // namespace fogsched::live
