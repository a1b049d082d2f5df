#include "fogsched/policies/local.h"

#include <memory>

#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo Local::info() {
  return PolicyInfo{
      .name = "local",
      .doc = "run every invocation where it arrives; reject when no slot or queue place is free",
      .params = {},
      .configure = [](const ParamValues&) -> PolicyMaker { return [] { return std::make_unique<Local>(); }; }};
}

Decision Local::decide(const Invocation& /*invocation*/, NodeContext& ctx) { return detail::run_here_or_reject(ctx); }

}  // namespace fogsched::policies
