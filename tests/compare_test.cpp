// `fogsched compare`: differences and the within-interval verdict on hand-built
// reports, pairing of policies, the JSON form, and the command's exit codes.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fogsched/core/compare.h"
#include "fogsched/core/results.h"

namespace fogsched {
namespace {

namespace fs = std::filesystem;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

PolicyResult result(std::string policy, double rejection, double rejection_ci) {
  PolicyResult r;
  r.policy = std::move(policy);
  r.replications = 5;
  r.invocations = 1000;
  r.rejection_probability = {rejection, rejection_ci};
  r.forwarded_fraction = {0.2, 0.01};
  r.response_p95_s = {1.5, 0.1};
  return r;
}

const MetricComparison& metric(const PolicyComparison& p, const std::string& name) {
  for (const MetricComparison& m : p.metrics) {
    if (m.metric == name) return m;
  }
  throw std::out_of_range(name);
}

TEST(CompareMetric, DifferenceIsBMinusAAndTheHalfWidthsCombineInQuadrature) {
  const MetricComparison c = compare_metric("x", {0.10, 0.03}, {0.15, 0.04});
  EXPECT_DOUBLE_EQ(c.difference, 0.05);
  EXPECT_DOUBLE_EQ(c.combined_ci95, 0.05);
  ASSERT_TRUE(c.within_ci.has_value());
  EXPECT_TRUE(*c.within_ci);  // |0.05| <= 0.05: on the boundary counts as within
}

TEST(CompareMetric, OutsideTheCombinedIntervalIsNotWithin) {
  const MetricComparison c = compare_metric("x", {0.30, 0.01}, {0.20, 0.02});
  EXPECT_DOUBLE_EQ(c.difference, -0.10);
  ASSERT_TRUE(c.within_ci.has_value());
  EXPECT_FALSE(*c.within_ci);
}

TEST(CompareMetric, AMissingIntervalGivesNoVerdict) {
  for (const auto& [a, b] : {std::pair<Estimate, Estimate>{{0.1, kNaN}, {0.1, 0.01}},
                             std::pair<Estimate, Estimate>{{0.1, 0.01}, {0.2, kNaN}},
                             std::pair<Estimate, Estimate>{{kNaN, 0.01}, {0.2, 0.01}}}) {
    const MetricComparison c = compare_metric("x", a, b);
    EXPECT_FALSE(c.within_ci.has_value());
  }
  EXPECT_TRUE(
      std::isnan(compare_metric("x", {0.1, std::numeric_limits<double>::infinity()}, {0.1, kNaN}).combined_ci95));
}

TEST(CompareReports, PairsPoliciesByNameInAsOrderAndComparesEveryMetric) {
  const RunReport a{.scenario = "s", .seed = 1, .results = {result("local", 0.30, 0.01), result("jsq", 0.10, 0.01)}};
  const RunReport b{.scenario = "s-live",
                    .seed = 1,
                    .results = {result("jsq", 0.12, 0.01), result("random", 0.5, 0.1), result("local", 0.20, 0.02)}};
  const ReportComparison c = compare_reports(a, b);
  EXPECT_EQ(c.scenario_a, "s");
  EXPECT_EQ(c.scenario_b, "s-live");
  ASSERT_EQ(c.policies.size(), 2u);
  EXPECT_EQ(c.policies[0].policy_a, "local");
  EXPECT_EQ(c.policies[0].policy_b, "local");
  EXPECT_EQ(c.policies[1].policy_a, "jsq");

  const std::vector<std::string> expected = {
      "rejection_probability", "forwarded_fraction", "probes_per_invocation", "response_mean_s", "response_p50_s",
      "response_p95_s",        "response_p99_s",     "deadline_miss_rate",    "utilization",     "failed_fraction"};
  std::vector<std::string> names;
  for (const MetricComparison& m : c.policies[0].metrics) names.push_back(m.metric);
  EXPECT_EQ(names, expected);

  const MetricComparison& local_rejection = metric(c.policies[0], "rejection_probability");
  EXPECT_DOUBLE_EQ(local_rejection.difference, 0.20 - 0.30);
  EXPECT_FALSE(*local_rejection.within_ci);
  const MetricComparison& jsq_rejection = metric(c.policies[1], "rejection_probability");
  EXPECT_NEAR(jsq_rejection.difference, 0.02, 1e-12);
  EXPECT_NEAR(jsq_rejection.combined_ci95, std::sqrt(0.0002), 1e-12);
  EXPECT_FALSE(*jsq_rejection.within_ci);  // 0.02 > 0.0141
  EXPECT_TRUE(*metric(c.policies[1], "forwarded_fraction").within_ci);
}

TEST(CompareReports, TwoSingleResultsArePairedWhateverTheirNames) {
  const RunReport a{.scenario = "s", .seed = 1, .results = {result("power_of_d(d=2,threshold=3)", 0.1, 0.01)}};
  const RunReport b{.scenario = "s", .seed = 1, .results = {result("power_of_d(d=3,threshold=3)", 0.1, 0.01)}};
  const ReportComparison c = compare_reports(a, b);
  ASSERT_EQ(c.policies.size(), 1u);
  EXPECT_EQ(c.policies[0].policy_a, "power_of_d(d=2,threshold=3)");
  EXPECT_EQ(c.policies[0].policy_b, "power_of_d(d=3,threshold=3)");
}

TEST(CompareReports, NoCommonPolicyGivesAnEmptyComparison) {
  const RunReport a{.scenario = "s", .seed = 1, .results = {result("local", 0.1, 0.01), result("jsq", 0.1, 0.01)}};
  const RunReport b{.scenario = "s", .seed = 1, .results = {result("random", 0.1, 0.01), result("x", 0.1, 0.01)}};
  const ReportComparison c = compare_reports(a, b);
  EXPECT_TRUE(c.policies.empty());
  EXPECT_NE(format_comparison(c).find("no policy appears in both"), std::string::npos);
}

TEST(CompareReports, TableShowsEachMetricWithItsVerdict) {
  const RunReport a{.scenario = "s", .seed = 1, .results = {result("local", 0.30, 0.01)}};
  RunReport b = a;
  b.results[0].rejection_probability = {0.25, kNaN};
  const std::string table = format_comparison(compare_reports(a, b));
  std::istringstream lines(table);
  std::string rejection_row;
  std::string p95_row;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("rejection probability", 0) == 0) rejection_row = line;
    if (line.rfind("response p95 [ms]", 0) == 0) p95_row = line;
  }
  EXPECT_NE(rejection_row.find("0.3000 ± 0.0100"), std::string::npos) << table;
  EXPECT_NE(rejection_row.find("-0.0500"), std::string::npos) << table;
  EXPECT_EQ(rejection_row.substr(rejection_row.size() - 3), "n/a") << table;
  EXPECT_NE(p95_row.find("1500.0 ± 100.0"), std::string::npos) << table;
  EXPECT_EQ(p95_row.substr(p95_row.size() - 3), "yes") << table;
}

