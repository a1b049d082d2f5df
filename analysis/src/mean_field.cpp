#include "fogsched/analysis/mean_field.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace fogsched::analysis {
namespace {

// The drift of the equations in mean_field.h. `s` holds s_0 .. s_{K+1}.
class Drift {
 public:
  Drift(const NodeModel& node, const MarkovPolicy& policy)
      : lambda_(node.arrival_rate_per_s),
        mu_(node.service_rate_per_s),
        slots_(node.slots),
        overflow_(std::min(policy.threshold, node.slots)),
        d_(static_cast<double>(policy.d)),
        power_of_d_(policy.kind == PolicyKind::power_of_d) {}

  std::uint32_t slots() const { return slots_; }

  // U_j: rate at which nodes move from load j to j + 1.
  double up(const std::vector<double>& s, std::uint32_t j) const {
    const double at_j = s[j] - s[j + 1];
    double rate = j < overflow_ ? lambda_ * at_j : 0.0;
    if (!power_of_d_) {
      if (j < slots_) rate += lambda_ * s[overflow_] * at_j;
      return rate;
    }
    if (j >= overflow_ && j < slots_) rate += lambda_ * at_j * std::pow(s[j], d_);
    rate += lambda_ * s[std::max(overflow_, j + 1)] * (std::pow(s[j], d_) - std::pow(s[j + 1], d_));
    return rate;
  }

  // ds_k/dt for k = 1..K into out[k] (out[0] and out[K+1] stay 0).
  void operator()(const std::vector<double>& s, std::vector<double>& out) const {
    for (std::uint32_t k = 1; k <= slots_; ++k) {
      out[k] = up(s, k - 1) - static_cast<double>(k) * mu_ * (s[k] - s[k + 1]);
    }
  }

  double rejection(const std::vector<double>& s) const {
    return power_of_d_ ? std::pow(s[slots_], d_ + 1) : s[overflow_] * s[slots_];
  }

  double forwarded(const std::vector<double>& s) const {
    if (!power_of_d_) return s[overflow_];
    double total = 0;
    for (std::uint32_t i = overflow_; i <= slots_; ++i) total += (s[i] - s[i + 1]) * (1 - std::pow(s[i], d_));
    return total;
  }

 private:
  double lambda_;
  double mu_;
  std::uint32_t slots_;
  std::uint32_t overflow_;  // t = min(T, K)
  double d_;
  bool power_of_d_;
};

}  // namespace

MeanFieldSolution solve_mean_field(const NodeModel& node, const MarkovPolicy& policy) {
  if (policy.kind != PolicyKind::threshold_random && policy.kind != PolicyKind::power_of_d) {
    throw AnalysisError(
        fmt::format("the mean-field limit covers threshold_random and power_of_d, not {}", to_string(policy.kind)));
  }
  if (node.queue != 0) throw AnalysisError("the mean-field limit is for loss nodes (queue 0)");
  if (node.slots == 0) throw AnalysisError("a node needs at least one slot");
  if (!(node.service_rate_per_s > 0)) throw AnalysisError("a node's service rate must be positive");
  if (!(node.arrival_rate_per_s >= 0)) throw AnalysisError("a node's arrival rate must be >= 0");

  const Drift drift(node, policy);
  const std::uint32_t slots = node.slots;
  const double lambda = node.arrival_rate_per_s;
  const double fastest = lambda * (1 + static_cast<double>(policy.d)) + slots * node.service_rate_per_s;
  const double step = 0.5 / fastest;
  const double tolerance = kMeanFieldTolerance * (lambda + slots * node.service_rate_per_s);
  // Relaxation takes a few mean service times; this bound is orders of magnitude
  // beyond what any load needs, and reached only if something is wrong.
  constexpr std::uint64_t kMaxSteps = 50'000'000;

  const std::size_t size = slots + 2;
  std::vector<double> s(size, 0.0);
  s[0] = 1.0;
  std::vector<double> k1(size, 0.0), k2(size, 0.0), k3(size, 0.0), k4(size, 0.0), probe(size, 0.0);
  const auto offset = [&](const std::vector<double>& slope, double h) {
    for (std::size_t k = 1; k <= slots; ++k) probe[k] = std::clamp(s[k] + h * slope[k], 0.0, 1.0);
    probe[0] = 1.0;
    probe[slots + 1] = 0.0;
  };

  MeanFieldSolution out;
  for (;;) {
    drift(s, k1);
    double largest = 0;
    for (std::size_t k = 1; k <= slots; ++k) largest = std::max(largest, std::abs(k1[k]));
    if (largest <= tolerance) {
      out.drift = largest;
      break;
    }
    if (out.steps == kMaxSteps) {
      throw AnalysisError(
          fmt::format("the mean-field equations did not settle (drift {:.3g} after {} steps)", largest, out.steps));
    }
    offset(k1, step / 2);
    drift(probe, k2);
    offset(k2, step / 2);
    drift(probe, k3);
    offset(k3, step);
    drift(probe, k4);
    for (std::size_t k = 1; k <= slots; ++k) {
      s[k] = std::clamp(s[k] + step / 6 * (k1[k] + 2 * k2[k] + 2 * k3[k] + k4[k]), 0.0, 1.0);
    }
    // s is a tail: non-increasing in k.
    for (std::size_t k = 2; k <= slots; ++k) s[k] = std::min(s[k], s[k - 1]);
    ++out.steps;
  }

  out.rejection_probability = drift.rejection(s);
  out.forwarded_fraction = drift.forwarded(s);
  for (std::size_t k = 1; k <= slots; ++k) out.mean_busy_per_node += s[k];
  out.tail.assign(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(slots) + 1);
  return out;
}

}  // namespace fogsched::analysis
