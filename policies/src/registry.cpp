#include "fogsched/policies/registry.h"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

#include "fogsched/core/errors.h"
#include "fogsched/core/units.h"
#include "fogsched/policies/policy_definition.h"
#include "fogsched/policies/registration.h"

namespace fogsched {

const char* to_string(ParamType type) noexcept {
  switch (type) {
    case ParamType::integer: return "integer";
    case ParamType::real: return "real";
    case ParamType::duration: return "duration";
    case ParamType::boolean: return "boolean";
    case ParamType::file: return "file";
  }
  return "?";
}

std::string detail::shortest_real_text(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// ---- ParamValues ----------------------------------------------------------------

std::int64_t ParamValues::integer(std::string_view name) const { return static_cast<std::int64_t>(at(name).number); }

double ParamValues::real(std::string_view name) const { return at(name).number; }

Duration ParamValues::duration(std::string_view name) const {
  return Duration{static_cast<Duration::rep>(at(name).number)};
}

bool ParamValues::boolean(std::string_view name) const { return at(name).number != 0; }

PolicyFile ParamValues::file(std::string_view name) const {
  const Value& value = at(name);
  return {.path = value.text, .contents = value.contents};
}

void ParamValues::set(std::string name, std::string canonical_text, double number) {
  values_.insert_or_assign(std::move(name), Value{std::move(canonical_text), number, nullptr});
}

void ParamValues::set_file(std::string name, PolicyFile file) {
  values_.insert_or_assign(std::move(name), Value{std::move(file.path), 0, std::move(file.contents)});
}

const ParamValues::Value& ParamValues::at(std::string_view name) const {
  const auto it = values_.find(name);
  // Only a policy asking for a parameter it did not declare gets here: a bug.
  if (it == values_.end()) throw std::logic_error("no policy parameter '" + std::string(name) + "'");
  return it->second;
}

namespace {

using RawParams = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kBlanks = " \t\r\n";

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kBlanks) - first + 1);
}

bool is_identifier(std::string_view text) {
  const auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.empty() || !is_alpha(text.front())) return false;
  for (char c : text) {
    if (!is_alpha(c) && !is_digit(c)) return false;
  }
  return true;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string integer_text(double value) { return std::to_string(static_cast<std::int64_t>(value)); }

std::string bound_text(const ParamSpec& spec, double bound) {
  switch (spec.type) {
    case ParamType::integer: return integer_text(bound);
    case ParamType::duration: return format_duration(from_seconds(bound));
    case ParamType::real:
    case ParamType::boolean:
    case ParamType::file: break;
  }
  return detail::shortest_real_text(bound);
}

// 'text' with its quotes. (Not `"'" + std::string(text)`: GCC 12 gives a false
// -Wrestrict for that pattern in optimised builds.)
std::string fmt_quoted(std::string_view text) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted.append(1, '\'').append(text).append(1, '\'');
  return quoted;
}

struct ParsedValue {
  std::string canonical;
  double number = 0;
};

// Checks `text` against the parameter's type and range; throws PolicyError with
// "parameter 'P' of POLICY: what is wrong".
ParsedValue parse_value(std::string_view policy, const ParamSpec& spec, std::string_view text) {
  const auto fail = [&](const std::string& problem) -> PolicyError {
    return PolicyError("parameter '" + spec.name + "' of " + std::string(policy) + ": " + problem);
  };
  const std::string quoted = fmt_quoted(text);
  const auto out_of_range = [&](const std::string& shown) {
    return fail(shown + " is out of range [" + bound_text(spec, spec.min) + ", " + bound_text(spec, spec.max) + "]");
  };
  const auto check_range = [&](double value, const std::string& shown) {
    if (value < spec.min || value > spec.max) throw out_of_range(shown);
  };

  switch (spec.type) {
    case ParamType::integer: {
      std::int64_t value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (text.empty() || error == std::errc::invalid_argument || end != text.data() + text.size()) {
        throw fail("expected an integer, got " + quoted);
      }
      if (error == std::errc::result_out_of_range) throw out_of_range(std::string(text));
      const auto number = static_cast<double>(value);
      check_range(number, std::to_string(value));
      return {std::to_string(value), number};
    }
    case ParamType::real: {
      double value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (text.empty() || error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
        throw fail("expected a number, got " + quoted);
      }
      check_range(value, detail::shortest_real_text(value));
      return {detail::shortest_real_text(value), value};
    }
    case ParamType::duration: {
      Duration value{};
      try {
        value = parse_duration(text);
      } catch (const UnitError& error) {
        throw fail(error.what());
      }
      check_range(to_seconds(value), format_duration(value));
      return {format_duration(value), static_cast<double>(value.count())};
    }
    case ParamType::boolean: {
      if (text == "true") return {"true", 1};
      if (text == "false") return {"false", 0};
      throw fail("expected true or false, got " + quoted);
    }
    case ParamType::file: return {std::string(text), 0};  // read by configure()
  }
  throw std::logic_error("unknown parameter type");
}

