// The exact models on their own: Erlang-B and the finite-queue station against
// direct sums, the cluster chain against single stations, product forms, balance
// equations and hand-computed transition rates, the mean-field limit against a
// closed form and against the exact chain as N grows, and the applicability checks.
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fogsched/analysis/analyze.h"
#include "fogsched/analysis/ctmc.h"
#include "fogsched/analysis/markov_model.h"
#include "fogsched/analysis/mean_field.h"
#include "fogsched/analysis/queueing.h"
#include "fogsched/core/scenario_yaml.h"

namespace fogsched::analysis {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

PolicyConfig policy(const std::string& spec) { return PolicyRegistry::with_builtins().parse(spec); }

MarkovPolicy markov(const std::string& spec) { return *markov_policy(policy(spec)); }

Scenario scenario_from(const std::string& yaml) { return ScenarioDocument::from_string(yaml, "<test>").parse(); }

const std::vector<std::string> kMarkovianPolicies = {"local", "random", "threshold_random(threshold=2)",
                                                     "power_of_d(d=2,threshold=2)"};

// Stationary probabilities of a birth-death station, by direct products and sums.
std::vector<double> station_distribution(const NodeModel& node) {
  std::vector<double> p(node.capacity() + 1, 1.0);
  for (std::uint32_t n = 1; n <= node.capacity(); ++n) {
    p[n] = p[n - 1] * node.arrival_rate_per_s / (std::min(n, node.slots) * node.service_rate_per_s);
  }
  const double total = std::accumulate(p.begin(), p.end(), 0.0);
  for (double& v : p) v /= total;
  return p;
}

// --- single stations -------------------------------------------------------------

TEST(ErlangB, MatchesTheDirectFormula) {
  for (const std::uint32_t slots : {1u, 2u, 4u, 10u, 30u}) {
    for (const double offered : {0.1, 1.0, 3.0, 8.0, 25.0}) {
      const std::vector<double> p = station_distribution({.arrival_rate_per_s = offered, .slots = slots});
      EXPECT_NEAR(erlang_b(offered, slots), p.back(), 1e-13) << "K=" << slots << " A=" << offered;
    }
  }
}

TEST(ErlangB, StaysFiniteWhereFactorialsOverflow) {
  // 500! overflows a double; the recursion never forms it.
  const double b = erlang_b(480.0, 500);
  EXPECT_GT(b, 0.0);
  EXPECT_LT(b, 0.05);
  EXPECT_DOUBLE_EQ(erlang_b(0.0, 3), 0.0);
  EXPECT_DOUBLE_EQ(erlang_b(2.0, 0), 1.0);
}

TEST(Station, FiniteQueueMatchesDirectSums) {
  for (const std::uint32_t queue : {0u, 1u, 3u, 10u}) {
    for (const double rate : {0.5, 2.0, 3.5, 9.0}) {
      const NodeModel node{.arrival_rate_per_s = rate, .service_rate_per_s = 1.25, .slots = 3, .queue = queue};
      const std::vector<double> p = station_distribution(node);
      double busy = 0;
      double in_system = 0;
      for (std::uint32_t n = 0; n < p.size(); ++n) {
        busy += p[n] * std::min(n, node.slots);
        in_system += p[n] * n;
      }
      const StationMetrics m = station_metrics(node);
      EXPECT_NEAR(m.blocking_probability, p.back(), 1e-12);
      EXPECT_NEAR(m.mean_busy, busy, 1e-12);
      EXPECT_NEAR(m.mean_in_system, in_system, 1e-11);
      EXPECT_NEAR(m.throughput_per_s, busy * node.service_rate_per_s, 1e-11);
    }
  }
}

TEST(Station, LongQueueUnderOverloadDoesNotOverflow) {
  const StationMetrics m =
      station_metrics({.arrival_rate_per_s = 50, .service_rate_per_s = 1, .slots = 2, .queue = 400});
  EXPECT_NEAR(m.blocking_probability, 1 - 2.0 / 50, 1e-12);  // the slots are always busy
  EXPECT_NEAR(m.mean_busy, 2.0, 1e-12);
}

// --- the cluster chain --------------------------------------------------------------

TEST(ClusterChain, OneNodeIsTheSingleStationUnderEveryPolicy) {
  for (const std::string& spec : kMarkovianPolicies) {
    for (const std::uint32_t slots : {1u, 2u, 5u, 12u}) {
      for (const std::uint32_t queue : {0u, 3u}) {
        for (const double load : {0.3, 0.9, 1.6}) {
          const NodeModel node{
              .arrival_rate_per_s = load * slots * 0.8, .service_rate_per_s = 0.8, .slots = slots, .queue = queue};
          const CtmcSolution chain = solve_ctmc({node}, markov(spec));
          const StationMetrics station = station_metrics(node);
          EXPECT_NEAR(chain.metrics.rejection_probability, station.blocking_probability, 1e-10)
              << spec << " K=" << slots << " Q=" << queue << " load=" << load;
          EXPECT_NEAR(chain.metrics.mean_busy, station.mean_busy, 1e-10);
          EXPECT_NEAR(chain.metrics.mean_in_system_per_node[0], station.mean_in_system, 1e-9);
          EXPECT_EQ(chain.metrics.forwarded_fraction, 0.0);
        }
      }
    }
  }
}

TEST(ClusterChain, LocalFactorisesIntoIndependentStations) {
  const std::vector<NodeModel> nodes = {
      {.arrival_rate_per_s = 0.7, .service_rate_per_s = 1.0, .slots = 2, .queue = 0},
      {.arrival_rate_per_s = 3.1, .service_rate_per_s = 0.5, .slots = 3, .queue = 2},
      {.arrival_rate_per_s = 1.9, .service_rate_per_s = 2.0, .slots = 1, .queue = 1},
  };
  const ClusterChain chain(nodes, markov("local"));
  const ClusterChain::Stationary stationary = chain.stationary();
  std::vector<std::vector<double>> marginals;
  marginals.reserve(nodes.size());
  for (const NodeModel& node : nodes) marginals.push_back(station_distribution(node));
  for (std::size_t s = 0; s < chain.state_count(); ++s) {
    const std::vector<std::uint32_t> loads = chain.loads(s);
    double product = 1;
    for (std::size_t i = 0; i < nodes.size(); ++i) product *= marginals[i][loads[i]];
    ASSERT_NEAR(stationary.probabilities(static_cast<Eigen::Index>(s)), product, 1e-12) << "state " << s;
  }

  const ClusterMetrics m = chain.metrics(stationary.probabilities);
  double rejected = 0;
  double arrivals = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const StationMetrics station = station_metrics(nodes[i]);
    EXPECT_NEAR(m.mean_busy_per_node[i], station.mean_busy, 1e-10);
    rejected += nodes[i].arrival_rate_per_s * station.blocking_probability;
    arrivals += nodes[i].arrival_rate_per_s;
  }
  EXPECT_NEAR(m.rejection_probability, rejected / arrivals, 1e-10);
}

