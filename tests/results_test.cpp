// The result model: outcome counting, per-replication definitions, the JSON schema
// of `fogsched run --json`, the comparison table and the trace CSV.
#include "fogsched/core/results.h"
#include "fogsched/core/result_text.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fogsched {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

InvocationRecord record(std::uint32_t origin, std::uint32_t executed_on, Outcome outcome, Duration arrival,
                        Duration end) {
  InvocationRecord r;
  r.origin = origin;
  r.executed_on = executed_on;
  r.outcome = outcome;
  r.arrival = time_at(arrival);
  r.start = time_at(arrival);
  r.end = time_at(end);
  return r;
}

TEST(MetricsCollector, CountsOutcomesForwardsAndResponseTimes) {
  MetricsCollector m(3);
  m.record(record(0, 0, Outcome::completed, 1s, 3s));  // 2 s, local
  m.record(record(0, 1, Outcome::completed, 2s, 6s));  // 4 s, forwarded
  m.record(record(1, 1, Outcome::rejected, 3s, 3s));
  m.record(record(2, 0, Outcome::rejected, 4s, 4500ms));      // rejected away from origin
  m.record(record(2, 2, Outcome::deadline_missed, 5s, 11s));  // 6 s
  m.record(record(1, 2, Outcome::failed, 6s, 7s));

  // Arrivals are the runtime's to count (in-flight invocations never reach record()).
  EXPECT_EQ(m.client_invocations, 0u);
  EXPECT_EQ(m.completed, 2u);
  EXPECT_EQ(m.rejected, 2u);
  EXPECT_EQ(m.deadline_missed, 1u);
  EXPECT_EQ(m.failed, 1u);
  EXPECT_EQ(m.forwarded, 3u);
  // Response times exist for completed and deadline-missed invocations only.
  EXPECT_EQ(m.response_time_s.count(), 3u);
  EXPECT_DOUBLE_EQ(m.response_time_sum_s, 2.0 + 4.0 + 6.0);
  EXPECT_DOUBLE_EQ(m.response_time_s.max(), 6.0);
}

TEST(MetricsCollector, AccumulatesBusyTimeAndProbes) {
  MetricsCollector m(2);
  m.add_busy_time(1, 1500ms);
  m.add_busy_time(1, 500ms);
  m.add_probe_messages(4);
  m.add_probe_messages(2);
  EXPECT_THAT(m.busy_slot_seconds, ElementsAre(0.0, 2.0));
  EXPECT_EQ(m.probe_messages, 6u);
}

TEST(MetricsCollector, HasAnUplinkPerCameraAndAccumulatesItsBusyTime) {
  MetricsCollector m(3);
  EXPECT_THAT(m.uplink_busy_seconds, ElementsAre(0.0, 0.0, 0.0));
  m.add_uplink_busy_time(2, 250ms);
  m.add_uplink_busy_time(2, 1s);
  m.add_uplink_busy_time(0, 500ms);
  EXPECT_THAT(m.uplink_busy_seconds, ElementsAre(0.5, 0.0, 1.25));
}

TEST(MetricsCollector, RecordsDeliveredAlertLatencies) {
  MetricsCollector m(1);
  m.record_alert_delivered(2s);
  m.record_alert_delivered(3500ms);
  m.record_alert_delivered(4s);
  EXPECT_EQ(m.alerts_delivered, 3u);
  EXPECT_DOUBLE_EQ(m.alert_latency_sum_s, 2.0 + 3.5 + 4.0);
  EXPECT_EQ(m.alert_latency_s.count(), 3u);
  EXPECT_DOUBLE_EQ(m.alert_latency_s.max(), 4.0);
  // Sending and losing alerts is the runtime's to count.
  EXPECT_EQ(m.alerts_sent, 0u);
  EXPECT_EQ(m.alerts_lost, 0u);
}

TEST(MetricsCollector, InvocationRecordsDoNotCountAlerts) {
  MetricsCollector m(1);
  InvocationRecord r = record(0, 0, Outcome::completed, 1s, 2s);
  r.vehicle = 5;
  r.blacklisted = true;
  r.alert_delivered = time_at(4s);
  m.record(r);
  EXPECT_EQ(m.completed, 1u);
  EXPECT_EQ(m.alerts_delivered, 0u);
  EXPECT_EQ(m.alert_latency_s.count(), 0u);
}

