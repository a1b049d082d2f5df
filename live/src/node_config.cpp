// The node's configuration from its three sources (file, environment, command line),
// its settings as `fogsched serve --help` lists them, and its YAML dump; all driven
// by the table of settings (node_settings.h).
#include "fogsched/live/node_config.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "fogsched/core/config_reader.h"
#include "fogsched/core/text_file.h"
#include "node_settings.h"

namespace fogsched::live {

PolicyRegistry node_policy_registry() {
  PolicyRegistry registry = PolicyRegistry::with_builtins();
  registry.read_files_with(read_text_file);
  return registry;
}

using setting_table::apply;
using setting_table::find_setting;
using setting_table::finish;
using setting_table::note;
using setting_table::Origin;
using setting_table::outside_origin;
using setting_table::Provenance;
using setting_table::read_config_file;
using setting_table::Setting;
using setting_table::settings;

Environment::Environment(std::map<std::string, std::string, std::less<>> variables)
    : variables_(std::move(variables)) {}

Environment Environment::of_process() {
  std::map<std::string, std::string, std::less<>> variables;
  for (const Setting& setting : settings()) {
    if (setting.env.empty()) continue;
    const std::string name(setting.env);
    if (const char* value = std::getenv(name.c_str())) variables.emplace(name, value);
  }
  return Environment(std::move(variables));
}

std::optional<std::string> Environment::get(std::string_view name) const {
  const auto found = variables_.find(name);
  if (found == variables_.end()) return std::nullopt;
  return found->second;
}

const std::vector<NodeSetting>& node_settings() {
  static const std::vector<NodeSetting> list = [] {
    const NodeConfig defaults;
    std::vector<NodeSetting> out;
    for (const Setting& setting : settings()) {
      out.push_back(
          NodeSetting{setting.key, setting.env, setting.flag, setting.value_name, setting.help, setting.get(defaults)});
    }
    return out;
  }();
  return list;
}

NodeConfig load_node_config(const std::optional<std::filesystem::path>& file, const Environment& env,
                            const std::vector<std::string>& plugins) {
  NodeConfig config;
  Provenance provenance;
  const Setting& plugin_setting = *find_setting(kPluginsKey);
  for (const std::string& plugin : plugins) {
    apply(plugin_setting, config, plugin, outside_origin(plugin_setting.flag, plugin));
  }
  if (const std::optional<std::string> value = env.get(plugin_setting.env)) {
    apply(plugin_setting, config, *value, outside_origin(plugin_setting.env, *value));
  }
  if (file) read_config_file(*file, config, provenance);
  for (const Setting& setting : settings()) {
    if (setting.env.empty()) continue;
    const std::optional<std::string> value = env.get(setting.env);
    // An empty variable counts as unset, as compose files write `VAR: ${VAR:-}`.
    if (!value || trim(*value).empty()) continue;
    const Origin origin = outside_origin(setting.env, *value);
    note(provenance, setting.key, origin);
    apply(setting, config, *value, origin);
  }
  finish(config, provenance);
  return config;
}

void apply_command_line(NodeConfig& config, const std::vector<SettingOverride>& overrides) {
  Provenance provenance;
  for (const SettingOverride& override_value : overrides) {
    const Setting* setting = find_setting(override_value.key);
    if (setting == nullptr) {
      throw ConfigError(SourceLocation{"command line", 0, 0}, override_value.key, "unknown key");
    }
    const std::string_view source = setting->flag.empty() ? setting->key : setting->flag;
    const Origin origin = outside_origin(source, override_value.value);
    note(provenance, setting->key, origin);
    apply(*setting, config, override_value.value, origin);
  }
  finish(config, provenance);
}

namespace {

// The settings written in the policy's map (policy.save, ...) beside its name and
// parameters: `policy` is a setting of its own, so no section can hold them.
bool in_policy_map(const Setting& setting) { return setting.key.starts_with("policy."); }

// `policy: {name: ..., PARAM: ..., save: ...}`, the form a file gives those settings in.
void write_policy_map(YAML::Emitter& out, const NodeConfig& config) {
  out << YAML::Key << "policy" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << config.policy.name;
  for (const auto& [name, value] : config.policy.params) out << YAML::Key << name << YAML::Value << value;
  for (const Setting& setting : settings()) {
    const std::string value = in_policy_map(setting) ? setting.get(config) : std::string();
    if (!value.empty())
      out << YAML::Key << std::string(setting.key.substr(setting.key.find('.') + 1)) << YAML::Value << value;
  }
  out << YAML::EndMap;
}

}  // namespace

std::string to_yaml(const NodeConfig& config) {
  const NodeConfig defaults;
  const bool policy_map = std::any_of(settings().begin(), settings().end(), [&](const Setting& setting) {
    return in_policy_map(setting) && setting.get(config) != setting.get(defaults);
  });
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::vector<std::string_view> open;  // the maps being written, outermost first
  for (const Setting& setting : settings()) {
    if (in_policy_map(setting)) continue;
    std::vector<std::string_view> segments;
    for (std::string_view key = setting.key;;) {
      const auto dot = key.find('.');
      segments.push_back(key.substr(0, dot));
      if (dot == std::string_view::npos) break;
      key.remove_prefix(dot + 1);
    }
    const std::string_view leaf = segments.back();
    segments.pop_back();
    std::size_t shared = 0;
    while (shared < open.size() && shared < segments.size() && open[shared] == segments[shared]) ++shared;
    for (; open.size() > shared; open.pop_back()) out << YAML::EndMap;
    for (; open.size() < segments.size(); open.push_back(segments[open.size()])) {
      out << YAML::Key << std::string(segments[open.size()]) << YAML::Value << YAML::BeginMap;
    }

    const std::string key(leaf);
    if (setting.key == "policy" && policy_map) {
      write_policy_map(out, config);
    } else if (setting.key == "peers.static") {
      out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const Url& url : config.static_peers) out << url.to_string();
      out << YAML::EndSeq;
    } else if (setting.key == "functions.slots") {
      out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap;
      for (const auto& [function, slots] : config.slots) out << YAML::Key << function << YAML::Value << slots;
      out << YAML::EndMap;
    } else if (const std::string value = setting.get(config); !value.empty()) {
      out << YAML::Key << key << YAML::Value << value;
    }
  }
  for (; !open.empty(); open.pop_back()) out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace fogsched::live
