// The learned-model file: what `fogsched train` writes and learning policies start
// from. Round trips exactly, merges by visits, and names the key of every problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "fogsched/core/errors.h"
#include "fogsched/core/learned_model.h"

namespace fogsched {
namespace {

using ::testing::HasSubstr;

LearnedTable table(std::vector<double> values, std::vector<std::uint64_t> visits) {
  return {.shape = {static_cast<std::uint32_t>(values.size()), 1},
          .values = std::move(values),
          .visits = std::move(visits)};
}

LearnedModel two_node_model() {
  LearnedModel model;
  model.policy = "sarsa(levels=2)";
  model.scenario_name = "markov-small";
  model.scenario_hash = "abc";
  model.episodes = 3;
  model.nodes.emplace(0, table({-0.25, 0.1}, {4, 0}));
  model.nodes.emplace(7, table({1.0 / 3.0, -1e-300}, {1, 2}));
  model.shared = merge_tables({&model.nodes.at(0), &model.nodes.at(7)});
  return model;
}

std::string parse_error(const std::string& text) {
  try {
    parse_learned_model(text, "m.json");
  } catch (const PolicyError& error) {
    return error.what();
  }
  return "no error";
}

TEST(LearnedModel, RoundTripsExactlyAndWritesTheSameBytes) {
  const LearnedModel model = two_node_model();
  const std::string text = to_json_text(model);
  const LearnedModel back = parse_learned_model(text, "m.json");
  EXPECT_EQ(back, model);  // doubles included, bit for bit
  EXPECT_EQ(to_json_text(back), text);
}

TEST(LearnedModel, NodesStartFromTheirOwnTableOrTheSharedOne) {
  const LearnedModel model = two_node_model();
  EXPECT_EQ(&model.table_for(7, false), &model.nodes.at(7));
  EXPECT_EQ(&model.table_for(7, true), &model.shared);
  EXPECT_EQ(&model.table_for(3, false), &model.shared);  // a camera the model never saw
}

TEST(MergeTables, WeighsEachEntryByItsVisits) {
  const LearnedTable a = table({1.0, 2.0}, {3, 0});
  const LearnedTable b = table({5.0, 4.0}, {1, 0});
  const LearnedTable merged = merge_tables({&a, &b});
  EXPECT_DOUBLE_EQ(merged.values[0], (3 * 1.0 + 1 * 5.0) / 4);
  EXPECT_DOUBLE_EQ(merged.values[1], 3.0);  // nobody visited it: the plain mean
  EXPECT_EQ(merged.visits, (std::vector<std::uint64_t>{4, 0}));
}

TEST(MergeTables, FromACommonStartCountsOnlyTheVisitsEachAdded) {
  // Two replications of one episode began from `start`; the second never touched
  // entry 1, so it neither weighs there nor drags the value back to the start.
  const LearnedTable start = table({0.5, 0.5}, {10, 10});
  const LearnedTable first = table({1.0, 2.0}, {12, 14});
  const LearnedTable second = table({0.0, 0.5}, {16, 10});
  const LearnedTable merged = merge_tables({&first, &second}, &start);
  EXPECT_DOUBLE_EQ(merged.values[0], (2 * 1.0 + 6 * 0.0) / 8);
  EXPECT_DOUBLE_EQ(merged.values[1], 2.0);
  EXPECT_EQ(merged.visits, (std::vector<std::uint64_t>{18, 14}));
  const LearnedTable untouched = merge_tables({&start, &start}, &start);
  EXPECT_EQ(untouched, start);
}

TEST(MergeTables, RefusesTablesOfDifferentShapes) {
  const LearnedTable a = table({1.0, 2.0}, {1, 1});
  const LearnedTable b = table({1.0}, {1});
  EXPECT_THROW(merge_tables({&a, &b}), std::invalid_argument);
  EXPECT_THROW(merge_tables({}), std::invalid_argument);
}

TEST(LearnedModelErrors, NameTheFileTheKeyAndTheValue) {
  std::string text = to_json_text(two_node_model());
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string copy = text;
    const auto at = copy.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return copy.replace(at, from.size(), to);
  };
  EXPECT_THAT(parse_error("{"), HasSubstr("m.json: not JSON"));
  EXPECT_EQ(parse_error("[]"), "m.json: expected a JSON object (a fogsched learned model)");
  EXPECT_EQ(parse_error(replaced("\"fogsched-learned-model\"", "\"fogsched-optimal-table\"")),
            "m.json: format: is 'fogsched-optimal-table', expected 'fogsched-learned-model'");
  EXPECT_EQ(parse_error(replaced("\"version\": 1", "\"version\": 2")),
            "m.json: version: is 2; this fogsched reads version 1");
  EXPECT_EQ(parse_error(replaced("\"episodes\": 3", "\"episodes\": -3")),
            "m.json: episodes: expected a count (a whole number >= 0), got -3");
  EXPECT_EQ(parse_error(replaced("\"policy\"", "\"policies\"")), "m.json: policy: is missing");
  EXPECT_EQ(parse_error(replaced("\"7\"", "\"seven\"")),
            "m.json: nodes.seven: expected a node id (a whole number) as the key");
}

TEST(LearnedModelErrors, TablesMustMatchTheirShape) {
  const std::string good = R"({"format": "fogsched-learned-model", "version": 1, "policy": "p",
    "scenario": {"name": "", "hash": ""}, "episodes": 0,
    "shared": {"shape": [2, 1], "values": [0, 0], "visits": [0, 0]}, "nodes": {NODES}})";
  const auto with_nodes = [&](const std::string& nodes) {
    std::string text = good;
    return text.replace(text.find("NODES"), 5, nodes);
  };
  EXPECT_EQ(parse_error(with_nodes(R"("1": {"shape": [2, 1], "values": [0], "visits": [0, 0]})")),
            "m.json: nodes.1.values: has 1 entries, shape [2, 1] needs 2");
  EXPECT_EQ(parse_error(with_nodes(R"("1": {"shape": [1, 2], "values": [0, 0], "visits": [0, 0]})")),
            "m.json: nodes.1.shape: is [1, 2], the shared table's is [2, 1]");
  EXPECT_EQ(parse_error(with_nodes(R"("1": {"shape": [2, 1], "values": [0, "x"], "visits": [0, 0]})")),
            "m.json: nodes.1.values: expected finite numbers, got \"x\"");
  EXPECT_EQ(parse_error(with_nodes(R"("1": {"shape": [0, 1], "values": [], "visits": []})")),
            "m.json: nodes.1.shape: extent 0 is outside [1, 1000000]");
  EXPECT_EQ(parse_learned_model(with_nodes(""), "m.json").nodes.size(), 0u);
}

}  // namespace
}  // namespace fogsched
