#include "fogsched/core/config_reader.h"
#include "fogsched/core/quote_input.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "fogsched/core/units.h"

namespace fogsched {
namespace {

std::string with_article(std::string_view noun) {
  const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun.front()) != std::string_view::npos;
  return fmt::format("{} {}", vowel ? "an" : "a", noun);
}

std::string bounded(Bound bound, std::string_view noun) {
  switch (bound) {
    case Bound::positive: return fmt::format("a positive {}", noun);
    case Bound::non_negative: return fmt::format("a non-negative {}", noun);
    case Bound::any: break;
  }
  return with_article(noun);
}

template <typename T>
bool within(Bound bound, const T& value, const T& zero) {
  switch (bound) {
    case Bound::positive: return value > zero;
    case Bound::non_negative: return value >= zero;
    case Bound::any: break;
  }
  return true;
}

}  // namespace

std::optional<std::uint64_t> parse_unsigned_integer(std::string_view text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text.front()))) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::string join_key_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return fmt::format("{}.{}", path, key);
}

std::string describe_yaml_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return fmt::format("{}", quote_input(node.Scalar()));
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

std::string comma_list(std::span<const std::string_view> items) { return fmt::format("{}", fmt::join(items, ", ")); }

// ---- locations and errors -----------------------------------------------------------

SourceLocation ConfigReader::where(const YAML::Node& node, const std::string& /*path*/) const {
  YAML::Mark mark = node.Mark();
  if (node.IsNull()) {
    for (const auto& [value, key_mark] : empty_values_) {
      if (node.is(value)) mark = key_mark;
    }
  }
  if (mark.is_null()) return SourceLocation{origin_, 0, 0};
  return SourceLocation{origin_, mark.line + 1, mark.column + 1};
}

std::exception_ptr ConfigReader::error(const SourceLocation& where, const std::string& path,
                                       const std::string& problem) const {
  return std::make_exception_ptr(ScenarioError(where, path, problem));
}

void ConfigReader::fail(const YAML::Node& node, const std::string& path, const std::string& problem) const {
  std::rethrow_exception(error(where(node, path), path, problem));
}

void ConfigReader::fail_unknown_key(const YAML::Node& key, const std::string& path,
                                    std::span<const std::string_view> known) const {
  fail(key, path, fmt::format("unknown key (expected one of: {})", comma_list(known)));
}

// ---- maps and lists -------------------------------------------------------------------

ConfigMap ConfigReader::section(const YAML::Node& node, std::string path,
                                std::span<const std::string_view> keys) const {
  if (!node.IsMap()) fail(node, path, fmt::format("expected a map, got {}", describe_yaml_node(node)));
  std::set<std::string, std::less<>> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) fail(entry.first, path, "keys must be plain names");
    const std::string& key = entry.first.Scalar();
    const std::string key_path = join_key_path(path, key);
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) fail_unknown_key(entry.first, key_path, keys);
    if (!seen.insert(key).second) fail(entry.first, key_path, "duplicate key");
    if (entry.second.IsNull()) note_empty_value(entry.second, entry.first.Mark());
  }
  return ConfigMap(*this, node, std::move(path));
}

ConfigMap ConfigReader::section(const YAML::Node& node, std::string path,
                                std::initializer_list<std::string_view> keys) const {
  return section(node, std::move(path), std::span<const std::string_view>(keys.begin(), keys.size()));
}

YAML::Node ConfigMap::require(std::string_view key) const {
  YAML::Node value = get(key);
  if (!value) reader_->fail(node_, path_, fmt::format("missing required key {}", quote_input(key)));
  return value;
}

void ConfigReader::require_sequence(const YAML::Node& node, const std::string& path, std::string_view expected) const {
  if (!node.IsSequence()) fail(node, path, fmt::format("expected {}, got {}", expected, describe_yaml_node(node)));
}

// ---- scalars ----------------------------------------------------------------------------

std::string ConfigReader::scalar(const YAML::Node& node, const std::string& path, std::string_view expected) const {
  if (!node.IsScalar()) fail(node, path, fmt::format("expected {}, got {}", expected, describe_yaml_node(node)));
  return node.Scalar();
}

std::string ConfigReader::text(const YAML::Node& node, const std::string& path, std::string_view expected) const {
  std::string value = scalar(node, path, expected);
  if (trim(value).empty()) fail(node, path, fmt::format("expected {}, got ''", expected));
  return value;
}

