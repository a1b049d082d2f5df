// The node's configuration file: YAML read against the table of settings, with
// file:line: key.path errors from the shared ConfigReader.
#include <filesystem>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "fogsched/live/node_policy.h"
#include "fogsched/policies/registry.h"
#include "node_settings.h"

namespace fogsched::live::setting_table {
namespace {

class FileReader final : public ConfigReader {
 public:
  FileReader(std::string origin, NodeConfig& config, Provenance& provenance)
      : ConfigReader(std::move(origin)), config_(config), provenance_(provenance) {}

  void read(const YAML::Node& root) {
    if (!root.IsMap()) {
      fail(root, "",
           fmt::format("expected a map of settings ({}), got {}", comma_list(children_of("")),
                       describe_yaml_node(root)));
    }
    // Plugins first: the file's `policy` may name their policies, wherever it is.
    if (const YAML::Node plugins = root[std::string(kPluginsKey)]) read_plugins(plugins);
    read_map(root, "");
  }

 protected:
  std::exception_ptr error(const SourceLocation& where, const std::string& path,
                           const std::string& problem) const override {
    return std::make_exception_ptr(ConfigError(where, path, problem));
  }

 private:
  Origin origin(const YAML::Node& node, const std::string& path) const { return Origin{where(node, path), path}; }

  // The keys one level below `path`, in table order: name, listen, threads, seed.
  static std::vector<std::string_view> children_of(std::string_view path) {
    std::vector<std::string_view> children;
    for (const Setting& setting : settings()) {
      std::string_view key = setting.key;
      if (!path.empty()) {
        if (!key.starts_with(path) || key.size() <= path.size() || key[path.size()] != '.') continue;
        key.remove_prefix(path.size() + 1);
      }
      const std::string_view child = key.substr(0, key.find('.'));
      if (std::find(children.begin(), children.end(), child) == children.end()) children.push_back(child);
    }
    return children;
  }

  static bool is_section(std::string_view path) {
    return std::any_of(settings().begin(), settings().end(), [&](const Setting& s) {
      return s.key.size() > path.size() && s.key.starts_with(path) && s.key[path.size()] == '.';
    });
  }

  void read_map(const YAML::Node& map, const std::string& path) {
    section(map, path, children_of(path));
    for (const auto& entry : map) {
      const std::string key_path = join_key_path(path, entry.first.Scalar());
      if (const Setting* setting = find_setting(key_path)) {
        read_value(*setting, entry.first, entry.second, key_path);
      } else if (is_section(key_path)) {
        if (!entry.second.IsMap()) {
          fail(entry.first, key_path,
               fmt::format("expected a map of {}, got {}", comma_list(children_of(key_path)),
                           describe_yaml_node(entry.second)));
        }
        read_map(entry.second, key_path);
      }
    }
  }

  // Errors about a value point at its key: yaml-cpp marks an empty value at the
  // token after it, often on the next line.
  void read_value(const Setting& setting, const YAML::Node& key, const YAML::Node& value, const std::string& path) {
    note(provenance_, setting.key, origin(key, path));
    if (value.IsNull()) {
      apply(setting, config_, "", origin(key, path));
    } else if (value.IsScalar()) {
      apply(setting, config_, value.Scalar(), origin(key, path));
    } else if (value.IsSequence() && setting.key == "peers.static") {
      config_.static_peers.clear();
      for (std::size_t i = 0; i < value.size(); ++i) {
        const YAML::Node item = value[i];
        const std::string item_path = join_key_path(path, std::to_string(i));
        if (!item.IsScalar()) fail(item, item_path, fmt::format("expected a URL, got {}", describe_yaml_node(item)));
        try {
          config_.static_peers.push_back(url_value(item.Scalar()));
        } catch (const std::invalid_argument& error) {
          fail(item, item_path, error.what());
        }
      }
    } else if (value.IsMap() && setting.key == "functions.slots") {
      std::set<std::string> seen;
      for (const auto& entry : value) {
        if (!entry.first.IsScalar()) fail(entry.first, path, "expected function names as keys");
        const std::string entry_path = join_key_path(path, entry.first.Scalar());
        if (!seen.insert(entry.first.Scalar()).second) fail(entry.first, entry_path, "duplicate key");
        if (!entry.second.IsScalar()) {
          fail(entry.first, entry_path, fmt::format("expected K, got {}", describe_yaml_node(entry.second)));
        }
        try {
          add_slots(config_, entry.first.Scalar(), entry.second.Scalar());
        } catch (const std::invalid_argument& error) {
          fail(entry.first, entry_path, error.what());
        }
      }
    } else if (setting.key == kPluginsKey) {
      // Read before everything else (read_plugins).
    } else if (value.IsMap() && setting.key == "policy") {
      read_policy_map(value, key, path);
    } else {
      fail(key, path, fmt::format("expected {}, got {}", setting.value_name, describe_yaml_node(value)));
    }
  }

