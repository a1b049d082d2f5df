#pragma once
// What learning policies learn, in a form the runtime can save, merge and hand back:
// `fogsched train` merges the tables of parallel replications after each episode and
// writes a model file; a live node saves its own table periodically and on SIGTERM; a
// policy configured with `model=FILE` starts from one. The policy never opens the
// file: the front-end reads it (a file parameter) and the policy parses the text.
//
// The model file (JSON, "format": "fogsched-learned-model", "version": 1):
//   {"format": ..., "version": 1,
//    "policy": "sarsa(...)",                        the canonical spec that learned it
//    "scenario": {"name": "...", "hash": "..."},   what it was trained on ("" live)
//    "episodes": 40,                               training episodes so far
//    "shared": TABLE,                              the visit-weighted mean of "nodes"
//    "nodes": {"0": TABLE, "3": TABLE, ...}}       per camera, keyed by node id
//   TABLE = {"shape": [states, actions], "values": [...], "visits": [...]}
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fogsched {

// One node's learned values (row-major over `shape`, e.g. Q(state, action)) with how
// many updates each entry has had.
struct LearnedTable {
  std::vector<std::uint32_t> shape;
  std::vector<double> values;
  std::vector<std::uint64_t> visits;

  // A zero table of this shape.
  static LearnedTable zeros(std::vector<std::uint32_t> shape);
  std::size_t size() const { return values.size(); }
  std::uint64_t total_visits() const;
  friend bool operator==(const LearnedTable&, const LearnedTable&) = default;
};

// The entry-wise visit-weighted mean of tables of one shape; visits add up. With
// `start`, the table every one of them began from (parallel replications of one
// training episode), only the visits beyond the start's weigh, and an entry none of
// them updated keeps the start's value; without it, such an entry is the plain mean.
// Throws std::invalid_argument for no tables or tables of different shapes.
LearnedTable merge_tables(const std::vector<const LearnedTable*>& tables, const LearnedTable* start = nullptr);

struct LearnedModel {
  std::string policy;
  std::string scenario_name;
  std::string scenario_hash;
  std::uint64_t episodes = 0;
  LearnedTable shared;
  std::map<std::uint32_t, LearnedTable> nodes;

  // The table a node starts from: its own when the model has one and `prefer_shared`
  // is false, else the shared one.
  const LearnedTable& table_for(std::uint32_t node, bool prefer_shared) const;
  friend bool operator==(const LearnedModel&, const LearnedModel&) = default;
};

// The model file's text, deterministic for a model (byte-identical for equal models).
std::string to_json_text(const LearnedModel& model);

// Writes the model file: beside `path` first, then renamed over it, so a reader (or a
// crash) never sees it half written. Throws std::runtime_error naming the file and why.
void write_learned_model(const std::filesystem::path& path, const LearnedModel& model);

// Parses a model file's text. Throws PolicyError naming `source` (the file), the key
// and the problem ("model.json: nodes.3.values: has 12 entries, shape [5, 4] needs 20").
LearnedModel parse_learned_model(std::string_view text, std::string_view source);

}  // namespace fogsched
