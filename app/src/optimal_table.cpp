#include "fogsched/app/optimal_table.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fogsched/analysis/ctmc.h"

namespace fogsched::app {

OptimalTable optimal_table(const analysis::OptimalAnalysis& optimum) {
  if (!optimum.applies || !optimum.solution) throw std::invalid_argument("the optimal policy does not apply");
  const analysis::OptimalSolution& solution = *optimum.solution;
  return {.costs = optimum.costs,
          .cost_per_arrival = solution.cost_per_arrival,
          .rejection_probability = solution.rejection_probability,
          .forwarded_fraction = solution.forwarded_fraction,
          .nodes = optimum.nodes,
          .actions = solution.actions};
}

std::string to_json(const OptimalTable& table) {
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const analysis::NodeModel& node : table.nodes) {
    nodes.push_back({{"slots", node.slots},
                     {"queue", node.queue},
                     {"arrival_rate_per_s", node.arrival_rate_per_s},
                     {"service_rate_per_s", node.service_rate_per_s}});
  }
  // One row per state on one line each: the file stays readable at thousands of states.
  std::string rows;
  const std::size_t width = table.nodes.size();
  for (std::size_t s = 0; width > 0 && s < table.actions.size() / width; ++s) {
    rows += s == 0 ? "\n    [" : ",\n    [";
    for (std::size_t o = 0; o < width; ++o) rows += fmt::format("{}{}", o == 0 ? "" : ", ", table.action(s, o));
    rows += "]";
  }
  nlohmann::ordered_json head = {{"format", std::string(kOptimalTableFormat)},
                                 {"version", kOptimalTableVersion},
                                 {"costs", {{"forward", table.costs.forward}, {"probe", table.costs.probe}}},
                                 {"cost_per_arrival", table.cost_per_arrival},
                                 {"rejection_probability", table.rejection_probability},
                                 {"forwarded_fraction", table.forwarded_fraction},
                                 {"nodes", nodes}};
  std::string text = head.dump(2);
  text.pop_back();  // the closing brace, reopened for "actions"
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text + ",\n  \"actions\": [" + rows + (rows.empty() ? "]" : "\n  ]") + "\n}\n";
}

namespace {

// Reads one document, naming the source and the key path of every problem.
class TableReader {
 public:
  explicit TableReader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(std::string_view key, std::string_view problem) const {
    throw OptimalTableError(fmt::format("{}: {}: {}", source_, key, problem));
  }

  const nlohmann::json& member(const nlohmann::json& object, const std::string& parent, const char* name) const {
    const std::string key = parent.empty() ? name : parent + "." + name;
    const auto it = object.find(name);
    if (it == object.end()) fail(key, "is missing");
    return *it;
  }

  double number(const nlohmann::json& object, const std::string& parent, const char* name, double minimum,
                bool inclusive) const {
    const std::string key = parent.empty() ? name : parent + "." + name;
    const nlohmann::json& value = member(object, parent, name);
    if (!value.is_number()) fail(key, fmt::format("{} is not a number", value.dump()));
    const double x = value.get<double>();
    if (!std::isfinite(x) || (inclusive ? x < minimum : x <= minimum)) {
      fail(key, fmt::format("{} is not {} {}", value.dump(), inclusive ? ">=" : ">", minimum));
    }
    return x;
  }

  std::uint32_t count(const nlohmann::json& object, const std::string& parent, const char* name,
                      std::uint32_t minimum) const {
    const std::string key = parent + "." + name;
    const nlohmann::json& value = member(object, parent, name);
    if (!value.is_number_integer() || value.get<std::int64_t>() < minimum ||
        value.get<std::int64_t>() > std::numeric_limits<std::uint32_t>::max()) {
      fail(key, fmt::format("{} is not an integer >= {}", value.dump(), minimum));
    }
    return static_cast<std::uint32_t>(value.get<std::int64_t>());
  }

 private:
  std::string_view source_;
};

}  // namespace

