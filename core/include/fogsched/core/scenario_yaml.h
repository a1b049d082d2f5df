#pragma once
// Scenario files: YAML in, validated Scenario out, with every error reported as
// "FILE:LINE: key.path: what is wrong".
//
// A ScenarioDocument keeps the scenario as written (the YAML tree), so overrides
// (`--set key.path=value`, Python's scenario.set()) edit the text form and are
// validated by the same parser as the file itself.
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fogsched/core/scenario.h"

namespace fogsched {

// The longest line a scenario text (a file, a `--set` value) may hold, and so the
// longest value; yaml-cpp's cost grows faster than the length of a line.
inline constexpr std::size_t kMaxValueCharacters = std::size_t{64} * 1024;

// One `--set key.path=value` override. Sequence elements are addressed by index
// ("workload.0.arrivals.rate").
struct Override {
  std::string path;
  std::string value;
};

// Splits "key.path=value"; throws ScenarioError (file "--set") when malformed.
Override parse_override(std::string_view text);

class ScenarioDocument {
 public:
  // Reads and parses the YAML (syntax only); throws ScenarioError.
  static ScenarioDocument load_file(const std::string& path);
  // `origin` names the text in error messages (a file name or "<dict>").
  static ScenarioDocument from_string(std::string_view yaml, std::string origin);

  ScenarioDocument(const ScenarioDocument&);
  ScenarioDocument& operator=(const ScenarioDocument&);
  ScenarioDocument(ScenarioDocument&&) noexcept;
  ScenarioDocument& operator=(ScenarioDocument&&) noexcept;
  ~ScenarioDocument();

  // Sets the scalar at `path` (creating missing map keys; unknown keys are then
  // reported by parse()). The value is YAML text: "8", "250ms", "[1, 2]",
  // "{name: local}". Throws ScenarioError when the path runs through a scalar or
  // past the end of a sequence.
  void set(std::string_view path, std::string_view value);
  void apply(const std::vector<Override>& overrides);

  // Validates everything and builds the model; throws ScenarioError on the first
  // problem.
  Scenario parse() const;

  std::string to_yaml() const;
  // The tree as JSON: numbers and booleans typed, everything else a string.
  std::string to_json() const;

  const std::string& origin() const;

 private:
  struct Impl;
  explicit ScenarioDocument(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One map of a scenario file and the keys the loader accepts in it. `path` writes
// list elements and writer-named entries (function names) as '*'; a path appears
// twice when its map has two shapes (a camera value given as a choice or a range).
struct ScenarioSection {
  std::string_view path;
  std::span<const std::string_view> keys;
  bool open = false;  // further keys are the writer's own (policy parameters)
};
// Every map the loader reads, in the order of the reference.
std::span<const ScenarioSection> scenario_sections();

// load_file + apply + parse.
Scenario load_scenario(const std::string& path, const std::vector<Override>& overrides = {});

}  // namespace fogsched
