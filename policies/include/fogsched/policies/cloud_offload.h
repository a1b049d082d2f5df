#pragma once
// cloud_offload: run here while lightly loaded, else send the invocation to the
// cloud node (WAN latency, large capacity).
#include <cstdint>

#include "fogsched/core/policy.h"
#include "fogsched/policies/registry.h"

namespace fogsched::policies {

class CloudOffload final : public Policy {
 public:
  struct Config {
    std::uint32_t threshold = 4;  // run here while load (running + queued) is below this
  };

  static PolicyInfo info();

  explicit CloudOffload(Config config);
  const Config& config() const { return config_; }

  // A client invocation runs here when load < threshold and a slot or queue place is
  // free, else goes to the cloud; without a cloud it runs here or is rejected.
  // Forwarded arrivals run here or are rejected.
  Decision decide(const Invocation& invocation, NodeContext& ctx) override;

 private:
  Config config_;
};

}  // namespace fogsched::policies