  // {name: power_of_d, d: 2}: parameter values as written, checked by the registry.
  // A list of plugin files (or one), relative to the file's folder.
  void read_plugins(const YAML::Node& value) {
    const std::string path(kPluginsKey);
    const Setting& setting = *find_setting(kPluginsKey);
    const auto load = [&](const YAML::Node& item, const std::string& item_path) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        fail(item, item_path, fmt::format("expected a plugin file, got {}", describe_yaml_node(item)));
      }
      const std::filesystem::path file = std::filesystem::path(ConfigReader::origin()).parent_path() / item.Scalar();
      apply(setting, config_, file.string(), origin(item, item_path));
    };
    if (value.IsSequence()) {
      for (std::size_t i = 0; i < value.size(); ++i) load(value[i], join_key_path(path, std::to_string(i)));
    } else {
      load(value, path);
    }
  }

  void read_policy_map(const YAML::Node& map, const YAML::Node& key, const std::string& path) {
    std::string name;
    std::vector<std::pair<std::string, std::string>> params;
    std::set<std::string> seen;
    for (const auto& entry : map) {
      if (!entry.first.IsScalar()) fail(entry.first, path, "keys must be plain names");
      const std::string entry_path = join_key_path(path, entry.first.Scalar());
      if (!seen.insert(entry.first.Scalar()).second) fail(entry.first, entry_path, "duplicate key");
      if (!entry.second.IsScalar()) {
        fail(entry.first, entry_path, fmt::format("expected a value, got {}", describe_yaml_node(entry.second)));
      }
      if (entry.first.Scalar() == "name") {
        name = entry.second.Scalar();
      } else if (const Setting* setting = find_setting(entry_path)) {
        read_policy_setting(*setting, entry.first, entry.second.Scalar(), entry_path);
      } else {
        params.emplace_back(entry.first.Scalar(), entry.second.Scalar());
      }
    }
    if (name.empty()) fail(key, path, "missing required key 'name'");
    const SourceLocation location = where(key, path);
    if (is_python_policy(name)) {
      // Checked when the node starts: that imports it.
      if (!params.empty()) fail(key, path, fmt::format("{}: a Python policy takes no parameters", name));
      config_.policy = PolicySpec{name, {}, location};
      return;
    }
    try {
      // A relative file parameter names a file beside the config file.
      config_.policy = spec_of(config_.policies.configure(name, params, policy_files_folder(location)), location);
    } catch (const PolicyError& error) {
      fail(key, path, error.what());
    }
  }

  // policy.save and policy.save_interval, written in the policy's map; a relative
  // file is beside the configuration file.
  void read_policy_setting(const Setting& setting, const YAML::Node& key, std::string value, const std::string& path) {
    if (setting.key == "policy.save" && !trim(value).empty() && std::filesystem::path(value).is_relative()) {
      value = (std::filesystem::path(ConfigReader::origin()).parent_path() / trim(value)).string();
    }
    note(provenance_, setting.key, origin(key, path));
    apply(setting, config_, value, origin(key, path));
  }

  NodeConfig& config_;
  Provenance& provenance_;
};

YAML::Node load_yaml_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  std::error_code error;
  if (!std::filesystem::exists(file, error)) throw ConfigError(SourceLocation{name, 0, 0}, "", "no such file");
  if (std::filesystem::is_directory(file, error)) {
    throw ConfigError(SourceLocation{name, 0, 0}, "", "is a directory, not a configuration file");
  }
  try {
    return YAML::LoadFile(name);
  } catch (const YAML::BadFile&) {
    throw ConfigError(SourceLocation{name, 0, 0}, "", "cannot read file");
  } catch (const YAML::Exception& exception) {
    const SourceLocation where = exception.mark.is_null()
                                     ? SourceLocation{name, 0, 0}
                                     : SourceLocation{name, exception.mark.line + 1, exception.mark.column + 1};
    throw ConfigError(where, "", fmt::format("malformed YAML: {}", exception.msg));
  }
}

}  // namespace

void read_config_file(const std::filesystem::path& file, NodeConfig& config, Provenance& provenance) {
  FileReader(file.string(), config, provenance).read(load_yaml_file(file));
}

}  // namespace fogsched::live::setting_table
