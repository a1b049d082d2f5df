// sarsa and q_learning on a fake node: what they choose, what one reward teaches them,
// and the errors of their configuration. Expected values follow the update rules in
// tabular_learner.h with the default alpha 0.1 and discount 0.98.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <variant>

#include "fogsched/core/errors.h"
#include "fogsched/core/learned_model.h"
#include "fogsched/policies/registry.h"
#include "fogsched/policies/tabular_learner.h"
#include "fogsched/testing/fake_node_context.h"

namespace fogsched {
namespace {

using policies::TabularLearner;
constexpr std::uint32_t kLevels = 3;  // loads 0 and 1+, and full
constexpr std::uint32_t kFull = kLevels - 1;

// A registry whose only file is `model.json`, holding `model`.
PolicyConfig configure(const std::string& spec, const LearnedModel* model = nullptr) {
  PolicyRegistry registry = PolicyRegistry::with_builtins();
  const std::string text = model ? to_json_text(*model) : "";
  registry.read_files_with([text](const std::filesystem::path&) { return text; });
  return registry.parse(spec);
}

// A model whose every camera starts from `table` (shape [kLevels, 4]).
LearnedModel model_of(const LearnedTable& table) {
  LearnedModel model;
  model.policy = "test";
  model.shared = table;
  return model;
}

double& q(LearnedTable& table, std::uint32_t state, TabularLearner::Action action) {
  return table.values[state * TabularLearner::kActions + action];
}

Invocation client_call(std::uint64_t id) {
  return {.id = InvocationId{id}, .function = FunctionId{0}, .origin = NodeId{0}};
}

struct Node {
  std::unique_ptr<Policy> policy;
  testing::FakeNodeContext ctx{11};

