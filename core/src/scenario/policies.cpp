// The policies section: names with parameters, as maps or NAME(key=value,...).
#include "parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace fogsched::scenario_parsing {
namespace {

// Policy names and parameter names.
bool is_identifier(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text.front()))) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

}  // namespace

std::vector<PluginSpec> Parser::parse_plugins(const YAML::Node& node, const std::string& path) const {
  require_sequence(node, path, "a list of policy plugin files");
  std::vector<PluginSpec> plugins;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = join_key_path(path, std::to_string(i));
    const std::string written = text(node[i], item_path, "a plugin file name");
    plugins.push_back({std::filesystem::path(doc_.origin).parent_path() / written, where(node[i], item_path)});
  }
  return plugins;
}

std::vector<PolicySpec> Parser::parse_policies(const YAML::Node& node, const std::string& path) const {
  require_sequence(node, path, "a list of policies");
  if (node.size() == 0) fail(node, path, "expected at least one policy");
  std::vector<PolicySpec> policies;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node item = node[i];
    const std::string item_path = join_key_path(path, std::to_string(i));
    if (item.IsScalar()) {
      policies.push_back(parse_compact_policy(item, item_path));
      continue;
    }
    if (!item.IsMap()) {
      fail(item, item_path,
           fmt::format("expected a policy name or a map with 'name', got {}", describe_yaml_node(item)));
    }
    PolicySpec spec;
    spec.where = where(item, item_path);
    for (const auto& entry : item) {
      if (!entry.first.IsScalar()) fail(entry.first, item_path, "keys must be plain names");
      const std::string& key = entry.first.Scalar();
      const std::string key_path = join_key_path(item_path, key);
      if (key == "name") {
        spec.name = text(entry.second, key_path, "a policy name");
        if (!is_identifier(spec.name))
          fail(entry.second, key_path, fmt::format("not a policy name: {}", quote_input(spec.name)));
        continue;
      }
      if (!is_identifier(key)) fail(entry.first, key_path, fmt::format("not a parameter name: {}", quote_input(key)));
      if (std::any_of(spec.params.begin(), spec.params.end(), [&](const auto& p) { return p.first == key; })) {
        fail(entry.first, key_path, "duplicate key");
      }
      spec.params.emplace_back(key, text(entry.second, key_path, "a parameter value"));
    }
    if (spec.name.empty()) fail(item, item_path, "missing required key 'name'");
    policies.push_back(std::move(spec));
  }
  return policies;
}

// "name" or "name(key=value,key=value)".
PolicySpec Parser::parse_compact_policy(const YAML::Node& node, const std::string& path) const {
  const std::string written = node.Scalar();
  const auto malformed = [&](std::string_view why) {
    fail(node, path,
         fmt::format("malformed policy {}: {} (expected NAME or NAME(key=value,...))", quote_input(written), why));
  };
  PolicySpec spec;
  spec.where = where(node, path);
  const std::string_view text_view = trim(written);
  const auto open = text_view.find('(');
  spec.name = std::string(trim(text_view.substr(0, open)));
  if (!is_identifier(spec.name))
    malformed(spec.name.empty() ? "no name" : fmt::format("bad name {}", quote_input(spec.name)));
  if (open == std::string_view::npos) return spec;
  if (text_view.back() != ')') malformed("no closing ')'");
  const std::string_view inside = text_view.substr(open + 1, text_view.size() - open - 2);
  if (trim(inside).empty()) return spec;
  std::size_t start = 0;
  while (start <= inside.size()) {
    const auto comma = inside.find(',', start);
    const std::string_view item =
        trim(inside.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) malformed(fmt::format("{} is not key=value", quote_input(item)));
    std::string key(trim(item.substr(0, equals)));
    std::string value(trim(item.substr(equals + 1)));
    if (!is_identifier(key)) malformed(fmt::format("bad parameter name {}", quote_input(key)));
    if (value.empty()) malformed(fmt::format("no value for {}", quote_input(key)));
    if (value.find_first_of("()") != std::string::npos)
      malformed(fmt::format("stray parenthesis in {}", quote_input(item)));
    if (std::any_of(spec.params.begin(), spec.params.end(), [&](const auto& p) { return p.first == key; })) {
      malformed(fmt::format("parameter {} given twice", quote_input(key)));
    }
    spec.params.emplace_back(std::move(key), std::move(value));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return spec;
}

}  // namespace fogsched::scenario_parsing
