// The result model: outcome counting, per-replication definitions, the JSON schema
// of `fogsched run --json`, the comparison table and the trace CSV.
#include "fogsched/core/results.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fogsched {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

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
  m.record(record(0, 0, Outcome::completed, 1s, 3s));         // 2 s, local
  m.record(record(0, 1, Outcome::completed, 2s, 6s));         // 4 s, forwarded
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
                ElementsAre("policy", "replications", "invocations", "rejection_probability",
                            "forwarded_fraction", "probes_per_invocation", "deadline_miss_rate",
                            "response_time_s", "utilization", "jain_fairness"));
    EXPECT_TRUE(result["policy"].is_string());
    EXPECT_TRUE(result["replications"].is_number_unsigned());
    EXPECT_TRUE(result["invocations"].is_number_unsigned());
    for (const char* metric : {"rejection_probability", "forwarded_fraction", "probes_per_invocation",
                               "deadline_miss_rate", "utilization", "jain_fairness"}) {
      expect_estimate_object(result[metric], metric);
    }
    EXPECT_THAT(keys_of(result["response_time_s"]), ElementsAre("mean", "p50", "p95", "p99"));
    for (const auto& item : result["response_time_s"].items()) expect_estimate_object(item.value(), item.key());
  }
  EXPECT_EQ(document["results"][0]["invocations"], 12345);
  EXPECT_EQ(document["results"][1]["rejection_probability"]["mean"], 0.02);
}

TEST(ResultJson, NaNIsWrittenAsNull) {
  const auto document = nlohmann::json::parse(to_json(sample_report()));
  const auto& p99 = document["results"][0]["response_time_s"]["p99"];
  EXPECT_EQ(p99["mean"], 4.6);
  EXPECT_TRUE(p99["ci95"].is_null());
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

TEST(ResultJson, RoundTripsThroughText) {
  const RunReport original = sample_report();
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
  }
  // Compact and indented forms carry the same document.
  EXPECT_EQ(to_json(run_report_from_json(to_json(original, -1)), 2), to_json(original, 2));
}

TEST(ResultJson, MalformedDocumentsAreRejected) {
  EXPECT_THROW(run_report_from_json("{"), std::invalid_argument);
  EXPECT_THROW(run_report_from_json(R"({"scenario": "x", "seed": 1})"), std::invalid_argument);
  EXPECT_THROW(run_report_from_json(R"({"scenario": "x", "seed": "one", "results": []})"),
               std::invalid_argument);
  std::string missing_metric = to_json(sample_report());
  missing_metric.replace(missing_metric.find("\"utilization\""), 13, "\"utilisation\"");
  EXPECT_THROW(run_report_from_json(missing_metric), std::invalid_argument);
}

// Display columns of a UTF-8 line ("±" takes one).
std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (const char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

TEST(ResultTable, OneAlignedRowPerPolicy) {
  const std::string table = format_table(sample_report());
  std::vector<std::string> lines;
  std::istringstream in(table);
  for (std::string line; std::getline(in, line);) lines.push_back(line);

  // Title, blank line, header, rule, then one row per policy in order.
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_THAT(lines[0], HasSubstr("city-default"));
  EXPECT_THAT(lines[2], HasSubstr("rejection"));
  EXPECT_THAT(lines[2], HasSubstr("[ms]"));
  EXPECT_EQ(lines[4].rfind("local ", 0), 0u);
  EXPECT_EQ(lines[5].rfind("power_of_d(d=2,threshold=3) ", 0), 0u);
  EXPECT_THAT(lines[4], HasSubstr("0.1250 ± 0.0031"));
  EXPECT_THAT(lines[4], HasSubstr("1000.0 ± 20.0"));  // mean response in ms
  EXPECT_THAT(lines[4], HasSubstr("4600.0  "));       // no interval: the mean alone

  // Right-aligned numeric columns end together on every line.
  const std::size_t width = columns(lines[2]);
  for (std::size_t i = 3; i < lines.size(); ++i) EXPECT_EQ(columns(lines[i]), width) << lines[i];
  // The second column starts at the same place on every row.
  const std::size_t policy_column = std::string("power_of_d(d=2,threshold=3)").size();
  for (std::size_t i = 4; i < lines.size(); ++i) EXPECT_EQ(lines[i].substr(policy_column, 2), "  ") << lines[i];
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
            "arrival_s,start_s,end_s,response_s\n"
            "17,\"power_of_d(d=2,threshold=3)\",2,1,3,7,1,4,forward,deadline_missed,"
            "1.500000000,2.000000000,4.000250000,2.500250000\n");
}

}  // namespace
}  // namespace fogsched
