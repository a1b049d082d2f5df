// The host's functions file, service times as text, and host functions as
// OpenFaaS deployments.
#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include <boost/algorithm/string/join.hpp>
#include <boost/algorithm/string/split.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "fogsched/core/units.h"
#include "fogsched/live/host.h"

namespace fogsched::live {
namespace {

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string trimmed = boost::algorithm::trim_copy(std::string(text));
  if (trimmed.empty()) return words;
  boost::algorithm::split(words, trimmed, [](char c) { return c == ' ' || c == '\t' || c == '\n'; },
                          boost::algorithm::token_compress_on);
  return words;
}

std::uint64_t parse_unsigned(std::string_view text, std::string_view what) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    throw std::invalid_argument(fmt::format("{}: '{}' is not a non-negative integer", what, text));
  }
  return value;
}

std::uint32_t parse_max_inflight(std::string_view text) {
  const std::uint64_t value = parse_unsigned(text, "max_inflight");
  if (value > 1'000'000) throw std::invalid_argument(fmt::format("max_inflight: {} is more than 1000000", value));
  return static_cast<std::uint32_t>(value);
}

// The watchdog's timeouts are Go durations ("10s", "500ms") or plain seconds.
Duration parse_timeout(std::string_view text, std::string_view what) {
  Duration value{};
  try {
    value = text.find_first_not_of("0123456789.") == std::string_view::npos && !text.empty()
                ? from_seconds(parse_number(text))
                : parse_duration(text);
  } catch (const UnitError& e) {
    throw std::invalid_argument(fmt::format("{}: {}", what, e.what()));
  }
  if (value < Duration::zero()) throw std::invalid_argument(fmt::format("{}: '{}' is negative", what, text));
  return value;
}

Duration non_negative_duration(std::string_view text) {
  const Duration value = parse_duration(text);
  if (value < Duration::zero()) throw std::invalid_argument(fmt::format("'{}' is negative", text));
  return value;
}

constexpr Duration kDefaultExecTimeout = std::chrono::seconds(10);

}  // namespace

// --------------------------------------------------------------------------------
// Service times

ServiceTimeSpec parse_service_time(std::string_view text) {
  const auto open = text.find('(');
  if (open == std::string_view::npos || !text.ends_with(')')) {
    throw std::invalid_argument(fmt::format(
        "'{}' is not a service time such as exponential(1s), deterministic(250ms), uniform(1s,2s) or "
        "lognormal(1s,0.5)",
        text));
  }
  const std::string_view dist = text.substr(0, open);
  std::vector<std::string> args;
  const std::string inside(text.substr(open + 1, text.size() - open - 2));
  boost::algorithm::split(args, inside, [](char c) { return c == ','; });
  for (auto& arg : args) boost::algorithm::trim(arg);
  const auto expect_args = [&](std::size_t count, std::string_view form) {
    if (args.size() != count || std::any_of(args.begin(), args.end(), [](const auto& a) { return a.empty(); })) {
      throw std::invalid_argument(fmt::format("'{}': expected {}", text, form));
    }
  };
  ServiceTimeSpec spec;
  try {
    if (dist == "exponential" || dist == "deterministic") {
      expect_args(1, fmt::format("{}(MEAN)", dist));
      spec.dist = dist == "exponential" ? ServiceDist::exponential : ServiceDist::deterministic;
      spec.mean = non_negative_duration(args[0]);
    } else if (dist == "uniform") {
      expect_args(2, "uniform(MIN,MAX)");
      spec.dist = ServiceDist::uniform;
      spec.min = non_negative_duration(args[0]);
      spec.max = non_negative_duration(args[1]);
      if (spec.max < spec.min) throw std::invalid_argument("max is less than min");
    } else if (dist == "lognormal") {
      expect_args(2, "lognormal(MEAN,CV)");
      spec.dist = ServiceDist::lognormal;
      spec.mean = non_negative_duration(args[0]);
      spec.cv = parse_number(args[1]);
      if (!(spec.cv > 0)) throw std::invalid_argument("the coefficient of variation must be positive");
    } else {
      throw std::invalid_argument(
          fmt::format("unknown distribution '{}' (expected exponential, deterministic, uniform or lognormal)", dist));
    }
  } catch (const UnitError& e) {
    throw std::invalid_argument(fmt::format("'{}': {}", text, e.what()));
  }
  return spec;
}

