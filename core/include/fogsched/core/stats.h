#pragma once
// Summary statistics: confidence intervals over replications and a streaming
// quantile histogram for response times.
#include <cstdint>
#include <span>
#include <vector>

namespace fogsched {

// A metric estimated over replications: the mean and the half-width of its 95 %
// confidence interval (Student t with R-1 degrees of freedom). ci95 is NaN when
// there is a single replication (no interval can be given).
struct Estimate {
  double mean = 0;
  double ci95 = 0;
};

Estimate estimate(std::span<const double> per_replication);

// Two-sided 95 % Student t quantile t(0.975, dof), dof >= 1.
double student_t_975(std::uint32_t dof);

// Log-linear histogram of non-negative values (HdrHistogram's layout): exact below
// 2^-20 s granularity is not needed, so values are kept with a relative error of at
// most 2^-kSubBucketBits (about 0.4 %). Constant memory whatever the count; merges.
class QuantileHistogram {
 public:
  static constexpr int kSubBucketBits = 8;

  void record(double value);
  void merge(const QuantileHistogram& other);
  // Bytes of buckets a histogram holds once it recorded values up to `max_value`:
  // buckets are dense up to the largest value's, so this bounds its size.
  static std::size_t bytes_to_hold(double max_value);

  std::uint64_t count() const { return count_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double max() const { return max_; }
  // q in [0, 1]; 0 when empty. The value returned is within the relative error bound
  // of the exact sample quantile (nearest-rank definition).
  double quantile(double q) const;

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
  double max_ = 0;
};

// Jain's fairness index (sum x)^2 / (n * sum x^2): 1 when all equal, 1/n at worst.
// 1 for an empty or all-zero input.
double jain_fairness(std::span<const double> values);

}  // namespace fogsched
