#pragma once
// The gateway's Prometheus metrics, as the host exposes them on metrics_listen:
// gateway_function_invocation_started, gateway_function_invocation_total{code},
// gateway_functions_seconds (histogram, Prometheus' default buckets) and
// gateway_service_count, each labelled with function_name = "name.namespace"; and the
// host's own gateway_async_queue_depth.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fogsched::live {

class GatewayMetrics {
 public:
  void started(const std::string& function);
  void finished(const std::string& function, unsigned code, double seconds);
  // Invocations that ended, whatever their code: the API's invocationCount.
  double invocations(const std::string& function) const;
  // The text exposition; `replicas` gives gateway_service_count per function, and
  // `async_queue_depth` the queue's gauge when the host has a queue.
  std::string exposition(const std::vector<std::pair<std::string, std::uint64_t>>& replicas,
                         std::optional<std::uint64_t> async_queue_depth) const;

 private:
  static constexpr std::array<double, 11> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // cumulative: observations <= bound
    double sum = 0;
    std::uint64_t count = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> started_;
  std::map<std::pair<std::string, unsigned>, Histogram> finished_;  // by (function, code)
};

}  // namespace fogsched::live