std::string format_service_time(const ServiceTimeSpec& spec) {
  switch (spec.dist) {
    case ServiceDist::exponential: return fmt::format("exponential({})", format_duration(spec.mean));
    case ServiceDist::deterministic: return fmt::format("deterministic({})", format_duration(spec.mean));
    case ServiceDist::uniform:
      return fmt::format("uniform({},{})", format_duration(spec.min), format_duration(spec.max));
    case ServiceDist::lognormal: return fmt::format("lognormal({},{})", format_duration(spec.mean), spec.cv);
    case ServiceDist::empirical: return fmt::format("empirical({})", spec.samples_file);
  }
  return "?";
}

// --------------------------------------------------------------------------------
// Deployments

FunctionDeployment to_deployment(const HostedFunction& function) {
  FunctionDeployment d;
  d.service = function.name;
  d.namespace_name = std::string(kDefaultFunctionNamespace);
  d.env_vars = function.env_vars;
  d.labels = function.labels;
  d.annotations = function.annotations;
  std::string kind;
  if (const auto* command = std::get_if<CommandFunction>(&function.kind)) {
    kind = "command";
    d.env_process = boost::algorithm::join(command->argv, " ");
  } else if (const auto* synthetic = std::get_if<SyntheticFunction>(&function.kind)) {
    kind = "synthetic";
    d.annotations[std::string(kSyntheticAnnotation)] = format_service_time(synthetic->service_time);
    d.annotations[std::string(kSeedAnnotation)] = std::to_string(synthetic->seed);
  } else {
    kind = "http";
    d.annotations[std::string(kUpstreamAnnotation)] = std::get<HttpFunction>(function.kind).upstream.to_string();
  }
  d.image = function.image.empty() ? "fogsched/" + kind : function.image;
  if (function.max_inflight > 0) d.env_vars["max_inflight"] = std::to_string(function.max_inflight);
  if (function.exec_timeout != kDefaultExecTimeout) d.env_vars["exec_timeout"] = format_duration(function.exec_timeout);
  return d;
}

HostedFunction from_deployment(const FunctionDeployment& d) {
  if (d.service.empty()) throw std::invalid_argument("service is required");
  if (!is_valid_function_name(d.service) || d.service.find('.') != std::string::npos) {
    throw std::invalid_argument(fmt::format("service: '{}' is not a valid function name", d.service));
  }
  if (!d.namespace_name.empty() && d.namespace_name != kDefaultFunctionNamespace) {
    throw std::invalid_argument(
        fmt::format("namespace: '{}' is not valid (the host has only {})", d.namespace_name, kDefaultFunctionNamespace));
  }
  HostedFunction function;
  function.name = d.service;
  function.image = d.image;
  function.env_vars = d.env_vars;
  function.labels = d.labels;
  function.annotations = d.annotations;

  const auto annotation = [&](std::string_view key) -> const std::string* {
    const auto it = d.annotations.find(std::string(key));
    return it == d.annotations.end() ? nullptr : &it->second;
  };
  const std::string* synthetic = annotation(kSyntheticAnnotation);
  const std::string* upstream = annotation(kUpstreamAnnotation);
  const int kinds = (d.env_process.empty() ? 0 : 1) + (synthetic ? 1 : 0) + (upstream ? 1 : 0);
  if (kinds != 1) {
    throw std::invalid_argument(fmt::format(
        "{}: set exactly one of envProcess (a command), the annotation {} (a service time) or the annotation {} "
        "(a URL)",
        d.service, kSyntheticAnnotation, kUpstreamAnnotation));
  }
  if (!d.env_process.empty()) {
    function.kind = CommandFunction{split_words(d.env_process)};
  } else if (synthetic) {
    SyntheticFunction spec{parse_service_time(*synthetic), 1};
    if (const std::string* seed = annotation(kSeedAnnotation)) spec.seed = parse_unsigned(*seed, kSeedAnnotation);
    function.kind = spec;
  } else {
    function.kind = HttpFunction{parse_url(*upstream)};
  }
  if (const auto it = d.env_vars.find("max_inflight"); it != d.env_vars.end()) {
    function.max_inflight = parse_max_inflight(it->second);
  }
  if (const auto it = d.env_vars.find("exec_timeout"); it != d.env_vars.end()) {
    function.exec_timeout = parse_timeout(it->second, "exec_timeout");
  }
  return function;
}

// --------------------------------------------------------------------------------
// The functions file

namespace {

class ConfigReader {
 public:
  ConfigReader(std::string origin, std::filesystem::path base_dir)
      : origin_(std::move(origin)), base_dir_(std::move(base_dir)) {}

