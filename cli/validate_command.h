#pragma once
// `fogsched validate`: checks a scenario and its policies, and summarises it in words.
#include <CLI/CLI.hpp>

namespace fogsched::cli {

// Declares the command; its callback throws CommandExit when done, or the
// configuration errors main() reports.
void add_validate_command(CLI::App& app);

}  // namespace fogsched::cli
