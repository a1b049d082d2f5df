#pragma once
// The node's table of settings and what reading any source of them shares: where a
// value came from, applying it, and the checks once every source has had its say.
// Private to node_config*.cpp.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fogsched/core/config_reader.h"
#include "fogsched/live/node_config.h"
#include "fogsched/live/openfaas.h"

namespace fogsched::live::setting_table {

struct Setting {
  std::string_view key;  // as NodeSetting
  std::string_view env;
  std::string_view flag;
  std::string_view value_name;
  std::string_view help;
  // Reads the text form; throws std::invalid_argument or PolicyError with the problem.
  void (*set)(NodeConfig&, std::string_view text, const SourceLocation& where);
  // The text form; empty when unset.
  std::string (*get)(const NodeConfig&);
};

// Every setting, in the order files, --help and the YAML dump show them.
const std::vector<Setting>& settings();
const Setting* find_setting(std::string_view key);

// Where a value came from, for its error message.
struct Origin {
  SourceLocation where;
  std::string key_path;  // empty outside the file: the variable or flag names the key
};

Origin outside_origin(std::string_view name, std::string_view value);

// Sets `setting` from its text; throws ConfigError at `origin`.
void apply(const Setting& setting, NodeConfig& config, std::string_view text, const Origin& origin);

// What the loader must check once every source has had its say.
struct Provenance {
  Origin name;                        // the default when no source named it
  std::optional<Origin> token_file;   // set when this pass gave the token file
  std::optional<Origin> backoff;      // set when this pass gave a backoff value
  std::optional<Origin> policy_save;  // set when this pass gave policy.save
};

void note(Provenance& provenance, std::string_view key, const Origin& origin);
void finish(NodeConfig& config, const Provenance& provenance);

// The values a file gives in YAML's own forms (lists and maps) rather than as text.
Url url_value(std::string_view text);
void add_slots(NodeConfig& config, std::string_view function, std::string_view slots);
PolicySpec spec_of(const PolicyConfig& policy, const SourceLocation& where);

// Reads the YAML configuration file into `config`; throws ConfigError.
void read_config_file(const std::filesystem::path& file, NodeConfig& config, Provenance& provenance);

}  // namespace fogsched::live::setting_table
