#pragma once
// threshold_random: run here while the node is lightly loaded, else send the
// invocation to a random peer.
#include <cstdint>

#include "fogsched/core/policy.h"
#include "fogsched/policies/registry.h"

namespace fogsched::policies {

class ThresholdRandom final : public Policy {
 public:
  struct Config {
    std::uint32_t threshold = 3;  // run here while load (running + queued) is below this
  };

  static PolicyInfo info();

  explicit ThresholdRandom(Config config);
  const Config& config() const { return config_; }

  // A client invocation runs here when load < threshold and a slot or queue place is
  // free, else goes to a random peer (with no peers: here or rejected). Forwarded
  // arrivals run here or are rejected.
  Decision decide(const Invocation& invocation, NodeContext& ctx) override;

 private:
  Config config_;
};

}  // namespace fogsched::policies
