#include "fogsched/core/optimal_table.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fogsched/core/errors.h"

namespace fogsched {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kTableFormat = "fogsched-optimal-table";
constexpr int kTableVersion = 1;
// A bound on the rows a file may claim, so a bad "nodes" cannot ask for the moon.
constexpr std::uint64_t kMaxStates = 100'000'000;

}  // namespace

std::string to_json_text(const OptimalTable& table) {
  Json nodes = Json::array();
  for (const OptimalTableNode& node : table.nodes) {
    nodes.push_back({{"slots", node.slots},
                     {"queue", node.queue},
                     {"arrival_rate_per_s", node.arrival_rate_per_s},
                     {"service_rate_per_s", node.service_rate_per_s}});
  }
  const Json head = {{"format", kTableFormat},
                     {"version", kTableVersion},
                     {"costs", {{"forward", table.forward_cost}, {"probe", table.probe_cost}}},
                     {"cost_per_arrival", table.cost_per_arrival},
                     {"rejection_probability", table.rejection_probability},
                     {"forwarded_fraction", table.forwarded_fraction},
                     {"nodes", nodes}};
  // The head as JSON, its closing brace reopened for "actions": one row per line
  // keeps the file readable at thousands of states.
  std::string text = head.dump(2);
  text.resize(text.rfind('}'));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  text += ",\n  \"actions\": [";
  const std::size_t width = table.nodes.size();
  for (std::size_t s = 0; width > 0 && s < table.actions.size() / width; ++s) {
    text += s == 0 ? "\n    [" : ",\n    [";
    for (std::size_t o = 0; o < width; ++o) text += fmt::format("{}{}", o == 0 ? "" : ", ", table.action(s, o));
    text += "]";
  }
  return text + (table.actions.empty() ? "]\n}\n" : "\n  ]\n}\n");
}

OptimalTable parse_optimal_table(std::string_view text, std::string_view source) {
  const auto fail = [source](std::string_view key, std::string_view problem) {
    throw PolicyError(fmt::format("{}: {}: {}", source, key, problem));
  };
  const auto member = [&](const Json& object, const std::string& key) -> const Json& {
    const std::string name = key.substr(key.rfind('.') + 1);
    const auto it = object.find(name);
    if (it == object.end()) fail(key, "is missing");
    return *it;
  };
  // A finite number >= `minimum` (> when not `inclusive`).
  const auto number = [&](const Json& object, const std::string& key, double minimum, bool inclusive) {
    const Json& value = member(object, key);
    if (!value.is_number()) fail(key, fmt::format("{} is not a number", value.dump()));
    const double x = value.get<double>();
    if (!std::isfinite(x) || (inclusive ? x < minimum : x <= minimum)) {
      fail(key, fmt::format("{} is not {} {}", value.dump(), inclusive ? ">=" : ">", minimum));
    }
    return x;
  };
  const auto count = [&](const Json& object, const std::string& key, std::int64_t minimum) {
    const Json& value = member(object, key);
    if (!value.is_number_integer() || value.get<std::int64_t>() < minimum ||
        value.get<std::int64_t>() > std::numeric_limits<std::int32_t>::max()) {
      fail(key, fmt::format("{} is not an integer >= {}", value.dump(), minimum));
    }
    return static_cast<std::uint32_t>(value.get<std::int64_t>());
  };

  Json document;
  try {
    document = Json::parse(text);
  } catch (const Json::parse_error& error) {
    throw PolicyError(fmt::format("{}: not JSON: {}", source, error.what()));
  }
  if (!document.is_object()) fail("(document)", "is not a JSON object (a fogsched optimal table)");
  const Json& format = member(document, "format");
  if (!format.is_string() || format.get<std::string>() != kTableFormat) {
    fail("format", fmt::format("{} is not \"{}\"", format.dump(), kTableFormat));
  }
  const Json& version = member(document, "version");
  if (version != kTableVersion) fail("version", fmt::format("{} is not {}", version.dump(), kTableVersion));

  OptimalTable table;
  const Json& costs = member(document, "costs");
  if (!costs.is_object()) fail("costs", "is not an object with forward and probe");
  table.forward_cost = number(costs, "costs.forward", 0, true);
  table.probe_cost = number(costs, "costs.probe", 0, true);
  table.cost_per_arrival = number(document, "cost_per_arrival", 0, true);
  table.rejection_probability = number(document, "rejection_probability", 0, true);
  table.forwarded_fraction = number(document, "forwarded_fraction", 0, true);

  const Json& nodes = member(document, "nodes");
  if (!nodes.is_array() || nodes.empty()) fail("nodes", "is not a non-empty list of nodes");
  std::uint64_t states = 1;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string key = fmt::format("nodes[{}]", i);
    if (!nodes[i].is_object()) fail(key, "is not an object");
    const OptimalTableNode node{.slots = count(nodes[i], key + ".slots", 1),
                                .queue = count(nodes[i], key + ".queue", 0),
                                .arrival_rate_per_s = number(nodes[i], key + ".arrival_rate_per_s", 0, true),
                                .service_rate_per_s = number(nodes[i], key + ".service_rate_per_s", 0, false)};
    states *= std::uint64_t{node.slots} + node.queue + 1;
    if (states > kMaxStates) fail("nodes", fmt::format("make more than {} states", kMaxStates));
    table.nodes.push_back(node);
  }

  const Json& actions = member(document, "actions");
  if (!actions.is_array() || actions.size() != states) {
    fail("actions", fmt::format("is not a list of {} rows, one per state of the nodes", states));
  }
  const std::size_t width = table.nodes.size();
  table.actions.reserve(states * width);
  for (std::size_t s = 0; s < actions.size(); ++s) {
    const Json& row = actions[s];
    if (!row.is_array() || row.size() != width) {
      fail(fmt::format("actions[{}]", s), fmt::format("is not a list of {} actions, one per node", width));
    }
    for (std::size_t o = 0; o < width; ++o) {
      const Json& action = row[o];
      if (!action.is_number_integer() || action.get<std::int64_t>() < -1 ||
          action.get<std::int64_t>() >= static_cast<std::int64_t>(width)) {
        fail(fmt::format("actions[{}][{}]", s, o),
             fmt::format("{} is neither -1 (reject) nor a node index below {}", action.dump(), width));
      }
      table.actions.push_back(static_cast<std::int32_t>(action.get<std::int64_t>()));
    }
  }
  return table;
}

}  // namespace fogsched
