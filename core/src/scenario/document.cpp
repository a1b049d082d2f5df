// ScenarioDocument: the YAML tree as written, `--set` overrides applied to it, its
// conversion to YAML and JSON text, and the call into the parser (parser.h).
#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "fogsched/core/config_reader.h"
#include "fogsched/core/quote_input.h"
#include "fogsched/core/scenario_yaml.h"
#include "fogsched/core/units.h"
#include "parser.h"

namespace fogsched {
namespace {

using scenario_parsing::kSetLocation;

// Deeper than any scenario needs; guards the recursive walks against alias cycles
// ("&a [*a]"), which yaml-cpp builds as real cycles.
constexpr int kMaxDepth = 64;

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    segments.emplace_back(path.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return segments;
}

// Whether walking the whole tree is unsafe: deeper than kMaxDepth (or cyclic) or,
// through repeated aliases, larger than kMaxNodes ("billion laughs").
constexpr long kMaxNodes = 1'000'000;
bool too_big(const YAML::Node& node, int depth, long& budget) {
  if (depth > kMaxDepth || --budget < 0) return true;
  if (node.IsSequence()) {
    for (const auto& item : node) {
      if (too_big(item, depth + 1, budget)) return true;
    }
  } else if (node.IsMap()) {
    for (const auto& entry : node) {
      if (too_big(entry.first, depth + 1, budget) || too_big(entry.second, depth + 1, budget)) return true;
    }
  }
  return false;
}

bool too_big(const YAML::Node& node) {
  long budget = kMaxNodes;
  return too_big(node, 0, budget);
}

using OrderedJson = nlohmann::ordered_json;

OrderedJson scalar_to_json(const YAML::Node& node) {
  const std::string& value = node.Scalar();
  // Quoted scalars ("!" tag) stay strings: the writer meant text.
  if (node.Tag() == "!") return value;
  if (value == "true" || value == "True" || value == "TRUE") return true;
  if (value == "false" || value == "False" || value == "FALSE") return false;
  const char* begin = value.data();
  const char* end = value.data() + value.size();
  if (!value.empty() && value.front() != '+') {
    std::int64_t signed_value = 0;
    if (auto [stop, error] = std::from_chars(begin, end, signed_value); error == std::errc{} && stop == end) {
      return signed_value;
    }
    std::uint64_t unsigned_value = 0;
    if (auto [stop, error] = std::from_chars(begin, end, unsigned_value); error == std::errc{} && stop == end) {
      return unsigned_value;
    }
  }
  try {
    return parse_number(value);
  } catch (const UnitError&) {
    return value;
  }
}

OrderedJson node_to_json(const YAML::Node& node, const std::string& origin) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return scalar_to_json(node);
    case YAML::NodeType::Sequence: {
      OrderedJson array = OrderedJson::array();
      for (const auto& item : node) array.push_back(node_to_json(item, origin));
      return array;
    }
    case YAML::NodeType::Map: {
      OrderedJson object = OrderedJson::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) {
          const YAML::Mark mark = entry.first.Mark();
          throw ScenarioError(SourceLocation{origin, mark.is_null() ? 0 : mark.line + 1, 0}, "",
                              "map keys must be plain names to convert to JSON");
        }
        object[entry.first.Scalar()] = node_to_json(entry.second, origin);
      }
      return object;
    }
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: break;
  }
  return nullptr;
}

// Records where each document of a stream starts, building nothing.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Checks that `text` holds at most one YAML document. yaml-cpp 0.7 does not consume
// some stray tokens (a ',' at block level): the parser then returns empty documents
// forever without moving, so YAML::LoadAll never ends and YAML::Load quietly returns
// null. Reading at most three documents and comparing where they start tells such a
// stall from a real second document.
void check_single_document(const std::string& text, const SourceLocation& origin, const std::string& key_path,
                           std::string_view what) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  for (int document = 0; document < 3 && parser.HandleNextDocument(starts); ++document) {
  }
  const auto& marks = starts.marks;
  const auto stalled_at = [&]() -> std::optional<YAML::Mark> {
    for (std::size_t i = 1; i < marks.size(); ++i) {
      if (marks[i].pos == marks[i - 1].pos) return marks[i];
    }
    return std::nullopt;
  }();
  if (stalled_at) {
    const auto pos = static_cast<std::size_t>(std::max(stalled_at->pos, 0));
    const std::string found = pos < text.size() ? fmt::format("'{}'", text[pos]) : "end of input";
    throw YAML::ParserException(*stalled_at, fmt::format("unexpected {}", found));
  }
  if (marks.size() > 1) {
    if (origin.file == kSetLocation.file)
      throw ScenarioError(origin, key_path, fmt::format("{} holds a second YAML document; only one is allowed", what));
    const SourceLocation second{origin.file, marks[1].line + 1, marks[1].column + 1};
    throw ScenarioError(second, key_path,
                        fmt::format("{} holds a second YAML document here; only one is allowed", what));
  }
}

