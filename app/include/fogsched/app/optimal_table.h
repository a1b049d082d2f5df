#pragma once
// The optimum of `fogsched analyze --optimal` as a decision table file
// (core/optimal_table.h has the format, its text and its parser).
#include <string>
#include <vector>

#include "fogsched/analysis/analyze.h"
#include "fogsched/core/optimal_table.h"

namespace fogsched::app {

// The table of an optimum that applies (throws std::invalid_argument otherwise).
OptimalTable optimal_table(const analysis::OptimalAnalysis& optimum);
// The table of `solution`, the optimum of `nodes` under `costs`.
OptimalTable optimal_table(const std::vector<analysis::NodeModel>& nodes, const analysis::OptimalCosts& costs,
                           const analysis::OptimalSolution& solution);

// Throws SettingError("optimal-table") when the file cannot be written.
void write_optimal_table(const std::string& path, const OptimalTable& table);

}  // namespace fogsched::app
