#pragma once
// fogsched's wire names (fogsched/live/wire.h) in the forms the live tests build
// requests from.
#include <string>
#include <string_view>

#include "fogsched/live/http.h"
#include "fogsched/live/wire.h"

namespace fogsched::live {

// A header name as Beast's field functions take it.
inline beast::string_view header_name(std::string_view name) { return {name.data(), name.size()}; }

// A probe's target: /peer/load?function=NAME.
inline std::string probe_target(std::string_view function) {
  return std::string(wire::kLoadPath) + std::string(wire::kLoadFunctionQuery) + std::string(function);
}

// A forward's target: /peer/function/NAME[/sub/path].
inline std::string forward_target(std::string_view function_and_path) {
  return std::string(wire::kForwardPrefix) + std::string(function_and_path);
}

}  // namespace fogsched::live