OptimalTable optimal_table_from_json(std::string_view text, std::string_view source) {
  const TableReader reader(source);
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw OptimalTableError(fmt::format("{}: not JSON: {}", source, e.what()));
  }
  if (!document.is_object()) reader.fail("(document)", "is not a JSON object");

  const nlohmann::json& format = reader.member(document, "", "format");
  if (!format.is_string() || format.get<std::string>() != kOptimalTableFormat) {
    reader.fail("format", fmt::format("{} is not \"{}\"", format.dump(), kOptimalTableFormat));
  }
  const nlohmann::json& version = reader.member(document, "", "version");
  if (version != kOptimalTableVersion) {
    reader.fail("version", fmt::format("{} is not {}", version.dump(), kOptimalTableVersion));
  }

  OptimalTable table;
  const nlohmann::json& costs = reader.member(document, "", "costs");
  if (!costs.is_object()) reader.fail("costs", "is not an object");
  table.costs.forward = reader.number(costs, "costs", "forward", 0, true);
  table.costs.probe = reader.number(costs, "costs", "probe", 0, true);
  table.cost_per_arrival = reader.number(document, "", "cost_per_arrival", 0, true);
  table.rejection_probability = reader.number(document, "", "rejection_probability", 0, true);
  table.forwarded_fraction = reader.number(document, "", "forwarded_fraction", 0, true);

  const nlohmann::json& nodes = reader.member(document, "", "nodes");
  if (!nodes.is_array() || nodes.empty()) reader.fail("nodes", "is not a non-empty array");
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const std::string key = fmt::format("nodes[{}]", i);
    if (!nodes[i].is_object()) reader.fail(key, "is not an object");
    table.nodes.push_back({.arrival_rate_per_s = reader.number(nodes[i], key, "arrival_rate_per_s", 0, true),
                           .service_rate_per_s = reader.number(nodes[i], key, "service_rate_per_s", 0, false),
                           .slots = reader.count(nodes[i], key, "slots", 1),
                           .queue = reader.count(nodes[i], key, "queue", 0)});
  }
  const std::uint64_t states = analysis::ctmc_state_count(table.nodes);
  if (states > analysis::kMaxCtmcStates) {
    reader.fail("nodes", fmt::format("make more than {} states", analysis::kMaxCtmcStates));
  }

  const nlohmann::json& actions = reader.member(document, "", "actions");
  if (!actions.is_array() || actions.size() != states) {
    reader.fail("actions", fmt::format("is not an array of {} rows, one per state of the nodes", states));
  }
  const std::size_t width = table.nodes.size();
  table.actions.reserve(states * width);
  for (std::size_t s = 0; s < actions.size(); ++s) {
    const nlohmann::json& row = actions[s];
    if (!row.is_array() || row.size() != width) {
      reader.fail(fmt::format("actions[{}]", s), fmt::format("is not an array of {} actions, one per node", width));
    }
    for (std::size_t o = 0; o < width; ++o) {
      const nlohmann::json& action = row[o];
      if (!action.is_number_integer() || action.get<std::int64_t>() < -1 ||
          action.get<std::int64_t>() >= static_cast<std::int64_t>(width)) {
        reader.fail(fmt::format("actions[{}][{}]", s, o),
                    fmt::format("{} is neither -1 (reject) nor a node index below {}", action.dump(), width));
      }
      table.actions.push_back(static_cast<std::int32_t>(action.get<std::int64_t>()));
    }
  }
  return table;
}

void write_optimal_table(const std::string& path, const OptimalTable& table) {
  std::ofstream out(path, std::ios::binary);
  out << to_json(table);
  out.close();
  if (!out) throw OptimalTableError(fmt::format("cannot write {}", path));
}

OptimalTable read_optimal_table(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw OptimalTableError(fmt::format("cannot read {}", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw OptimalTableError(fmt::format("cannot read {}", path));
  return optimal_table_from_json(text.str(), path);
}

}  // namespace fogsched::app
