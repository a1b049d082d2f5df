#pragma once
// `fogsched analyze`: simulates a scenario and sets the exact models beside it.
#include <CLI/CLI.hpp>

namespace fogsched::cli {

// Declares the command; its callback throws CommandExit when done, or the
// configuration errors main() reports.
void add_analyze_command(CLI::App& app);

}  // namespace fogsched::cli
