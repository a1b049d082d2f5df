// The built-in policies, registered under their names.
#include "fogsched/policies/cloud_offload.h"
#include "fogsched/policies/least_loaded.h"
#include "fogsched/policies/local.h"
#include "fogsched/policies/power_of_d.h"
#include "fogsched/policies/random.h"
#include "fogsched/policies/registry.h"
#include "fogsched/policies/round_robin.h"
#include "fogsched/policies/threshold_random.h"

namespace fogsched {

void register_builtin_policies(PolicyRegistry& registry) {
  registry.add(policies::Local::info());
  registry.add(policies::RandomPeer::info());
  registry.add(policies::RoundRobin::info());
  registry.add(policies::ThresholdRandom::info());
  registry.add(policies::PowerOfD::info());
  registry.add(policies::LeastLoaded::info());
  registry.add(policies::CloudOffload::info());
}

}  // namespace fogsched
