#include "fogsched/core/learned_model.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <numeric>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "fogsched/core/errors.h"

namespace fogsched {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kFormat = "fogsched-learned-model";
constexpr int kVersion = 1;

std::size_t entries_of(const std::vector<std::uint32_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1},
                         [](std::size_t product, std::uint32_t extent) { return product * extent; });
}

Json table_json(const LearnedTable& table) {
  return Json{{"shape", table.shape}, {"values", table.values}, {"visits", table.visits}};
}

// Reads one model file, every complaint naming the file and the key.
class ModelReader {
 public:
  explicit ModelReader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(std::string_view key, std::string_view problem) const {
    throw PolicyError(fmt::format("{}: {}{}{}", source_, key, key.empty() ? "" : ": ", problem));
  }

  const Json& member(const Json& object, const std::string& parent, const char* name) const {
    const auto it = object.find(name);
    if (it == object.end()) fail(parent.empty() ? name : parent + "." + name, "is missing");
    return *it;
  }

  std::string text(const Json& object, const char* name) const {
    const Json& value = member(object, "", name);
    if (!value.is_string()) fail(name, fmt::format("expected a string, got {}", value.dump()));
    return value.get<std::string>();
  }

  std::uint64_t count(const Json& value, const std::string& key) const {
    if (!value.is_number_unsigned())
      fail(key, fmt::format("expected a count (a whole number >= 0), got {}", value.dump()));
    return value.get<std::uint64_t>();
  }

  LearnedTable table(const Json& value, const std::string& key) const {
    if (!value.is_object())
      fail(key, fmt::format("expected an object with shape, values and visits, got {}", value.dump()));
    LearnedTable table;
    const Json& shape = member(value, key, "shape");
    if (!shape.is_array() || shape.empty()) fail(key + ".shape", "expected a non-empty list of extents");
    for (const Json& extent : shape) {
      const std::uint64_t n = count(extent, key + ".shape");
      if (n == 0 || n > 1'000'000) fail(key + ".shape", fmt::format("extent {} is outside [1, 1000000]", n));
      table.shape.push_back(static_cast<std::uint32_t>(n));
    }
    const std::size_t entries = entries_of(table.shape);
    if (entries > 100'000'000) fail(key + ".shape", fmt::format("{} entries is too many", entries));
    const auto list = [&](const char* name) -> const Json& {
      const Json& items = member(value, key, name);
      if (!items.is_array()) fail(key + "." + name, "expected a list");
      if (items.size() != entries) {
        fail(key + "." + name,
             fmt::format("has {} entries, shape [{}] needs {}", items.size(), fmt::join(table.shape, ", "), entries));
      }
      return items;
    };
    const Json& values = list("values");
    table.values.reserve(entries);
    for (const Json& v : values) {
      if (!v.is_number() || !std::isfinite(v.get<double>())) {
        fail(key + ".values", fmt::format("expected finite numbers, got {}", v.dump()));
      }
      table.values.push_back(v.get<double>());
    }
    const Json& visits = list("visits");
    table.visits.reserve(entries);
    for (const Json& v : visits) table.visits.push_back(count(v, key + ".visits"));
    return table;
  }

 private:
  std::string_view source_;
};

std::uint32_t node_key(const ModelReader& reader, const std::string& key) {
  std::uint32_t node = 0;
  const auto [end, error] = std::from_chars(key.data(), key.data() + key.size(), node);
  if (key.empty() || error != std::errc{} || end != key.data() + key.size()) {
    reader.fail("nodes." + key, "expected a node id (a whole number) as the key");
  }
  return node;
}

}  // namespace

LearnedTable LearnedTable::zeros(std::vector<std::uint32_t> shape) {
  LearnedTable table;
  const std::size_t entries = entries_of(shape);
  table.shape = std::move(shape);
  table.values.assign(entries, 0.0);
  table.visits.assign(entries, 0);
  return table;
}

std::uint64_t LearnedTable::total_visits() const {
  return std::accumulate(visits.begin(), visits.end(), std::uint64_t{0});
}

