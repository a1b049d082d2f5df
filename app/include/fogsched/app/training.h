#pragma once
// Training a learning policy in the simulator (`fogsched train`, fogsched.train()).
//
// Episode e runs the scenario's duration with run seed episode_seed(seed, e) — a
// stream apart from the replications `fogsched run` evaluates on — as R replications
// in parallel threads, every one starting from the model so far. After the episode
// each camera's tables from the R replications are merged (visit-weighted, counting
// only the visits each replication added: merge_tables with the start), the shared
// table is the merge over cameras, and the model file is rewritten: it is always the
// model after the last finished episode, and training resumes from it with
// `model=FILE`. Results depend on the seed only, never on the thread count.
//
// A policy can be trained when it learns (Policy::learned_table) and declares a file
// parameter `model` and a boolean `learn`; `shared`, `probe_cost` and
// `forward_cost` are read when it declares them (sarsa and q_learning do).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fogsched/core/learned_model.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/policies/registry.h"

namespace fogsched::app {

// One row of the learning curve: the episode's replications summarised.
struct EpisodeReport {
  std::uint32_t episode = 0;  // 1-based
  std::uint64_t seed = 0;     // the episode's run seed
  std::uint64_t invocations = 0;
  double rejection_probability = 0;
  double deadline_miss_rate = 0;
  double forwarded_fraction = 0;
  double probes_per_invocation = 0;
  // -(rejections + deadline misses) - probe_cost probes - forward_cost forwards, per
  // client invocation: the mean reward the policy was taught to maximise.
  double reward_per_invocation = 0;
  std::uint64_t updates = 0;  // table updates so far, all cameras
  double wall_seconds = 0;
};

struct TrainingSettings {
  std::uint32_t episodes = 10;
  std::uint32_t replications = 0;  // per episode; 0: the scenario's
  std::uint32_t threads = 1;       // 0: one per core
  std::filesystem::path out;       // the model file, rewritten after every episode
  std::function<void(const EpisodeReport&)> on_episode;
  const std::atomic<bool>* cancel = nullptr;  // stops between and within episodes
};

struct TrainingResult {
  LearnedModel model;
  std::vector<EpisodeReport> curve;
};

// The scenario's identity for a model: a name-based (SHA-1) UUID of the document's
// YAML as it runs.
std::string scenario_hash(const ScenarioDocument& document);

// `policy_spec` configured, when it can be trained; throws PolicyError naming why not.
PolicyConfig trainable_policy(std::string_view policy_spec, const PolicyRegistry& registry);

// Trains `policy_spec` (text form) on `scenario`. Throws PolicyError when the policy
// cannot be trained, std::runtime_error when the model file cannot be written,
// sim::Cancelled when cancelled.
TrainingResult train(const ScenarioDocument& document, const Scenario& scenario, std::string_view policy_spec,
                     const PolicyRegistry& registry, const TrainingSettings& settings);

// The learning curve as CSV: a header, then one row per episode (each line ends
// with a newline).
std::string learning_curve_csv(const std::vector<EpisodeReport>& curve);
std::string learning_curve_header();
std::string learning_curve_row(const EpisodeReport& row);

}  // namespace fogsched::app