TEST(SummarizeReplication, FollowsTheMetricDefinitions) {
  MetricsCollector m(2);
  // 11 client invocations: 6 completed (2 of them forwarded), 3 rejected, 1 late and
  // 1 still in flight at the end.
  m.client_invocations = 11;
  m.in_flight_at_end = 1;
  for (int i = 0; i < 4; ++i) m.record(record(0, 0, Outcome::completed, 0s, 1s));
  for (int i = 0; i < 2; ++i) m.record(record(0, 1, Outcome::completed, 0s, 3s));
  for (int i = 0; i < 3; ++i) m.record(record(1, 1, Outcome::rejected, 0s, 0s));
  m.record(record(1, 1, Outcome::deadline_missed, 0s, 5s));
  m.add_probe_messages(15);
  m.add_busy_time(0, 40s);
  m.add_busy_time(1, 20s);

  // Node 0 has 2 slots, node 1 has 1; a 100 s window.
  const ReplicationSummary s = summarize_replication(m, {2, 1}, 100s);
  EXPECT_EQ(s.invocations, 11u);
  EXPECT_DOUBLE_EQ(s.rejection_probability, 3.0 / 11);
  EXPECT_DOUBLE_EQ(s.forwarded_fraction, 2.0 / 11);
  EXPECT_DOUBLE_EQ(s.probes_per_invocation, 15.0 / 11);
  EXPECT_DOUBLE_EQ(s.deadline_miss_rate, 1.0 / 11);
  EXPECT_DOUBLE_EQ(s.response_mean_s, (4 * 1.0 + 2 * 3.0 + 5.0) / 7);
  const double tolerance = std::ldexp(5.0, -QuantileHistogram::kSubBucketBits);
  EXPECT_NEAR(s.response_p50_s, 1.0, tolerance);
  EXPECT_NEAR(s.response_p95_s, 5.0, tolerance);
  EXPECT_NEAR(s.response_p99_s, 5.0, tolerance);
  // Utilisations 40/(2*100) = 0.2 and 20/(1*100) = 0.2.
  EXPECT_DOUBLE_EQ(s.utilization, 0.2);
  EXPECT_DOUBLE_EQ(s.jain_fairness, 1.0);
}

TEST(SummarizeReplication, FollowsTheFaultDefinitions) {
  MetricsCollector m(2);
  m.client_invocations = 20;
  for (int i = 0; i < 5; ++i) m.record(record(0, 0, Outcome::failed, 0s, 1s));
  for (int i = 0; i < 15; ++i) m.record(record(1, 1, Outcome::completed, 0s, 1s));
  m.arrivals_at_down_nodes = 2;  // already among the failed: no separate metric
  m.forward_timeouts = 3;
  m.probe_timeouts = 4;

  const ReplicationSummary s = summarize_replication(m, {1, 1}, 100s);
  EXPECT_DOUBLE_EQ(s.failed_fraction, 5.0 / 20);
  EXPECT_DOUBLE_EQ(s.timeouts_per_invocation, (3.0 + 4.0) / 20);
}

TEST(SummarizeReplication, FollowsTheAlertDefinitions) {
  MetricsCollector m(4);
  m.alerts_sent = 5;
  m.alerts_lost = 1;
  m.record_alert_delivered(2s);
  m.record_alert_delivered(3s);
  m.record_alert_delivered(4s);
  m.record_alert_delivered(9s);
  m.blacklisted_vehicles = 8;
  m.blacklisted_missed = 2;
  // Uplink shares 0.1, 0.3, 0 and 0 of a 50 s window: the idle cameras count too.
  m.add_uplink_busy_time(0, 5s);
  m.add_uplink_busy_time(1, 15s);

  const ReplicationSummary s = summarize_replication(m, {1, 1, 1, 1}, 50s);
  EXPECT_EQ(s.alerts_delivered, 4.0);
  EXPECT_DOUBLE_EQ(s.alert_latency_mean_s, (2.0 + 3.0 + 4.0 + 9.0) / 4);
  // Nearest rank over {2, 3, 4, 9}: p50 is the 2nd value, p95 and p99 the 4th.
  const double tolerance = std::ldexp(9.0, -QuantileHistogram::kSubBucketBits);
  EXPECT_NEAR(s.alert_latency_p50_s, 3.0, tolerance);
  EXPECT_NEAR(s.alert_latency_p95_s, 9.0, tolerance);
  EXPECT_NEAR(s.alert_latency_p99_s, 9.0, tolerance);
  EXPECT_DOUBLE_EQ(s.blacklisted_missed_fraction, 2.0 / 8);
  EXPECT_DOUBLE_EQ(s.uplink_utilization, (0.1 + 0.3) / 4);
}

TEST(SummarizeReplication, UnevenUtilisationLowersFairness) {
  MetricsCollector m(2);
  m.add_busy_time(0, 60s);
  const ReplicationSummary s = summarize_replication(m, {1, 1}, 100s);
  EXPECT_DOUBLE_EQ(s.utilization, 0.3);
  EXPECT_DOUBLE_EQ(s.jain_fairness, 0.5);
}

