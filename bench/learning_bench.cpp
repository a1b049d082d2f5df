// A learning policy's cost in the simulator: simulated client invocations per second
// of markov-small (3 cameras, 1 h) while sarsa learns, against the same table frozen
// (learn=false) and against threshold_random, all in one process. The frozen table is
// learned first, in-process, from one replication.
#include <benchmark/benchmark.h>

#include <string>

#include "fogsched/core/learned_model.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/runner.h"

namespace {

using namespace fogsched;

const Scenario& markov_small() {
  static const Scenario scenario = load_scenario(FOGSCHED_SOURCE_DIR "/scenarios/markov-small.yaml");
  return scenario;
}

// A registry whose one file is the model sarsa learned in one replication.
const PolicyRegistry& registry() {
  static const PolicyRegistry policies = [] {
    PolicyRegistry r = PolicyRegistry::with_builtins();
    const sim::ReplicationResult learning =
        sim::simulate_replication(markov_small(), r.parse("sarsa"), sim::replication_seed(1, 0));
    LearnedModel model;
    model.policy = "sarsa";
    for (std::uint32_t camera = 0; camera < learning.learned.size(); ++camera) {
      model.nodes.emplace(camera, *learning.learned[camera]);
    }
    std::vector<const LearnedTable*> tables;
    for (const auto& [camera, table] : model.nodes) tables.push_back(&table);
    model.shared = merge_tables(tables);
    const std::string text = to_json_text(model);
    r.read_files_with([text](const std::filesystem::path&) { return text; });
    return r;
  }();
  return policies;
}

void BM_Simulate(benchmark::State& state, const std::string& spec) {
  const PolicyConfig policy = registry().parse(spec);
  std::uint64_t invocations = 0;
  std::uint32_t replication = 0;
  for (auto _ : state) {
    const sim::ReplicationResult result =
        sim::simulate_replication(markov_small(), policy, sim::replication_seed(7, replication++));
    invocations += result.metrics.client_invocations;
    benchmark::DoNotOptimize(result.summary.rejection_probability);
  }
  state.counters["invocations_per_s"] =
      benchmark::Counter(static_cast<double>(invocations), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_Simulate, sarsa_learning, std::string("sarsa"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Simulate, sarsa_frozen, std::string("sarsa(model=model.json,learn=false)"))
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Simulate, threshold_random, std::string("threshold_random(threshold=2)"))
    ->Unit(benchmark::kMillisecond);

}  // namespace
