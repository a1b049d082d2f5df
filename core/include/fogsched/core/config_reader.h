#pragma once
// One reader for hand-written YAML configuration: scenario files, the node's and the
// host's configuration files. It reports every problem as "FILE:LINE: key.path: what
// is wrong", rejects unknown and duplicate keys, trims scalars and reads quantities
// with units (units.h).
//
// Each loader derives from ConfigReader to throw its own error type (error) and, for
// scenarios, to locate values that came from `--set` (where).
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "fogsched/core/errors.h"
#include "fogsched/core/time.h"

namespace fogsched {

// `text` without leading and trailing spaces, tabs and line ends.
std::string_view trim(std::string_view text);

// Decimal digits alone ("8", not "+8", "-1" or "8 "), within 64 bits.
std::optional<std::uint64_t> parse_unsigned_integer(std::string_view text);

// "cluster.cameras" + "slots" -> "cluster.cameras.slots"; "" + "name" -> "name".
std::string join_key_path(std::string_view path, std::string_view key);

// How a YAML node looks in an error message: "a map", "a list", "'text'" for a
// scalar, or "nothing".
std::string describe_yaml_node(const YAML::Node& node);

// Which values a number, duration or size may take.
enum class Bound : std::uint8_t { any, non_negative, positive };

class ConfigMap;

class ConfigReader {
 public:
  // `origin` names the text in error messages (a file name, "<dict>", ...).
  explicit ConfigReader(std::string origin) : origin_(std::move(origin)) {}
  virtual ~ConfigReader() = default;
  ConfigReader(const ConfigReader&) = delete;
  ConfigReader& operator=(const ConfigReader&) = delete;

  const std::string& origin() const { return origin_; }

  // The file, line and column of `node` (yaml-cpp marks are 0-based, these are
  // 1-based). An empty value is placed at its key: yaml-cpp marks it at the token
  // after it, often on the next line.
  virtual SourceLocation where(const YAML::Node& node, const std::string& path) const;

  [[noreturn]] void fail(const YAML::Node& node, const std::string& path, const std::string& problem) const;
  // "unknown key (expected one of: a, b)", at the key.
  [[noreturn]] virtual void fail_unknown_key(const YAML::Node& key, const std::string& path,
                                             std::span<const std::string_view> known) const;

  // ---- maps and lists ----------------------------------------------------------

  // A map with a fixed set of allowed keys; refuses non-maps, unknown keys, duplicate
  // keys and keys that are not plain scalars.
  ConfigMap section(const YAML::Node& node, std::string path, std::span<const std::string_view> keys) const;
  ConfigMap section(const YAML::Node& node, std::string path, std::initializer_list<std::string_view> keys) const;

  void require_sequence(const YAML::Node& node, const std::string& path, std::string_view expected) const;

  // ---- scalars -------------------------------------------------------------------

  // The scalar as written; `expected` ("a duration") is named when it is not one.
  std::string scalar(const YAML::Node& node, const std::string& path, std::string_view expected) const;
  // A scalar that is not blank.
  std::string text(const YAML::Node& node, const std::string& path, std::string_view expected) const;
  std::uint64_t integer(const YAML::Node& node, const std::string& path, Bound bound,
                        std::uint64_t max = std::numeric_limits<std::uint32_t>::max()) const;
  std::uint32_t count(const YAML::Node& node, const std::string& path, Bound bound) const {
    return static_cast<std::uint32_t>(integer(node, path, bound));
  }
  bool boolean(const YAML::Node& node, const std::string& path) const;
  // One of `choices`, returned as its index.
  std::size_t choice(const YAML::Node& node, const std::string& path,
                     std::initializer_list<std::string_view> choices) const;
  std::size_t choice(const YAML::Node& node, const std::string& path, std::span<const std::string_view> choices) const;

  double number(const YAML::Node& node, const std::string& path, Bound bound) const;
  Duration duration(const YAML::Node& node, const std::string& path, Bound bound) const;
  double rate(const YAML::Node& node, const std::string& path, Bound bound) const;
  std::uint64_t bytes(const YAML::Node& node, const std::string& path, Bound bound) const;
  double bandwidth(const YAML::Node& node, const std::string& path) const;  // non-negative
  double distance(const YAML::Node& node, const std::string& path, Bound bound) const;
  double speed(const YAML::Node& node, const std::string& path) const;  // positive
  // A number between 0 and 1; `interval` ("[0, 1)", ...) says which ends it may take.
  double share(const YAML::Node& node, const std::string& path, std::string_view noun, std::string_view interval) const;

 protected:
  // The loader's error type, which fail() throws; ScenarioError unless overridden.
  virtual std::exception_ptr error(const SourceLocation& where, const std::string& path,
                                   const std::string& problem) const;

 private:
  template <typename T, typename Parse>
  T quantity(const YAML::Node& node, const std::string& path, std::string_view noun, Bound bound, const T& zero,
             Parse parse_text) const;

  friend class ConfigMap;
  void note_empty_value(const YAML::Node& value, const YAML::Mark& key_mark) const {
    empty_values_.emplace_back(value, key_mark);
  }

  std::string origin_;
  mutable std::vector<std::pair<YAML::Node, YAML::Mark>> empty_values_;
};

// A map whose keys ConfigReader::section() checked.
class ConfigMap {
 public:
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  std::string path(std::string_view key) const { return join_key_path(path_, key); }
  bool has(std::string_view key) const { return static_cast<bool>(node_[std::string(key)]); }
  // The value at `key`; an invalid node when absent (test with has()).
  YAML::Node get(std::string_view key) const { return node_[std::string(key)]; }
  // The value at `key`; "missing required key" at the map when absent.
  YAML::Node require(std::string_view key) const;

 private:
  friend class ConfigReader;
  ConfigMap(const ConfigReader& reader, YAML::Node node, std::string path)
      : reader_(&reader), node_(node), path_(std::move(path)) {}

  const ConfigReader* reader_;
  YAML::Node node_;
  std::string path_;
};

// "a, b, c".
std::string comma_list(std::span<const std::string_view> items);

}  // namespace fogsched