TEST(SummarizeReplication, NothingMeasuredGivesZerosNotNaN) {
  const MetricsCollector m(1);
  const ReplicationSummary s = summarize_replication(m, {0}, 0s);
  EXPECT_EQ(s.invocations, 0u);
  EXPECT_EQ(s.rejection_probability, 0.0);
  EXPECT_EQ(s.forwarded_fraction, 0.0);
  EXPECT_EQ(s.probes_per_invocation, 0.0);
  EXPECT_EQ(s.deadline_miss_rate, 0.0);
  EXPECT_EQ(s.response_mean_s, 0.0);
  EXPECT_EQ(s.response_p99_s, 0.0);
  EXPECT_EQ(s.utilization, 0.0);
  EXPECT_EQ(s.failed_fraction, 0.0);
  EXPECT_EQ(s.timeouts_per_invocation, 0.0);
  EXPECT_EQ(s.alerts_delivered, 0.0);
  EXPECT_EQ(s.alert_latency_mean_s, 0.0);
  EXPECT_EQ(s.alert_latency_p50_s, 0.0);
  EXPECT_EQ(s.alert_latency_p95_s, 0.0);
  EXPECT_EQ(s.alert_latency_p99_s, 0.0);
  EXPECT_EQ(s.blacklisted_missed_fraction, 0.0);
  EXPECT_EQ(s.uplink_utilization, 0.0);
}

TEST(SummarizePolicy, EstimatesEachMetricOverReplications) {
  ReplicationSummary a;
  a.invocations = 100;
  a.rejection_probability = 0.1;
  a.response_p95_s = 2.0;
  ReplicationSummary b = a;
  b.invocations = 120;
  b.rejection_probability = 0.3;
  b.response_p95_s = 4.0;

  const PolicyResult r = summarize_policy("local", {a, b});
  EXPECT_EQ(r.policy, "local");
  EXPECT_EQ(r.replications, 2u);
  EXPECT_EQ(r.invocations, 220u);
  const std::vector<double> rejection = {0.1, 0.3};
  EXPECT_DOUBLE_EQ(r.rejection_probability.mean, estimate(rejection).mean);
  EXPECT_DOUBLE_EQ(r.rejection_probability.ci95, estimate(rejection).ci95);
  EXPECT_DOUBLE_EQ(r.response_p95_s.mean, 3.0);
  EXPECT_DOUBLE_EQ(r.forwarded_fraction.ci95, 0.0);
}

TEST(SummarizePolicy, EstimatesTheFaultAndAlertMetrics) {
  const std::vector<std::pair<double ReplicationSummary::*, Estimate PolicyResult::*>> metrics = {
      {&ReplicationSummary::failed_fraction, &PolicyResult::failed_fraction},
      {&ReplicationSummary::timeouts_per_invocation, &PolicyResult::timeouts_per_invocation},
      {&ReplicationSummary::alerts_delivered, &PolicyResult::alerts_delivered},
      {&ReplicationSummary::alert_latency_mean_s, &PolicyResult::alert_latency_mean_s},
      {&ReplicationSummary::alert_latency_p50_s, &PolicyResult::alert_latency_p50_s},
      {&ReplicationSummary::alert_latency_p95_s, &PolicyResult::alert_latency_p95_s},
      {&ReplicationSummary::alert_latency_p99_s, &PolicyResult::alert_latency_p99_s},
      {&ReplicationSummary::blacklisted_missed_fraction, &PolicyResult::blacklisted_missed_fraction},
      {&ReplicationSummary::uplink_utilization, &PolicyResult::uplink_utilization},
  };
  // Each metric gets its own values, so a field read from the wrong one shows.
  std::vector<ReplicationSummary> reps(3);
  for (std::size_t k = 0; k < metrics.size(); ++k) {
    for (std::size_t i = 0; i < reps.size(); ++i) {
      reps[i].*metrics[k].first = static_cast<double>(k + 1) * static_cast<double>(i * i + 1);
    }
  }

  const PolicyResult r = summarize_policy("local", reps);
  for (std::size_t k = 0; k < metrics.size(); ++k) {
    SCOPED_TRACE(k);
    std::vector<double> values;
    values.reserve(reps.size());
    for (const ReplicationSummary& rep : reps) values.push_back(rep.*metrics[k].first);
    const Estimate expected = estimate(values);
    EXPECT_DOUBLE_EQ((r.*metrics[k].second).mean, expected.mean);
    EXPECT_DOUBLE_EQ((r.*metrics[k].second).ci95, expected.ci95);
    EXPECT_GT((r.*metrics[k].second).ci95, 0.0);
  }
}

RunReport sample_report() {
  PolicyResult local;
  local.policy = "local";
  local.replications = 3;
  local.invocations = 12345;
  local.rejection_probability = {0.125, 0.0031};
  local.forwarded_fraction = {0, 0};
  local.probes_per_invocation = {0, 0};
  local.deadline_miss_rate = {0.01, 0.002};
  local.response_mean_s = {1.0, 0.02};
  local.response_p50_s = {0.7, 0.01};
  local.response_p95_s = {3.1, 0.1};
  local.response_p99_s = {4.6, kNaN};
  local.utilization = {0.61, 0.01};
  local.jain_fairness = {0.9, 0.02};

  PolicyResult pod = local;
  pod.policy = "power_of_d(d=2,threshold=3)";
  pod.rejection_probability = {0.02, 0.001};
  pod.forwarded_fraction = {0.3, 0.01};
  pod.probes_per_invocation = {1.2, 0.05};

  return RunReport{.scenario = "city-default", .seed = 42, .results = {local, pod}};
}