std::uint64_t ConfigReader::integer(const YAML::Node& node, const std::string& path, Bound bound,
                                    std::uint64_t max) const {
  const std::string expected = bounded(bound, "integer");
  const std::string value = scalar(node, path, expected);
  const auto number = parse_unsigned_integer(trim(value));
  if (!number || !within(bound, *number, std::uint64_t{0})) {
    fail(node, path, fmt::format("expected {}, got {}", expected, quote_input(value)));
  }
  if (*number > max)
    fail(node, path, fmt::format("expected {} no larger than {}, got {}", expected, max, quote_input(value)));
  return *number;
}

bool ConfigReader::boolean(const YAML::Node& node, const std::string& path) const {
  const std::string value = scalar(node, path, "true or false");
  if (value == "true" || value == "True" || value == "TRUE") return true;
  if (value == "false" || value == "False" || value == "FALSE") return false;
  fail(node, path, fmt::format("expected true or false, got {}", quote_input(value)));
}

std::size_t ConfigReader::choice(const YAML::Node& node, const std::string& path,
                                 std::span<const std::string_view> choices) const {
  const std::string value = scalar(node, path, fmt::format("one of {}", comma_list(choices)));
  const auto found = std::find(choices.begin(), choices.end(), value);
  if (found == choices.end())
    fail(node, path, fmt::format("expected one of {}, got {}", comma_list(choices), quote_input(value)));
  return static_cast<std::size_t>(found - choices.begin());
}

std::size_t ConfigReader::choice(const YAML::Node& node, const std::string& path,
                                 std::initializer_list<std::string_view> choices) const {
  return choice(node, path, std::span<const std::string_view>(choices.begin(), choices.size()));
}

// A quantity read by one of the units.h parsers, then checked against `bound`.
template <typename T, typename Parse>
T ConfigReader::quantity(const YAML::Node& node, const std::string& path, std::string_view noun, Bound bound,
                         const T& zero, Parse parse_text) const {
  const std::string expected = bounded(bound, noun);
  const std::string value = scalar(node, path, expected);
  T parsed{};
  try {
    parsed = parse_text(value);
  } catch (const UnitError& error) {
    fail(node, path, error.what());
  }
  if (!within(bound, parsed, zero)) fail(node, path, fmt::format("expected {}, got {}", expected, quote_input(value)));
  return parsed;
}

double ConfigReader::number(const YAML::Node& node, const std::string& path, Bound bound) const {
  return quantity(node, path, "number", bound, 0.0, parse_number);
}
Duration ConfigReader::duration(const YAML::Node& node, const std::string& path, Bound bound) const {
  return quantity(node, path, "duration", bound, Duration{0}, parse_duration);
}
double ConfigReader::rate(const YAML::Node& node, const std::string& path, Bound bound) const {
  return quantity(node, path, "rate", bound, 0.0, parse_rate);
}
std::uint64_t ConfigReader::bytes(const YAML::Node& node, const std::string& path, Bound bound) const {
  return quantity(node, path, "size", bound, std::uint64_t{0}, parse_bytes);
}
double ConfigReader::bandwidth(const YAML::Node& node, const std::string& path) const {
  return quantity(node, path, "bandwidth", Bound::non_negative, 0.0, parse_bandwidth);
}
double ConfigReader::distance(const YAML::Node& node, const std::string& path, Bound bound) const {
  return quantity(node, path, "distance", bound, 0.0, parse_distance);
}
double ConfigReader::speed(const YAML::Node& node, const std::string& path) const {
  return quantity(node, path, "speed", Bound::positive, 0.0, parse_speed);
}

double ConfigReader::share(const YAML::Node& node, const std::string& path, std::string_view noun,
                           std::string_view interval) const {
  const std::string expected = fmt::format("{} in {}", with_article(noun), interval);
  const std::string value = scalar(node, path, expected);
  double parsed = 0;
  try {
    parsed = parse_number(value);
  } catch (const UnitError&) {
    fail(node, path, fmt::format("expected {}, got {}", expected, quote_input(value)));
  }
  const bool above_low = interval.front() == '[' ? parsed >= 0 : parsed > 0;
  const bool below_high = interval.back() == ']' ? parsed <= 1 : parsed < 1;
  if (!above_low || !below_high) fail(node, path, fmt::format("expected {}, got {}", expected, quote_input(value)));
  return parsed;
}

}  // namespace fogsched