TEST(ClusterChain, StationaryDistributionSumsToOneAndBalances) {
  const std::vector<NodeModel> nodes = {
      {.arrival_rate_per_s = 2.5, .service_rate_per_s = 1.0, .slots = 2, .queue = 1},
      {.arrival_rate_per_s = 0.4, .service_rate_per_s = 1.5, .slots = 3, .queue = 0},
      {.arrival_rate_per_s = 1.2, .service_rate_per_s = 1.0, .slots = 2, .queue = 0},
      {.arrival_rate_per_s = 1.0, .service_rate_per_s = 0.7, .slots = 1, .queue = 2},
  };
  for (const std::string& spec : kMarkovianPolicies) {
    const ClusterChain chain(nodes, markov(spec));
    const auto& q = chain.generator();
    const Eigen::VectorXd row_sums = q * Eigen::VectorXd::Ones(q.cols());
    EXPECT_LT(row_sums.cwiseAbs().maxCoeff(), 1e-12) << spec;

    const ClusterChain::Stationary stationary = chain.stationary();
    EXPECT_NEAR(stationary.probabilities.sum(), 1.0, 1e-12) << spec;
    EXPECT_GE(stationary.probabilities.minCoeff(), 0.0) << spec;
    const Eigen::VectorXd balance = q.transpose() * stationary.probabilities;
    EXPECT_LT(balance.cwiseAbs().maxCoeff(), 1e-12) << spec;

    // What arrives and is accepted is what the slots complete.
    const ClusterMetrics m = chain.metrics(stationary.probabilities);
    double arrivals = 0;
    for (const NodeModel& node : nodes) arrivals += node.arrival_rate_per_s;
    EXPECT_NEAR(arrivals * (1 - m.rejection_probability), m.throughput_per_s, 1e-10) << spec;
  }
}