  explicit Node(const PolicyConfig& config) : policy(config.make()) {
    ctx.set_self(NodeId{0});
    ctx.set_local_load({.running = 0, .queued = 0, .slots = 2, .queue_capacity = 0});
    policy->on_start(ctx);
  }
  Decision decide(std::uint64_t id) { return ctx.decide(*policy, client_call(id)); }
  void end(std::uint64_t id, Outcome outcome) {
    policy->on_complete(
        {.id = InvocationId{id}, .function = FunctionId{0}, .executed_on = NodeId{0}, .outcome = outcome}, ctx);
  }
  LearnedTable table() const { return *policy->learned_table(); }
};

TEST(TabularLearner, ReplaysTheGreedyActionOfItsModel) {
  LearnedTable table = LearnedTable::zeros({kLevels, TabularLearner::kActions});
  q(table, 0, TabularLearner::run_here) = -0.5;
  q(table, 0, TabularLearner::forward) = -0.1;  // the best at load 0
  q(table, 0, TabularLearner::probe) = -0.2;
  q(table, 0, TabularLearner::reject) = -1;
  const LearnedModel model = model_of(table);
  Node node(configure("sarsa(model=model.json,learn=false,levels=3)", &model));
  node.ctx.set_peers({NodeId{1}, NodeId{2}});
  for (std::uint64_t id = 1; id <= 20; ++id) EXPECT_TRUE(std::holds_alternative<Forward>(node.decide(id)));
  EXPECT_FALSE(node.policy->learned_table().has_value());  // replaying learns nothing to save

  // Without peers the best allowed action is taken: running here.
  Node alone(configure("sarsa(model=model.json,learn=false,levels=3)", &model));
  EXPECT_TRUE(std::holds_alternative<RunLocal>(alone.decide(1)));
}

TEST(TabularLearner, StartsFromTheTableOfTheCameraItStandsFor) {
  // Camera 0 learned to run at load 0, camera 1 to forward; the node is node 0, as
  // every live node is to its policy.
  LearnedTable runs = LearnedTable::zeros({kLevels, TabularLearner::kActions});
  q(runs, 0, TabularLearner::forward) = -1;
  q(runs, 0, TabularLearner::probe) = -1;
  q(runs, 0, TabularLearner::reject) = -2;
  LearnedTable forwards = LearnedTable::zeros({kLevels, TabularLearner::kActions});
  q(forwards, 0, TabularLearner::run_here) = -1;
  q(forwards, 0, TabularLearner::probe) = -1;
  q(forwards, 0, TabularLearner::reject) = -2;
  LearnedModel model = model_of(merge_tables({&runs, &forwards}));
  model.nodes.emplace(0, runs);
  model.nodes.emplace(1, forwards);
  const auto first_decision = [&](const std::string& spec) {
    Node node(configure(spec, &model));
    node.ctx.set_peers({NodeId{1}, NodeId{2}});
    return node.decide(1);
  };
  EXPECT_TRUE(std::holds_alternative<RunLocal>(first_decision("sarsa(model=model.json,learn=false,levels=3)")));
  EXPECT_TRUE(std::holds_alternative<Forward>(first_decision("sarsa(model=model.json,learn=false,levels=3,camera=1)")));
  // A camera the model does not have starts from the shared table (run and forward
  // tie at -0.5 there, above probe and reject; running comes first).
  EXPECT_TRUE(
      std::holds_alternative<RunLocal>(first_decision("sarsa(model=model.json,learn=false,levels=3,camera=9)")));
}

TEST(TabularLearner, ARejectionTeachesItsStateAndAction) {
  Node node(configure("sarsa(epsilon=0,epsilon_min=0,levels=3)"));
  node.ctx.set_local_load({.running = 2, .queued = 0, .slots = 2, .queue_capacity = 0});  // full, no peers
  EXPECT_TRUE(std::holds_alternative<Reject>(node.decide(1)));                            // the only action allowed
  node.end(1, Outcome::rejected);
  EXPECT_EQ(node.table().total_visits(), 0u);  // waits for the next decision
  node.decide(2);
  const LearnedTable table = node.table();
  EXPECT_DOUBLE_EQ(table.values[kFull * TabularLearner::kActions + TabularLearner::reject], 0.1 * -1.0);
  EXPECT_EQ(table.total_visits(), 1u);
}

TEST(TabularLearner, DeadlineMissesAndCostsArePunishedToo) {
  Node node(configure("sarsa(epsilon=0,epsilon_min=0,levels=3,forward_cost=0.25)"));
  node.ctx.set_local_load({.running = 2, .queued = 0, .slots = 2, .queue_capacity = 0});
  node.ctx.set_peers({NodeId{1}});
  // Full with a peer: forward and probe tie with reject at 0; forward comes first.
  ASSERT_TRUE(std::holds_alternative<Forward>(node.decide(1)));
  node.end(1, Outcome::deadline_missed);
  node.decide(2);
  EXPECT_DOUBLE_EQ(node.table().values[kFull * TabularLearner::kActions + TabularLearner::forward], 0.1 * -1.25);
}

// The two rules differ only in the next decision's value: sarsa takes the action it
// chose there (here an exploratory one), q_learning the best allowed one.
TEST(TabularLearner, SarsaFollowsItsNextChoiceQLearningTheBest) {
  LearnedTable table = LearnedTable::zeros({kLevels, TabularLearner::kActions});
  q(table, 0, TabularLearner::run_here) = -1;
  q(table, 0, TabularLearner::forward) = -2;
  q(table, 0, TabularLearner::probe) = -3;
  q(table, 0, TabularLearner::reject) = -4;
  const LearnedModel model = model_of(table);
  for (const char* rule : {"sarsa", "q_learning"}) {
    // Always exploring: the second decision's action is a uniform draw.
    Node node(configure(std::string(rule) + "(model=model.json,epsilon=1,epsilon_min=1,levels=3)", &model));
    node.ctx.set_peers({NodeId{1}});
    const Decision first = node.decide(1);
    node.ctx.clear_probe_answers();
    const Decision second = node.decide(2);
    const auto action_of = [](const Decision& d) {
      if (std::holds_alternative<RunLocal>(d)) return TabularLearner::run_here;
      if (std::holds_alternative<Forward>(d)) return TabularLearner::forward;
      if (std::holds_alternative<Probe>(d)) return TabularLearner::probe;
      return TabularLearner::reject;
    };
    node.end(1, Outcome::completed);
    // (Seed 11 draws the probe here, so the two rules give different values.)
    ASSERT_EQ(action_of(second), TabularLearner::probe);
    const double next = std::string(rule) == "sarsa" ? table.values[action_of(second)] : -1.0;
    const double before = table.values[action_of(first)];
    EXPECT_DOUBLE_EQ(node.table().values[action_of(first)], before + 0.1 * (0.98 * next - before)) << rule;
  }
}

TEST(TabularLearner, ForgetsTheOldestDecisionsBeyondItsBound) {
  Node node(configure("q_learning(epsilon=0,epsilon_min=0,levels=3)"));
  // 5000 decisions whose ends never come: the first ones are dropped unlearned.
  for (std::uint64_t id = 1; id <= 5000; ++id) node.decide(id);
  node.end(1, Outcome::rejected);
  EXPECT_EQ(node.table().total_visits(), 0u);
  node.end(4990, Outcome::rejected);
  EXPECT_EQ(node.table().total_visits(), 1u);
}

TEST(TabularLearner, GossipsItsLoadWhenPeerLoadsAreInItsState) {
  Node node(configure("sarsa(peer_buckets=2,gossip=500ms,levels=3)"));
  ASSERT_EQ(node.ctx.timers().size(), 1u);
  EXPECT_EQ(node.ctx.timers().front(), std::chrono::milliseconds(500));
  node.policy->on_timer(node.ctx);
  ASSERT_EQ(node.ctx.gossip_sent().size(), 1u);
  EXPECT_TRUE(node.ctx.gossip_sent().front().to_all);
  EXPECT_EQ(node.table().shape, (std::vector<std::uint32_t>{kLevels * 3, TabularLearner::kActions}));
}

std::string config_error(const std::string& spec, const LearnedModel* model = nullptr) {
  try {
    configure(spec, model);
  } catch (const PolicyError& error) {
    return error.what();
  }
  return "no error";
}

TEST(TabularLearnerErrors, NameWhatIsWrong) {
  EXPECT_EQ(config_error("sarsa(learn=false)"), "learn=false replays a model: name one with model=FILE");
  EXPECT_EQ(config_error("sarsa(peer_buckets=2)"),
            "peer_buckets needs gossip > 0: peer loads are only heard by gossip");
  EXPECT_EQ(config_error("q_learning(alpha=0.1,alpha_min=0.2)"), "alpha_min must not exceed alpha");
  const LearnedModel model = model_of(LearnedTable::zeros({8, TabularLearner::kActions}));
  EXPECT_EQ(config_error("sarsa(model=model.json,levels=3)", &model),
            "model.json: shared.shape: is [8, 4]; levels=3, peer_buckets=0 need [3, 4]");
}

}  // namespace
}  // namespace fogsched
