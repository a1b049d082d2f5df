#include "fogsched/core/service_time.h"

#include <cmath>
#include <numeric>
#include <utility>

namespace fogsched {

double ServiceTimeSpec::mean_seconds() const {
  switch (dist) {
    case ServiceDist::exponential:
    case ServiceDist::deterministic:
    case ServiceDist::lognormal: return to_seconds(mean);
    case ServiceDist::uniform: return (to_seconds(min) + to_seconds(max)) / 2;
    case ServiceDist::empirical:
      if (samples_s.empty()) return 0;
      return std::accumulate(samples_s.begin(), samples_s.end(), 0.0) / static_cast<double>(samples_s.size());
  }
  return 0;
}

ServiceTimeDistribution::ServiceTimeDistribution(ServiceTimeSpec spec) : spec_(std::move(spec)) {
  if (spec_.dist == ServiceDist::lognormal && spec_.mean > Duration::zero()) {
    const double sigma2 = std::log1p(spec_.cv * spec_.cv);
    lognormal_sigma_ = std::sqrt(sigma2);
    lognormal_mu_ = std::log(to_seconds(spec_.mean)) - sigma2 / 2;
  }
}

double ServiceTimeDistribution::sample_s(Rng& rng) const {
  switch (spec_.dist) {
    case ServiceDist::exponential: return rng.exponential(to_seconds(spec_.mean));
    case ServiceDist::deterministic: return to_seconds(spec_.mean);
    case ServiceDist::uniform: return rng.uniform(to_seconds(spec_.min), to_seconds(spec_.max));
    case ServiceDist::lognormal:
      if (spec_.mean <= Duration::zero()) return 0;
      return std::exp(lognormal_mu_ + lognormal_sigma_ * rng.standard_normal());
    case ServiceDist::empirical:
      if (spec_.samples_s.empty()) return 0;
      return spec_.samples_s[rng.uniform_index(spec_.samples_s.size())];
  }
  return 0;
}

}  // namespace fogsched
