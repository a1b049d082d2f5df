// The functions section: service time, payload, response and deadline of each function.
#include "parser.h"

#include "fogsched/core/quote_input.h"
#include "fogsched/core/service_time_grammar.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace fogsched::scenario_parsing {
namespace keys = scenario_keys;
namespace {

// Function names are URL path segments in live mode and key path segments in
// overrides, so no dots, slashes or spaces.
bool is_function_name(std::string_view text) {
  if (text.empty() || !std::isalnum(static_cast<unsigned char>(text.front()))) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

}  // namespace

std::vector<FunctionSpec> Parser::parse_functions(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap())
    fail(node, path, fmt::format("expected a map of functions by name, got {}", describe_yaml_node(node)));
  if (node.size() == 0) fail(node, path, "expected at least one function");
  std::vector<FunctionSpec> functions;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) fail(entry.first, path, "function names must be plain names");
    FunctionSpec function;
    function.name = entry.first.Scalar();
    const std::string function_path = join_key_path(path, function.name);
    if (!is_function_name(function.name)) {
      fail(entry.first, function_path,
           "function names start with a letter or digit and use only letters, digits, '-' and '_'");
    }
    if (std::any_of(functions.begin(), functions.end(),
                    [&](const FunctionSpec& f) { return f.name == function.name; })) {
      fail(entry.first, function_path, "duplicate key");
    }
    const ConfigMap map = section(entry.second, function_path, keys::kFunction);
    // Empirical samples files are found beside the scenario file.
    const ServiceTimeRules rules{.zero_mean_allowed = false,
                                 .samples_dir = std::filesystem::path(doc_.origin).parent_path()};
    function.service_time = read_service_time(*this, map.require("service_time"), map.path("service_time"), rules);
    if (map.has("payload"))
      function.payload_bytes = bytes(map.get("payload"), map.path("payload"), Bound::non_negative);
    if (map.has("response")) {
      function.response_bytes = bytes(map.get("response"), map.path("response"), Bound::non_negative);
    }
    if (map.has("deadline")) {
      const YAML::Node deadline = map.get("deadline");
      const std::string_view written = deadline.IsScalar() ? trim(deadline.Scalar()) : std::string_view();
      if (written == "until_leaves_view") {
        function.deadline_until_leaves_view = true;
        leaves_view_deadlines_.emplace_back(static_cast<std::uint32_t>(functions.size()), deadline);
      } else if (!written.empty() && std::isalpha(static_cast<unsigned char>(written.front()))) {
        fail(deadline, map.path("deadline"),
             fmt::format("expected a positive duration or until_leaves_view, got {}", quote_input(written)));
      } else {
        function.deadline = duration(deadline, map.path("deadline"), Bound::positive);
      }
    }
    functions.push_back(std::move(function));
  }
  return functions;
}

}  // namespace fogsched::scenario_parsing
