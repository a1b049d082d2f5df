#include "fogsched/app/optimal_table.h"

#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "fogsched/app/run_settings.h"

namespace fogsched::app {

OptimalTable optimal_table(const analysis::OptimalAnalysis& optimum) {
  if (!optimum.applies || !optimum.solution) throw std::invalid_argument("the optimal policy does not apply");
  return optimal_table(optimum.nodes, optimum.costs, *optimum.solution);
}

OptimalTable optimal_table(const std::vector<analysis::NodeModel>& nodes, const analysis::OptimalCosts& costs,
                           const analysis::OptimalSolution& solution) {
  OptimalTable table{.forward_cost = costs.forward,
                     .probe_cost = costs.probe,
                     .cost_per_arrival = solution.cost_per_arrival,
                     .rejection_probability = solution.rejection_probability,
                     .forwarded_fraction = solution.forwarded_fraction,
                     .nodes = {},
                     .actions = solution.actions};
  for (const analysis::NodeModel& node : nodes) {
    table.nodes.push_back({.slots = node.slots,
                           .queue = node.queue,
                           .arrival_rate_per_s = node.arrival_rate_per_s,
                           .service_rate_per_s = node.service_rate_per_s});
  }
  return table;
}

void write_optimal_table(const std::string& path, const OptimalTable& table) {
  std::ofstream out(path, std::ios::binary);
  out << to_json_text(table);
  out.close();
  if (!out) throw SettingError("optimal-table", fmt::format("cannot write {}", path));
}

}  // namespace fogsched::app
