#pragma once
// random: each client invocation goes to a uniformly random peer, which runs it or,
// when full, rejects it.
#include "fogsched/core/policy.h"
#include "fogsched/policies/registry.h"

namespace fogsched::policies {

class RandomPeer final : public Policy {
 public:
  struct Config {};

  static PolicyInfo info();

  explicit RandomPeer(Config config = {}) : config_(config) {}
  const Config& config() const { return config_; }

  // Client invocations go to a random peer (run here when there is none); forwarded
  // arrivals run here or are rejected.
  Decision decide(const Invocation& invocation, NodeContext& ctx) override;

 private:
  Config config_;
};

}  // namespace fogsched::policies
