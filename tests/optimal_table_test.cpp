// The optimal policy's decision table file (core/optimal_table.h): its text, read
// back unchanged, and every wrong key or value named with the file.
#include <functional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fogsched/core/errors.h"
#include "fogsched/core/optimal_table.h"

namespace fogsched {
namespace {

using ::testing::HasSubstr;

// Two one-slot nodes, the second with a queue place: 2 x 3 = 6 states.
OptimalTable small_table() {
  return {.forward_cost = 0.25,
          .probe_cost = 0,
          .cost_per_arrival = 0.125,
          .rejection_probability = 0.0625,
          .forwarded_fraction = 0.25,
          .nodes = {{.slots = 1, .queue = 0, .arrival_rate_per_s = 0.9, .service_rate_per_s = 1},
                    {.slots = 1, .queue = 1, .arrival_rate_per_s = 0.3, .service_rate_per_s = 1.0 / 3}},
          .actions = {0, 1, 1, 1, 0, 1, 1, 0, 1, 1, -1, -1}};
}

TEST(OptimalTableFile, ReadsBackWhatItWrites) {
  const OptimalTable table = small_table();
  const std::string text = to_json_text(table);
  EXPECT_EQ(parse_optimal_table(text, "t.json"), table);
  const nlohmann::json json = nlohmann::json::parse(text);
  EXPECT_EQ(json["format"], "fogsched-optimal-table");
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["costs"]["forward"], 0.25);
  EXPECT_EQ(json["nodes"][1]["queue"], 1);
  ASSERT_EQ(json["actions"].size(), 6u);
  EXPECT_EQ(json["actions"][5], nlohmann::json::parse("[-1, -1]"));
  EXPECT_THAT(text, HasSubstr("\n    [0, 1],\n    [1, 1],\n"));  // a row per line
  EXPECT_EQ(table.action(3, 1), 0);
}

TEST(OptimalTableFile, NamesTheFileTheKeyAndTheValueOfEveryMistake) {
  const std::string good = to_json_text(small_table());
  const auto error_after = [&](const std::function<void(nlohmann::json&)>& change) -> std::string {
    nlohmann::json doc = nlohmann::json::parse(good);
    change(doc);
    try {
      (void)parse_optimal_table(doc.dump(), "t.json");
    } catch (const PolicyError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(error_after([](nlohmann::json&) {}), "no error");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d.erase("actions"); }), "t.json: actions: is missing");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["actions"][4][1] = 2; }),
            "t.json: actions[4][1]: 2 is neither -1 (reject) nor a node index below 2");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["actions"][3][0] = "run"; }),
            "t.json: actions[3][0]: \"run\" is neither -1 (reject) nor a node index below 2");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["actions"][4] = nlohmann::json::array({0}); }),
            "t.json: actions[4]: is not a list of 2 actions, one per node");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["actions"].erase(5); }),
            "t.json: actions: is not a list of 6 rows, one per state of the nodes");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["nodes"][1]["slots"] = 0; }),
            "t.json: nodes[1].slots: 0 is not an integer >= 1");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["nodes"][0].erase("queue"); }), "t.json: nodes[0].queue: is missing");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["nodes"][0]["service_rate_per_s"] = "fast"; }),
            "t.json: nodes[0].service_rate_per_s: \"fast\" is not a number");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["nodes"][0]["service_rate_per_s"] = 0; }),
            "t.json: nodes[0].service_rate_per_s: 0 is not > 0");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["nodes"] = nlohmann::json::array(); }),
            "t.json: nodes: is not a non-empty list of nodes");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["costs"]["forward"] = -1; }),
            "t.json: costs.forward: -1 is not >= 0");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["format"] = "other"; }),
            "t.json: format: \"other\" is not \"fogsched-optimal-table\"");
  EXPECT_EQ(error_after([](nlohmann::json& d) { d["version"] = 2; }), "t.json: version: 2 is not 1");
  EXPECT_THAT(error_after([](nlohmann::json& d) { d["nodes"][0]["slots"] = 2'000'000'000; }),
              HasSubstr("t.json: nodes: make more than"));
  try {
    (void)parse_optimal_table("{\"format\": ", "t.json");
    FAIL() << "no error";
  } catch (const PolicyError& e) {
    EXPECT_THAT(e.what(), HasSubstr("t.json: not JSON"));
  }
  try {
    (void)parse_optimal_table("[1, 2]", "t.json");
    FAIL() << "no error";
  } catch (const PolicyError& e) {
    EXPECT_THAT(e.what(), HasSubstr("t.json: (document): is not a JSON object"));
  }
}

}  // namespace
}  // namespace fogsched
