#include "fogsched/analysis/queueing.h"

#include <cmath>

namespace fogsched::analysis {

double erlang_b(double offered_load, std::uint32_t slots) {
  if (!(offered_load >= 0)) throw AnalysisError("Erlang-B: the offered load must be a number >= 0");
  double blocking = 1.0;
  for (std::uint32_t k = 1; k <= slots; ++k) {
    blocking = offered_load * blocking / (static_cast<double>(k) + offered_load * blocking);
  }
  return blocking;
}

StationMetrics station_metrics(const NodeModel& node) {
  if (!(node.service_rate_per_s > 0)) throw AnalysisError("a node's service rate must be positive");
  if (node.slots == 0) throw AnalysisError("a node needs at least one slot");
  if (node.arrival_rate_per_s == 0) return {};

  const double offered = node.arrival_rate_per_s / node.service_rate_per_s;  // A
  const double slots = node.slots;
  const double b = erlang_b(offered, node.slots);
  if (b == 0) {
    // B underflowed (a light load on many slots): the full states are out of reach.
    return {.blocking_probability = 0,
            .mean_busy = offered,
            .mean_in_system = offered,
            .throughput_per_s = node.arrival_rate_per_s};
  }
  // Relative to p_K: the loss part weighs 1/B with mean A(1-B)/B, queue place j
  // weighs rho^j. For rho > 1 everything is scaled by rho^-Q so nothing overflows.
  const double rho = offered / slots;
  const double log_rho = std::log(rho);
  const double queue = node.queue;
  const double scale_log = rho > 1 ? -queue * log_rho : 0.0;
  const double scale = std::exp(scale_log);

  double total = scale / b;
  double in_system = scale * offered * (1 - b) / b;
  double busy = in_system;
  double top = node.queue == 0 ? scale : 0.0;  // weight of the full state
  for (std::uint32_t j = 1; j <= node.queue; ++j) {
    const double weight = std::exp(static_cast<double>(j) * log_rho + scale_log);
    total += weight;
    busy += slots * weight;
    in_system += (slots + static_cast<double>(j)) * weight;
    if (j == node.queue) top = weight;
  }
  StationMetrics m;
  m.blocking_probability = top / total;
  m.mean_busy = busy / total;
  m.mean_in_system = in_system / total;
  m.throughput_per_s = node.arrival_rate_per_s * (1 - m.blocking_probability);
  return m;
}

}  // namespace fogsched::analysis
