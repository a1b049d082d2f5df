#pragma once
// Parameter declarations several built-in policies share. Private to policies/.
#include "fogsched/policies/policy_definition.h"

namespace fogsched::policies::detail {

// Load thresholds: far above any node's slots + queue, yet small enough that a typo
// (an extra digit or two) is reported rather than accepted.
inline constexpr ParamRange kThresholdRange{.min = 1, .max = 1'000'000};
inline constexpr const char* kThresholdDoc = "run here while load (running + queued) is below this";

}  // namespace fogsched::policies::detail
