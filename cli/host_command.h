#pragma once
// `fogsched host`: a local OpenFaaS-compatible gateway (docs/live.md, "The local
// host's functions file").
#include <CLI/CLI.hpp>

namespace fogsched::cli {

// Declares `fogsched host --config FILE [--listen ADDR] [--threads N]`. Its callback
// runs the host until SIGINT or SIGTERM, drains it, and throws CommandExit; a bad
// functions file is a HostConfigError.
void add_host_command(CLI::App& app);

}  // namespace fogsched::cli