// A city with outages and blacklist alerts: every new metric has its own value.
RunReport rush_hour_report() {
  RunReport report = sample_report();
  report.scenario = "city-rush-hour";
  double next = 0.5;
  for (PolicyResult& r : report.results) {
    for (Estimate PolicyResult::*metric :
         {&PolicyResult::failed_fraction, &PolicyResult::timeouts_per_invocation, &PolicyResult::alerts_delivered,
          &PolicyResult::alert_latency_mean_s, &PolicyResult::alert_latency_p50_s, &PolicyResult::alert_latency_p95_s,
          &PolicyResult::alert_latency_p99_s, &PolicyResult::blacklisted_missed_fraction,
          &PolicyResult::uplink_utilization}) {
      r.*metric = {next, next / 8};
      next += 0.25;
    }
  }
  report.results[0].alert_latency_p99_s.ci95 = kNaN;
  return report;
}

std::vector<std::string> keys_of(const nlohmann::ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

void expect_estimate_object(const nlohmann::ordered_json& j, const std::string& name) {
  SCOPED_TRACE(name);
  ASSERT_TRUE(j.is_object());
  EXPECT_THAT(keys_of(j), ElementsAre("mean", "ci95"));
}

TEST(ResultJson, FollowsTheSchema) {
  const auto document = nlohmann::ordered_json::parse(to_json(sample_report()));
  EXPECT_THAT(keys_of(document), ElementsAre("scenario", "seed", "results"));
  EXPECT_EQ(document["scenario"], "city-default");
  EXPECT_EQ(document["seed"], 42);
  ASSERT_TRUE(document["results"].is_array());
  ASSERT_EQ(document["results"].size(), 2u);
  EXPECT_EQ(document["results"][0]["policy"], "local");
  EXPECT_EQ(document["results"][1]["policy"], "power_of_d(d=2,threshold=3)");

  for (const auto& result : document["results"]) {
    EXPECT_THAT(keys_of(result),
                ElementsAre("policy", "replications", "invocations", "rejection_probability", "forwarded_fraction",
                            "probes_per_invocation", "deadline_miss_rate", "response_time_s", "utilization",
                            "jain_fairness", "failed_fraction", "timeouts_per_invocation", "alerts"));
    EXPECT_TRUE(result["policy"].is_string());
    EXPECT_TRUE(result["replications"].is_number_unsigned());
    EXPECT_TRUE(result["invocations"].is_number_unsigned());
    for (const char* metric :
         {"rejection_probability", "forwarded_fraction", "probes_per_invocation", "deadline_miss_rate", "utilization",
          "jain_fairness", "failed_fraction", "timeouts_per_invocation"}) {
      expect_estimate_object(result[metric], metric);
    }
    EXPECT_THAT(keys_of(result["response_time_s"]), ElementsAre("mean", "p50", "p95", "p99"));
    for (const auto& item : result["response_time_s"].items()) expect_estimate_object(item.value(), item.key());
  }
  EXPECT_EQ(document["results"][0]["invocations"], 12345);
  EXPECT_EQ(document["results"][1]["rejection_probability"]["mean"], 0.02);
}

TEST(ResultJson, FaultAndAlertKeysAreAlwaysPresent) {
  // sample_report has neither faults nor alerts: the keys are there, with zeros.
  for (const RunReport& report : {sample_report(), rush_hour_report()}) {
    SCOPED_TRACE(report.scenario);
    const auto document = nlohmann::ordered_json::parse(to_json(report));
    for (const auto& result : document["results"]) {
      expect_estimate_object(result["failed_fraction"], "failed_fraction");
      expect_estimate_object(result["timeouts_per_invocation"], "timeouts_per_invocation");
      const auto& alerts = result["alerts"];
      ASSERT_TRUE(alerts.is_object());
      EXPECT_THAT(keys_of(alerts), ElementsAre("delivered", "latency_s", "blacklisted_missed", "uplink_utilization"));
      for (const char* metric : {"delivered", "blacklisted_missed", "uplink_utilization"}) {
        expect_estimate_object(alerts[metric], metric);
      }
      EXPECT_THAT(keys_of(alerts["latency_s"]), ElementsAre("mean", "p50", "p95", "p99"));
      for (const auto& item : alerts["latency_s"].items()) expect_estimate_object(item.value(), item.key());
    }
  }
  const auto quiet = nlohmann::json::parse(to_json(sample_report()));
  EXPECT_EQ(quiet["results"][0]["failed_fraction"]["mean"], 0.0);
  EXPECT_EQ(quiet["results"][0]["alerts"]["latency_s"]["p95"]["mean"], 0.0);
}

TEST(ResultJson, FaultAndAlertValuesLandUnderTheirKeys) {
  const RunReport report = rush_hour_report();
  const auto document = nlohmann::json::parse(to_json(report));
  const PolicyResult& r = report.results[1];
  const auto& j = document["results"][1];
  EXPECT_EQ(j["failed_fraction"]["mean"], r.failed_fraction.mean);
  EXPECT_EQ(j["failed_fraction"]["ci95"], r.failed_fraction.ci95);
  EXPECT_EQ(j["timeouts_per_invocation"]["mean"], r.timeouts_per_invocation.mean);
  EXPECT_EQ(j["alerts"]["delivered"]["mean"], r.alerts_delivered.mean);
  EXPECT_EQ(j["alerts"]["latency_s"]["mean"]["mean"], r.alert_latency_mean_s.mean);
  EXPECT_EQ(j["alerts"]["latency_s"]["p50"]["mean"], r.alert_latency_p50_s.mean);
  EXPECT_EQ(j["alerts"]["latency_s"]["p95"]["mean"], r.alert_latency_p95_s.mean);
  EXPECT_EQ(j["alerts"]["latency_s"]["p99"]["mean"], r.alert_latency_p99_s.mean);
  EXPECT_EQ(j["alerts"]["blacklisted_missed"]["mean"], r.blacklisted_missed_fraction.mean);
  EXPECT_EQ(j["alerts"]["uplink_utilization"]["mean"], r.uplink_utilization.mean);
}

TEST(ResultJson, NaNIsWrittenAsNull) {
  const auto document = nlohmann::json::parse(to_json(sample_report()));
  const auto& p99 = document["results"][0]["response_time_s"]["p99"];
  EXPECT_EQ(p99["mean"], 4.6);
  EXPECT_TRUE(p99["ci95"].is_null());

  const auto alerts = nlohmann::json::parse(to_json(rush_hour_report()))["results"][0]["alerts"];
  EXPECT_TRUE(alerts["latency_s"]["p99"]["mean"].is_number());
  EXPECT_TRUE(alerts["latency_s"]["p99"]["ci95"].is_null());
}

void expect_same(double expected, double actual) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual));
  } else {
    EXPECT_EQ(expected, actual);  // doubles are written in round-trip form
  }
}

