// The optimal policy of a small Markovian cluster: Erlang-B for one camera, never
// worse than any built-in policy, never forwarding when a forward costs as much as a
// rejection, its bounds bracketing its cost; and the chain of a decision table.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fogsched/analysis/ctmc.h"
#include "fogsched/analysis/markov_model.h"
#include "fogsched/analysis/optimal.h"
#include "fogsched/analysis/queueing.h"

namespace fogsched::analysis {
namespace {

using ::testing::HasSubstr;

MarkovPolicy markov(const std::string& spec) { return *markov_policy(PolicyRegistry::with_builtins().parse(spec)); }

// Every built-in policy the chain covers, with every threshold a node of `slots` has.
std::vector<std::string> built_in_policies(std::uint32_t slots) {
  std::vector<std::string> specs = {"local", "random"};
  for (std::uint32_t t = 1; t <= slots; ++t) {
    specs.push_back("threshold_random(threshold=" + std::to_string(t) + ")");
    specs.push_back("power_of_d(d=1,threshold=" + std::to_string(t) + ")");
  }
  return specs;
}

// --- one camera ----------------------------------------------------------------------

TEST(OptimalPolicy, OneLossCameraIsErlangBRunningWhileASlotIsFree) {
  for (const std::uint32_t slots : {1u, 2u, 4u, 7u}) {
    for (const double offered : {0.2, 1.0, 3.5, 9.0}) {
      const NodeModel node{.arrival_rate_per_s = offered * 1.5, .service_rate_per_s = 1.5, .slots = slots};
      const OptimalSolution optimum = solve_optimal({node}, {});
      EXPECT_NEAR(optimum.cost_per_arrival, erlang_b(offered, slots), 1e-10) << "K=" << slots << " A=" << offered;
      EXPECT_NEAR(optimum.rejection_probability, erlang_b(offered, slots), 1e-10);
      EXPECT_EQ(optimum.forwarded_fraction, 0.0);
      ASSERT_EQ(optimum.states, slots + 1);
      for (std::uint32_t n = 0; n <= slots; ++n) {
        EXPECT_EQ(optimum.action(n, 0), n < slots ? 0 : kReject) << "K=" << slots << " n=" << n;
      }
    }
  }
}

TEST(OptimalPolicy, OneCameraWithAQueueRunsWhileThereIsRoom) {
  const NodeModel node{.arrival_rate_per_s = 2.4, .service_rate_per_s = 1.0, .slots = 2, .queue = 3};
  const OptimalSolution optimum = solve_optimal({node}, {});
  EXPECT_NEAR(optimum.cost_per_arrival, station_metrics(node).blocking_probability, 1e-10);
  for (std::uint32_t n = 0; n <= node.capacity(); ++n) {
    EXPECT_EQ(optimum.action(n, 0), n < node.capacity() ? 0 : kReject) << "n=" << n;
  }
}

// --- clusters ------------------------------------------------------------------------

TEST(OptimalPolicy, TwoSymmetricCamerasAreNeverWorseThanABuiltInPolicy) {
  for (const std::uint32_t slots : {1u, 2u, 3u}) {
    for (const double load : {0.3, 0.7, 1.2}) {
      const std::vector<NodeModel> nodes(
          2, NodeModel{.arrival_rate_per_s = load * slots, .service_rate_per_s = 1, .slots = slots});
      const OptimalSolution optimum = solve_optimal(nodes, {});
      // Free forwards pool identical loss cameras into one Erlang-B station.
      EXPECT_NEAR(optimum.cost_per_arrival, erlang_b(2 * load * slots, 2 * slots), 1e-10);
      for (const std::string& spec : built_in_policies(slots)) {
        const CtmcSolution policy = solve_ctmc(nodes, markov(spec));
        EXPECT_LE(optimum.cost_per_arrival, policy.metrics.rejection_probability + 1e-12)
            << spec << " K=" << slots << " load=" << load;
      }
    }
  }
}

TEST(OptimalPolicy, BeatsLocalAtModerateLoad) {
  const std::vector<NodeModel> nodes(2, NodeModel{.arrival_rate_per_s = 1.4, .service_rate_per_s = 1, .slots = 2});
  const OptimalSolution optimum = solve_optimal(nodes, {});
  const double local = solve_ctmc(nodes, markov("local")).metrics.rejection_probability;
  EXPECT_LT(optimum.cost_per_arrival, local - 0.01);
  EXPECT_GT(optimum.forwarded_fraction, 0.0);
}

TEST(OptimalPolicy, AHotSpotClusterIsNeverWorseThanABuiltInPolicy) {
  // scenarios/markov-small.yaml: three cameras of two slots, camera 1 at three times the rate.
  const std::vector<NodeModel> nodes = {{.arrival_rate_per_s = 0.9, .slots = 2},
                                        {.arrival_rate_per_s = 2.7, .slots = 2},
                                        {.arrival_rate_per_s = 0.9, .slots = 2}};
  const OptimalSolution optimum = solve_optimal(nodes, {});
  for (const std::string& spec : built_in_policies(2)) {
    const CtmcSolution policy = solve_ctmc(nodes, markov(spec));
    EXPECT_LE(optimum.cost_per_arrival, policy.metrics.rejection_probability + 1e-12) << spec;
  }
  for (const std::string spec : {"power_of_d(d=2,threshold=1)", "power_of_d(d=2,threshold=2)"}) {
    EXPECT_LE(optimum.cost_per_arrival, solve_ctmc(nodes, markov(spec)).metrics.rejection_probability + 1e-12) << spec;
  }
}

TEST(OptimalPolicy, NoDecisionTableOfTwoSmallCamerasDoesBetter) {
  // Every one of the 3^8 tables of two one-slot cameras (4 states, 2 origins, each
  // rejecting or sending to either camera), evaluated on its own exact chain.
  const std::vector<NodeModel> nodes = {{.arrival_rate_per_s = 1.7, .slots = 1},
                                        {.arrival_rate_per_s = 0.4, .service_rate_per_s = 0.6, .slots = 1}};
  for (const OptimalCosts costs : {OptimalCosts{}, OptimalCosts{.forward = 0.2}}) {
    const OptimalSolution optimum = solve_optimal(nodes, costs);
    double best = std::numeric_limits<double>::infinity();
    DecisionTable table{std::vector<std::int32_t>(8, kReject)};
    for (int code = 0; code < 6561; ++code) {
      for (int k = 0, rest = code; k < 8; ++k, rest /= 3) table.actions[k] = rest % 3 - 1;
      const ClusterChain chain(nodes, table);
      const ClusterMetrics m = chain.metrics(chain.stationary().probabilities);
      best = std::min(best, cost_per_arrival(costs, m.rejection_probability, m.forwarded_fraction, 0));
    }
    EXPECT_NEAR(optimum.cost_per_arrival, best, 1e-12) << "forward cost " << costs.forward;
  }
}

TEST(OptimalPolicy, AForwardCostingARejectionOrMoreIsNeverMade) {
  const std::vector<NodeModel> nodes = {{.arrival_rate_per_s = 2.5, .slots = 2},
                                        {.arrival_rate_per_s = 0.6, .service_rate_per_s = 2, .slots = 3, .queue = 1}};
  const double local = solve_ctmc(nodes, markov("local")).metrics.rejection_probability;
  for (const double forward : {1.0, 1.5}) {
    const OptimalSolution optimum = solve_optimal(nodes, {.forward = forward});
    EXPECT_NEAR(optimum.cost_per_arrival, local, 1e-10) << "forward cost " << forward;
    EXPECT_EQ(optimum.forwarded_fraction, 0.0);
    const ClusterChain chain(nodes, markov("local"));
    for (std::size_t s = 0; s < optimum.states; ++s) {
      const std::vector<std::uint32_t> loads = chain.loads(s);
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        EXPECT_EQ(optimum.action(s, i), loads[i] < nodes[i].capacity() ? static_cast<std::int32_t>(i) : kReject)
            << "state " << s << " origin " << i;
      }
    }
  }
}

TEST(OptimalPolicy, AForwardCostTradesRejectionsForForwards) {
  const std::vector<NodeModel> nodes(3, NodeModel{.arrival_rate_per_s = 1.6, .service_rate_per_s = 1, .slots = 2});
  const OptimalSolution free = solve_optimal(nodes, {});
  const OptimalSolution priced = solve_optimal(nodes, {.forward = 0.6});
  EXPECT_LT(priced.forwarded_fraction, free.forwarded_fraction);
  EXPECT_GT(priced.rejection_probability, free.rejection_probability);
  EXPECT_NEAR(priced.cost_per_arrival, priced.rejection_probability + 0.6 * priced.forwarded_fraction, 1e-15);
  // A probe cost changes nothing: the optimum sees the state and never probes.
  const OptimalSolution probed = solve_optimal(nodes, {.probe = 2.0});
  EXPECT_EQ(probed.probes_per_arrival, 0.0);
  EXPECT_EQ(probed.actions, free.actions);
}

TEST(OptimalPolicy, TiesRunHereThenRejectThenTheLowestIndexPeer) {
  const std::vector<NodeModel> nodes(3, NodeModel{.arrival_rate_per_s = 1.0, .service_rate_per_s = 1, .slots = 2});
  const OptimalSolution optimum = solve_optimal(nodes, {});
  const ClusterChain chain(nodes, markov("local"));
  // Camera 0 full, the others idle and alike: the lower-index peer.
  EXPECT_EQ(optimum.action(chain.state_of(std::vector<std::uint32_t>{2, 0, 0}), 0), 1);
  EXPECT_EQ(optimum.action(chain.state_of(std::vector<std::uint32_t>{0, 0, 2}), 2), 0);
  // Everything full: reject.
  EXPECT_EQ(optimum.action(chain.state_of(std::vector<std::uint32_t>{2, 2, 2}), 1), kReject);
  // No arrivals: nothing to decide, so every free camera runs its own.
  const OptimalSolution idle = solve_optimal(std::vector<NodeModel>(2, NodeModel{.slots = 1}), {});
  EXPECT_EQ(idle.cost_per_arrival, 0.0);
  EXPECT_EQ(idle.action(0, 0), 0);
  EXPECT_EQ(idle.action(0, 1), 1);
}

// --- convergence ---------------------------------------------------------------------

TEST(OptimalPolicy, BoundsBracketTheCostWithinTheStatedTolerance) {
  const std::vector<std::vector<NodeModel>> clusters = {
      {{.arrival_rate_per_s = 0.9, .slots = 2}, {.arrival_rate_per_s = 2.7, .slots = 2}},
      std::vector<NodeModel>(3, NodeModel{.arrival_rate_per_s = 0.2, .service_rate_per_s = 1, .slots = 3}),
      {{.arrival_rate_per_s = 4, .slots = 1, .queue = 2},
       {.arrival_rate_per_s = 0.5, .service_rate_per_s = 3, .slots = 2}},
  };
  for (const std::vector<NodeModel>& nodes : clusters) {
    for (const OptimalCosts costs : {OptimalCosts{}, OptimalCosts{.forward = 0.2}}) {
      const OptimalSolution optimum = solve_optimal(nodes, costs);
      EXPECT_GE(optimum.cost_per_arrival, optimum.lower_bound - 1e-13);
      EXPECT_LE(optimum.cost_per_arrival, optimum.upper_bound + 1e-13);
      EXPECT_LE(optimum.upper_bound - optimum.lower_bound,
                std::max(kOptimalRelativeTolerance * optimum.upper_bound, kOptimalAbsoluteTolerance));
      EXPECT_GT(optimum.iterations, 1u);
    }
  }
}

TEST(OptimalPolicy, APolicyAsGoodAsTheOptimumHasNoGap) {
  // Free forwards on loss cameras alike in speed: power_of_d probing every peer from
  // threshold 1 never rejects while a camera has room, which is optimal.
  const std::vector<NodeModel> nodes = {{.arrival_rate_per_s = 0.9, .slots = 2},
                                        {.arrival_rate_per_s = 2.7, .slots = 2},
                                        {.arrival_rate_per_s = 0.9, .slots = 2}};
  const OptimalSolution optimum = solve_optimal(nodes, {});
  const double pooling = solve_ctmc(nodes, markov("power_of_d(d=2,threshold=1)")).metrics.rejection_probability;
  EXPECT_NEAR(pooling, optimum.cost_per_arrival, 1e-12);
  EXPECT_EQ(gap_to_optimum(optimum, pooling), 0.0);
  EXPECT_EQ(gap_to_optimum(optimum, optimum.cost_per_arrival - 1e-16), 0.0);
  EXPECT_DOUBLE_EQ(gap_to_optimum(optimum, optimum.cost_per_arrival + 0.25), 0.25);
  EXPECT_LT(gap_to_optimum(optimum, optimum.cost_per_arrival - 1e-6), 0.0);  // not round-off: shown
}

TEST(OptimalPolicy, NotConvergingNamesTheIterations) {
  const std::vector<NodeModel> nodes(2, NodeModel{.arrival_rate_per_s = 1.0, .slots = 2});
  try {
    (void)solve_optimal(nodes, {}, 5);
    FAIL() << "expected AnalysisError";
  } catch (const AnalysisError& e) {
    EXPECT_THAT(e.what(), HasSubstr("did not converge in 5 iterations"));
  }
}

TEST(OptimalPolicy, RefusesNegativeCostsAndLargeStateSpaces) {
  const std::vector<NodeModel> nodes(2, NodeModel{.arrival_rate_per_s = 1.0, .slots = 2});
  EXPECT_THROW((void)solve_optimal(nodes, {.forward = -0.1}), AnalysisError);
  EXPECT_THROW((void)solve_optimal(nodes, {.probe = std::numeric_limits<double>::quiet_NaN()}), AnalysisError);
  try {
    (void)solve_optimal(nodes, {.forward = -1});
    FAIL() << "expected AnalysisError";
  } catch (const AnalysisError& e) {
    EXPECT_THAT(e.what(), HasSubstr("forward cost"));
  }
  EXPECT_THROW((void)solve_optimal(std::vector<NodeModel>(9, NodeModel{.slots = 4}), {}), AnalysisError);
}

// --- the chain of a decision table and probes ----------------------------------------

TEST(DecisionTableChain, LocalsTableGivesLocalsChain) {
  const std::vector<NodeModel> nodes = {{.arrival_rate_per_s = 1.5, .slots = 2},
                                        {.arrival_rate_per_s = 0.5, .service_rate_per_s = 2, .slots = 1, .queue = 1}};
  const ClusterChain local(nodes, markov("local"));
  DecisionTable table;
  for (std::size_t s = 0; s < local.state_count(); ++s) {
    for (std::size_t i = 0; i < nodes.size(); ++i) table.actions.push_back(static_cast<std::int32_t>(i));
  }
  const ClusterChain chain(nodes, table);
  EXPECT_TRUE(chain.generator().isApprox(local.generator()));
  const ClusterMetrics m = chain.metrics(chain.stationary().probabilities);
  EXPECT_NEAR(m.rejection_probability, local.metrics(local.stationary().probabilities).rejection_probability, 1e-12);
  EXPECT_EQ(m.forwarded_fraction, 0.0);
}

TEST(DecisionTableChain, RefusesTablesOfTheWrongShape) {
  const std::vector<NodeModel> nodes(2, NodeModel{.arrival_rate_per_s = 1.0, .slots = 1});
  EXPECT_THROW(ClusterChain(nodes, DecisionTable{{0, 1, 0}}), AnalysisError);
  try {
    const ClusterChain chain(nodes, DecisionTable{std::vector<std::int32_t>(8, 2)});
    FAIL() << "expected AnalysisError";
  } catch (const AnalysisError& e) {
    EXPECT_THAT(e.what(), HasSubstr("action 2"));
  }
}

TEST(ClusterMetrics, PowerOfDProbesDPeersPerArrivalTheThresholdDoesNotKeep) {
  const std::vector<NodeModel> nodes = {{.arrival_rate_per_s = 1.0, .slots = 2},
                                        {.arrival_rate_per_s = 2.0, .slots = 2},
                                        {.arrival_rate_per_s = 0.5, .slots = 2}};
  const ClusterChain chain(nodes, markov("power_of_d(d=2,threshold=1)"));
  const Eigen::VectorXd p = chain.stationary().probabilities;
  double probes = 0;
  for (std::size_t s = 0; s < chain.state_count(); ++s) {
    const std::vector<std::uint32_t> loads = chain.loads(s);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (loads[i] >= 1) probes += p(static_cast<Eigen::Index>(s)) * nodes[i].arrival_rate_per_s * 2;
    }
  }
  EXPECT_NEAR(chain.metrics(p).probes_per_arrival, probes / 3.5, 1e-12);
  // d above the peers: every peer is probed; the other policies never probe.
  const ClusterChain many(nodes, markov("power_of_d(d=5,threshold=2)"));
  EXPECT_GT(many.metrics(many.stationary().probabilities).probes_per_arrival, 0.0);
  for (const std::string spec : {"local", "random", "threshold_random(threshold=1)"}) {
    const ClusterChain other(nodes, markov(spec));
    EXPECT_EQ(other.metrics(other.stationary().probabilities).probes_per_arrival, 0.0) << spec;
  }
  const ClusterChain alone({nodes[0]}, markov("power_of_d(d=2,threshold=1)"));
  EXPECT_EQ(alone.metrics(alone.stationary().probabilities).probes_per_arrival, 0.0);
}

}  // namespace
}  // namespace fogsched::analysis
