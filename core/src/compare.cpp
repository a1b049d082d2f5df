// Comparing two result documents metric by metric.
#include "fogsched/core/compare.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "estimate_json.h"
#include "text_table.h"

namespace fogsched {
namespace {

struct MetricInfo {
  const char* key;    // in JSON
  const char* label;  // in the table
  Estimate PolicyResult::*field;
  double scale;  // for display only
  int decimals;
};

constexpr double kMilliseconds = 1000.0;

constexpr MetricInfo kMetrics[] = {
    {"rejection_probability", "rejection probability", &PolicyResult::rejection_probability, 1, 4},
    {"forwarded_fraction", "forwarded fraction", &PolicyResult::forwarded_fraction, 1, 4},
    {"probes_per_invocation", "probes per invocation", &PolicyResult::probes_per_invocation, 1, 3},
    {"response_mean_s", "response mean [ms]", &PolicyResult::response_mean_s, kMilliseconds, 1},
    {"response_p50_s", "response p50 [ms]", &PolicyResult::response_p50_s, kMilliseconds, 1},
    {"response_p95_s", "response p95 [ms]", &PolicyResult::response_p95_s, kMilliseconds, 1},
    {"response_p99_s", "response p99 [ms]", &PolicyResult::response_p99_s, kMilliseconds, 1},
    {"deadline_miss_rate", "deadline-miss rate", &PolicyResult::deadline_miss_rate, 1, 4},
    {"utilization", "utilization", &PolicyResult::utilization, 1, 3},
    {"failed_fraction", "failed fraction", &PolicyResult::failed_fraction, 1, 4},
};

const MetricInfo* metric_info(std::string_view key) {
  const auto it =
      std::find_if(std::begin(kMetrics), std::end(kMetrics), [key](const MetricInfo& m) { return key == m.key; });
  return it == std::end(kMetrics) ? nullptr : it;
}

std::string format_number(double value, const MetricInfo& info) {
  return std::isfinite(value) ? fmt::format("{:.{}f}", value * info.scale, info.decimals) : "n/a";
}

std::string format_estimate(const Estimate& e, const MetricInfo& info) {
  if (!std::isfinite(e.mean)) return "n/a";
  if (!std::isfinite(e.ci95)) return format_number(e.mean, info);
  return format_number(e.mean, info) + " ± " + format_number(e.ci95, info);
}

std::string format_signed(double value, const MetricInfo& info) {
  return std::isfinite(value) ? fmt::format("{:+.{}f}", value * info.scale, info.decimals) : "n/a";
}

using Json = detail::OrderedJson;

double number_from(const Json& j) { return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>(); }

using detail::estimate_json;
using detail::number_or_null;

Estimate estimate_from(const Json& j) { return {number_from(j.at("mean")), number_from(j.at("ci95"))}; }

}  // namespace

MetricComparison compare_metric(std::string metric, const Estimate& a, const Estimate& b) {
  MetricComparison c;
  c.metric = std::move(metric);
  c.a = a;
  c.b = b;
  c.difference = b.mean - a.mean;
  c.combined_ci95 = std::hypot(a.ci95, b.ci95);
  // hypot(inf, NaN) is inf: a missing interval must stay missing.
  if (!std::isfinite(a.ci95) || !std::isfinite(b.ci95)) c.combined_ci95 = std::numeric_limits<double>::quiet_NaN();
  if (std::isfinite(c.difference) && std::isfinite(c.combined_ci95)) {
    c.within_ci = std::abs(c.difference) <= c.combined_ci95;
  }
  return c;
}

std::vector<MetricComparison> compare_results(const PolicyResult& a, const PolicyResult& b) {
  std::vector<MetricComparison> metrics;
  for (const MetricInfo& info : kMetrics) metrics.push_back(compare_metric(info.key, a.*info.field, b.*info.field));
  return metrics;
}

ReportComparison compare_reports(const RunReport& a, const RunReport& b) {
  ReportComparison comparison{.scenario_a = a.scenario, .scenario_b = b.scenario, .policies = {}};
  if (a.results.size() == 1 && b.results.size() == 1) {
    comparison.policies.push_back({.policy_a = a.results.front().policy,
                                   .policy_b = b.results.front().policy,
                                   .metrics = compare_results(a.results.front(), b.results.front())});
    return comparison;
  }
  for (const PolicyResult& in_a : a.results) {
    const auto in_b = std::find_if(b.results.begin(), b.results.end(),
                                   [&](const PolicyResult& r) { return r.policy == in_a.policy; });
    if (in_b == b.results.end()) continue;
    comparison.policies.push_back(
        {.policy_a = in_a.policy, .policy_b = in_b->policy, .metrics = compare_results(in_a, *in_b)});
  }
  return comparison;
}

std::string format_comparison(const ReportComparison& comparison) {
  std::string out = fmt::format(
      "A: scenario {}; B: scenario {}. ± is the 95 % confidence half-width; combined = sqrt(ciA² + ciB²); "
      "within: |B - A| <= combined\n",
      comparison.scenario_a, comparison.scenario_b);
  if (comparison.policies.empty()) return out + "\nno policy appears in both\n";
  for (const PolicyComparison& policy : comparison.policies) {
    out += policy.policy_a == policy.policy_b ? fmt::format("\n{}\n", policy.policy_a)
                                              : fmt::format("\nA {} vs B {}\n", policy.policy_a, policy.policy_b);
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"metric", "A", "B", "B - A", "combined", "within"});
    for (const MetricComparison& m : policy.metrics) {
      const MetricInfo* info = metric_info(m.metric);
      const MetricInfo shown = info ? *info : MetricInfo{"", m.metric.c_str(), nullptr, 1, 4};
      rows.push_back({shown.label, format_estimate(m.a, shown), format_estimate(m.b, shown),
                      format_signed(m.difference, shown), format_number(m.combined_ci95, shown),
                      m.within_ci ? (*m.within_ci ? "yes" : "no") : "n/a"});
    }
    out += detail::aligned_table(rows);
  }
  return out;
}