void expect_same(const Estimate& expected, const Estimate& actual) {
  expect_same(expected.mean, actual.mean);
  expect_same(expected.ci95, actual.ci95);
}

void expect_round_trip(const RunReport& original) {
  SCOPED_TRACE(original.scenario);
  const RunReport back = run_report_from_json(to_json(original));
  EXPECT_EQ(back.scenario, original.scenario);
  EXPECT_EQ(back.seed, original.seed);
  ASSERT_EQ(back.results.size(), original.results.size());
  for (std::size_t i = 0; i < original.results.size(); ++i) {
    const PolicyResult& a = original.results[i];
    const PolicyResult& b = back.results[i];
    EXPECT_EQ(b.policy, a.policy);
    EXPECT_EQ(b.replications, a.replications);
    EXPECT_EQ(b.invocations, a.invocations);
    expect_same(a.rejection_probability, b.rejection_probability);
    expect_same(a.forwarded_fraction, b.forwarded_fraction);
    expect_same(a.probes_per_invocation, b.probes_per_invocation);
    expect_same(a.deadline_miss_rate, b.deadline_miss_rate);
    expect_same(a.response_mean_s, b.response_mean_s);
    expect_same(a.response_p50_s, b.response_p50_s);
    expect_same(a.response_p95_s, b.response_p95_s);
    expect_same(a.response_p99_s, b.response_p99_s);
    expect_same(a.utilization, b.utilization);
    expect_same(a.jain_fairness, b.jain_fairness);
    expect_same(a.failed_fraction, b.failed_fraction);
    expect_same(a.timeouts_per_invocation, b.timeouts_per_invocation);
    expect_same(a.alerts_delivered, b.alerts_delivered);
    expect_same(a.alert_latency_mean_s, b.alert_latency_mean_s);
    expect_same(a.alert_latency_p50_s, b.alert_latency_p50_s);
    expect_same(a.alert_latency_p95_s, b.alert_latency_p95_s);
    expect_same(a.alert_latency_p99_s, b.alert_latency_p99_s);
    expect_same(a.blacklisted_missed_fraction, b.blacklisted_missed_fraction);
    expect_same(a.uplink_utilization, b.uplink_utilization);
  }
  // Compact and indented forms carry the same document.
  EXPECT_EQ(to_json(run_report_from_json(to_json(original, -1)), 2), to_json(original, 2));
}

TEST(ResultJson, RoundTripsThroughText) {
  expect_round_trip(sample_report());
  expect_round_trip(rush_hour_report());
}