// Q(from, to) for the per-node loads `from` and `to`.
double rate(const ClusterChain& chain, std::vector<std::uint32_t> from, std::vector<std::uint32_t> to) {
  return chain.generator().coeff(static_cast<Eigen::Index>(chain.state_of(from)),
                                 static_cast<Eigen::Index>(chain.state_of(to)));
}

TEST(ClusterChain, ThresholdRandomSendsOverflowToAUniformPeer) {
  const std::vector<NodeModel> nodes = {{.arrival_rate_per_s = 1.0, .slots = 2},
                                        {.arrival_rate_per_s = 2.0, .slots = 2},
                                        {.arrival_rate_per_s = 4.0, .slots = 2}};
  const ClusterChain chain(nodes, markov("threshold_random(threshold=2)"));
  // Node 0 at its threshold sends to node 1 or 2 (1/2 each); node 1 and 2 keep theirs.
  EXPECT_DOUBLE_EQ(rate(chain, {2, 0, 1}, {2, 1, 1}), 1.0 / 2 + 2.0);
  EXPECT_DOUBLE_EQ(rate(chain, {2, 0, 1}, {2, 0, 2}), 1.0 / 2 + 4.0);
  // A full peer rejects what is forwarded to it: the overflow of nodes 0 and 2
  // reaches node 1 only half the time.
  EXPECT_DOUBLE_EQ(rate(chain, {2, 0, 2}, {2, 1, 2}), 1.0 / 2 + 4.0 / 2 + 2.0);
  EXPECT_DOUBLE_EQ(rate(chain, {2, 0, 2}, {1, 0, 2}), 2.0);  // a completion at node 0
}

TEST(ClusterChain, PowerOfDPicksTheLeastLoadedProbedPeerOnlyWhenStrictlyLess) {
  const std::vector<NodeModel> nodes = {{.arrival_rate_per_s = 1.0, .slots = 2},
                                        {.arrival_rate_per_s = 2.0, .slots = 2},
                                        {.arrival_rate_per_s = 4.0, .slots = 2}};
  {
    const ClusterChain chain(nodes, markov("power_of_d(d=2,threshold=1)"));
    // Node 0 (load 1) probes both idle peers: a tie, each chosen half the time.
    EXPECT_DOUBLE_EQ(rate(chain, {1, 0, 0}, {1, 1, 0}), 1.0 / 2 + 2.0);
    // Node 0 (load 2) sees loads 1 and 0: always node 2.
    EXPECT_DOUBLE_EQ(rate(chain, {2, 1, 0}, {2, 1, 1}), 1.0 + 4.0 + 2.0);
    EXPECT_DOUBLE_EQ(rate(chain, {2, 1, 0}, {2, 2, 0}), 0.0);
    // Node 1 (load 1) sees loads 1 and 2: none strictly less, it keeps its own; full
    // node 2 sees two peers at load 1 and sends to node 1 half the time.
    EXPECT_DOUBLE_EQ(rate(chain, {1, 1, 2}, {1, 2, 2}), 2.0 + 4.0 / 2);
  }
  {
    const ClusterChain chain(nodes, markov("power_of_d(d=1,threshold=1)"));
    // One probe: node 0 (load 2) finds node 1 (load 1) or node 2 (load 0), each 1/2.
    // Node 1 (load 1) finds node 2 (idle: forward) or node 0 (load 2: keep it), 1/2 each.
    EXPECT_DOUBLE_EQ(rate(chain, {2, 1, 0}, {2, 2, 0}), 1.0 / 2 + 2.0 / 2);
    EXPECT_DOUBLE_EQ(rate(chain, {2, 1, 0}, {2, 1, 1}), 1.0 / 2 + 2.0 / 2 + 4.0);
  }
}

