#pragma once
// The optimal policy's decision table as a file (`fogsched analyze --optimal
// --optimal-table FILE`), and its reader, for a policy that replays the table:
//
//   {"format": "fogsched-optimal-table", "version": 1,
//    "costs": {"forward": f, "probe": p},
//    "cost_per_arrival": g, "rejection_probability": r, "forwarded_fraction": x,
//    "nodes": [{"slots": K, "queue": Q, "arrival_rate_per_s": l, "service_rate_per_s": m}, ...],
//    "actions": [[a_0, ..., a_{N-1}], ...]}
//
// One row of "actions" per state, in the order of analysis::ClusterChain (the load
// of every node, mixed radix, node 0's varying fastest); a_o is -1 to reject a
// client arrival at node o, or the node it is sent to (o itself: run there).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fogsched/analysis/analyze.h"
#include "fogsched/analysis/markov_model.h"
#include "fogsched/analysis/optimal.h"

namespace fogsched::app {

inline constexpr std::string_view kOptimalTableFormat = "fogsched-optimal-table";
inline constexpr int kOptimalTableVersion = 1;

// A table file that cannot be written or read; the message names the file, and
// for a bad file the key and the value ("t.json: actions[3][1]: 7 is ...").
class OptimalTableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptimalTable {
  analysis::OptimalCosts costs;
  double cost_per_arrival = 0;
  double rejection_probability = 0;
  double forwarded_fraction = 0;
  std::vector<analysis::NodeModel> nodes;
  std::vector<std::int32_t> actions;  // actions[state * nodes.size() + origin]

  std::int32_t action(std::size_t state, std::size_t origin) const { return actions[state * nodes.size() + origin]; }
  friend bool operator==(const OptimalTable&, const OptimalTable&) = default;
};

// The table of an optimum that applies (throws std::invalid_argument otherwise).
OptimalTable optimal_table(const analysis::OptimalAnalysis& optimum);

std::string to_json(const OptimalTable& table);
// `source` names the text in errors (the file's path).
OptimalTable optimal_table_from_json(std::string_view text, std::string_view source);

void write_optimal_table(const std::string& path, const OptimalTable& table);
OptimalTable read_optimal_table(const std::string& path);

}  // namespace fogsched::app