TEST(ResultJson, MalformedDocumentsAreRejected) {
  EXPECT_THROW(run_report_from_json("{"), std::invalid_argument);
  EXPECT_THROW(run_report_from_json(R"({"scenario": "x", "seed": 1})"), std::invalid_argument);
  EXPECT_THROW(run_report_from_json(R"({"scenario": "x", "seed": "one", "results": []})"), std::invalid_argument);
  std::string missing_metric = to_json(sample_report());
  missing_metric.replace(missing_metric.find("\"utilization\""), 13, "\"utilisation\"");
  EXPECT_THROW(run_report_from_json(missing_metric), std::invalid_argument);

  for (const char* key : {"failed_fraction", "timeouts_per_invocation", "alerts", "latency_s", "p95",
                          "blacklisted_missed", "uplink_utilization"}) {
    SCOPED_TRACE(key);
    auto document = nlohmann::json::parse(to_json(rush_hour_report()));
    auto& result = document["results"][0];
    if (result.erase(key) == 0 && result["alerts"].erase(key) == 0) result["alerts"]["latency_s"].erase(key);
    EXPECT_THROW(run_report_from_json(document.dump()), std::invalid_argument);
  }
  auto wrong_type = nlohmann::json::parse(to_json(rush_hour_report()));
  wrong_type["results"][0]["alerts"]["delivered"]["mean"] = "three";
  try {
    run_report_from_json(wrong_type.dump());
    ADD_FAILURE() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("results[0].alerts.delivered.mean"));
  }
}

// Display columns of a UTF-8 line ("±" takes one).
std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (const char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Right-aligned numeric columns end together on every line of a table (header at
// `first`, then the rule and the rows up to `last`, exclusive).
void expect_aligned(const std::vector<std::string>& lines, std::size_t first, std::size_t last) {
  const std::size_t width = columns(lines[first]);
  for (std::size_t i = first + 1; i < last; ++i) EXPECT_EQ(columns(lines[i]), width) << lines[i];
}

// The line that starts with `prefix`, or the end.
std::size_t line_starting(const std::vector<std::string>& lines, std::string_view prefix, std::size_t from = 0) {
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (lines[i].rfind(prefix, 0) == 0) return i;
  }
  return lines.size();
}

TableOptions wide_table() {
  TableOptions options;
  options.wide = true;
  return options;
}

TableOptions table_of(std::vector<std::string> metrics) {
  TableOptions options;
  options.metrics = std::move(metrics);
  return options;
}

TableOptions table_within(std::size_t width) {
  TableOptions options;
  options.width = width;
  return options;
}

// A city's worth of policies with long specs, as the demo prints them.
RunReport long_names_report() {
  RunReport report = sample_report();
  const std::vector<std::string> names{"random", "round_robin", "threshold_random(threshold=3)",
                                       "least_loaded(gossip_interval=1s,fanout=0)", "cloud_offload(threshold=4)"};
  for (std::size_t i = 0; i < names.size(); ++i) {
    PolicyResult r = report.results[i % 2];
    r.policy = names[i];
    r.rejection_probability = {0.0837 + 0.01 * static_cast<double>(i), 0.00042};
    r.forwarded_fraction = {0.998341, 0.0000876};
    report.results.push_back(r);
  }
  return report;
}

TEST(ResultTable, OneAlignedRowPerPolicyRoundedToItsInterval) {
  const std::vector<std::string> lines = lines_of(format_table(sample_report()));

  // Title, blank line, header, rule, then one row per policy in order, then the legend.
  ASSERT_GE(lines.size(), 8u);
  EXPECT_EQ(lines[0], "scenario city-default, seed 42, 3 replications per policy");
  EXPECT_EQ(lines[1], "");
  EXPECT_THAT(lines[2], HasSubstr("rejection"));
  EXPECT_EQ(lines[4].rfind("local ", 0), 0u);
  EXPECT_EQ(lines[5].rfind("power_of_d(d=2,threshold=3) ", 0), 0u);
  EXPECT_EQ(lines[6], "");
  EXPECT_THAT(lines[7], HasSubstr("95 % confidence half-width"));
  // round_to_interval's digits (result_text_test has the rule's cases).
  EXPECT_THAT(lines[4], HasSubstr("0.1250 ± 0.0031"));
  EXPECT_THAT(lines[5], HasSubstr("0.0200 ± 0.0010*"));  // the lower rejection is marked
  EXPECT_THAT(lines[5], HasSubstr("1.20 ± 0.05"));       // probes per invocation
  expect_aligned(lines, 2, 6);
  // The second column starts at the same place on every row.
  const std::size_t policy_column = std::string("power_of_d(d=2,threshold=3)").size();
  for (std::size_t i = 4; i < 6; ++i) EXPECT_EQ(lines[i].substr(policy_column, 2), "  ") << lines[i];
  // Without faults or alerts there is no failed column and no alert table.
  EXPECT_THAT(format_table(sample_report(), wide_table()), Not(HasSubstr("failed")));
  EXPECT_THAT(format_table(sample_report(), wide_table()), Not(HasSubstr("blacklist")));
}

TEST(ResultTable, TheBestPerMetricIsMarkedAndTheDigitsStillLineUp) {
  const std::vector<std::string> lines = lines_of(format_table(sample_report(), table_of({"rejection", "probes"})));
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[2], "policy                             rejection    probes/inv");
  EXPECT_EQ(lines[4], "local                        0.1250 ± 0.0031         0 ± 0*");
  EXPECT_EQ(lines[5], "power_of_d(d=2,threshold=3)  0.0200 ± 0.0010*  1.20 ± 0.05");
  EXPECT_NE(line_starting(lines, "* the best in its column"), lines.size());
}

