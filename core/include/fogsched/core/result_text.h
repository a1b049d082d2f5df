#pragma once
// How results read: each estimate rounded to the precision its confidence interval
// supports, and the catalogue of the comparison's metrics (name, header, unit, which
// way is better). The CLI's table and the HTML report both read them from here.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fogsched/core/results.h"
#include "fogsched/core/stats.h"

namespace fogsched {

// A mean and its 95 % half-width as text, rounded by the Particle Data Group's rule
// (Review of Particle Physics, "Rounding"): the half-width keeps two significant
// digits when its three leading digits are 100-354, one when they are 355-949, and
// 950-999 round up to 1000 with two; the mean is rounded to the same decimal place.
// Without an interval (one replication) the mean keeps four significant digits;
// an exact zero (no spread) reads "0".
struct EstimateText {
  std::string mean;        // "n/a" when the mean is not a number
  std::string half_width;  // empty when there is no interval
  std::string joined() const { return half_width.empty() ? mean : mean + " ± " + half_width; }
};
// `scale` converts to the displayed unit first (1000 for seconds shown in ms).
EstimateText round_to_interval(const Estimate& estimate, double scale = 1.0);

enum class Better : std::uint8_t { lower, higher, neither };

// One metric of the comparison table. `shown_when_nonzero`: a column only when some
// policy has a non-zero value (faults), so other scenarios keep their table.
struct MetricColumn {
  std::string_view name;    // what --metrics takes
  std::string_view header;  // with its unit
  Estimate PolicyResult::*estimate;
  double scale;  // to the header's unit
  Better better;
  bool shown_when_nonzero = false;
};

// The metrics of the main comparison table, in column order.
std::span<const MetricColumn> comparison_metrics();
// The blacklist-alert metrics (traffic workloads), a table of their own.
std::span<const MetricColumn> alert_metrics();
// Every metric's name, the comparison's then the alerts', as --metrics takes them.
std::vector<std::string_view> metric_names();
// The column called `name` in either catalogue, or nothing.
const MetricColumn* find_metric(std::string_view name);

// Whether a table of `results` has the column at all: always, or for a column shown
// only when non-zero, when some policy's mean is a non-zero number.
bool metric_applies(const std::vector<PolicyResult>& results, const MetricColumn& metric);
// Whether the alert table is shown: the scenario has blacklisted traffic (latencies
// cannot occur without delivered alerts).
bool has_alerts(const std::vector<PolicyResult>& results);

// The policy (index into `results`) with the best mean of a metric, when exactly one
// has it: nothing for a tie (six policies that never probe have no best among them),
// for a metric with no better direction, or for fewer than two policies.
std::optional<std::size_t> best_policy(const std::vector<PolicyResult>& results, const MetricColumn& metric);

}  // namespace fogsched
