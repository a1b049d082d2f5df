#include "fogsched/app/training.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid_io.hpp>

#include "fogsched/core/errors.h"
#include "fogsched/sim/runner.h"

namespace fogsched::app {

namespace {

using RawParams = std::vector<std::pair<std::string, std::string>>;

bool declares(const PolicyInfo& info, std::string_view name, ParamType type) {
  return std::any_of(info.params.begin(), info.params.end(),
                     [&](const ParamSpec& p) { return p.name == name && p.type == type; });
}

// `params` with `name` set to `value` (replaced where given, appended otherwise).
RawParams with_param(RawParams params, const std::string& name, std::string value) {
  const auto it = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == name; });
  if (it != params.end()) {
    it->second = std::move(value);
  } else {
    params.emplace_back(name, std::move(value));
  }
  return params;
}

double mean_of(const std::vector<sim::ReplicationResult>& reps, double ReplicationSummary::*field) {
  double sum = 0;
  for (const sim::ReplicationResult& r : reps) sum += r.summary.*field;
  return reps.empty() ? 0.0 : sum / static_cast<double>(reps.size());
}

}  // namespace

std::string scenario_hash(const ScenarioDocument& document) {
  const boost::uuids::name_generator_sha1 generate(boost::uuids::ns::url());
  return boost::uuids::to_string(generate(document.to_yaml()));
}

PolicyConfig trainable_policy(std::string_view policy_spec, const PolicyRegistry& registry) {
  PolicyConfig config = registry.parse(policy_spec);
  const PolicyInfo& info = *registry.find(config.name);
  if (!declares(info, "model", ParamType::file) || !declares(info, "learn", ParamType::boolean)) {
    throw PolicyError(
        fmt::format("'{}' cannot be trained: a trainable policy takes a file parameter 'model' and a "
                    "boolean 'learn' (sarsa and q_learning do)",
                    config.name));
  }
  if (!config.values.boolean("learn")) {
    throw PolicyError(fmt::format("'{}': training needs learn=true", config.canonical));
  }
  return config;
}

TrainingResult train(const ScenarioDocument& document, const Scenario& scenario, std::string_view policy_spec,
                     const PolicyRegistry& registry, const TrainingSettings& settings) {
  const PolicySpec spec = split_policy_spec(policy_spec);
  const PolicyConfig first = trainable_policy(policy_spec, registry);
  const PolicyInfo& info = *registry.find(first.name);
  if (settings.out.empty()) throw std::invalid_argument("training needs a model file to write (out)");
  const auto real_param = [&](const char* name) {
    return declares(info, name, ParamType::real) ? first.values.real(name) : 0.0;
  };
  const double probe_cost = real_param("probe_cost");
  const double forward_cost = real_param("forward_cost");
  const bool shared = declares(info, "shared", ParamType::boolean) && first.values.boolean("shared");

  TrainingResult result;
  std::optional<LearnedModel> model;
  if (const PolicyFile start = first.values.file("model"); start.given()) {
    model = parse_learned_model(*start.contents, start.path);
  }
  const std::string hash = scenario_hash(document);
  const std::string out_path = std::filesystem::absolute(settings.out).string();
  // Episodes continue the model's numbering, so a resumed training sees new arrivals.
  const std::uint64_t episodes_before = model ? model->episodes : 0;
  const std::uint32_t replications =
      std::max<std::uint32_t>(1, settings.replications > 0 ? settings.replications : scenario.replications);

  for (std::uint32_t e = 0; e < settings.episodes; ++e) {
    const auto started = std::chrono::steady_clock::now();
    RawParams params = with_param(spec.params, "learn", "true");
    if (e > 0) params = with_param(std::move(params), "model", out_path);
    const PolicyConfig policy = registry.configure(spec.name, params);

    sim::RunOptions options;
    options.seed = sim::episode_seed(scenario.seed, static_cast<std::uint32_t>(episodes_before + e));
    options.replications = replications;
    options.threads = settings.threads;
    options.cancel = settings.cancel;
    const sim::RunOutput output = sim::run_scenario(scenario, {policy}, options);
    const std::vector<sim::ReplicationResult>& reps = output.replications.front();

    LearnedModel next;
    next.policy = first.canonical;
    next.scenario_name = scenario.name;
    next.scenario_hash = hash;
    next.episodes = (model ? model->episodes : 0) + 1;
    const std::size_t cameras = scenario.cameras.count;
    for (std::uint32_t camera = 0; camera < cameras; ++camera) {
      std::vector<const LearnedTable*> tables;
      for (const sim::ReplicationResult& r : reps) {
        if (camera < r.learned.size() && r.learned[camera]) tables.push_back(&*r.learned[camera]);
      }
      if (tables.empty()) continue;
      const LearnedTable zeros = LearnedTable::zeros(tables.front()->shape);
      const LearnedTable* start = model ? &model->table_for(camera, shared) : &zeros;
      next.nodes.emplace(camera, merge_tables(tables, start));
    }
    if (next.nodes.empty()) {
      throw PolicyError(fmt::format("'{}' learned nothing in episode {}: no camera's policy returned a table",
                                    first.canonical, e + 1));
    }
    std::vector<const LearnedTable*> all;
    for (const auto& [camera, table] : next.nodes) all.push_back(&table);
    next.shared = merge_tables(all);
    write_learned_model(settings.out, next);
    model = std::move(next);

    EpisodeReport row;
    row.episode = static_cast<std::uint32_t>(model->episodes);
    row.seed = *options.seed;
    for (const sim::ReplicationResult& r : reps) row.invocations += r.summary.invocations;
    row.rejection_probability = mean_of(reps, &ReplicationSummary::rejection_probability);
    row.deadline_miss_rate = mean_of(reps, &ReplicationSummary::deadline_miss_rate);
    row.forwarded_fraction = mean_of(reps, &ReplicationSummary::forwarded_fraction);
    row.probes_per_invocation = mean_of(reps, &ReplicationSummary::probes_per_invocation);
    row.reward_per_invocation = -(row.rejection_probability + row.deadline_miss_rate) -
                                probe_cost * row.probes_per_invocation - forward_cost * row.forwarded_fraction;
    row.updates = model->shared.total_visits();
    row.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    result.curve.push_back(row);
    if (settings.on_episode) settings.on_episode(row);
  }
  if (model) result.model = std::move(*model);
  return result;
}

std::string learning_curve_header() {
  return "episode,seed,invocations,rejection_probability,deadline_miss_rate,forwarded_fraction,"
         "probes_per_invocation,reward_per_invocation,updates,wall_seconds\n";
}

std::string learning_curve_row(const EpisodeReport& r) {
  return fmt::format("{},{},{},{},{},{},{},{},{},{:.3f}\n", r.episode, r.seed, r.invocations, r.rejection_probability,
                     r.deadline_miss_rate, r.forwarded_fraction, r.probes_per_invocation, r.reward_per_invocation,
                     r.updates, r.wall_seconds);
}

std::string learning_curve_csv(const std::vector<EpisodeReport>& curve) {
  std::string csv = learning_curve_header();
  for (const EpisodeReport& r : curve) csv += learning_curve_row(r);
  return csv;
}

}  // namespace fogsched::app