TEST(CompareJson, RoundTripsWithNullsForMissingValues) {
  RunReport a{.scenario = "s", .seed = 1, .results = {result("local", 0.30, 0.01)}};
  RunReport b = a;
  b.scenario = "live";
  b.results[0].rejection_probability = {0.28, kNaN};
  const ReportComparison original = compare_reports(a, b);
  const std::string text = to_json(original);
  EXPECT_NE(text.find("\"within_ci\": null"), std::string::npos);
  const ReportComparison back = report_comparison_from_json(text);
  EXPECT_EQ(back.scenario_a, "s");
  EXPECT_EQ(back.scenario_b, "live");
  ASSERT_EQ(back.policies.size(), 1u);
  ASSERT_EQ(back.policies[0].metrics.size(), original.policies[0].metrics.size());
  for (std::size_t i = 0; i < back.policies[0].metrics.size(); ++i) {
    const MetricComparison& x = original.policies[0].metrics[i];
    const MetricComparison& y = back.policies[0].metrics[i];
    EXPECT_EQ(y.metric, x.metric);
    EXPECT_DOUBLE_EQ(y.a.mean, x.a.mean);
    EXPECT_DOUBLE_EQ(y.difference, x.difference);
    EXPECT_EQ(std::isnan(y.combined_ci95), std::isnan(x.combined_ci95));
    EXPECT_EQ(y.within_ci, x.within_ci);
  }
  EXPECT_THROW(report_comparison_from_json("{\"a\": 1}"), std::invalid_argument);
}

