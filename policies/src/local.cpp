#include "fogsched/policies/local.h"

#include <memory>

#include "fogsched/policies/policy_definition.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo Local::info() {
  return PolicyDefinition<Local>("local",
                                 "run every invocation where it arrives; reject when no slot or queue place is free")
      .info();
}

Decision Local::decide(const Invocation& /*invocation*/, NodeContext& ctx) { return detail::run_here_or_reject(ctx); }

}  // namespace fogsched::policies

FOGSCHED_REGISTER_POLICY(fogsched::policies::Local)
