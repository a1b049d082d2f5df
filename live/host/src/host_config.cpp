// The host's functions file, read by the configuration reader of core, and host
// functions as OpenFaaS deployments.
#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>
#include <boost/algorithm/string/join.hpp>
#include <boost/algorithm/string/split.hpp>
#include <boost/algorithm/string/trim.hpp>

#include "fogsched/core/config_reader.h"
#include "fogsched/core/service_time_grammar.h"
#include "fogsched/core/units.h"
#include "fogsched/live/host.h"

namespace fogsched::live {
namespace {

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string trimmed = boost::algorithm::trim_copy(std::string(text));
  if (trimmed.empty()) return words;
  boost::algorithm::split(
      words, trimmed, [](char c) { return c == ' ' || c == '\t' || c == '\n'; }, boost::algorithm::token_compress_on);
  return words;
}

std::uint64_t parse_unsigned(std::string_view text, std::string_view what) {
  const auto value = parse_unsigned_integer(text);
  if (!value) throw std::invalid_argument(fmt::format("{}: '{}' is not a non-negative integer", what, text));
  return *value;
}

constexpr std::uint64_t kMaxInflight = 1'000'000;

std::uint32_t parse_max_inflight(std::string_view text) {
  const std::uint64_t value = parse_unsigned(text, "max_inflight");
  if (value > kMaxInflight) {
    throw std::invalid_argument(fmt::format("max_inflight: {} is more than {}", value, kMaxInflight));
  }
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

constexpr Duration kDefaultExecTimeout = std::chrono::seconds(10);

}  // namespace

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
    throw std::invalid_argument(fmt::format("namespace: '{}' is not valid (the host has only {})", d.namespace_name,
                                            kDefaultFunctionNamespace));
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

constexpr std::string_view kHostKeys[] = {"listen", "metrics_listen", "secrets",   "scale_from_zero", "latency",
                                          "queue",  "execution_log",  "functions", "limits"};
constexpr std::string_view kQueueKeys[] = {"capacity", "callback_timeout"};
constexpr std::string_view kLimitsKeys[] = {"max_connections", "max_buffered"};
constexpr std::uint64_t kMaxQueueCapacity = 1'000'000;
constexpr std::string_view kFunctionKeys[] = {"name", "image",        "command",      "synthetic",
                                              "http", "max_inflight", "exec_timeout", "seed",
                                              "env",  "labels",       "annotations"};
class HostFileReader final : public ConfigReader {
 public:
  HostFileReader(std::string origin, std::filesystem::path base_dir)
      : ConfigReader(std::move(origin)), base_dir_(std::move(base_dir)) {}

