// The application layer the CLI and Python share: run settings written into the
// scenario document (the duration's warm-up rule), policy lists, the simulated
// metrics set beside the exact models and the optimum, and the optimum's table file.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fogsched/app/model_comparison.h"
#include "fogsched/app/optimal_table.h"
#include "fogsched/app/policy_list.h"
#include "fogsched/app/run_settings.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/core/text_file.h"
#include "fogsched/core/units.h"

namespace fogsched::app {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

RunSettings with_policies(std::vector<std::string> specs) {
  RunSettings settings;
  settings.policies = std::move(specs);
  return settings;
}

ScenarioDocument document(const std::string& timing) {
  return ScenarioDocument::from_string(timing + R"(
name: small
seed: 3
replications: 2
cluster:
  cameras: {count: 3, slots: 2}
functions:
  job: {service_time: {dist: exponential, mean: 1s}}
workload:
  - function: job
    arrivals: {rate: 1/s}
policies: [local, random]
)",
                                       "<test>");
}

// --- duration and warm-up ------------------------------------------------------------

TEST(Duration, AWarmupThatStillFitsIsKept) {
  ScenarioDocument doc = document("duration: 1h\nwarmup: 5min\n");
  set_duration(doc, "10min");
  const Scenario s = doc.parse();
  EXPECT_EQ(s.duration, 10min);
  EXPECT_EQ(s.warmup, 5min);
}

TEST(Duration, AWarmupThatNoLongerFitsKeepsItsShare) {
  ScenarioDocument doc = document("duration: 1h\nwarmup: 5min\n");
  set_duration(doc, "2min");  // 5 of 60 minutes: a twelfth of 2 minutes
  const Scenario s = doc.parse();
  EXPECT_EQ(s.duration, 2min);
  EXPECT_EQ(s.warmup, 10s);
  EXPECT_THAT(doc.to_yaml(), HasSubstr("warmup: 10s"));
}

TEST(Duration, WithDurationAppliesTheSameRuleToAScenario) {
  const Scenario s = with_duration(document("duration: 1h\nwarmup: 5min\n").parse(), 2min);
  EXPECT_EQ(s.duration, 2min);
  EXPECT_EQ(s.warmup, 10s);
  EXPECT_EQ(warmup_for_duration(s, 1h), 10s);
}

TEST(Duration, BadTextNamesTheSetting) {
  ScenarioDocument doc = document("duration: 1h\n");
  try {
    set_duration(doc, "10 parsecs");
    FAIL() << "no error";
  } catch (const SettingError& e) {
    EXPECT_THAT(e.what(), ::testing::StartsWith("duration: "));
  }
  try {
    set_duration(doc, "0s");
    FAIL() << "no error";
  } catch (const SettingError& e) {
    EXPECT_STREQ(e.what(), "duration: must be positive");
  }
}

// --- prepare_run and policy lists ------------------------------------------------------

PreparedRun prepare_builtin(ScenarioDocument document, const RunSettings& settings) {
  return prepare_run(std::move(document), settings, PolicyRegistry::with_builtins());
}

TEST(PrepareRun, SettingsAndPoliciesAreWrittenIntoTheDocument) {
  const PreparedRun run = prepare_builtin(document("duration: 1h\nwarmup: 5min\n"),
                                          {.seed = 11,
                                           .replications = 4,
                                           .duration = "2min",
                                           .policies = std::vector<std::string>{"power_of_d(d=2,threshold=1)"}});
  EXPECT_EQ(run.scenario.seed, 11u);
  EXPECT_EQ(run.scenario.replications, 4u);
  EXPECT_EQ(run.scenario.warmup, 10s);
  ASSERT_EQ(run.policies.size(), 1u);
  EXPECT_EQ(run.policies[0].canonical, "power_of_d(d=2,threshold=1)");
  // The document as it ran: parsed again, it gives the same scenario and policies.
  const Scenario reread = ScenarioDocument::from_string(run.document.to_yaml(), "<reread>").parse();
  EXPECT_EQ(reread.seed, 11u);
  EXPECT_EQ(reread.duration, 2min);
  const std::vector<PolicyConfig> reread_policies =
      sim::configure_policies(reread, fogsched::PolicyRegistry::with_builtins());
  ASSERT_EQ(reread_policies.size(), 1u);
  EXPECT_EQ(reread_policies[0].canonical, run.policies[0].canonical);
}

TEST(PrepareRun, WithoutPoliciesTheScenariosOwnAreConfigured) {
  const PreparedRun run = prepare_builtin(document("duration: 1h\n"), {});
  ASSERT_EQ(run.policies.size(), 2u);
  EXPECT_EQ(run.policies[0].canonical, "local");
  EXPECT_EQ(run.policies[1].canonical, "random");
}