// The key a line of a block map starts with ("  - name: x" -> "name"), if short.
std::string written_key(std::string_view line) {
  std::string_view written = trim(line);
  while (written.starts_with("- ")) written = trim(written.substr(2));
  const auto colon = written.find(':');
  if (colon > kQuotedInputCharacters) return "";  // no colon (npos) or a long key
  return std::string(trim(written.substr(0, colon)));
}

// The key of the line at `line_start`, or else of the nearest line above it that is
// indented less (the map or list holding it).
std::string enclosing_key(std::string_view text, std::size_t line_start) {
  const auto indent = [](std::string_view line) { return std::min(line.find_first_not_of(' '), line.size()); };
  const std::size_t line_end = std::min(text.find('\n', line_start), text.size());
  const std::size_t own_indent = indent(text.substr(line_start, line_end - line_start));
  std::string key = written_key(text.substr(line_start, line_end - line_start));
  for (std::size_t next = line_start; key.empty() && next > 0;) {
    const std::size_t newline = next - 1;  // ends the line above
    const std::size_t before = newline == 0 ? std::string_view::npos : text.rfind('\n', newline - 1);
    const std::size_t begin = before == std::string_view::npos ? 0 : before + 1;
    const std::string_view line = text.substr(begin, newline - begin);
    if (!trim(line).empty() && indent(line) < own_indent) key = written_key(line);
    next = begin;
  }
  return key;
}

// Refuses a line longer than kMaxValueCharacters before yaml-cpp reads it, naming
// the key the line starts with (or, for a `--set` value, the key set).
void check_line_lengths(std::string_view text, const SourceLocation& origin, const std::string& key_path) {
  int line = 1;
  for (std::size_t start = 0; start < text.size(); ++line) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view content = text.substr(start, end - start);
    if (content.size() > kMaxValueCharacters) {
      SourceLocation where = origin;
      std::string key = key_path;
      if (where.file != kSetLocation.file) {
        where.line = line;
        key = enclosing_key(text, start);
      }
      throw ScenarioError(
          where, key,
          fmt::format("the line holds {} characters, more than a value may ({})", content.size(), kMaxValueCharacters));
    }
    start = end + 1;
  }
}

YAML::Node load_yaml(std::string_view text, const SourceLocation& origin, const std::string& key_path,
                     std::string_view what) {
  check_line_lengths(text, origin, key_path);
  const std::string owned(text);
  try {
    check_single_document(owned, origin, key_path, what);
    return YAML::Load(owned);
  } catch (const YAML::Exception& error) {
    SourceLocation where = origin;
    if (where.file != kSetLocation.file && !error.mark.is_null()) {
      where.line = error.mark.line + 1;
      where.column = error.mark.column + 1;
    }
    throw ScenarioError(where, key_path, fmt::format("malformed YAML: {}", error.msg));
  }
}

}  // namespace

struct ScenarioDocument::Impl {
  std::string origin;
  std::string text;  // as read, so copies can re-parse with marks intact
  YAML::Node root;
  std::vector<Override> overrides;  // applied in this order
  std::vector<YAML::Node> created;  // nodes set() made
  bool written_empty;               // the text held no scenario

  Impl(std::string origin_, std::string text_)
      : origin(std::move(origin_)),
        text(std::move(text_)),
        root(load_yaml(text, SourceLocation{origin, 0, 0}, "", "the file")),
        written_empty(!root.IsDefined() || root.IsNull()) {}

  // yaml-cpp nodes share structure when copied, and YAML::Clone drops marks; so a
  // copy re-reads the text and replays the overrides.
  std::unique_ptr<Impl> clone() const {
    auto copy = std::make_unique<Impl>(origin, text);
    for (const auto& o : overrides) copy->set(o.path, o.value);
    return copy;
  }

  void set(std::string_view path, std::string_view value);
};

void ScenarioDocument::Impl::set(std::string_view path_text, std::string_view value) {
  const std::string path(path_text);
  const auto segments = split_path(path);
  if (std::any_of(segments.begin(), segments.end(), [](const std::string& s) { return s.empty(); })) {
    throw ScenarioError(kSetLocation, path, "empty key in path");
  }
  // A file that is no map is the file's mistake, whatever is set in it.
  if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
    const YAML::Mark mark = root.Mark();
    throw ScenarioError(
        SourceLocation{origin, mark.is_null() ? 0 : mark.line + 1, mark.is_null() ? 0 : mark.column + 1}, "",
        fmt::format("expected a map, got {}", describe_yaml_node(root)));
  }
  YAML::Node replacement = load_yaml(value, kSetLocation, path, "the value");
  if (!root.IsDefined() || root.IsNull()) {
    root = YAML::Node(YAML::NodeType::Map);
    created.push_back(root);
  }
  // `current` is rebound with reset(): assigning to a yaml-cpp Node would overwrite
  // the node it refers to.
  YAML::Node current;
  current.reset(root);
  std::string walked;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = segments[i];
    const bool last = i + 1 == segments.size();
    if (current.IsSequence()) {
      const auto index = parse_unsigned_integer(segment);
      if (!index) {
        throw ScenarioError(
            kSetLocation, path,
            fmt::format("{} is a list; expected an index, got {}", quote_input(walked), quote_input(segment)));
      }
      if (*index >= current.size()) {
        throw ScenarioError(
            kSetLocation, path,
            fmt::format("index {} is past the end of {} ({} entries)", *index, quote_input(walked), current.size()));
      }
      const auto position = static_cast<std::size_t>(*index);
      if (last) {
        current[position] = replacement;
      } else {
        YAML::Node next = current[position];
        current.reset(next);
      }
    } else if (current.IsMap() || current.IsNull()) {
      if (last) {
        current[segment] = replacement;
      } else {
        YAML::Node next = current[segment];
        if (!next.IsDefined() || next.IsNull()) {
          current[segment] = YAML::Node(YAML::NodeType::Map);
          next.reset(current[segment]);
          created.push_back(next);
        }
        current.reset(next);
      }
    } else {
      throw ScenarioError(
          kSetLocation, path,
          fmt::format("{} is a value, not a map or a list", quote_input(walked.empty() ? "(top)" : walked)));
    }
    walked = join_key_path(walked, segment);
  }
  overrides.push_back(Override{path, std::string(value)});
}