std::string to_json(const ReportComparison& comparison, int indent) {
  Json policies = Json::array();
  for (const PolicyComparison& policy : comparison.policies) {
    Json metrics = Json::array();
    for (const MetricComparison& m : policy.metrics) {
      Json entry = Json::object();
      entry["metric"] = m.metric;
      entry["a"] = estimate_json(m.a);
      entry["b"] = estimate_json(m.b);
      entry["difference"] = number_or_null(m.difference);
      entry["combined_ci95"] = number_or_null(m.combined_ci95);
      entry["within_ci"] = m.within_ci ? Json(*m.within_ci) : Json(nullptr);
      metrics.push_back(std::move(entry));
    }
    Json entry = Json::object();
    entry["policy_a"] = policy.policy_a;
    entry["policy_b"] = policy.policy_b;
    entry["metrics"] = std::move(metrics);
    policies.push_back(std::move(entry));
  }
  Json document = Json::object();
  document["a"] = Json{{"scenario", comparison.scenario_a}};
  document["b"] = Json{{"scenario", comparison.scenario_b}};
  document["policies"] = std::move(policies);
  return document.dump(indent);
}

ReportComparison report_comparison_from_json(const std::string& text) {
  try {
    const Json document = Json::parse(text);
    ReportComparison comparison;
    comparison.scenario_a = document.at("a").at("scenario").get<std::string>();
    comparison.scenario_b = document.at("b").at("scenario").get<std::string>();
    for (const Json& policy : document.at("policies")) {
      PolicyComparison p{.policy_a = policy.at("policy_a").get<std::string>(),
                         .policy_b = policy.at("policy_b").get<std::string>(),
                         .metrics = {}};
      for (const Json& m : policy.at("metrics")) {
        MetricComparison metric;
        metric.metric = m.at("metric").get<std::string>();
        metric.a = estimate_from(m.at("a"));
        metric.b = estimate_from(m.at("b"));
        metric.difference = number_from(m.at("difference"));
        metric.combined_ci95 = number_from(m.at("combined_ci95"));
        if (!m.at("within_ci").is_null()) metric.within_ci = m.at("within_ci").get<bool>();
        p.metrics.push_back(std::move(metric));
      }
      comparison.policies.push_back(std::move(p));
    }
    return comparison;
  } catch (const Json::exception& e) {
    throw std::invalid_argument(fmt::format("comparison JSON: {}", e.what()));
  }
}

}  // namespace fogsched
