// The simulator against the exact models: for every Markovian policy on small
// clusters it must agree with the exact Markov chain within 3 standard errors, and
// with a few hundred identical cameras it must land near the mean-field limit. Also
// `fogsched analyze` end to end.
//
// Seeds and replications are stated per test; the standard error of a metric is the
// sample standard deviation of its replication values over sqrt(replications).
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fogsched/analysis/analyze.h"
#include "fogsched/analysis/ctmc.h"
#include "fogsched/analysis/markov_model.h"
#include "fogsched/analysis/mean_field.h"
#include "fogsched/analysis/optimal.h"
#include "fogsched/app/model_comparison.h"
#include "fogsched/app/optimal_table.h"
#include "fogsched/core/optimal_table.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/runner.h"
#include "replication_statistics.h"

namespace fogsched::analysis {
namespace {

using ::testing::HasSubstr;

using Sample = fogsched::testing::MeanAndError;

// Per-replication values of the three compared metrics.
struct Simulated {
  Sample rejection;
  Sample forwarded;
  Sample mean_busy;  // busy slots over all cameras
};

Simulated simulate(const Scenario& scenario, const PolicyConfig& policy) {
  sim::RunOptions options;
  options.threads = 2;
  const sim::RunOutput out = sim::run_scenario(scenario, {policy}, options);
  std::vector<double> rejection, forwarded, busy;
  for (const sim::ReplicationResult& rep : out.replications.front()) {
    // As `fogsched analyze` and fogsched.analyze() take them.
    const app::ModelledMetrics m =
        app::modelled_metrics(rep.metrics, scenario.cameras.count, scenario.duration - scenario.warmup);
    rejection.push_back(m.rejection_probability);
    forwarded.push_back(m.forwarded_fraction);
    busy.push_back(m.mean_busy);
  }
  return {fogsched::testing::mean_and_error(rejection), fogsched::testing::mean_and_error(forwarded),
          fogsched::testing::mean_and_error(busy)};
}

Scenario scenario_from(const std::string& yaml) { return ScenarioDocument::from_string(yaml, "<test>").parse(); }

// Three cameras with K slots and a queue of Q, Poisson arrivals at the listed
// rates, exponential service of mean 1 s, no network delay.
Scenario small_cluster(std::uint32_t slots, std::uint32_t queue, std::array<double, 3> rates, std::uint64_t seed,
                       const std::string& duration, std::uint32_t replications) {
  return scenario_from(fmt::format(R"(
name: small-cluster
seed: {}
duration: {}
warmup: 200s
replications: {}
cluster:
  cameras: {{count: 3, slots: {}, queue: {}}}
functions:
  job: {{service_time: {{dist: exponential, mean: 1s}}}}
workload:
  - function: job
    arrivals: {{rate: 0, rates: {{0: {}/s, 1: {}/s, 2: {}/s}}}}
)",
                                   seed, duration, replications, slots, queue, rates[0], rates[1], rates[2]));
}

struct ClusterCase {
  std::uint32_t slots;
  std::uint32_t queue;
  std::array<double, 3> rates;
};

// --- small clusters against the exact chain ------------------------------------------

// Three clusters with one hot camera, at per-slot loads of about 0.7, 0.9 and 1.05
// (one with queues), so that rejections, forwards and the differences between the
// policies are large.
const std::vector<ClusterCase> kClusters = {
    {.slots = 2, .queue = 0, .rates = {0.8, 2.6, 1.0}},
    {.slots = 3, .queue = 1, .rates = {2.0, 5.0, 1.2}},
    {.slots = 4, .queue = 0, .rates = {2.5, 6.5, 3.5}},
};

TEST(SimulatorAgainstExactChain, EveryMarkovianPolicyWithinThreeStandardErrors) {
  // Seed 20240611, 30 replications of 20 200 s (200 s warm-up) each: 12 cluster and
  // policy pairs, 3 metrics each. Each comparison alone fails by chance with
  // probability P(|t_29| > 3) = 0.55 %; the seed is fixed, so the outcome is too.
  constexpr double kStandardErrors = 3;
  for (const ClusterCase& c : kClusters) {
    const Scenario scenario = small_cluster(c.slots, c.queue, c.rates, 20240611, "20200s", 30);
    const std::vector<std::string> specs = {"local", "random", fmt::format("threshold_random(threshold={})", c.slots),
                                            fmt::format("power_of_d(d=2,threshold={})", c.slots - 1)};
    for (const std::string& spec : specs) {
      const PolicyConfig policy = PolicyRegistry::with_builtins().parse(spec);
      ASSERT_THAT(check_assumptions(scenario, policy), ::testing::IsEmpty());
      const CtmcSolution exact = solve_ctmc(cluster_nodes(scenario), *markov_policy(policy));
      const Simulated simulated = simulate(scenario, policy);
      const std::string label = fmt::format("K={} Q={} {}", c.slots, c.queue, spec);
      const auto check = [&](const char* metric, const Sample& s, double value) {
        // A tiny floor: local never forwards, so that sample has no spread at all.
        EXPECT_LE(std::abs(s.mean - value), kStandardErrors * s.standard_error + 1e-12)
            << label << " " << metric << ": simulated " << s.mean << " +- " << s.standard_error << " (se), exact "
            << value;
      };
      check("rejection", simulated.rejection, exact.metrics.rejection_probability);
      check("forwarded", simulated.forwarded, exact.metrics.forwarded_fraction);
      check("mean busy", simulated.mean_busy, exact.metrics.mean_busy);
    }
  }
}

// --- the optimum's decision table, simulated ----------------------------------------------

TEST(SimulatorAgainstOptimum, ReplayedTableWithinThreeStandardErrorsOfTheMdpsValue) {
  // The optimum of two clusters (one with queues), forwards costing 0.1 rejection,
  // exported as a table file and replayed by `table` (which probes every peer: with no
  // network delay it sees the exact state). Seed 20261206, 30 replications of 20 200 s
  // (200 s warm-up); 2 clusters x 2 metrics, each failing by chance with probability
  // P(|t_29| > 3) = 0.55 %; the seed is fixed, so the outcome is too.
  constexpr double kStandardErrors = 3;
  for (const ClusterCase& c : {kClusters[0], kClusters[1]}) {
    const Scenario scenario = small_cluster(c.slots, c.queue, c.rates, 20261206, "20200s", 30);
    const std::vector<NodeModel> nodes = cluster_nodes(scenario);
    const OptimalCosts costs{.forward = 0.1, .probe = 0};
    const OptimalSolution optimum = solve_optimal(nodes, costs);
    const std::string text = to_json_text(app::optimal_table(nodes, costs, optimum));
    PolicyRegistry registry = PolicyRegistry::with_builtins();
    registry.read_files_with([&](const std::filesystem::path&) { return text; });
    const Simulated simulated = simulate(scenario, registry.parse("table(file=optimal.json)"));
    const std::string label = fmt::format("K={} Q={}", c.slots, c.queue);
    EXPECT_LE(std::abs(simulated.rejection.mean - optimum.rejection_probability),
              kStandardErrors * simulated.rejection.standard_error)
        << label << ": simulated " << simulated.rejection.mean << " +- " << simulated.rejection.standard_error
        << " (se), optimum " << optimum.rejection_probability;
    EXPECT_LE(std::abs(simulated.forwarded.mean - optimum.forwarded_fraction),
              kStandardErrors * simulated.forwarded.standard_error)
        << label << ": simulated " << simulated.forwarded.mean << " +- " << simulated.forwarded.standard_error
        << " (se), optimum " << optimum.forwarded_fraction;
  }
}

// --- a few hundred cameras against the mean-field limit --------------------------------

TEST(SimulatorAgainstMeanField, ThreeHundredCamerasLandNearTheLimit) {
  // 300 identical loss cameras, K = 2, 1.8/s each (load 0.9 per slot); seed 99,
  // 8 replications of 1020 s (20 s warm-up). Tolerance: 3 standard errors plus a
  // finite-size allowance of 0.5 / N: the exact chains for N = 2..10 put the gap to
  // the limit at about c / N with c <= 0.2 for these policies.
  const Scenario scenario = scenario_from(R"(
name: large-cluster
seed: 99
duration: 1020s
warmup: 20s
replications: 8
cluster:
  cameras: {count: 300, slots: 2}
functions:
  job: {service_time: {dist: exponential, mean: 1s}}
workload:
  - function: job
    arrivals: {rate: 1.8/s}
)");
  constexpr double kStandardErrors = 3;
  const double allowance = 0.5 / scenario.cameras.count;
  for (const std::string spec : {"threshold_random(threshold=2)", "power_of_d(d=2,threshold=1)"}) {
    const PolicyConfig policy = PolicyRegistry::with_builtins().parse(spec);
    const PolicyAnalysis analysis = analyze(scenario, policy);
    ASSERT_EQ(analysis.models.size(), 2u);
    const ModelResult& limit = analysis.models[1];
    ASSERT_EQ(limit.model, Model::mean_field);
    ASSERT_TRUE(limit.applies) << spec;
    const Simulated simulated = simulate(scenario, policy);
    EXPECT_LE(std::abs(simulated.rejection.mean - limit.rejection_probability),
              kStandardErrors * simulated.rejection.standard_error + allowance)
        << spec << ": simulated " << simulated.rejection.mean << ", limit " << limit.rejection_probability;
    EXPECT_LE(std::abs(simulated.forwarded.mean - limit.forwarded_fraction),
              kStandardErrors * simulated.forwarded.standard_error + allowance)
        << spec << ": simulated " << simulated.forwarded.mean << ", limit " << limit.forwarded_fraction;
    const double cameras = scenario.cameras.count;
    EXPECT_LE(std::abs(simulated.mean_busy.mean - limit.mean_busy) / cameras,
              kStandardErrors * simulated.mean_busy.standard_error / cameras + allowance)
        << spec << ": simulated " << simulated.mean_busy.mean << ", limit " << limit.mean_busy;
  }
}

// --- the models see the simulator's cameras ---------------------------------------------

TEST(ClusterNodes, MatchTheSimulatorsCity) {
  const Scenario scenario = scenario_from(R"(
name: fleet
duration: 1h
cluster:
  cameras:
    count: 6
    slots: [1, 2, 3, 2, 1, 4]
    speed: [1, 1.5, 0.5, 1, 2, 1]
    queue: 1
    overrides:
      - {cameras: [4, 5], queue: 0, speed: 3}
functions:
  job: {service_time: {dist: exponential, mean: 400ms}}
workload:
  - function: job
    cameras: [0, 1, 2, 4, 5]
    arrivals: {load: 0.7, hotspots: {cameras: [1, 4], factor: 2.5}, rates: {5: 0.25/s}}
)");
  const sim::City city(scenario);
  const std::vector<NodeModel> nodes = cluster_nodes(scenario);
  ASSERT_EQ(nodes.size(), city.camera_count());
  std::vector<double> city_rates(city.camera_count(), 0.0);
  for (const sim::ArrivalStream& stream : city.streams()) city_rates[stream.camera] += stream.base_rate_per_s;
  for (std::uint32_t i = 0; i < city.camera_count(); ++i) {
    EXPECT_EQ(nodes[i].slots, city.node(i).slots) << i;
    EXPECT_EQ(nodes[i].queue, city.node(i).queue) << i;
    EXPECT_DOUBLE_EQ(nodes[i].service_rate_per_s, city.node(i).speed / 0.4) << i;
    EXPECT_DOUBLE_EQ(nodes[i].arrival_rate_per_s, city_rates[i]) << i;
  }
}

// --- fogsched analyze ---------------------------------------------------------------------

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

CommandResult run_cli(const std::string& arguments) {
  const std::filesystem::path err =
      std::filesystem::path(::testing::TempDir()) / ("fogsched_analyze_stderr_" + std::to_string(::getpid()) + ".txt");
  const std::string command = std::string(FOGSCHED_CLI_PATH) + " analyze " + arguments + " 2>" + err.string();
  CommandResult result;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get()) != nullptr) result.out += buffer.data();
  const int status = pclose(pipe.release());
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err);
  result.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  std::filesystem::remove(err);
  return result;
}