LearnedTable merge_tables(const std::vector<const LearnedTable*>& tables, const LearnedTable* start) {
  if (tables.empty()) throw std::invalid_argument("merge_tables: no tables");
  LearnedTable merged = start ? *start : LearnedTable::zeros(tables.front()->shape);
  for (const LearnedTable* table : tables) {
    if (table->shape != merged.shape || table->values.size() != merged.size() ||
        table->visits.size() != merged.size()) {
      throw std::invalid_argument("merge_tables: tables of different shapes");
    }
  }
  for (std::size_t i = 0; i < merged.size(); ++i) {
    const std::uint64_t before = merged.visits[i];
    double weighted = 0;
    double plain = 0;
    std::uint64_t added = 0;
    for (const LearnedTable* table : tables) {
      const std::uint64_t visits = table->visits[i] > before ? table->visits[i] - before : 0;
      weighted += static_cast<double>(visits) * table->values[i];
      plain += table->values[i];
      added += visits;
    }
    if (added > 0) {
      merged.values[i] = weighted / static_cast<double>(added);
    } else if (!start) {
      merged.values[i] = plain / static_cast<double>(tables.size());
    }
    merged.visits[i] = before + added;
  }
  return merged;
}

const LearnedTable& LearnedModel::table_for(std::uint32_t node, bool prefer_shared) const {
  if (!prefer_shared) {
    const auto it = nodes.find(node);
    if (it != nodes.end()) return it->second;
  }
  return shared;
}

std::string to_json_text(const LearnedModel& model) {
  Json nodes = Json::object();
  for (const auto& [node, table] : model.nodes) nodes[std::to_string(node)] = table_json(table);
  const Json document{
      {"format", kFormat},          {"version", kVersion},
      {"policy", model.policy},     {"scenario", {{"name", model.scenario_name}, {"hash", model.scenario_hash}}},
      {"episodes", model.episodes}, {"shared", table_json(model.shared)},
      {"nodes", std::move(nodes)}};
  return document.dump(1) + "\n";
}

void write_learned_model(const std::filesystem::path& path, const LearnedModel& model) {
  std::filesystem::path partial = path;
  partial += ".partial";
  {
    std::ofstream file(partial, std::ios::binary | std::ios::trunc);
    file << to_json_text(model);
    file.close();
    if (!file) throw std::runtime_error(fmt::format("{}: cannot write the model", partial.string()));
  }
  std::error_code error;
  std::filesystem::rename(partial, path, error);
  if (error) throw std::runtime_error(fmt::format("{}: cannot write the model: {}", path.string(), error.message()));
}

LearnedModel parse_learned_model(std::string_view text, std::string_view source) {
  const ModelReader reader(source);
  Json document;
  try {
    document = Json::parse(text);
  } catch (const Json::parse_error& error) {
    reader.fail("", fmt::format("not JSON: {}", error.what()));
  }
  if (!document.is_object()) reader.fail("", "expected a JSON object (a fogsched learned model)");
  const std::string format = reader.text(document, "format");
  if (format != kFormat) reader.fail("format", fmt::format("is '{}', expected '{}'", format, kFormat));
  const std::uint64_t version = reader.count(reader.member(document, "", "version"), "version");
  if (version != kVersion)
    reader.fail("version", fmt::format("is {}; this fogsched reads version {}", version, kVersion));

  LearnedModel model;
  model.policy = reader.text(document, "policy");
  const Json& scenario = reader.member(document, "", "scenario");
  if (!scenario.is_object()) reader.fail("scenario", "expected an object with name and hash");
  const auto scenario_text = [&](const char* name) {
    const Json& value = reader.member(scenario, "scenario", name);
    if (!value.is_string()) reader.fail(std::string("scenario.") + name, "expected a string");
    return value.get<std::string>();
  };
  model.scenario_name = scenario_text("name");
  model.scenario_hash = scenario_text("hash");
  model.episodes = reader.count(reader.member(document, "", "episodes"), "episodes");
  model.shared = reader.table(reader.member(document, "", "shared"), "shared");
  const Json& nodes = reader.member(document, "", "nodes");
  if (!nodes.is_object()) reader.fail("nodes", "expected an object keyed by node id");
  for (const auto& [key, value] : nodes.items()) {
    LearnedTable table = reader.table(value, "nodes." + key);
    if (table.shape != model.shared.shape) {
      reader.fail("nodes." + key + ".shape",
                  fmt::format("is [{}], the shared table's is [{}]", fmt::join(table.shape, ", "),
                              fmt::join(model.shared.shape, ", ")));
    }
    model.nodes.emplace(node_key(reader, key), std::move(table));
  }
  return model;
}

}  // namespace fogsched
