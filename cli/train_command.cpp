#include "train_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "command_exit.h"
#include "fogsched/app/run_settings.h"
#include "fogsched/app/training.h"
#include "fogsched/sim/runner.h"
#include "run_control.h"
#include "simulation_args.h"

namespace fogsched::cli {
namespace {

struct TrainArgs : SimulationArgs {
  std::uint32_t episodes = 20;
  std::string out;
  std::optional<std::string> curve;
};

// "model.json" -> "model.curve.csv".
std::filesystem::path default_curve_path(const std::filesystem::path& model) {
  std::filesystem::path curve = model;
  curve.replace_extension(".curve.csv");
  return curve;
}

std::string format_row(const app::EpisodeReport& r) {
  return fmt::format("{:>7}  {:>9}  {:>9.4f}  {:>9.4f}  {:>9.4f}  {:>6.3f}  {:>8.4f}  {:>6.2f}", r.episode,
                     r.invocations, r.rejection_probability, r.deadline_miss_rate, r.forwarded_fraction,
                     r.probes_per_invocation, r.reward_per_invocation, r.wall_seconds);
}

int train_command(const TrainArgs& args) {
  if (args.policies.size() != 1) throw InputError("--policy: give exactly one policy to train");
  const app::PreparedRun prepared = prepare_run(args);
  app::trainable_policy(args.policies.front(), prepared.registry);
  const std::filesystem::path curve_path =
      args.curve ? std::filesystem::path(*args.curve) : default_curve_path(args.out);
  // Opened first, so an unwritable path is reported before minutes of training.
  std::ofstream curve(curve_path, std::ios::binary | std::ios::trunc);
  if (!curve) throw InputError(fmt::format("cannot write {}", curve_path.string()));

  sim::RunOptions control;
  control.threads = args.threads;
  announce_cost(prepared.scenario, prepared.policies, control);
  std::optional<ProgressBar> progress;
  attach_run_control(control, progress);
  progress.reset();  // one line per episode says how far training is

  app::TrainingSettings settings;
  settings.episodes = args.episodes;
  settings.replications = prepared.scenario.replications;
  settings.threads = args.threads;
  settings.out = args.out;
  settings.cancel = control.cancel;
  std::cout << fmt::format("training {} on {}: {} episodes of {} replications, seed {}\n",
                           prepared.policies.front().canonical, prepared.scenario.name, args.episodes,
                           prepared.scenario.replications, prepared.scenario.seed)
            << "episode  invocations  rejection  deadline  forwarded  probes    reward  wall s\n"
            << std::flush;
  // Row by row, like the model after each episode: Ctrl-C leaves both at the last
  // finished episode.
  curve << app::learning_curve_header() << std::flush;
  settings.on_episode = [&](const app::EpisodeReport& row) {
    curve << app::learning_curve_row(row) << std::flush;
    if (!curve) throw InputError(fmt::format("cannot write {}", curve_path.string()));
    std::cout << format_row(row) << "\n" << std::flush;
  };
  const app::TrainingResult result =
      app::train(prepared.document, prepared.scenario, args.policies.front(), prepared.registry, settings);
  curve.close();
  if (!curve) throw InputError(fmt::format("cannot write {}", curve_path.string()));
  std::cout << fmt::format("model: {} ({} episodes, {} updates); learning curve: {}\n", args.out, result.model.episodes,
                           result.model.shared.total_visits(), curve_path.string());
  return kExitOk;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* train =
      app.add_subcommand("train", "Train a learning policy (sarsa, q_learning) in the simulator and write its model");
  add_simulation_args(*train, *args, "to train (exactly one)");
  train->add_option("--episodes", args->episodes, "Episodes of the scenario's duration (default 20)")
      ->type_name("N")
      ->check(CLI::Range(1u, 1'000'000u));
  train->add_option("--out", args->out, "The model file, rewritten after every episode")
      ->type_name("FILE.json")
      ->required();
  train->add_option("--curve", args->curve, "The learning curve as CSV (default: beside --out, .curve.csv)")
      ->type_name("FILE.csv");
  train->callback([args] { throw CommandExit{train_command(*args)}; });
}

}  // namespace fogsched::cli
