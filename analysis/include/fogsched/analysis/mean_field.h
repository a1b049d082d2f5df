#pragma once
// The mean-field (N -> infinity) limit of threshold_random and power_of_d on
// identical loss nodes (Q = 0): arrival rate lambda per node, service rate mu per
// slot, K slots, threshold T, d probes.
//
// Let s_k be the fraction of nodes with load >= k (s_0 = 1, s_{K+1} = 0) and
// x_k = s_k - s_{k+1} the fraction with load exactly k. A node "overflows" when it
// cannot keep a client arrival by the threshold rule: load >= t with t = min(T, K)
// (load < T and a free slot keep it). As N grows, the peers a node forwards to or
// probes are a sample from the x_k, independent of the node itself, and
//
//   ds_k/dt = U_{k-1} - k mu x_k,   k = 1..K,
//
// where U_j is the rate (per node of the cluster) at which nodes go from load j to
// j + 1, and k mu x_k the rate at which they come down from k.
//
// threshold_random: an overflowing node forwards to a uniform peer, which accepts
// when it has a free slot:
//   U_j = lambda x_j [j < t] + lambda s_t x_j [j < K]
//   rejection = s_t s_K,   forwarded = s_t.
//
// power_of_d: an overflowing node at load i probes d peers; their least load m has
// P(m >= j) = s_j^d. It forwards to that peer when m < i (the peer then has a free
// slot, as m < i <= K), else keeps the invocation when i < K, else rejects it:
//   U_j = lambda x_j [j < t] + lambda x_j s_j^d [t <= j < K]
//         + lambda s_{max(t, j+1)} (s_j^d - s_{j+1}^d)
//   rejection = s_K^{d+1},   forwarded = sum_{i >= t} x_i (1 - s_i^d).
// The last term of U_j: nodes at load >= max(t, j + 1) overflow and find a least
// loaded probed peer at exactly j.
//
// In both, the mean number of busy slots per node is sum_k k x_k = sum_{k>=1} s_k,
// and throughput balances: lambda (1 - rejection) = mu sum_k s_k.
//
// The fixed point is the steady state of this ODE, integrated from the empty
// cluster with classical Runge-Kutta (step 1 / (2 (lambda (1 + d) + K mu)), inside
// the stability region: every rate in the system is below lambda (1 + d) + K mu)
// until max_k |ds_k/dt| <= kMeanFieldTolerance (lambda + K mu).
#include <cstdint>
#include <vector>

#include "fogsched/analysis/markov_model.h"

namespace fogsched::analysis {

// Stopping rule of the integration: the largest drift relative to the total rate.
inline constexpr double kMeanFieldTolerance = 1e-13;

struct MeanFieldSolution {
  double rejection_probability = 0;
  double forwarded_fraction = 0;
  double mean_busy_per_node = 0;
  std::vector<double> tail;  // s_0 .. s_K: fraction of nodes with load >= k
  double drift = 0;          // max_k |ds_k/dt| at the fixed point, per second
  std::uint64_t steps = 0;   // integration steps taken
};

// Throws AnalysisError when the node is not a loss node, the policy is not
// threshold_random or power_of_d, or the integration does not settle.
MeanFieldSolution solve_mean_field(const NodeModel& node, const MarkovPolicy& policy);

}  // namespace fogsched::analysis
