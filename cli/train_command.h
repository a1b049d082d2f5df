#pragma once
// `fogsched train`: trains a learning policy in the simulator, episode by episode,
// and writes its model and learning curve.
#include <CLI/CLI.hpp>

namespace fogsched::cli {

// Declares the command; its callback throws CommandExit when done, or the
// configuration errors main() reports.
void add_train_command(CLI::App& app);

}  // namespace fogsched::cli
