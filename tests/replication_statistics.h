#pragma once
// Mean and standard error of the mean over independent replications: what the
// statistical tests compare against known values ("within 3 standard errors").
#include <cmath>
#include <numeric>
#include <vector>

namespace fogsched::testing {

struct MeanAndError {
  double mean = 0;
  double standard_error = 0;
};

// Needs at least two values.
inline MeanAndError mean_and_error(const std::vector<double>& values) {
  const auto n = static_cast<double>(values.size());
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return {mean, std::sqrt(squares / (n - 1) / n)};
}

}  // namespace fogsched::testing
