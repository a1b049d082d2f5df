#pragma once
// `fogsched serve`: the scheduler node (docs/live.md), configured from a YAML file,
// the environment and flags.
#include <CLI/CLI.hpp>

#include "command_exit.h"

namespace fogsched::cli {

// Declares `fogsched serve`. Its callback loads the configuration (ConfigError on bad
// input), then prints it (--print-config) or runs the node until it is stopped, and
// throws CommandExit.
void add_serve_command(CLI::App& app);

}  // namespace fogsched::cli
