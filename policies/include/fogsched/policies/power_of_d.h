#pragma once
// power_of_d: run here while lightly loaded; else probe d random peers and forward
// to the least loaded of them when it is less loaded than this node.
#include <cstdint>

#include "fogsched/core/policy.h"
#include "fogsched/policies/registry.h"

namespace fogsched::policies {

class PowerOfD final : public Policy {
 public:
  struct Config {
    std::uint32_t d = 2;          // distinct random peers to probe, 1..kMaxProbePeers
    std::uint32_t threshold = 3;  // run here without probing while load is below this
  };

  static PolicyInfo info();

  explicit PowerOfD(Config config);
  const Config& config() const { return config_; }

  // A client invocation runs here when load < threshold and a slot or queue place is
  // free. Otherwise it probes min(d, peers) distinct random peers; on the re-entry
  // it goes to the least loaded answer (ties uniformly at random) if that load is
  // strictly below this node's, else runs here or is rejected. "Runs here" accepts
  // a queue place as well as a free slot: on a node with a queue the invocation
  // waits rather than being lost. Forwarded arrivals run here or are rejected.
  Decision decide(const Invocation& invocation, NodeContext& ctx) override;

 private:
  Config config_;
};

}  // namespace fogsched::policies