TEST(PrepareRun, AnEmptyOrBadPolicyListIsAnError) {
  EXPECT_THROW(prepare_builtin(document("duration: 1h\n"), with_policies({})), SettingError);
  EXPECT_THROW(prepare_builtin(document("duration: 1h\n"), with_policies({"fastest"})), PolicyError);
}

TEST(PolicyList, ParametersBecomeKeys) {
  const PolicyConfig policy = PolicyRegistry::with_builtins().parse("power_of_d(threshold=2,d=3)");
  EXPECT_EQ(policy_as_yaml(policy), "{name: power_of_d, d: 3, threshold: 2}");
  EXPECT_EQ(policy_as_yaml(PolicyRegistry::with_builtins().parse("local")), "{name: local}");
}

// --- the compared metrics -----------------------------------------------------------------

TEST(ModelledMetrics, ForwardedOverEndedInvocationsBusyOverTheCameras) {
  MetricsCollector m(4);  // three cameras and a cloud node
  m.client_invocations = 100;
  m.in_flight_at_end = 20;
  m.rejected = 10;
  m.forwarded = 40;
  m.busy_slot_seconds = {10.0, 20.0, 30.0, 1000.0};
  const ModelledMetrics metrics = modelled_metrics(m, 3, 10s);
  EXPECT_DOUBLE_EQ(metrics.rejection_probability, 0.1);  // over every arrival
  EXPECT_DOUBLE_EQ(metrics.forwarded_fraction, 0.5);     // 40 of the 80 that ended
  EXPECT_DOUBLE_EQ(metrics.mean_busy, 6.0);              // 60 slot-seconds in 10 s; the cloud left out
}

TEST(ModelledMetrics, NoInvocationsGiveZeroes) {
  const ModelledMetrics metrics = modelled_metrics(MetricsCollector(3), 3, 10s);
  EXPECT_EQ(metrics.rejection_probability, 0.0);
  EXPECT_EQ(metrics.forwarded_fraction, 0.0);
  EXPECT_EQ(metrics.mean_busy, 0.0);
}

TEST(WithinCi, AllowsTheModelsRoundingAndNeedsAnInterval) {
  EXPECT_EQ(within_ci95({.mean = 0.5, .ci95 = 0.1}, 0.6), true);
  EXPECT_EQ(within_ci95({.mean = 0.5, .ci95 = 0.1}, 0.61), false);
  EXPECT_EQ(within_ci95({.mean = 0.0, .ci95 = 0.0}, 1e-12), true);
  EXPECT_EQ(within_ci95({.mean = 0.5, .ci95 = std::numeric_limits<double>::quiet_NaN()}, 0.5), std::nullopt);
}

TEST(CompareWithModels, OneEntryPerPolicyWithTheApplicableModels) {
  const PreparedRun run =
      prepare_builtin(document("duration: 2min\nwarmup: 10s\n"), with_policies({"local", "least_loaded"}));
  std::vector<analysis::PolicyAnalysis> analyses = analyze_policies(run.scenario, run.policies);
  sim::RunOptions options;
  options.threads = 1;
  const sim::RunOutput output = sim::run_scenario(run.scenario, run.policies, options);
  const ModelComparison comparison = compare_with_models(run.scenario, std::move(analyses), output);

  ASSERT_EQ(comparison.policies.size(), 2u);
  const PolicyComparison& local = comparison.policies[0];
  EXPECT_EQ(local.replications, 2u);
  ASSERT_EQ(local.metrics.size(), 3u);
  EXPECT_EQ(local.metrics[1].key, "forwarded_fraction");
  ASSERT_EQ(local.metrics[0].models.size(), 2u);  // erlang_b and ctmc
  EXPECT_EQ(local.metrics[0].models[0].model, analysis::Model::erlang_b);
  EXPECT_TRUE(comparison.policies[1].metrics[0].models.empty());  // least_loaded is not modelled

  const nlohmann::json json = nlohmann::json::parse(to_json(comparison));
  EXPECT_EQ(json["scenario"], "small");
  EXPECT_EQ(json["results"][0]["metrics"]["mean_busy"]["simulated"]["mean"].get<double>(),
            local.metrics[2].simulated.mean);
  EXPECT_THAT(json["results"][1]["failed_assumptions"].dump(), HasSubstr("least_loaded"));
  EXPECT_FALSE(json.contains("optimal"));
  EXPECT_FALSE(json["results"][0].contains("optimal_gap"));
}

// --- the optimum beside the policies, and its decision table ----------------------------