TEST(ClusterChain, OneProbeOnLossNodesRejectsAsOftenAsThresholdRandom) {
  // With K = 1 and threshold 1, a busy node probing one peer forwards exactly when a
  // uniform peer would have accepted: the same rejections, though threshold_random
  // also counts the forwards a full peer rejects.
  const std::vector<NodeModel> nodes(4, NodeModel{.arrival_rate_per_s = 0.8, .service_rate_per_s = 1, .slots = 1});
  const CtmcSolution probe = solve_ctmc(nodes, markov("power_of_d(d=1,threshold=1)"));
  const CtmcSolution random = solve_ctmc(nodes, markov("threshold_random(threshold=1)"));
  EXPECT_NEAR(probe.metrics.rejection_probability, random.metrics.rejection_probability, 1e-12);
  EXPECT_LT(probe.metrics.forwarded_fraction, random.metrics.forwarded_fraction);
}

TEST(ClusterChain, CooperationLowersRejectionBelowErlangB) {
  const std::vector<NodeModel> nodes = {{.arrival_rate_per_s = 3.0, .slots = 2},
                                        {.arrival_rate_per_s = 0.5, .slots = 2},
                                        {.arrival_rate_per_s = 0.5, .slots = 2}};
  const double alone = solve_ctmc(nodes, markov("local")).metrics.rejection_probability;
  const double threshold = solve_ctmc(nodes, markov("threshold_random(threshold=2)")).metrics.rejection_probability;
  const double probing = solve_ctmc(nodes, markov("power_of_d(d=2,threshold=2)")).metrics.rejection_probability;
  EXPECT_LT(threshold, alone);
  EXPECT_LT(probing, threshold);
}

TEST(ClusterChain, RefusesStateSpacesAboveTheLimitNamingTheirSize) {
  const std::vector<NodeModel> nodes(9, NodeModel{.arrival_rate_per_s = 1, .slots = 4});
  try {
    ClusterChain chain(nodes, markov("local"));
    FAIL() << "expected AnalysisError";
  } catch (const AnalysisError& e) {
    EXPECT_THAT(e.what(), HasSubstr("1953125 states"));
  }
}

// --- the mean-field limit -----------------------------------------------------------

TEST(MeanField, OneSlotMatchesTheClosedForm) {
  // K = 1, threshold 1: ds/dt = lambda (1 - s) + lambda s (1 - s) - mu s, so
  // lambda (1 - s^2) = mu s and s = (sqrt(mu^2 + 4 lambda^2) - mu) / (2 lambda);
  // an arrival is lost when its node and the peer it is sent to are both busy: s^2.
  // One probe (d = 1) forwards exactly when that peer is idle: the same limit.
  for (const double lambda : {0.3, 0.9, 2.0}) {
    const double mu = 1.2;
    const double s = (std::sqrt(mu * mu + 4 * lambda * lambda) - mu) / (2 * lambda);
    const NodeModel node{.arrival_rate_per_s = lambda, .service_rate_per_s = mu, .slots = 1};
    for (const char* spec : {"threshold_random(threshold=1)", "power_of_d(d=1,threshold=1)"}) {
      const MeanFieldSolution mf = solve_mean_field(node, markov(spec));
      EXPECT_NEAR(mf.tail[1], s, 1e-10) << spec << " lambda=" << lambda;
      EXPECT_NEAR(mf.rejection_probability, s * s, 1e-10) << spec;
      EXPECT_NEAR(mf.mean_busy_per_node, s, 1e-10) << spec;
    }
  }
}