Override parse_override(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) {
    throw ScenarioError(kSetLocation, "", fmt::format("expected key.path=value, got {}", quote_input(text)));
  }
  Override result{std::string(trim(text.substr(0, equals))), std::string(trim(text.substr(equals + 1)))};
  if (result.path.empty()) throw ScenarioError(kSetLocation, "", fmt::format("no key path in {}", quote_input(text)));
  const auto segments = split_path(result.path);
  if (std::any_of(segments.begin(), segments.end(), [](const std::string& s) { return s.empty(); })) {
    throw ScenarioError(kSetLocation, result.path, "empty key in path");
  }
  return result;
}

ScenarioDocument::ScenarioDocument(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ScenarioDocument::ScenarioDocument(const ScenarioDocument& other) : impl_(other.impl_->clone()) {}
ScenarioDocument& ScenarioDocument::operator=(const ScenarioDocument& other) {
  if (this != &other) impl_ = other.impl_->clone();
  return *this;
}
ScenarioDocument::ScenarioDocument(ScenarioDocument&&) noexcept = default;
ScenarioDocument& ScenarioDocument::operator=(ScenarioDocument&&) noexcept = default;
ScenarioDocument::~ScenarioDocument() = default;

ScenarioDocument ScenarioDocument::load_file(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw ScenarioError(SourceLocation{path, 0, 0}, "", "no such file");
  if (std::filesystem::is_directory(path, error)) {
    throw ScenarioError(SourceLocation{path, 0, 0}, "", "is a directory, not a scenario file");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw ScenarioError(SourceLocation{path, 0, 0}, "", "cannot read file");
  return ScenarioDocument(std::make_unique<Impl>(path, std::move(text).str()));
}

ScenarioDocument ScenarioDocument::from_string(std::string_view yaml, std::string origin) {
  return ScenarioDocument(std::make_unique<Impl>(std::move(origin), std::string(yaml)));
}

void ScenarioDocument::set(std::string_view path, std::string_view value) { impl_->set(path, value); }

void ScenarioDocument::apply(const std::vector<Override>& overrides) {
  for (const auto& o : overrides) impl_->set(o.path, o.value);
}

Scenario ScenarioDocument::parse() const {
  const scenario_parsing::DocumentView view{impl_->origin, impl_->root, impl_->overrides, impl_->created,
                                            impl_->written_empty};
  try {
    return scenario_parsing::Parser(view).parse();
  } catch (const YAML::Exception& error) {
    // Only reachable through a yaml-cpp corner the parser does not foresee; still an
    // input problem, so still a ScenarioError.
    throw ScenarioError(SourceLocation{impl_->origin, error.mark.is_null() ? 0 : error.mark.line + 1, 0}, "",
                        fmt::format("unreadable YAML: {}", error.msg));
  }
}

std::string ScenarioDocument::to_yaml() const {
  if (too_big(impl_->root)) {
    throw ScenarioError(SourceLocation{impl_->origin, 0, 0}, "", "too deeply nested or too large (recursive aliases?)");
  }
  YAML::Emitter out;
  out << impl_->root;
  return std::string(out.c_str()) + "\n";
}

std::string ScenarioDocument::to_json() const {
  if (too_big(impl_->root)) {
    throw ScenarioError(SourceLocation{impl_->origin, 0, 0}, "", "too deeply nested or too large (recursive aliases?)");
  }
  // YAML text is meant to be UTF-8 but yaml-cpp passes any byte through; JSON must
  // be valid, so stray bytes become U+FFFD.
  return node_to_json(impl_->root, impl_->origin).dump(2, ' ', false, OrderedJson::error_handler_t::replace);
}

const std::string& ScenarioDocument::origin() const { return impl_->origin; }

Scenario load_scenario(const std::string& path, const std::vector<Override>& overrides) {
  ScenarioDocument document = ScenarioDocument::load_file(path);
  document.apply(overrides);
  return document.parse();
}

}  // namespace fogsched
