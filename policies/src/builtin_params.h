#pragma once
// Parameter declarations several built-in policies share. Private to policies/.
#include <cstdint>
#include <string>

#include "fogsched/policies/registry.h"

namespace fogsched::policies::detail {

// Upper bound of load thresholds: far above any node's slots + queue, yet small
// enough that a typo (an extra digit or two) is reported rather than accepted.
inline constexpr double kMaxThreshold = 1'000'000;

inline ParamSpec threshold_param(std::uint32_t default_threshold) {
  return ParamSpec{.name = "threshold",
                   .type = ParamType::integer,
                   .default_value = std::to_string(default_threshold),
                   .min = 1,
                   .max = kMaxThreshold,
                   .doc = "run here while load (running + queued) is below this"};
}

// A validated integer parameter as the unsigned type the configs use; the
// registry has checked it against the parameter's range.
inline std::uint32_t unsigned_param(const ParamValues& values, std::string_view name) {
  return static_cast<std::uint32_t>(values.integer(name));
}

}  // namespace fogsched::policies::detail