TEST(MeanField, ThroughputBalancesAtTheFixedPoint) {
  for (const char* spec :
       {"threshold_random(threshold=2)", "threshold_random(threshold=9)", "power_of_d(d=1,threshold=3)",
        "power_of_d(d=2,threshold=2)", "power_of_d(d=5,threshold=1)"}) {
    for (const double load : {0.5, 0.85, 1.3}) {
      const NodeModel node{.arrival_rate_per_s = load * 4 * 0.5, .service_rate_per_s = 0.5, .slots = 4};
      const MeanFieldSolution mf = solve_mean_field(node, markov(spec));
      EXPECT_NEAR(node.arrival_rate_per_s * (1 - mf.rejection_probability),
                  node.service_rate_per_s * mf.mean_busy_per_node, 1e-9)
          << spec << " load=" << load;
      EXPECT_LE(mf.drift, kMeanFieldTolerance * (node.arrival_rate_per_s + 4 * node.service_rate_per_s));
      for (std::size_t k = 1; k < mf.tail.size(); ++k) EXPECT_LE(mf.tail[k], mf.tail[k - 1]);
    }
  }
}

TEST(MeanField, ExactChainApproachesTheLimitAsTheClusterGrows) {
  // Identical loss nodes, K = 2, load 0.9 per slot. The exact chain's distance to the
  // limit shrinks with every added node (N = 2..8, up to 6561 states).
  for (const char* spec :
       {"threshold_random(threshold=2)", "power_of_d(d=2,threshold=1)", "power_of_d(d=1,threshold=2)"}) {
    const NodeModel node{.arrival_rate_per_s = 1.8, .service_rate_per_s = 1.0, .slots = 2};
    const MeanFieldSolution limit = solve_mean_field(node, markov(spec));
    std::vector<double> rejection_gap;
    std::vector<double> forwarded_gap;
    for (std::size_t n = 2; n <= 8; ++n) {
      const CtmcSolution exact = solve_ctmc(std::vector<NodeModel>(n, node), markov(spec));
      rejection_gap.push_back(std::abs(exact.metrics.rejection_probability - limit.rejection_probability));
      forwarded_gap.push_back(std::abs(exact.metrics.forwarded_fraction - limit.forwarded_fraction));
    }
    for (std::size_t i = 1; i < rejection_gap.size(); ++i) {
      EXPECT_LT(rejection_gap[i], rejection_gap[i - 1]) << spec << " N=" << i + 2;
      EXPECT_LT(forwarded_gap[i], forwarded_gap[i - 1]) << spec << " N=" << i + 2;
    }
    // The gap behaves like c / N: from N = 2 to N = 8 it falls at least threefold.
    EXPECT_LT(rejection_gap.back(), rejection_gap.front() / 3) << spec;
  }
}

// --- scenarios ------------------------------------------------------------------------

constexpr const char* kMarkovianYaml = R"(
name: markov
duration: 1h
cluster:
  cameras:
    count: 3
    slots: 2
    overrides:
      - {camera: 2, slots: 3, queue: 1, speed: 2}
functions:
  job: {service_time: {dist: exponential, mean: 500ms}}
workload:
  - function: job
    arrivals: {rate: 1/s, hotspots: {cameras: [1], factor: 3}, rates: {2: 0.5/s}}
)";

TEST(ClusterNodes, ResolvesRatesSlotsQueuesAndSpeeds) {
  const std::vector<NodeModel> nodes = cluster_nodes(scenario_from(kMarkovianYaml));
  EXPECT_THAT(nodes,
              ElementsAre(NodeModel{.arrival_rate_per_s = 1.0, .service_rate_per_s = 2.0, .slots = 2},
                          NodeModel{.arrival_rate_per_s = 3.0, .service_rate_per_s = 2.0, .slots = 2},
                          NodeModel{.arrival_rate_per_s = 0.5, .service_rate_per_s = 4.0, .slots = 3, .queue = 1}));
}

