#pragma once
// Two result documents side by side (`fogsched compare A.json B.json`): for each
// policy both hold, every headline metric with its difference B - A and whether that
// difference lies within the combined 95 % confidence half-width.
#include <optional>
#include <string>
#include <vector>

#include "fogsched/core/results.h"
#include "fogsched/core/stats.h"

namespace fogsched {

struct MetricComparison {
  std::string metric;  // e.g. "rejection_probability", "response_p95_s"
  Estimate a;
  Estimate b;
  double difference = 0;     // b.mean - a.mean
  double combined_ci95 = 0;  // sqrt(a.ci95^2 + b.ci95^2); NaN when either is missing
  // |difference| <= combined_ci95; empty when an interval (or a mean) is missing.
  std::optional<bool> within_ci;
};

struct PolicyComparison {
  std::string policy_a;
  std::string policy_b;  // the same as policy_a unless two single results were paired
  std::vector<MetricComparison> metrics;
};

struct ReportComparison {
  std::string scenario_a;
  std::string scenario_b;
  std::vector<PolicyComparison> policies;  // in A's order
};

// The metrics compared, in order: rejection probability, forwarded fraction, probes
// per invocation, response mean/p50/p95/p99, deadline-miss rate, utilisation, failed
// fraction.
MetricComparison compare_metric(std::string metric, const Estimate& a, const Estimate& b);
std::vector<MetricComparison> compare_results(const PolicyResult& a, const PolicyResult& b);

// Pairs policies with the same name; when each report holds exactly one result, pairs
// those two whatever their names. Policy names are compared as given, so callers
// canonicalise them first.
ReportComparison compare_reports(const RunReport& a, const RunReport& b);

// One table per policy: metric, A mean ± ci95, B mean ± ci95, B - A, combined
// half-width, within (yes / no / n/a).
std::string format_comparison(const ReportComparison& comparison);

// {"a": {"scenario"}, "b": {...}, "policies": [{"policy_a", "policy_b", "metrics":
// [{"metric", "a": {mean, ci95}, "b": {...}, "difference", "combined_ci95",
// "within_ci"}]}]}; NaN and a missing verdict are null.
std::string to_json(const ReportComparison& comparison, int indent = 2);
ReportComparison report_comparison_from_json(const std::string& text);

}  // namespace fogsched
