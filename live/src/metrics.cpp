#include "fogsched/live/metrics.h"

#include <cmath>

#include <fmt/format.h>

namespace fogsched::live {

void LatencyHistogram::observe(double seconds) noexcept {
  std::size_t bucket = 0;
  while (bucket < kBounds.size() && seconds > kBounds[bucket]) ++bucket;
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(std::max(seconds, 0.0) * 1e6)),
                        std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void LatencyHistogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  const std::string separator = labels.empty() ? "" : ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string bound = i < kBounds.size() ? fmt::format("{}", kBounds[i]) : "+Inf";
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, separator, bound, cumulative);
  }
  const std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
  out += fmt::format("{}_sum{} {}\n", name, braces, static_cast<double>(sum_micros_.load()) / 1e6);
  out += fmt::format("{}_count{} {}\n", name, braces, count_.load());
}

void render_metric_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void render_sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  if (labels.empty()) {
    out += fmt::format("{} {}\n", name, value);
  } else {
    out += fmt::format("{}{{{}}} {}\n", name, labels, value);
  }
}

std::string escape_label_value(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      escaped += '\\';
      escaped += c;
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

}  // namespace fogsched::live
