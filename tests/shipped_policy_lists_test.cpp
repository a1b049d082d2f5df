// The policy lists of the shipped scenarios that compare cooperative policies: every
// policy listed is at a setting where cooperating pays, so on the scenario's own
// arrivals it rejects fewer invocations than `local`, which never cooperates
// (docs/policies.md, "Settings that matter", has the sweeps behind the settings).
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "fogsched/core/scenario_yaml.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/runner.h"

namespace fogsched::sim {
namespace {

using namespace std::chrono_literals;

struct ShortRun {
  const char* scenario;
  Duration duration;  // long enough for the hot spots, bursts, outage or peak to show
};

// One replication of each listed policy over `run.duration`, checked against `local`.
void expect_every_policy_to_reject_less_than_local(const ShortRun& run) {
  Scenario scenario = load_scenario(std::string(FOGSCHED_SOURCE_DIR) + "/scenarios/" + run.scenario + ".yaml");
  scenario.duration = run.duration;
  const std::vector<PolicyConfig> policies = configure_policies(scenario, PolicyRegistry::with_builtins());
  RunOptions options;
  options.replications = 1;
  const RunReport report = run_scenario(scenario, policies, options).report;

  ASSERT_EQ(report.results.front().policy, "local") << run.scenario << ": the list starts with the baseline";
  const double local = report.results.front().rejection_probability.mean;
  ASSERT_GT(local, 0.01) << run.scenario << ": the short run must overload someone";
  for (std::size_t i = 1; i < report.results.size(); ++i) {
    EXPECT_LT(report.results[i].rejection_probability.mean, local) << run.scenario << ": " << report.results[i].policy;
  }
}

TEST(ShippedPolicyLists, TheDemoShowsEveryPolicyRejectingLessThanLocal) {
  expect_every_policy_to_reject_less_than_local({"city-default", 3min});
}

TEST(ShippedPolicyLists, TheRushHourShowsEveryPolicyRejectingLessThanLocal) {
  expect_every_policy_to_reject_less_than_local({"city-rush-hour", 40min});
}

TEST(ShippedPolicyLists, TheOtherComparisonsShowEveryPolicyRejectingLessThanLocal) {
  for (const ShortRun& run :
       {ShortRun{"city-outage", 10min}, ShortRun{"bursty-mmpp", 10min}, ShortRun{"empirical-service", 40min}}) {
    expect_every_policy_to_reject_less_than_local(run);
  }
}

}  // namespace
}  // namespace fogsched::sim