PolicyError malformed(std::string_view spec, const std::string& problem) {
  return PolicyError("malformed policy spec '" + std::string(spec) + "': " + problem);
}

// Splits "name" or "name(key=value, ...)" into its name and raw parameters.
std::pair<std::string, RawParams> split_spec(std::string_view spec) {
  const std::string_view text = trim(spec);
  const auto open = text.find('(');
  const std::string_view name = trim(text.substr(0, open));
  if (open == std::string_view::npos && text.find(')') != std::string_view::npos) {
    throw malformed(spec, "unbalanced parentheses: ')' without '('");
  }
  if (name.empty()) throw malformed(spec, "missing policy name");
  if (!is_identifier(name)) throw malformed(spec, "'" + std::string(name) + "' is not a policy name");
  if (open == std::string_view::npos) return {std::string(name), {}};

  const auto close = text.find(')', open);
  if (close == std::string_view::npos) throw malformed(spec, "unbalanced parentheses: missing ')'");
  if (close + 1 != text.size()) {
    if (text.find_first_of("()", close + 1) != std::string_view::npos) {
      throw malformed(spec, "unbalanced parentheses");
    }
    throw malformed(spec, "unexpected text after ')'");
  }
  std::string_view inner = text.substr(open + 1, close - open - 1);
  if (inner.find('(') != std::string_view::npos) throw malformed(spec, "unbalanced parentheses");

  RawParams params;
  if (trim(inner).empty()) return {std::string(name), std::move(params)};
  for (;;) {
    const auto comma = inner.find(',');
    const std::string_view item = trim(inner.substr(0, comma));
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) {
      throw malformed(spec, "expected 'name=value', got '" + std::string(item) + "'");
    }
    const std::string_view key = trim(item.substr(0, equals));
    const std::string_view value = trim(item.substr(equals + 1));
    if (!is_identifier(key)) {
      throw malformed(spec, "expected a parameter name before '=', got '" + std::string(key) + "'");
    }
    if (value.empty()) throw malformed(spec, "missing value for parameter '" + std::string(key) + "'");
    params.emplace_back(std::string(key), std::string(value));
    if (comma == std::string_view::npos) break;
    inner.remove_prefix(comma + 1);
  }
  return {std::string(name), std::move(params)};
}

}  // namespace

// ---- PolicyRegistry ------------------------------------------------------------

PolicyRegistry PolicyRegistry::with_builtins() {
  PolicyRegistry registry;
  for (const detail::Registered& entry : detail::registered_policies()) {
    if (entry.plugin.empty()) registry.add(entry.info());
  }
  return registry;
}

void PolicyRegistry::add(PolicyInfo info) {
  if (!is_identifier(info.name)) throw std::logic_error("invalid policy name '" + info.name + "'");
  if (policies_.contains(info.name)) throw std::logic_error("policy '" + info.name + "' registered twice");
  if (!info.configure) throw std::logic_error("policy '" + info.name + "' has no configure function");
  for (std::size_t i = 0; i < info.params.size(); ++i) {
    const ParamSpec& param = info.params[i];
    if (!is_identifier(param.name)) {
      throw std::logic_error("policy '" + info.name + "': invalid parameter name '" + param.name + "'");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (info.params[j].name == param.name) {
        throw std::logic_error("policy '" + info.name + "': parameter '" + param.name + "' declared twice");
      }
    }
    // A default outside its own range is a bug in the declaration: report it now,
    // not when a user first leaves the parameter out.
    try {
      parse_value(info.name, param, param.default_value);
    } catch (const PolicyError& error) {
      throw std::logic_error(std::string("invalid default: ") + error.what());
    }
  }
  std::string name = info.name;
  policies_.emplace(std::move(name), std::move(info));
}