TEST(ResultTable, FitsItsWidthAndNamesTheColumnsLeftOut) {
  const RunReport report = long_names_report();
  const std::vector<std::string> lines = lines_of(format_table(report));
  for (const std::string& line : lines) EXPECT_LE(columns(line), 120u) << line;
  const std::size_t not_shown = line_starting(lines, "not shown: ");
  ASSERT_NE(not_shown, lines.size());
  // The most telling columns go in first; the rest are named.
  EXPECT_THAT(lines[2], HasSubstr("rejection"));
  EXPECT_THAT(lines[2], HasSubstr("forwarded"));
  EXPECT_THAT(lines[2], Not(HasSubstr("jain")));
  EXPECT_THAT(lines[not_shown], HasSubstr("jain"));

  // A narrower width keeps fewer columns, but always the first; the names of the
  // others wrap to that width.
  const std::vector<std::string> narrow = lines_of(format_table(report, table_within(60)));
  EXPECT_THAT(narrow[2], HasSubstr("rejection"));
  EXPECT_THAT(narrow[2], Not(HasSubstr("forwarded")));
  const std::size_t narrow_not_shown = line_starting(narrow, "not shown: ");
  ASSERT_LT(narrow_not_shown + 1, narrow.size());
  EXPECT_THAT(narrow[narrow_not_shown + 1], StartsWith(" "));
  for (std::size_t i = narrow_not_shown; i < narrow.size(); ++i) EXPECT_LE(columns(narrow[i]), 60u) << narrow[i];

  // --wide: every column, whatever the width; nothing left out.
  const std::string wide = format_table(report, wide_table());
  for (const MetricColumn& metric : comparison_metrics()) {
    if (!metric.shown_when_nonzero) {
      EXPECT_THAT(wide, HasSubstr(std::string(metric.header))) << metric.name;
    }
  }
  EXPECT_THAT(wide, Not(HasSubstr("not shown")));
}

TEST(ResultTable, ChosenMetricsInTheirOrder) {
  const std::vector<std::string> lines =
      lines_of(format_table(long_names_report(), table_of({"jain", "resp_p99", "alerts"})));
  const std::size_t jain = lines[2].find("jain");
  const std::size_t p99 = lines[2].find("resp p99 [ms]");
  ASSERT_NE(jain, std::string::npos);
  ASSERT_NE(p99, std::string::npos);
  EXPECT_LT(jain, p99);
  EXPECT_THAT(lines[2], HasSubstr("alerts delivered"));
  EXPECT_THAT(lines[2], Not(HasSubstr("rejection")));
  EXPECT_EQ(line_starting(lines, "not shown"), lines.size());
  try {
    format_table(sample_report(), table_of({"rejection", "latency"}));
    ADD_FAILURE() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown metric 'latency'"));
    EXPECT_THAT(e.what(), HasSubstr("resp_p95"));
  }
}

TEST(ResultTable, FailedColumnOnlyWhenSomethingFailed) {
  RunReport report = sample_report();
  report.results[1].failed_fraction = {0.0625, 0.0125};
  const std::vector<std::string> lines = lines_of(format_table(report, wide_table()));
  // The column sits between the deadline misses and the utilisation.
  const std::size_t failed_column = lines[2].find(" failed ");
  ASSERT_NE(failed_column, std::string::npos);
  EXPECT_LT(lines[2].find("deadline miss"), failed_column);
  EXPECT_GT(lines[2].find("utilization"), failed_column);
  EXPECT_THAT(lines[4], HasSubstr("0 ± 0*"));  // local did not fail, but has the column
  EXPECT_THAT(lines[5], HasSubstr("0.062 ± 0.013"));
  expect_aligned(lines, 2, 6);
  EXPECT_THAT(lines_of(format_table(report))[2], HasSubstr(" failed"));  // also among the default columns

  // Timeouts alone (no invocation failed) add their own column, not this one.
  report.results[1].failed_fraction = {0, 0};
  report.results[1].timeouts_per_invocation = {0.5, 0.1};
  const std::string with_timeouts = format_table(report, wide_table());
  EXPECT_THAT(with_timeouts, Not(HasSubstr(" failed ")));
  EXPECT_THAT(with_timeouts, HasSubstr("timeouts/inv"));
}

