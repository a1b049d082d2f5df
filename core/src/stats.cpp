// Confidence intervals over replications, the log-linear quantile histogram and
// Jain's fairness index.
#include "fogsched/core/stats.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <boost/math/distributions/students_t.hpp>

namespace fogsched {

double student_t_975(std::uint32_t dof) {
  if (dof == 0) throw std::invalid_argument("student_t_975: degrees of freedom must be >= 1");
  const boost::math::students_t distribution(static_cast<double>(dof));
  return boost::math::quantile(distribution, 0.975);
}

Estimate estimate(std::span<const double> per_replication) {
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const std::size_t n = per_replication.size();
  if (n == 0) return {nan, nan};

  double sum = 0;
  for (const double x : per_replication) sum += x;
  const double mean = sum / static_cast<double>(n);
  if (n == 1) return {mean, nan};

  double squared_deviations = 0;
  for (const double x : per_replication) squared_deviations += (x - mean) * (x - mean);
  const double sample_sd = std::sqrt(squared_deviations / static_cast<double>(n - 1));
  const double half_width =
      student_t_975(static_cast<std::uint32_t>(n - 1)) * sample_sd / std::sqrt(static_cast<double>(n));
  return {mean, half_width};
}

// Layout (as in HdrHistogram): values are counted in integer ticks of 2^-20 s (about
// 0.95 µs, the lowest resolvable value). Bucket 0 holds ticks [0, 2^(B+1)) one tick
// per slot; bucket b >= 1 holds [2^(B+b), 2^(B+b+1)) in 2^B slots of 2^b ticks. A
// slot's width is thus at most 2^-B of the values in it, and the slot's midpoint is
// within 2^-(B+1) of any of them. Bucket b >= 1 shares its lower half with bucket b-1's
// range, so it only stores its upper 2^B slots: the flat index of (b, sub) is
// (b + 1) * 2^B + sub - 2^B.
namespace {

constexpr double kTicksPerSecond = 1024.0 * 1024.0;
constexpr int kHalfSubBuckets = 1 << QuantileHistogram::kSubBucketBits;
constexpr std::uint64_t kSubBucketMask = (std::uint64_t{1} << (QuantileHistogram::kSubBucketBits + 1)) - 1;
// Values beyond this (about 278 years) are clamped; no response time gets near it.
constexpr std::uint64_t kMaxTicks = std::uint64_t{1} << 53;

struct Slot {
  int bucket;
  std::uint64_t sub_bucket;
};

Slot slot_of(std::uint64_t ticks) {
  const auto magnitude = static_cast<int>(std::bit_width(ticks | kSubBucketMask));  // >= B + 1
  const int bucket = magnitude - (QuantileHistogram::kSubBucketBits + 1);
  return {bucket, ticks >> bucket};
}

std::size_t flat_index(Slot s) {
  return static_cast<std::size_t>(s.bucket + 1) * kHalfSubBuckets + s.sub_bucket - kHalfSubBuckets;
}

// Inverse of flat_index: the midpoint of the slot, in seconds.
double slot_midpoint_seconds(std::size_t index) {
  const std::size_t bucket_plus_one = index / kHalfSubBuckets;
  const int bucket = bucket_plus_one == 0 ? 0 : static_cast<int>(bucket_plus_one) - 1;
  const std::uint64_t sub_bucket = index - static_cast<std::size_t>(bucket) * kHalfSubBuckets;
  const std::uint64_t lowest_tick = sub_bucket << bucket;
  const double width = std::ldexp(1.0, bucket);
  return (static_cast<double>(lowest_tick) + width / 2) / kTicksPerSecond;
}

std::size_t index_of(double value) {
  const double scaled = std::min(value * kTicksPerSecond, static_cast<double>(kMaxTicks));
  return flat_index(slot_of(static_cast<std::uint64_t>(scaled)));
}

}  // namespace

std::size_t QuantileHistogram::bytes_to_hold(double max_value) {
  return (index_of(std::max(max_value, 0.0)) + 1) * sizeof(std::uint64_t);
}

void QuantileHistogram::record(double value) {
  if (!(value >= 0)) {
    throw std::invalid_argument("QuantileHistogram::record: value must be non-negative, got " + std::to_string(value));
  }
  const std::size_t index = index_of(value);
  if (index >= buckets_.size()) buckets_.resize(index + 1, 0);
  ++buckets_[index];
  ++count_;
  sum_ += value;
  max_ = std::max(max_, value);
}

void QuantileHistogram::merge(const QuantileHistogram& other) {
  if (other.buckets_.size() > buckets_.size()) buckets_.resize(other.buckets_.size(), 0);
  for (std::size_t i = 0; i < other.buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

double QuantileHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank: the smallest value with at least ceil(q * n) values at or below it.
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(slot_midpoint_seconds(i), max_);
  }
  return max_;
}

double jain_fairness(std::span<const double> values) {
  double sum = 0;
  double sum_of_squares = 0;
  for (const double x : values) {
    sum += x;
    sum_of_squares += x * x;
  }
  if (values.empty() || sum_of_squares == 0) return 1.0;
  return sum * sum / (static_cast<double>(values.size()) * sum_of_squares);
}

}  // namespace fogsched