TEST(ClusterNodes, LoadIsPerSlotOfADefaultCamera) {
  Scenario s = scenario_from(kMarkovianYaml);
  s.workload[0].arrivals.rate_per_s.reset();
  s.workload[0].arrivals.load = 0.5;  // 0.5 x 2 slots x speed 1 / 0.5 s = 2/s
  EXPECT_DOUBLE_EQ(cluster_nodes(s)[0].arrival_rate_per_s, 2.0);
}

TEST(CheckAssumptions, AMarkovianScenarioPassesForEveryModelledPolicy) {
  const Scenario s = scenario_from(kMarkovianYaml);
  for (const std::string& spec : kMarkovianPolicies) EXPECT_THAT(check_assumptions(s, policy(spec)), IsEmpty()) << spec;
}

std::vector<std::string> failed_keys(const Scenario& s, const std::string& spec) {
  std::vector<std::string> keys;
  for (const FailedAssumption& f : check_assumptions(s, policy(spec))) keys.push_back(f.key);
  return keys;
}

TEST(CheckAssumptions, NamesEachFailingAssumptionByItsKey) {
  const Scenario s = scenario_from(R"(
name: not-markov
duration: 1h
hop_limit: 0
cluster:
  cameras: {count: 4, slots: {dist: uniform, min: 1, max: 3}, speed: {choice: [1, 2]}}
network: {latency: {base: 1ms, per_km: 2ms}, bandwidth: 10Mbps, probe_bytes: 100B}
functions:
  job: {service_time: {dist: lognormal, mean: 1s, cv: 0.5}, payload: 10KB}
workload:
  - function: job
    arrivals:
      rate: 1/s
      hotspots: {count: 1, factor: 2}
      profile: [{at: 0, factor: 1}, {at: 10min, factor: 2}]
faults:
  outages: [{cameras: [1], at: 1min, for: 1min}]
  failures: {mttf: 1h, mttr: 1min}
)");
  EXPECT_THAT(failed_keys(s, "power_of_d(d=2,threshold=2)"),
              ElementsAre("workload.0.arrivals.profile", "workload.0.arrivals.hotspots.count",
                          "functions.job.service_time.dist", "functions.job.payload", "cluster.cameras.slots",
                          "cluster.cameras.speed", "faults.outages", "faults.failures", "network.latency.base",
                          "network.latency.per_km", "hop_limit", "network.probe_bytes"));
  // Only power_of_d probes; local moves nothing, so the network does not matter to it.
  EXPECT_THAT(failed_keys(s, "threshold_random(threshold=2)"),
              ::testing::Not(::testing::Contains("network.probe_bytes")));
  EXPECT_THAT(failed_keys(s, "local"), ElementsAre("workload.0.arrivals.profile", "workload.0.arrivals.hotspots.count",
                                                   "functions.job.service_time.dist", "cluster.cameras.slots",
                                                   "cluster.cameras.speed", "faults.outages", "faults.failures"));
  const std::vector<FailedAssumption> failed = check_assumptions(s, policy("local"));
  EXPECT_THAT(failed[2].to_string(), HasSubstr("is lognormal; the models need exponential service times"));
}

TEST(CheckAssumptions, NamesOtherArrivalProcessesAndSeveralWorkloads) {
  Scenario s = scenario_from(kMarkovianYaml);
  s.workload[0].arrivals.process = ArrivalProcess::mmpp;
  s.workload.push_back(s.workload[0]);
  EXPECT_THAT(failed_keys(s, "local"), ElementsAre("workload", "workload.0.arrivals.process"));
}

TEST(CheckAssumptions, NamesPoliciesTheModelsDoNotCover) {
  const std::vector<FailedAssumption> failed = check_assumptions(scenario_from(kMarkovianYaml), policy("least_loaded"));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].key, "policies");
  EXPECT_THAT(failed[0].problem, HasSubstr("'least_loaded(gossip_interval="));
}

