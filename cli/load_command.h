#pragma once
// `fogsched load`: replays a scenario's arrivals, open loop, against live nodes and
// reports them in the simulator's result format (live/loadgen/include/fogsched/live/load.h).
#include <CLI/CLI.hpp>

namespace fogsched::cli {

// Declares `fogsched load SCENARIO --nodes URL[,URL...]`. Its callback draws the
// arrivals with the simulator, replays them, prints the results table (and writes
// --json / --trace), and throws CommandExit: 0, or 2 on bad input (scenario, URL, a
// node that does not answer /status, nodes running different policies).
void add_load_command(CLI::App& app);

}  // namespace fogsched::cli
