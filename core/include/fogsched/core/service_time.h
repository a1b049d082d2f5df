#pragma once
// Draws service demands from a scenario's service-time model. One implementation for
// the simulator and for the local host's synthetic functions, so that both draw the
// same numbers from the same stream.
#include "fogsched/core/rng.h"
#include "fogsched/core/scenario.h"

namespace fogsched {

class ServiceTimeDistribution {
 public:
  explicit ServiceTimeDistribution(ServiceTimeSpec spec);

  // A service demand in seconds (on a node of speed 1). An empirical model without
  // samples, or a lognormal one with mean 0, draws 0.
  double sample_s(Rng& rng) const;

  const ServiceTimeSpec& spec() const noexcept { return spec_; }

 private:
  ServiceTimeSpec spec_;
  // Lognormal: mean m and coefficient of variation cv give sigma^2 = ln(1 + cv^2),
  // mu = ln m - sigma^2 / 2.
  double lognormal_mu_ = 0;
  double lognormal_sigma_ = 0;
};

}  // namespace fogsched
