#pragma once
// --wide and --metrics: which columns the comparison table shows (run, load).
#include <CLI/CLI.hpp>

#include "fogsched/core/results.h"

namespace fogsched::cli {

void add_table_options(CLI::App& command, TableOptions& options);

}  // namespace fogsched::cli
