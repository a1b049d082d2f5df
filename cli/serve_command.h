#pragma once
// `fogsched serve`: the scheduler node (live/README.md), configured from a YAML file,
// the environment and flags.
#include <CLI/CLI.hpp>

namespace fogsched::cli {

// Ends `fogsched` with `code`. Thrown by a command that runs from its CLI11 callback,
// which has no result to return; main() returns the code.
struct CommandExit {
  int code = 0;
};

// Declares `fogsched serve`. Its callback loads the configuration (ConfigError on bad
// input), then prints it (--print-config) or runs the node until it is stopped, and
// throws CommandExit.
void add_serve_command(CLI::App& app);

}  // namespace fogsched::cli