  HostConfig read(const YAML::Node& root) const {
    HostConfig config;
    if (!root.IsDefined() || root.IsNull()) return config;
    check_map(root, "", {"listen", "metrics_listen", "secrets", "scale_from_zero", "functions"});
    if (const YAML::Node node = root["listen"]) config.listen = address(node, "listen");
    if (const YAML::Node node = root["metrics_listen"]) config.metrics_listen = address(node, "metrics_listen");
    if (const YAML::Node node = root["secrets"]) {
      const std::filesystem::path dir = base_dir_ / scalar(node, "secrets");
      try {
        config.basic_auth = read_basic_auth_secrets(dir);
      } catch (const std::runtime_error& e) {
        fail(node, "secrets", e.what());
      }
      if (!config.basic_auth) {
        fail(node, "secrets", fmt::format("'{}' lacks basic-auth-user or basic-auth-password", dir.string()));
      }
    }
    if (const YAML::Node node = root["scale_from_zero"]) config.scale_from_zero = boolean(node, "scale_from_zero");
    if (const YAML::Node list = root["functions"]) {
      if (!list.IsSequence()) fail(list, "functions", "expected a list of functions");
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = fmt::format("functions.{}", i);
        HostedFunction function = read_function(list[i], path);
        const bool duplicate = std::any_of(config.functions.begin(), config.functions.end(),
                                           [&](const HostedFunction& f) { return f.name == function.name; });
        if (duplicate) fail(list[i]["name"], path + ".name", fmt::format("'{}' is defined twice", function.name));
        config.functions.push_back(std::move(function));
      }
    }
    return config;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& node, const std::string& path, const std::string& problem) const {
    const YAML::Mark mark = node.Mark();
    const bool known = !mark.is_null();
    throw HostConfigError(SourceLocation{origin_, known ? mark.line + 1 : 0, known ? mark.column + 1 : 0}, path,
                          problem);
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
  }

