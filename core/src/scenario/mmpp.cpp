// Arrivals of process: mmpp (states and their transition matrix).
#include "parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fogsched::scenario_parsing {
namespace keys = scenario_keys;

void Parser::parse_mmpp(const ConfigMap& map, ArrivalSpec& arrivals) const {
  const YAML::Node states = map.require("states");
  const std::string states_path = map.path("states");
  require_sequence(states, states_path, "a list of {rate, sojourn} states");
  if (states.size() == 0) fail(states, states_path, "expected at least one state");
  for (std::size_t i = 0; i < states.size(); ++i) {
    const ConfigMap state_map = section(states[i], join_key_path(states_path, std::to_string(i)), keys::kMmppState);
    MmppStateSpec state;
    state.rate_per_s = rate(state_map.require("rate"), state_map.path("rate"), Bound::non_negative);
    state.mean_sojourn = duration(state_map.require("sojourn"), state_map.path("sojourn"), Bound::positive);
    arrivals.mmpp_states.push_back(state);
  }
  if (std::none_of(arrivals.mmpp_states.begin(), arrivals.mmpp_states.end(),
                   [](const MmppStateSpec& state) { return state.rate_per_s > 0; })) {
    fail(states, states_path, "every state has rate 0 (at least one must be positive)");
  }
  if (map.has("transitions")) parse_mmpp_transitions(map.get("transitions"), map.path("transitions"), arrivals);
}

void Parser::parse_mmpp_transitions(const YAML::Node& node, const std::string& path, ArrivalSpec& arrivals) const {
  // Rows must sum to 1 up to rounding in the written decimals (0.1 + 0.2 + 0.7).
  constexpr double kSumTolerance = 1e-9;
  const std::size_t n = arrivals.mmpp_states.size();
  require_sequence(node, path, "a list of rows, one per state");
  if (n == 1) fail(node, path, "a single state has no transitions; leave the matrix out");
  if (node.size() != n) fail(node, path, fmt::format("expected {} rows (one per state), got {}", n, node.size()));
  auto& matrix = arrivals.mmpp_transitions;
  for (std::size_t i = 0; i < n; ++i) {
    const YAML::Node row = node[i];
    const std::string row_path = join_key_path(path, std::to_string(i));
    require_sequence(row, row_path, fmt::format("a row of {} probabilities", n));
    if (row.size() != n) fail(row, row_path, fmt::format("expected {} entries (one per state), got {}", n, row.size()));
    std::vector<double> probabilities;
    for (std::size_t j = 0; j < n; ++j) {
      const std::string entry_path = join_key_path(row_path, std::to_string(j));
      const double p = number(row[j], entry_path, Bound::non_negative);
      if (p > 1)
        fail(row[j], entry_path, fmt::format("must be a probability in [0, 1], got {}", quote_input(row[j].Scalar())));
      if (i == j && p != 0) {
        fail(row[j], entry_path,
             fmt::format("must be 0 (a sojourn always ends in another state), got {}", quote_input(row[j].Scalar())));
      }
      probabilities.push_back(p);
    }
    const double sum = std::accumulate(probabilities.begin(), probabilities.end(), 0.0);
    if (std::abs(sum - 1) > kSumTolerance) fail(row, row_path, fmt::format("entries must sum to 1, got {}", sum));
    matrix.push_back(std::move(probabilities));
  }
  // Every state must be reachable from every other, or a run's long-run rate would
  // depend on where the chain started.
  const auto reachable = [&](bool forward) {
    std::vector<bool> seen(n, false);
    std::vector<std::size_t> pending{0};
    seen[0] = true;
    while (!pending.empty()) {
      const std::size_t from = pending.back();
      pending.pop_back();
      for (std::size_t to = 0; to < n; ++to) {
        const double p = forward ? matrix[from][to] : matrix[to][from];
        if (p > 0 && !seen[to]) {
          seen[to] = true;
          pending.push_back(to);
        }
      }
    }
    return seen;
  };
  const std::vector<bool> from_first = reachable(true);
  const std::vector<bool> to_first = reachable(false);
  for (std::size_t j = 1; j < n; ++j) {
    if (!from_first[j]) {
      fail(node, path, fmt::format("state {} cannot be reached from state 0 (the chain must be irreducible)", j));
    }
    if (!to_first[j]) {
      fail(node, path, fmt::format("state 0 cannot be reached from state {} (the chain must be irreducible)", j));
    }
  }
}

}  // namespace fogsched::scenario_parsing
