#pragma once
// The decision table of a small cluster's optimal policy as a file: `fogsched analyze
// --optimal --optimal-table FILE` writes it, and a policy replaying it is configured
// with the file, whose text the front-end reads (text_file.h) and the policy parses.
//
// The file (JSON, "format": "fogsched-optimal-table", "version": 1):
//   {"format": ..., "version": 1,
//    "costs": {"forward": f, "probe": p},          in rejections, what it minimises
//    "cost_per_arrival": g, "rejection_probability": r, "forwarded_fraction": x,
//    "nodes": [{"slots": K, "queue": Q, "arrival_rate_per_s": l, "service_rate_per_s": m}, ...],
//    "actions": [[a_0, ..., a_{N-1}], ...]}
// "actions" has one row per state: the load of every node (running + queued, 0 to
// K + Q), numbered in mixed radix with node 0's load varying fastest, so state
// sum_i n_i prod_{k<i} (K_k + Q_k + 1) is row number. In a row, a_o is -1 to reject
// a client arrival at node o, or the node it is sent to (o itself: run there; the
// invocation runs where it is sent when that node has room, else is rejected there).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fogsched {

// A node as the table's cluster has it: an M/M/K/K+Q station.
struct OptimalTableNode {
  std::uint32_t slots = 1;
  std::uint32_t queue = 0;
  double arrival_rate_per_s = 0;
  double service_rate_per_s = 1;
  friend bool operator==(const OptimalTableNode&, const OptimalTableNode&) = default;
};

struct OptimalTable {
  double forward_cost = 0;
  double probe_cost = 0;
  double cost_per_arrival = 0;
  double rejection_probability = 0;
  double forwarded_fraction = 0;
  std::vector<OptimalTableNode> nodes;
  std::vector<std::int32_t> actions;  // actions[state * nodes.size() + origin]

  std::int32_t action(std::size_t state, std::size_t origin) const { return actions[state * nodes.size() + origin]; }
  friend bool operator==(const OptimalTable&, const OptimalTable&) = default;
};

// The file's text, one row of actions per line.
std::string to_json_text(const OptimalTable& table);

// Parses a table file's text. Throws PolicyError naming `source` (the file), the key
// and the value ("t.json: actions[4][1]: 3 is neither -1 (reject) nor a node index
// below 3").
OptimalTable parse_optimal_table(std::string_view text, std::string_view source);

}  // namespace fogsched