TEST(ClusterNodes, RefusesANonMarkovianScenarioSayingWhy) {
  Scenario s = scenario_from(kMarkovianYaml);
  s.functions[0].service_time.dist = ServiceDist::deterministic;
  try {
    cluster_nodes(s);
    FAIL() << "expected AnalysisError";
  } catch (const AnalysisError& e) {
    EXPECT_THAT(e.what(), HasSubstr("functions.job.service_time.dist: is deterministic"));
  }
}

// --- analyze -------------------------------------------------------------------------

TEST(Analyze, GivesEachPolicyItsModels) {
  const Scenario s = scenario_from(kMarkovianYaml);
  const PolicyAnalysis local = analyze(s, policy("local"));
  ASSERT_EQ(local.models.size(), 2u);
  EXPECT_EQ(local.models[0].model, Model::erlang_b);
  EXPECT_EQ(local.models[1].model, Model::ctmc);
  ASSERT_TRUE(local.models[0].applies && local.models[1].applies);
  EXPECT_NEAR(local.models[0].rejection_probability, local.models[1].rejection_probability, 1e-10);
  EXPECT_NEAR(local.models[0].mean_busy, local.models[1].mean_busy, 1e-10);

  const PolicyAnalysis probing = analyze(s, policy("power_of_d(d=2,threshold=2)"));
  ASSERT_EQ(probing.models.size(), 2u);
  EXPECT_TRUE(probing.models[0].applies);
  EXPECT_THAT(probing.models[0].detail, HasSubstr("45 states"));
  const ModelResult& mean_field = probing.models[1];
  EXPECT_FALSE(mean_field.applies);
  std::vector<std::string> keys;
  for (const FailedAssumption& f : mean_field.failed) keys.push_back(f.key);
  EXPECT_THAT(keys, ElementsAre("workload.0.arrivals", "cluster.cameras.slots", "cluster.cameras.speed",
                                "cluster.cameras.queue", "cluster.cameras.count"));
  EXPECT_TRUE(std::isnan(mean_field.rejection_probability));
}

TEST(Analyze, LargeIdenticalClustersGetTheMeanFieldLimitInsteadOfTheChain) {
  Scenario s = scenario_from(kMarkovianYaml);
  s.cameras.count = 40;
  s.cameras.overrides.clear();
  s.workload[0].arrivals.hotspot_cameras.clear();
  s.workload[0].arrivals.camera_rates.clear();
  const PolicyAnalysis a = analyze(s, policy("threshold_random(threshold=2)"));
  ASSERT_EQ(a.models.size(), 2u);
  EXPECT_FALSE(a.models[0].applies);
  ASSERT_EQ(a.models[0].failed.size(), 1u);
  EXPECT_THAT(a.models[0].failed[0].to_string(),
              HasSubstr("cluster.cameras.count: 40 cameras make about 10^19 states"));
  ASSERT_TRUE(a.models[1].applies);
  const MeanFieldSolution limit = solve_mean_field(cluster_nodes(s)[0], markov("threshold_random(threshold=2)"));
  EXPECT_DOUBLE_EQ(a.models[1].rejection_probability, limit.rejection_probability);
  EXPECT_DOUBLE_EQ(a.models[1].mean_busy, 40 * limit.mean_busy_per_node);
}

TEST(Analyze, ReportsSharedFailuresWithoutModels) {
  Scenario s = scenario_from(kMarkovianYaml);
  s.network.latency_base = std::chrono::milliseconds(5);
  const PolicyAnalysis a = analyze(s, policy("random"));
  EXPECT_THAT(a.models, IsEmpty());
  ASSERT_EQ(a.failed.size(), 1u);
  EXPECT_EQ(a.failed[0].to_string(), "network.latency.base: is 5ms; the models need zero network delay");
  // local never uses the network.
  EXPECT_THAT(analyze(s, policy("local")).failed, IsEmpty());
}

}  // namespace
}  // namespace fogsched::analysis
