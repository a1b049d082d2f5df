#pragma once
// `fogsched run`: simulates a scenario with every policy and prints the comparison.
#include <CLI/CLI.hpp>

namespace fogsched::cli {

// Declares the command; its callback throws CommandExit when done, or the
// configuration errors main() reports.
void add_run_command(CLI::App& app);

}  // namespace fogsched::cli
