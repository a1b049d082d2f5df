// `fogsched train` as a library (app::train): reproducible to the byte, resumable,
// refusing what cannot learn, and learning close to the exact optimum on a small
// Markovian cluster.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fogsched/analysis/markov_model.h"
#include "fogsched/analysis/optimal.h"
#include "fogsched/app/run_settings.h"
#include "fogsched/app/training.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/text_file.h"
#include "fogsched/sim/runner.h"
#include "replication_statistics.h"

namespace fogsched::app {
namespace {

struct Prepared {
  ScenarioDocument document;
  Scenario scenario;
};

// scenarios/markov-small.yaml: 3 loss cameras of 2 slots, the middle one a hot spot.
Prepared markov_small(const std::string& duration) {
  ScenarioDocument document = load_document(FOGSCHED_SOURCE_DIR "/scenarios/markov-small.yaml", {});
  set_duration(document, duration);
  Scenario scenario = document.parse();
  return {std::move(document), std::move(scenario)};
}

PolicyRegistry file_reading_registry() {
  PolicyRegistry registry = PolicyRegistry::with_builtins();
  registry.read_files_with(read_text_file);
  return registry;
}

TrainingSettings settings(std::uint32_t episodes, std::uint32_t replications, std::uint32_t threads,
                          std::filesystem::path out) {
  TrainingSettings s;
  s.episodes = episodes;
  s.replications = replications;
  s.threads = threads;
  s.out = std::move(out);
  return s;
}

class Training : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = std::filesystem::temp_directory_path() /
              fmt::format("fogsched-training-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                          static_cast<long>(::getpid()));
    std::filesystem::create_directories(folder_);
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }

  std::filesystem::path folder_;
  PolicyRegistry registry_ = file_reading_registry();
};

TEST_F(Training, OneSeedGivesByteIdenticalModelsWhateverTheThreads) {
  const Prepared run = markov_small("10min");
  std::vector<std::string> texts;
  for (const std::uint32_t threads : {1u, 2u, 2u}) {
    const std::filesystem::path out = folder_ / fmt::format("model-{}.json", texts.size());
    const TrainingResult result =
        train(run.document, run.scenario, "q_learning(epsilon=0.3)", registry_, settings(3, 3, threads, out));
    EXPECT_EQ(result.curve.size(), 3u);
    texts.push_back(read_text_file(out));
    EXPECT_EQ(parse_learned_model(texts.back(), out.string()), result.model);
  }
  EXPECT_EQ(texts[0], texts[1]);
  EXPECT_EQ(texts[1], texts[2]);
}

TEST_F(Training, RecordsWhatItTrainedOnAndResumesWithNewEpisodes) {
  const Prepared run = markov_small("10min");
  const std::filesystem::path out = folder_ / "model.json";
  const TrainingResult first = train(run.document, run.scenario, "sarsa", registry_, settings(2, 2, 1, out));
  EXPECT_EQ(first.model.episodes, 2u);
  EXPECT_EQ(first.model.scenario_name, "markov-small");
  EXPECT_EQ(first.model.scenario_hash, scenario_hash(run.document));
  EXPECT_THAT(first.model.policy, ::testing::StartsWith("sarsa(model=none,learn=true,"));
  ASSERT_EQ(first.model.nodes.size(), 3u);  // one table per camera
  EXPECT_GT(first.model.shared.total_visits(), 0u);
  ASSERT_EQ(first.curve.size(), 2u);
  EXPECT_EQ(first.curve[1].episode, 2u);
  EXPECT_NE(first.curve[0].seed, first.curve[1].seed);
  EXPECT_NE(first.curve[0].seed, sim::replication_seed(run.scenario.seed, 0));

  // Resumed from its own file: episodes 3 and 4, on new seeds, with more updates.
  const TrainingResult second =
      train(run.document, run.scenario, "sarsa(model=" + out.string() + ")", registry_, settings(2, 2, 1, out));
  EXPECT_EQ(second.model.episodes, 4u);
  ASSERT_EQ(second.curve.size(), 2u);
  EXPECT_EQ(second.curve[0].episode, 3u);
  EXPECT_NE(second.curve[0].seed, first.curve[0].seed);
  EXPECT_NE(second.curve[0].seed, first.curve[1].seed);
  EXPECT_GT(second.model.shared.total_visits(), first.model.shared.total_visits());
  EXPECT_THAT(learning_curve_csv(second.curve),
              ::testing::StartsWith("episode,seed,invocations,rejection_probability"));
}

TEST_F(Training, RefusesWhatCannotLearn) {
  const Prepared run = markov_small("10min");
  const TrainingSettings one = settings(1, 0, 1, folder_ / "m.json");
  try {
    train(run.document, run.scenario, "power_of_d", registry_, one);
    FAIL() << "power_of_d trained";
  } catch (const PolicyError& error) {
    EXPECT_EQ(std::string(error.what()),
              "'power_of_d' cannot be trained: a trainable policy takes a file parameter 'model' and a boolean "
              "'learn' (sarsa and q_learning do)");
  }
  EXPECT_THROW(train(run.document, run.scenario, "sarsa(learn=false,model=nothing.json)", registry_, one), PolicyError);
  EXPECT_FALSE(std::filesystem::exists(one.out));
}

TEST_F(Training, SarsaLearnsWithinAHundredthOfTheOptimumsCostOnASmallCluster) {
  // markov-small with forwards costing a tenth of a rejection. Budget: 20 episodes of
  // 4 replications of 1 h (the scenario's), seed 7 (the scenario's). The trained
  // table is then replayed (learn=false) on 10 replications of the run's own seeds,
  // which training never saw. Tolerance: its cost per arrival (rejections + 0.1
  // forwards) within 0.01 of the optimum's, plus 3 standard errors.
  const Prepared run = markov_small("1h");
  const std::filesystem::path out = folder_ / "model.json";
  train(run.document, run.scenario, "sarsa(forward_cost=0.1)", registry_, settings(20, 4, 2, out));

  const analysis::OptimalSolution optimum =
      analysis::solve_optimal(analysis::cluster_nodes(run.scenario), {.forward = 0.1, .probe = 0});
  sim::RunOptions options;
  options.replications = 10;
  options.threads = 2;
  const auto costs_of = [&](const std::string& spec) {
    const sim::RunOutput output = sim::run_scenario(run.scenario, {registry_.parse(spec)}, options);
    std::vector<double> costs;
    for (const sim::ReplicationResult& r : output.replications.front()) {
      costs.push_back(r.summary.rejection_probability + 0.1 * r.summary.forwarded_fraction);
    }
    return fogsched::testing::mean_and_error(costs);
  };
  const auto learned = costs_of(fmt::format("sarsa(model={},learn=false,forward_cost=0.1)", out.string()));
  EXPECT_LE(std::abs(learned.mean - optimum.cost_per_arrival), 0.01 + 3 * learned.standard_error)
      << "learned " << learned.mean << " +- " << learned.standard_error << " (se), optimum "
      << optimum.cost_per_arrival;
  // And it learned something: the untrained rule of thumb is well above.
  const auto rule_of_thumb = costs_of("threshold_random(threshold=2)");
  EXPECT_GT(rule_of_thumb.mean - learned.mean, 0.03);
}

}  // namespace
}  // namespace fogsched::app