const std::string kMarkovSmall = std::string(FOGSCHED_SOURCE_DIR) + "/scenarios/markov-small.yaml";

TEST(AnalyzeCommand, JsonHasSimulatedAndExactValuesPerPolicy) {
  const CommandResult r = run_cli(kMarkovSmall + " --json --duration 20min --replications 4 --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["scenario"], "markov-small");
  ASSERT_EQ(doc["results"].size(), 4u);
  for (const nlohmann::json& result : doc["results"]) {
    EXPECT_EQ(result["replications"], 4);
    EXPECT_TRUE(result["failed_assumptions"].empty());
    for (const char* metric : {"rejection_probability", "forwarded_fraction", "mean_busy"}) {
      const nlohmann::json& m = result["metrics"][metric];
      EXPECT_TRUE(m["simulated"]["mean"].is_number()) << metric;
      EXPECT_TRUE(m["simulated"]["ci95"].is_number()) << metric;
      ASSERT_TRUE(m["models"].contains("ctmc")) << result["policy"] << " " << metric;
      const nlohmann::json& exact = m["models"]["ctmc"];
      const double distance = std::abs(exact["value"].get<double>() - m["simulated"]["mean"].get<double>());
      EXPECT_EQ(exact["within_ci95"].get<bool>(), distance <= m["simulated"]["ci95"].get<double>() + 1e-9);
    }
  }
  const nlohmann::json& local = doc["results"][0];
  EXPECT_EQ(local["policy"], "local");
  EXPECT_TRUE(local["metrics"]["rejection_probability"]["models"].contains("erlang_b"));
  EXPECT_EQ(local["models"][0]["model"], "erlang_b");
  EXPECT_TRUE(local["models"][0]["applies"]);
  // Three cameras: the mean-field limit is not shown, and the reason is given.
  const nlohmann::json& probing = doc["results"][3];
  EXPECT_EQ(probing["models"][1]["model"], "mean_field");
  EXPECT_FALSE(probing["models"][1]["applies"]);
  EXPECT_THAT(probing["models"][1]["failed_assumptions"].dump(), HasSubstr("cluster.cameras.count"));
}

TEST(AnalyzeCommand, TableNamesTheAssumptionsThatFail) {
  const CommandResult r =
      run_cli(kMarkovSmall +
              " --duration 2min --replications 2 --policy least_loaded --policy local"
              " --set network.latency.base=2ms --set functions.plate.service_time.dist=deterministic");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("policies: 'least_loaded(gossip_interval=1s,fanout=0)' is not modelled"));
  EXPECT_THAT(r.out, HasSubstr("functions.plate.service_time.dist: is deterministic; the models need exponential"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("network.latency.base")));  // local moves nothing
}