  HostConfig read(const YAML::Node& root) const {
    HostConfig config;
    if (!root.IsDefined() || root.IsNull()) return config;
    const ConfigMap top = section(root, "", kHostKeys);
    if (top.has("listen")) config.listen = address(top.get("listen"), "listen");
    if (top.has("metrics_listen")) config.metrics_listen = address(top.get("metrics_listen"), "metrics_listen");
    if (top.has("secrets")) {
      const YAML::Node node = top.get("secrets");
      const std::filesystem::path dir = base_dir_ / text(node, "secrets", "a directory");
      try {
        config.basic_auth = read_basic_auth_secrets(dir);
      } catch (const std::runtime_error& e) {
        fail(node, "secrets", e.what());
      }
      if (!config.basic_auth) {
        fail(node, "secrets", fmt::format("'{}' lacks basic-auth-user or basic-auth-password", dir.string()));
      }
    }
    if (top.has("scale_from_zero")) config.scale_from_zero = boolean(top.get("scale_from_zero"), "scale_from_zero");
    if (top.has("latency")) config.latency = duration(top.get("latency"), "latency", Bound::non_negative);
    if (top.has("execution_log")) {
      const YAML::Node node = top.get("execution_log");
      const std::string file(trim(text(node, "execution_log", "a file name")));
      if (file.empty()) fail(node, "execution_log", "names no file");
      config.execution_log = base_dir_ / file;
    }
    if (top.has("queue")) {
      const ConfigMap queue = section(top.get("queue"), "queue", kQueueKeys);
      if (queue.has("capacity")) {
        config.queue.capacity =
            integer(queue.get("capacity"), queue.path("capacity"), Bound::non_negative, kMaxQueueCapacity);
      }
      if (queue.has("callback_timeout")) {
        config.queue.callback_timeout =
            duration(queue.get("callback_timeout"), queue.path("callback_timeout"), Bound::positive);
      }
    }
    if (top.has("limits")) {
      const ConfigMap limits = section(top.get("limits"), "limits", kLimitsKeys);
      if (limits.has("max_connections")) {
        config.limits.max_connections =
            count(limits.get("max_connections"), limits.path("max_connections"), Bound::positive);
      }
      if (limits.has("max_buffered")) {
        config.limits.max_buffered_bytes =
            bytes(limits.get("max_buffered"), limits.path("max_buffered"), Bound::positive);
      }
    }
    if (top.has("functions")) {
      const YAML::Node list = top.get("functions");
      require_sequence(list, "functions", "a list of functions");
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

 protected:
  std::exception_ptr error(const SourceLocation& where, const std::string& path,
                           const std::string& problem) const override {
    return std::make_exception_ptr(HostConfigError(where, path, problem));
  }

 private:
  std::string address(const YAML::Node& node, const std::string& path) const {
    std::string written(trim(text(node, path, "an address")));
    try {
      parse_listen_address(written);
    } catch (const std::invalid_argument& e) {
      fail(node, path, e.what());
    }
    return written;
  }

  std::map<std::string, std::string> string_map(const YAML::Node& node, const std::string& path) const {
    if (!node.IsMap())
      fail(node, path, fmt::format("expected a map of names to text, got {}", describe_yaml_node(node)));
    std::map<std::string, std::string> map;
    for (const auto& entry : node) {
      const std::string key = scalar(entry.first, path, "a name");
      const std::string key_path = join_key_path(path, key);
      if (map.contains(key)) fail(entry.first, key_path, "duplicate key");
      map[key] = scalar(entry.second, key_path, "text");
    }
    return map;
  }

  HostedFunction read_function(const YAML::Node& node, const std::string& path) const {
    const ConfigMap map = section(node, path, kFunctionKeys);
    HostedFunction function;
    function.name = trim(text(map.require("name"), map.path("name"), "a function name"));
    if (!is_valid_function_name(function.name) || function.name.find('.') != std::string::npos) {
      fail(map.get("name"), map.path("name"),
           fmt::format("'{}' is not a function name ([-a-zA-Z_0-9]+)", function.name));
    }
    const int kinds = int{map.has("command")} + int{map.has("synthetic")} + int{map.has("http")};
    if (kinds != 1) fail(node, path, "set exactly one of command, synthetic or http");
    if (map.has("command")) {
      const YAML::Node command = map.get("command");
      CommandFunction spec;
      if (command.IsSequence()) {
        for (std::size_t i = 0; i < command.size(); ++i) {
          spec.argv.push_back(scalar(command[i], join_key_path(map.path("command"), std::to_string(i)), "a word"));
        }
      } else {
        spec.argv = split_words(scalar(command, map.path("command"), "a command line or a list of words"));
      }
      if (spec.argv.empty() || spec.argv.front().empty()) fail(command, map.path("command"), "names no program");
      function.kind = std::move(spec);
    } else if (map.has("synthetic")) {
      // The host's functions may take no time at all; they read no samples files.
      SyntheticFunction spec{read_service_time(*this, map.get("synthetic"), map.path("synthetic"), ServiceTimeRules{}),
                             1};
      if (map.has("seed")) {
        spec.seed =
            integer(map.get("seed"), map.path("seed"), Bound::non_negative, std::numeric_limits<std::uint64_t>::max());
      }
      function.kind = spec;
    } else {
      const YAML::Node http = map.get("http");
      try {
        function.kind = HttpFunction{parse_url(trim(scalar(http, map.path("http"), "a URL")))};
      } catch (const std::invalid_argument& e) {
        fail(http, map.path("http"), e.what());
      }
    }
    if (map.has("seed") && !std::holds_alternative<SyntheticFunction>(function.kind)) {
      fail(map.get("seed"), map.path("seed"), "only synthetic functions draw random numbers");
    }
    if (map.has("image")) function.image = text(map.get("image"), map.path("image"), "an image name");
    if (map.has("max_inflight")) {
      function.max_inflight = static_cast<std::uint32_t>(
          integer(map.get("max_inflight"), map.path("max_inflight"), Bound::non_negative, kMaxInflight));
    }
    if (map.has("exec_timeout")) {
      function.exec_timeout = duration(map.get("exec_timeout"), map.path("exec_timeout"), Bound::non_negative);
    }
    if (map.has("env")) function.env_vars = string_map(map.get("env"), map.path("env"));
    if (map.has("labels")) function.labels = string_map(map.get("labels"), map.path("labels"));
    if (map.has("annotations")) function.annotations = string_map(map.get("annotations"), map.path("annotations"));
    return function;
  }

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
  return HostFileReader(origin, base_dir).read(root);
}

HostConfig load_host_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw HostConfigError(SourceLocation{file.string(), 0, 0}, "", "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_host_config(text.str(), file.string(), file.parent_path().empty() ? "." : file.parent_path());
}

}  // namespace fogsched::live
