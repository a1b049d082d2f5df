// Prometheus text exposition (format 0.0.4) of the gateway's metrics.
#include "host_metrics.h"

#include <fmt/format.h>

namespace fogsched::live {

void GatewayMetrics::started(const std::string& function) {
  std::lock_guard lock(mutex_);
  ++started_[function];
}

void GatewayMetrics::finished(const std::string& function, unsigned code, double seconds) {
  std::lock_guard lock(mutex_);
  Histogram& histogram = finished_[{function, code}];
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++histogram.buckets[i];
  }
  histogram.sum += seconds;
  ++histogram.count;
}

double GatewayMetrics::invocations(const std::string& function) const {
  std::lock_guard lock(mutex_);
  std::uint64_t total = 0;
  for (auto it = finished_.lower_bound({function, 0}); it != finished_.end() && it->first.first == function; ++it) {
    total += it->second.count;
  }
  return static_cast<double>(total);
}

std::string GatewayMetrics::exposition(const std::vector<std::pair<std::string, std::uint64_t>>& replicas,
                                       std::optional<std::uint64_t> async_queue_depth) const {
  std::lock_guard lock(mutex_);
  std::string out;
  out += "# HELP gateway_function_invocation_started The total number of function HTTP requests started.\n";
  out += "# TYPE gateway_function_invocation_started counter\n";
  for (const auto& [function, count] : started_) {
    out += fmt::format("gateway_function_invocation_started{{function_name=\"{}\"}} {}\n", function, count);
  }
  out += "# HELP gateway_function_invocation_total Function metrics\n";
  out += "# TYPE gateway_function_invocation_total counter\n";
  for (const auto& [key, histogram] : finished_) {
    out += fmt::format("gateway_function_invocation_total{{code=\"{}\",function_name=\"{}\"}} {}\n", key.second,
                       key.first, histogram.count);
  }
  out += "# HELP gateway_functions_seconds Function time taken\n";
  out += "# TYPE gateway_functions_seconds histogram\n";
  for (const auto& [key, histogram] : finished_) {
    const auto& [function, code] = key;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("gateway_functions_seconds_bucket{{code=\"{}\",function_name=\"{}\",le=\"{}\"}} {}\n", code,
                         function, kBuckets[i], histogram.buckets[i]);
    }
    out += fmt::format("gateway_functions_seconds_bucket{{code=\"{}\",function_name=\"{}\",le=\"+Inf\"}} {}\n", code,
                       function, histogram.count);
    out += fmt::format("gateway_functions_seconds_sum{{code=\"{}\",function_name=\"{}\"}} {}\n", code, function,
                       histogram.sum);
    out += fmt::format("gateway_functions_seconds_count{{code=\"{}\",function_name=\"{}\"}} {}\n", code, function,
                       histogram.count);
  }
  out += "# HELP gateway_service_count Current count of replicas for function\n";
  out += "# TYPE gateway_service_count gauge\n";
  for (const auto& [function, count] : replicas) {
    out += fmt::format("gateway_service_count{{function_name=\"{}\"}} {}\n", function, count);
  }
  if (async_queue_depth) {
    out += "# HELP gateway_async_queue_depth Async calls accepted and not yet finished.\n";
    out += "# TYPE gateway_async_queue_depth gauge\n";
    out += fmt::format("gateway_async_queue_depth {}\n", *async_queue_depth);
  }
  return out;
}

}  // namespace fogsched::live
