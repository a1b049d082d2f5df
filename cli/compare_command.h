#pragma once
// `fogsched compare A.json B.json`: two result documents side by side, metric by
// metric, with the difference and whether it lies within the combined confidence
// interval (core/include/fogsched/core/compare.h).
#include <CLI/CLI.hpp>

namespace fogsched::cli {

// Declares `fogsched compare A.json B.json [--json]`. Its callback throws
// CommandExit: 0, or 2 when a file cannot be read or is not a results document.
void add_compare_command(CLI::App& app);

}  // namespace fogsched::cli
