#pragma once
// Single-station results: Erlang-B (M/M/K/K) and the M/M/K/K+Q loss system with a
// finite queue. Under `local` every camera is such a station on its own.
#include <cstdint>

#include "fogsched/analysis/markov_model.h"

namespace fogsched::analysis {

// Erlang-B blocking probability B(K, A) for offered load A = lambda / mu (Erlang)
// on K servers, by the recursion B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)), which
// stays in [0, 1] at every step (no factorials, no overflow).
double erlang_b(double offered_load, std::uint32_t slots);

struct StationMetrics {
  double blocking_probability = 0;  // an arrival finds slots and queue full
  double mean_busy = 0;             // mean number of busy slots
  double mean_in_system = 0;        // mean number running + queued
  double throughput_per_s = 0;      // accepted arrivals per second
};

// The M/M/K/K+Q station (Erlang-B when Q = 0). With p_n the stationary
// probabilities, p_n / p_K for n <= K sums to 1 / B(K, A) and p_{K+j} / p_K =
// rho^j with rho = A / K, so B and a geometric sum give every quantity.
StationMetrics station_metrics(const NodeModel& node);

}  // namespace fogsched::analysis