  void check_map(const YAML::Node& node, const std::string& path, std::initializer_list<std::string_view> keys) const {
    if (!node.IsMap()) fail(node, path.empty() ? "(top level)" : path, "expected a map");
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        fail(entry.first, join(path, key),
             fmt::format("unknown key (expected one of: {})", fmt::join(keys.begin(), keys.end(), ", ")));
      }
    }
  }

  std::string scalar(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) fail(node, path, "expected a single value");
    return node.Scalar();
  }

  std::string address(const YAML::Node& node, const std::string& path) const {
    std::string text = scalar(node, path);
    try {
      parse_listen_address(text);
    } catch (const std::invalid_argument& e) {
      fail(node, path, e.what());
    }
    return text;
  }

  bool boolean(const YAML::Node& node, const std::string& path) const {
    const std::string text = scalar(node, path);
    if (text == "true") return true;
    if (text == "false") return false;
    fail(node, path, fmt::format("'{}' is not true or false", text));
  }

  template <class Parse>
  auto parsed(const YAML::Node& node, const std::string& path, Parse parse) const {
    const std::string text = scalar(node, path);
    try {
      return parse(text);
    } catch (const std::invalid_argument& e) {  // UnitError included
      fail(node, path, e.what());
    }
  }

  std::map<std::string, std::string> string_map(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap()) fail(node, path, "expected a map of names to text");
    std::map<std::string, std::string> map;
    for (const auto& entry : node) map[entry.first.Scalar()] = scalar(entry.second, join(path, entry.first.Scalar()));
    return map;
  }

  ServiceTimeSpec service_time(const YAML::Node& node, const std::string& path) const {
    if (node.IsScalar()) return parsed(node, path, parse_service_time);
    check_map(node, path, {"dist", "mean", "cv", "min", "max"});
    const std::string dist = node["dist"] ? scalar(node["dist"], join(path, "dist")) : "exponential";
    // The map form is the word form spelt out: build the word, parse it once.
    const auto arg = [&](std::string_view key) {
      const YAML::Node value = node[std::string(key)];
      if (!value) fail(node, join(path, key), fmt::format("required with dist: {}", dist));
      return scalar(value, join(path, key));
    };
    const std::vector<std::string_view> keys_used = dist == "uniform"     ? std::vector<std::string_view>{"min", "max"}
                                                    : dist == "lognormal" ? std::vector<std::string_view>{"mean", "cv"}
                                                                          : std::vector<std::string_view>{"mean"};
    for (const std::string_view key : {"mean", "cv", "min", "max"}) {
      if (node[std::string(key)] && std::find(keys_used.begin(), keys_used.end(), key) == keys_used.end()) {
        fail(node[std::string(key)], join(path, key), fmt::format("not used with dist: {}", dist));
      }
    }
    std::string word;
    if (dist == "exponential" || dist == "deterministic") {
      word = fmt::format("{}({})", dist, arg("mean"));
    } else if (dist == "uniform") {
      word = fmt::format("uniform({},{})", arg("min"), arg("max"));
    } else if (dist == "lognormal") {
      word = fmt::format("lognormal({},{})", arg("mean"), node["cv"] ? arg("cv") : "1");
    } else {
      fail(node["dist"], join(path, "dist"),
           fmt::format("'{}' is not one of exponential, deterministic, uniform, lognormal", dist));
    }
    try {
      return parse_service_time(word);
    } catch (const std::invalid_argument& e) {
      fail(node, path, e.what());
    }
  }

  HostedFunction read_function(const YAML::Node& node, const std::string& path) const {
    check_map(node, path,
              {"name", "image", "command", "synthetic", "http", "max_inflight", "exec_timeout", "seed", "env",
               "labels", "annotations"});
    HostedFunction function;
    if (!node["name"]) fail(node, join(path, "name"), "every function needs a name");
    function.name = scalar(node["name"], join(path, "name"));
    if (!is_valid_function_name(function.name) || function.name.find('.') != std::string::npos) {
      fail(node["name"], join(path, "name"), fmt::format("'{}' is not a function name ([-a-zA-Z_0-9]+)", function.name));
    }
    const int kinds = (node["command"] ? 1 : 0) + (node["synthetic"] ? 1 : 0) + (node["http"] ? 1 : 0);
    if (kinds != 1) fail(node, path, "set exactly one of command, synthetic or http");
    if (const YAML::Node command = node["command"]) {
      CommandFunction spec;
      if (command.IsSequence()) {
        for (std::size_t i = 0; i < command.size(); ++i) {
          spec.argv.push_back(scalar(command[i], fmt::format("{}.{}", join(path, "command"), i)));
        }
      } else {
        spec.argv = split_words(scalar(command, join(path, "command")));
      }
      if (spec.argv.empty() || spec.argv.front().empty()) fail(command, join(path, "command"), "names no program");
      function.kind = std::move(spec);
    } else if (const YAML::Node synthetic = node["synthetic"]) {
      SyntheticFunction spec{service_time(synthetic, join(path, "synthetic")), 1};
      if (const YAML::Node seed = node["seed"]) {
        spec.seed = parsed(seed, join(path, "seed"), [](std::string_view t) { return parse_unsigned(t, "seed"); });
      }
      function.kind = spec;
    } else {
      function.kind = HttpFunction{parsed(node["http"], join(path, "http"), parse_url)};
    }
    if (node["seed"] && !std::holds_alternative<SyntheticFunction>(function.kind)) {
      fail(node["seed"], join(path, "seed"), "only synthetic functions draw random numbers");
    }
    if (const YAML::Node image = node["image"]) function.image = scalar(image, join(path, "image"));
    if (const YAML::Node value = node["max_inflight"]) {
      function.max_inflight = parsed(value, join(path, "max_inflight"), parse_max_inflight);
    }
    if (const YAML::Node value = node["exec_timeout"]) {
      function.exec_timeout =
          parsed(value, join(path, "exec_timeout"), [](std::string_view t) { return non_negative_duration(t); });
    }
    if (const YAML::Node value = node["env"]) function.env_vars = string_map(value, join(path, "env"));
    if (const YAML::Node value = node["labels"]) function.labels = string_map(value, join(path, "labels"));
    if (const YAML::Node value = node["annotations"]) {
      function.annotations = string_map(value, join(path, "annotations"));
    }
    return function;
  }

  std::string origin_;
  std::filesystem::path base_dir_;
};

}  // namespace

HostConfig parse_host_config(std::string_view yaml, const std::string& origin, const std::filesystem::path& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    throw HostConfigError(SourceLocation{origin, e.mark.is_null() ? 0 : e.mark.line + 1, 0}, "", e.msg);
  }
  return ConfigReader(origin, base_dir).read(root);
}

HostConfig load_host_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw HostConfigError(SourceLocation{file.string(), 0, 0}, "", "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_host_config(text.str(), file.string(), file.parent_path().empty() ? "." : file.parent_path());
}

}  // namespace fogsched::live