TEST(AnalyzeCommand, OptimalGivesTheOptimumEveryPolicysGapAndTheTable) {
  const std::filesystem::path table =
      std::filesystem::path(::testing::TempDir()) / ("fogsched_optimal_" + std::to_string(::getpid()) + ".json");
  const CommandResult r =
      run_cli(kMarkovSmall + " --json --duration 2min --replications 2 --optimal --forward-cost 0.1" +
              " --probe-cost 0.01 --optimal-table " + table.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  const nlohmann::json& optimal = doc["optimal"];
  ASSERT_TRUE(optimal["applies"].get<bool>()) << optimal.dump();
  EXPECT_EQ(optimal["costs"]["forward"], 0.1);
  EXPECT_EQ(optimal["states"], 27);
  EXPECT_EQ(optimal["probes_per_arrival"], 0.0);
  const double best = optimal["cost_per_arrival"].get<double>();
  EXPECT_LE(optimal["lower_bound"].get<double>(), best + 1e-12);
  EXPECT_GE(optimal["upper_bound"].get<double>(), best - 1e-12);
  ASSERT_EQ(doc["results"].size(), 4u);
  for (const nlohmann::json& result : doc["results"]) {
    const nlohmann::json& gap = result["optimal_gap"];
    ASSERT_TRUE(gap.is_object()) << result["policy"];
    EXPECT_GE(gap["gap"].get<double>(), 0.0) << result["policy"];
    EXPECT_NEAR(gap["cost_per_arrival"].get<double>() - gap["gap"].get<double>(), best, 1e-15);
  }
  EXPECT_GT(doc["results"][3]["optimal_gap"]["probes_per_arrival"].get<double>(), 0.0);  // power_of_d

  std::ifstream in(table);
  const nlohmann::json written = nlohmann::json::parse(in);
  std::filesystem::remove(table);
  EXPECT_EQ(written["format"], "fogsched-optimal-table");
  EXPECT_EQ(written["cost_per_arrival"].get<double>(), best);
  EXPECT_EQ(written["actions"].size(), 27u);
}

TEST(AnalyzeCommand, OptimalSaysWhyItDoesNotApplyAndExitsZero) {
  const CommandResult delayed = run_cli(
      kMarkovSmall + " --duration 1min --replications 2 --policy local --optimal --set network.latency.base=2ms");
  ASSERT_EQ(delayed.exit_code, 0) << delayed.err;
  EXPECT_THAT(delayed.out, HasSubstr("optimal policy (forward cost 0, probe cost 0"));
  EXPECT_THAT(delayed.out, HasSubstr("does not apply: network.latency.base: is 2ms"));
  const CommandResult large = run_cli(kMarkovSmall +
                                      " --json --duration 1min --replications 2 --policy local --optimal"
                                      " --set cluster.cameras.count=12");
  ASSERT_EQ(large.exit_code, 0) << large.err;
  const nlohmann::json doc = nlohmann::json::parse(large.out);
  EXPECT_FALSE(doc["optimal"]["applies"].get<bool>());
  EXPECT_TRUE(doc["optimal"]["cost_per_arrival"].is_null());
  EXPECT_EQ(doc["optimal"]["failed_assumptions"][0]["key"], "cluster.cameras.count");
  EXPECT_TRUE(doc["results"][0]["optimal_gap"].is_null());
}

TEST(AnalyzeCommand, OptimalTableHasTheOptimumAndEachPolicysGap) {
  const CommandResult r = run_cli(kMarkovSmall + " --duration 1min --replications 2 --policy local --optimal");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("optimal policy (forward cost 0, probe cost 0; it sees every camera's load"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("cost per arrival 0\\.[0-9]+ \\(exact chain\\), gap to the optimum "
                                              "0\\.[0-9]+"));
}

// `fogsched analyze ARGUMENTS` exits with 2 and says `message`.
void expect_bad_input(const std::string& arguments, const std::string& message) {
  const CommandResult r = run_cli(kMarkovSmall + " " + arguments);
  EXPECT_EQ(r.exit_code, 2) << arguments;
  EXPECT_THAT(r.err, HasSubstr(message)) << arguments;
}

TEST(AnalyzeCommand, OptimalOptionsAreChecked) {
  expect_bad_input("--duration 1min --forward-cost 1", "--forward-cost");  // needs --optimal
  expect_bad_input("--duration 1min --optimal --probe-cost -1", "--probe-cost");
  expect_bad_input("--duration 1min --optimal --optimal-table /nonexistent/table.json",
                   "cannot write /nonexistent/table.json");
}

TEST(AnalyzeCommand, BadInputExitsWithTwo) {
  expect_bad_input("--policy no_such_policy --duration 1min", "fogsched: unknown policy 'no_such_policy'");
  expect_bad_input("--set cluster.cameras.slots=x", "--set: cluster.cameras.slots");
}

}  // namespace
}  // namespace fogsched::analysis
