#include "fogsched/core/result_text.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace fogsched {
namespace {

constexpr int kSignificantWithoutInterval = 4;

// `value` rounded to `decimals` places (negative: to tens, hundreds, ...), as text.
std::string fixed(double value, int decimals) {
  if (decimals >= 0) return fmt::format("{:.{}f}", value, decimals);
  const double unit = std::pow(10.0, -decimals);
  return fmt::format("{:.0f}", std::round(value / unit) * unit);
}

// Decimal exponent of the leading digit: 0.0123 -> -2, 176 -> 2.
int leading_exponent(double magnitude) { return static_cast<int>(std::floor(std::log10(magnitude))); }

std::string negative_zero_free(std::string text) {
  // "-0.00" after rounding a tiny negative mean reads as zero.
  if (!text.empty() && text.front() == '-' && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

}  // namespace

EstimateText round_to_interval(const Estimate& estimate, double scale) {
  const double mean = estimate.mean * scale;
  const double half_width = estimate.ci95 * scale;
  if (!std::isfinite(mean)) return {"n/a", {}};
  if (!std::isfinite(half_width) || half_width <= 0) {
    if (mean == 0) return {"0", std::isfinite(half_width) ? "0" : ""};
    const int decimals = std::max(0, kSignificantWithoutInterval - 1 - leading_exponent(std::abs(mean)));
    return {negative_zero_free(fixed(mean, decimals)), std::isfinite(half_width) ? "0" : ""};
  }
  int exponent = leading_exponent(half_width);
  // The three leading digits, 100-999 (corrected where log10 lands one off).
  double leading = std::round(half_width / std::pow(10.0, exponent - 2));
  if (leading >= 1000) {
    ++exponent;
    leading = std::round(half_width / std::pow(10.0, exponent - 2));
  } else if (leading < 100) {
    --exponent;
    leading = std::round(half_width / std::pow(10.0, exponent - 2));
  }
  int significant = 2;
  if (leading >= 950) {
    ++exponent;  // rounds up to 1000: 10^(exponent + 1), two significant digits
  } else if (leading >= 355) {
    significant = 1;
  }
  const int decimals = significant - 1 - exponent;
  return {negative_zero_free(fixed(mean, decimals)), fixed(half_width, decimals)};
}

namespace {

constexpr double kMs = 1000.0;

constexpr std::array kComparison{
    MetricColumn{"rejection", "rejection", &PolicyResult::rejection_probability, 1, Better::lower},
    MetricColumn{"forwarded", "forwarded", &PolicyResult::forwarded_fraction, 1, Better::lower},
    MetricColumn{"probes", "probes/inv", &PolicyResult::probes_per_invocation, 1, Better::lower},
    MetricColumn{"resp_mean", "resp mean [ms]", &PolicyResult::response_mean_s, kMs, Better::lower},
    MetricColumn{"resp_p50", "resp p50 [ms]", &PolicyResult::response_p50_s, kMs, Better::lower},
    MetricColumn{"resp_p95", "resp p95 [ms]", &PolicyResult::response_p95_s, kMs, Better::lower},
    MetricColumn{"resp_p99", "resp p99 [ms]", &PolicyResult::response_p99_s, kMs, Better::lower},
    MetricColumn{"deadline_miss", "deadline miss", &PolicyResult::deadline_miss_rate, 1, Better::lower},
    MetricColumn{"failed", "failed", &PolicyResult::failed_fraction, 1, Better::lower, true},
    MetricColumn{"timeouts", "timeouts/inv", &PolicyResult::timeouts_per_invocation, 1, Better::lower, true},
    // Utilisation follows from the load carried; higher is neither better nor worse.
    MetricColumn{"utilization", "utilization", &PolicyResult::utilization, 1, Better::neither},
    MetricColumn{"jain", "jain", &PolicyResult::jain_fairness, 1, Better::higher},
};

constexpr std::array kAlerts{
    MetricColumn{"alerts", "alerts delivered", &PolicyResult::alerts_delivered, 1, Better::higher},
    MetricColumn{"alert_mean", "alert mean [s]", &PolicyResult::alert_latency_mean_s, 1, Better::lower},
    MetricColumn{"alert_p95", "alert p95 [s]", &PolicyResult::alert_latency_p95_s, 1, Better::lower},
    MetricColumn{"alert_p99", "alert p99 [s]", &PolicyResult::alert_latency_p99_s, 1, Better::lower},
    MetricColumn{"blacklisted_missed", "blacklisted missed", &PolicyResult::blacklisted_missed_fraction, 1,
                 Better::lower},
    MetricColumn{"uplink_utilization", "uplink utilization", &PolicyResult::uplink_utilization, 1, Better::neither},
};

}  // namespace

std::span<const MetricColumn> comparison_metrics() { return kComparison; }
std::span<const MetricColumn> alert_metrics() { return kAlerts; }

std::vector<std::string_view> metric_names() {
  std::vector<std::string_view> names;
  for (const std::span<const MetricColumn> catalogue : {comparison_metrics(), alert_metrics()}) {
    for (const MetricColumn& metric : catalogue) names.push_back(metric.name);
  }
  return names;
}

const MetricColumn* find_metric(std::string_view name) {
  for (const std::span<const MetricColumn> catalogue : {comparison_metrics(), alert_metrics()}) {
    const auto found =
        std::find_if(catalogue.begin(), catalogue.end(), [name](const MetricColumn& m) { return m.name == name; });
    if (found != catalogue.end()) return &*found;
  }
  return nullptr;
}

namespace {

bool any_nonzero(const std::vector<PolicyResult>& results, const MetricColumn& metric) {
  return std::any_of(results.begin(), results.end(), [&](const PolicyResult& r) {
    const double mean = (r.*metric.estimate).mean;
    return std::isfinite(mean) && mean != 0;
  });
}

constexpr std::array<std::string_view, 3> kAlertTriggers{"alerts", "blacklisted_missed", "uplink_utilization"};

}  // namespace

bool metric_applies(const std::vector<PolicyResult>& results, const MetricColumn& metric) {
  return !metric.shown_when_nonzero || any_nonzero(results, metric);
}

bool has_alerts(const std::vector<PolicyResult>& results) {
  return std::any_of(kAlertTriggers.begin(), kAlertTriggers.end(),
                     [&](std::string_view name) { return any_nonzero(results, *find_metric(name)); });
}

std::optional<std::size_t> best_policy(const std::vector<PolicyResult>& results, const MetricColumn& metric) {
  if (metric.better == Better::neither || results.size() < 2) return std::nullopt;
  std::optional<std::size_t> best;
  bool tied = false;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const double mean = (results[i].*metric.estimate).mean;
    if (!std::isfinite(mean)) continue;
    const double best_mean = best ? (results[*best].*metric.estimate).mean : 0;
    if (!best || (metric.better == Better::lower ? mean < best_mean : mean > best_mean)) {
      best = i;
      tied = false;
    } else if (mean == best_mean) {
      tied = true;
    }
  }
  return tied ? std::nullopt : best;
}

}  // namespace fogsched
