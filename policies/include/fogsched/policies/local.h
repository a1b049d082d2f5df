#pragma once
// local: every invocation runs on the node the client called, or is rejected there.
#include "fogsched/core/policy.h"
#include "fogsched/policies/registry.h"

namespace fogsched::policies {

class Local final : public Policy {
 public:
  struct Config {};

  static PolicyInfo info();

  explicit Local(Config config = {}) : config_(config) {}
  const Config& config() const { return config_; }

  Decision decide(const Invocation& invocation, NodeContext& ctx) override;

 private:
  Config config_;
};

}  // namespace fogsched::policies