TEST(CompareWithModels, WithAnOptimumEveryPolicyWithAnExactChainHasItsGap) {
  const PreparedRun run = prepare_builtin(document("duration: 1min\nwarmup: 10s\n"),
                                          with_policies({"local", "power_of_d(d=2,threshold=1)", "least_loaded"}));
  std::vector<analysis::PolicyAnalysis> analyses = analyze_policies(run.scenario, run.policies);
  const analysis::OptimalCosts costs{.forward = 0.1, .probe = 0.01};
  const analysis::OptimalAnalysis optimum = analysis::analyze_optimal(run.scenario, costs);
  ASSERT_TRUE(optimum.applies);
  ASSERT_TRUE(optimum.solution);
  sim::RunOptions options;
  options.threads = 1;
  const sim::RunOutput output = sim::run_scenario(run.scenario, run.policies, options);
  const ModelComparison comparison = compare_with_models(run.scenario, std::move(analyses), output, optimum);

  const double best = optimum.solution->cost_per_arrival;
  for (std::size_t p = 0; p < 2; ++p) {
    const PolicyComparison& policy = comparison.policies[p];
    ASSERT_TRUE(policy.optimal_gap) << policy.analysis.policy;
    EXPECT_GT(policy.optimal_gap->gap, 0.0) << policy.analysis.policy;
    EXPECT_DOUBLE_EQ(policy.optimal_gap->cost_per_arrival - policy.optimal_gap->gap, best);
    const analysis::ModelResult& chain = *analysis::exact_chain(policy.analysis);
    EXPECT_DOUBLE_EQ(policy.optimal_gap->cost_per_arrival,
                     chain.rejection_probability + 0.1 * chain.forwarded_fraction + 0.01 * chain.probes_per_arrival);
  }
  EXPECT_EQ(comparison.policies[0].optimal_gap->probes_per_arrival, 0.0);
  EXPECT_GT(comparison.policies[1].optimal_gap->probes_per_arrival, 0.0);
  EXPECT_FALSE(comparison.policies[2].optimal_gap);  // least_loaded has no exact chain

  const nlohmann::json json = nlohmann::json::parse(to_json(comparison));
  EXPECT_TRUE(json["optimal"]["applies"].get<bool>());
  EXPECT_EQ(json["optimal"]["costs"]["forward"].get<double>(), 0.1);
  EXPECT_EQ(json["optimal"]["cost_per_arrival"].get<double>(), best);
  EXPECT_EQ(json["optimal"]["states"].get<int>(), 27);
  EXPECT_EQ(json["results"][1]["optimal_gap"]["gap"].get<double>(), comparison.policies[1].optimal_gap->gap);
  EXPECT_TRUE(json["results"][2]["optimal_gap"].is_null());
}

TEST(AnalyzeOptimal, SaysWhyItDoesNotApply) {
  const Scenario slow = document("duration: 1min\nnetwork: {latency: {base: 2ms}}\n").parse();
  const analysis::OptimalAnalysis delayed = analysis::analyze_optimal(slow, {});
  EXPECT_FALSE(delayed.applies);
  ASSERT_FALSE(delayed.failed.empty());
  EXPECT_EQ(delayed.failed[0].key, "network.latency.base");

  ScenarioDocument large = document("duration: 1min\n");
  large.set("cluster.cameras.count", "12");
  const analysis::OptimalAnalysis too_large = analysis::analyze_optimal(large.parse(), {});
  EXPECT_FALSE(too_large.applies);
  ASSERT_EQ(too_large.failed.size(), 1u);
  EXPECT_EQ(too_large.failed[0].key, "cluster.cameras.count");
  EXPECT_THAT(too_large.failed[0].problem, HasSubstr("531441 states"));
}

analysis::OptimalAnalysis small_optimum() {
  return analysis::analyze_optimal(document("duration: 1min\n").parse(), {.forward = 0.25, .probe = 0});
}

TEST(OptimalTable, RoundTripsThroughItsFile) {
  const analysis::OptimalAnalysis optimum = small_optimum();
  const OptimalTable table = optimal_table(optimum);
  ASSERT_EQ(table.nodes.size(), 3u);
  ASSERT_EQ(table.actions.size(), 27u * 3);
  EXPECT_EQ(table.forward_cost, 0.25);
  EXPECT_EQ(table.cost_per_arrival, optimum.solution->cost_per_arrival);
  EXPECT_EQ(table.nodes[1].slots, optimum.nodes[1].slots);
  EXPECT_EQ(table.nodes[1].arrival_rate_per_s, optimum.nodes[1].arrival_rate_per_s);
  const std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / ("optimal_table_" + std::to_string(::getpid()) + ".json");
  write_optimal_table(path.string(), table);
  const std::string text = read_text_file(path);
  std::filesystem::remove(path);
  EXPECT_EQ(parse_optimal_table(text, path.string()), table);
  EXPECT_EQ(table.action(0, 1), 1);    // all idle: run here
  EXPECT_EQ(table.action(26, 2), -1);  // all full: reject
  try {
    write_optimal_table("/nonexistent/table.json", table);
    FAIL() << "no error";
  } catch (const SettingError& e) {
    EXPECT_STREQ(e.what(), "optimal-table: cannot write /nonexistent/table.json");
  }
}

}  // namespace
}  // namespace fogsched::app