// --- the command -------------------------------------------------------------------

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_all(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class CompareCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fogsched_compare_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& content) const {
    fs::path path = dir_ / name;
    std::ofstream(path) << content;
    return path;
  }

  // Paths here are plain temp-dir names without quotes.
  CliResult run(const std::string& args) const {
    const fs::path out = dir_ / "out.txt";
    const fs::path err = dir_ / "err.txt";
    const std::string command = std::string("'") + FOGSCHED_CLI_PATH + "' compare " + args + " >'" + out.string() +
                                "' 2>'" + err.string() + "' </dev/null";
    const int status = std::system(command.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_all(out), read_all(err)};
  }

  fs::path dir_;
};

TEST_F(CompareCommand, PrintsOneRowPerMetricAndExitsZero) {
  const fs::path a =
      write("a.json", to_json(RunReport{.scenario = "s", .seed = 1, .results = {result("local", 0.3, 0.01)}}));
  const fs::path b =
      write("b.json", to_json(RunReport{.scenario = "s", .seed = 1, .results = {result("local", 0.2, 0.01)}}));
  const CliResult table = run(a.string() + " " + b.string());
  EXPECT_EQ(table.exit_code, 0) << table.err;
  for (const char* label : {"rejection probability", "forwarded fraction", "probes per invocation",
                            "response mean [ms]", "response p50 [ms]", "response p95 [ms]", "response p99 [ms]",
                            "deadline-miss rate", "utilization", "failed fraction"}) {
    EXPECT_NE(table.out.find(std::string("\n") + label + "  "), std::string::npos) << label << "\n" << table.out;
  }
  const CliResult json = run(a.string() + " " + b.string() + " --json");
  EXPECT_EQ(json.exit_code, 0) << json.err;
  const ReportComparison parsed = report_comparison_from_json(json.out);
  ASSERT_EQ(parsed.policies.size(), 1u);
  EXPECT_NEAR(parsed.policies[0].metrics[0].difference, -0.1, 1e-12);
}

TEST_F(CompareCommand, CanonicalNamesPairAShortSpecWithItsFullForm) {
  const std::string two = to_json(
      RunReport{.scenario = "s", .seed = 1, .results = {result("local", 0.3, 0.01), result("power_of_d", 0.1, 0.01)}});
  const std::string other =
      to_json(RunReport{.scenario = "s",
                        .seed = 1,
                        .results = {result("power_of_d(d=2,threshold=3)", 0.1, 0.01), result("random", 0.3, 0.01)}});
  const CliResult done = run(write("a.json", two).string() + " " + write("b.json", other).string() + " --json");
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const ReportComparison parsed = report_comparison_from_json(done.out);
  ASSERT_EQ(parsed.policies.size(), 1u);
  EXPECT_EQ(parsed.policies[0].policy_a, parsed.policies[0].policy_b);
}

TEST_F(CompareCommand, UnreadableInputExitsTwoNamingTheFile) {
  const fs::path good = write("good.json", to_json(RunReport{.scenario = "s", .seed = 1, .results = {}}));
  const CliResult missing = run(good.string() + " " + (dir_ / "missing.json").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("missing.json"), std::string::npos) << missing.err;

  const fs::path broken = write("broken.json", "{\"scenario\": ");
  const CliResult bad = run(broken.string() + " " + good.string());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("broken.json"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace fogsched
