#pragma once
// `fogsched policies`: lists the built-in policies and their parameters.
#include <CLI/CLI.hpp>

namespace fogsched::cli {

// Declares the command; its callback throws CommandExit when done, or the
// configuration errors main() reports.
void add_policies_command(CLI::App& app);

}  // namespace fogsched::cli