class AlertTable : public ::testing::TestWithParam<Estimate PolicyResult::*> {};

// Any one sign of blacklisted traffic brings the alert table in.
TEST_P(AlertTable, AppearsUnderTheMainTable) {
  RunReport report = sample_report();
  report.results[1].*GetParam() = {0.125, 0.0625};
  report.results[1].alert_latency_mean_s = {2.5, 0.25};
  report.results[1].alert_latency_p95_s = {4.25, 0.5};
  report.results[1].alert_latency_p99_s = {5.5, kNaN};
  const std::vector<std::string> lines = lines_of(format_table(report, wide_table()));

  const std::size_t title = line_starting(lines, "blacklist alerts");
  ASSERT_LT(title + 5, lines.size());
  EXPECT_EQ(lines[title - 1], "");
  for (const char* column : {"alerts delivered", "alert mean [s]", "alert p95 [s]", "alert p99 [s]",
                             "blacklisted missed", "uplink utilization"}) {
    EXPECT_THAT(lines[title + 1], HasSubstr(column));
  }
  EXPECT_EQ(lines[title + 1].rfind("policy ", 0), 0u);
  EXPECT_EQ(lines[title + 3].rfind("local ", 0), 0u);
  EXPECT_EQ(lines[title + 4].rfind("power_of_d(d=2,threshold=3) ", 0), 0u);
  EXPECT_THAT(lines[title + 4], HasSubstr("2.50 ± 0.25"));
  EXPECT_THAT(lines[title + 4], HasSubstr("4.2 ± 0.5"));
  EXPECT_THAT(lines[title + 4], HasSubstr("5.500"));  // no interval: four significant digits
  expect_aligned(lines, 2, 6);
  expect_aligned(lines, title + 1, title + 5);
}

INSTANTIATE_TEST_SUITE_P(Triggers, AlertTable,
                         ::testing::Values(&PolicyResult::alerts_delivered, &PolicyResult::blacklisted_missed_fraction,
                                           &PolicyResult::uplink_utilization));

TEST(ResultTable, NoAlertTableWithoutBlacklistedTraffic) {
  RunReport report = sample_report();
  // Latencies alone cannot occur without delivered alerts, and do not count.
  report.results[0].alert_latency_mean_s = {1.0, 0.1};
  EXPECT_THAT(format_table(report, wide_table()), Not(HasSubstr("blacklist")));
}

TEST(TraceCsv, HeaderAndExactRows) {
  InvocationRecord r = record(3, 7, Outcome::deadline_missed, 1500ms, 4s + 250us);
  r.id = 17;
  r.function = 1;
  r.hops = 1;
  r.probes = 4;
  r.decision = DecisionKind::forward;
  r.start = time_at(2s);

  std::ostringstream out;
  write_trace_header(out);
  write_trace_rows(out, "power_of_d(d=2,threshold=3)", 2, {r});
  EXPECT_EQ(out.str(),
            "id,policy,replication,function,origin,executed_on,hops,probes,decision,outcome,"
            "arrival_s,start_s,end_s,response_s,vehicle,blacklisted,alert_s\n"
            "17,\"power_of_d(d=2,threshold=3)\",2,1,3,7,1,4,forward,deadline_missed,"
            "1.500000000,2.000000000,4.000250000,2.500250000,,0,\n");
}

TEST(TraceCsv, VehicleBlacklistAndAlertColumns) {
  InvocationRecord seen = record(2, 2, Outcome::completed, 10s, 11s);
  seen.id = 1;
  seen.vehicle = 0;  // the first vehicle: a real id, not "none"
  InvocationRecord alerted = record(2, 5, Outcome::completed, 12s, 13s);
  alerted.id = 2;
  alerted.vehicle = 41;
  alerted.blacklisted = true;
  alerted.alert_delivered = time_at(15s + 125ms);
  InvocationRecord lost = alerted;  // blacklisted, but no alert reached the cloud
  lost.id = 3;
  lost.alert_delivered = Time::max();

  std::ostringstream out;
  write_trace_rows(out, "local", 0, {seen, alerted, lost});
  const std::vector<std::string> rows = lines_of(out.str());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(rows[0], ::testing::EndsWith(",1.000000000,0,0,"));
  EXPECT_THAT(rows[1], ::testing::EndsWith(",1.000000000,41,1,15.125000000"));
  EXPECT_THAT(rows[2], ::testing::EndsWith(",1.000000000,41,1,"));

  // Every row has as many fields as the header.
  std::ostringstream header;
  write_trace_header(header);
  const auto fields = [](const std::string& line) { return std::count(line.begin(), line.end(), ',') + 1; };
  for (const std::string& row : rows) EXPECT_EQ(fields(row), fields(lines_of(header.str())[0])) << row;
}

}  // namespace
}  // namespace fogsched