const PolicyInfo* PolicyRegistry::find(std::string_view name) const {
  const auto it = policies_.find(name);
  return it == policies_.end() ? nullptr : &it->second;
}

std::vector<const PolicyInfo*> PolicyRegistry::all() const {
  std::vector<const PolicyInfo*> out;
  out.reserve(policies_.size());
  for (const auto& entry : policies_) out.push_back(&entry.second);
  return out;
}

PolicyConfig PolicyRegistry::parse(std::string_view spec) const {
  const auto [name, params] = split_spec(spec);
  return configure(name, params);
}

PolicyConfig PolicyRegistry::configure(const PolicySpec& spec) const {
  try {
    return configure(spec.name, spec.params, std::filesystem::path(spec.where.file).parent_path());
  } catch (const PolicyError& error) {
    const std::string where = spec.where.to_string();
    throw PolicyError((where.empty() ? "" : where + ": ") + "policies: " + error.what());
  }
}

PolicyFile PolicyRegistry::read_file(std::string_view policy, const ParamSpec& spec, const std::string& path,
                                     const std::filesystem::path& folder) const {
  if (path == PolicyFile::kNone) return {.path = path, .contents = nullptr};
  const auto fail = [&](const std::string& problem) {
    return PolicyError("parameter '" + spec.name + "' of " + std::string(policy) + ": " + problem);
  };
  if (!read_file_) throw fail("this program reads no files for policies");
  const std::filesystem::path resolved =
      std::filesystem::path(path).is_relative() ? folder / path : std::filesystem::path(path);
  try {
    return {.path = path, .contents = std::make_shared<const std::string>(read_file_(resolved))};
  } catch (const std::exception& error) {
    throw fail("cannot read " + fmt_quoted(resolved.string()) + ": " + error.what());
  }
}

PolicyConfig PolicyRegistry::configure(std::string_view name, const RawParams& params,
                                       const std::filesystem::path& folder) const {
  const PolicyInfo* info = find(name);
  if (info == nullptr) {
    std::vector<std::string> known;
    for (const auto& entry : policies_) known.push_back(entry.first);
    throw PolicyError("unknown policy '" + std::string(name) + "' (known: " + join(known) + ")");
  }

  // Which raw parameter sets each declared one (index into `params`, or none).
  std::vector<const std::string*> given(info->params.size(), nullptr);
  for (const auto& [key, value] : params) {
    std::size_t index = 0;
    while (index < info->params.size() && info->params[index].name != key) ++index;
    if (index == info->params.size()) {
      std::vector<std::string> declared;
      for (const ParamSpec& param : info->params) declared.push_back(param.name);
      throw PolicyError("unknown parameter '" + key + "' for policy '" + info->name + "' (" +
                        (declared.empty() ? std::string("it takes no parameters") : "parameters: " + join(declared)) +
                        ")");
    }
    if (given[index] != nullptr) {
      throw PolicyError("duplicate parameter '" + key + "' for policy '" + info->name + "'");
    }
    given[index] = &value;
  }

  PolicyConfig config;
  config.name = info->name;
  config.canonical = info->name;
  for (std::size_t i = 0; i < info->params.size(); ++i) {
    const ParamSpec& param = info->params[i];
    const std::string_view text =
        given[i] != nullptr ? std::string_view(*given[i]) : std::string_view(param.default_value);
    ParsedValue value = parse_value(info->name, param, trim(text));
    config.canonical += (i == 0 ? "(" : ",") + param.name + "=" + value.canonical;
    if (param.type == ParamType::file) {
      config.values.set_file(param.name, read_file(info->name, param, value.canonical, folder));
    } else {
      config.values.set(param.name, std::move(value.canonical), value.number);
    }
  }
  if (!info->params.empty()) config.canonical += ")";
  config.make = info->configure(config.values);
  return config;
}

}  // namespace fogsched
