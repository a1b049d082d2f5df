#pragma once
// Builds the arrival models of the city world (MMPP chains, traffic) from the
// scenario model, and checks them once per run so a bad combination is reported as
// a ScenarioError naming the workload entry, before any replication starts.
#include <cstdint>

#include "fogsched/core/scenario.h"
#include "fogsched/sim/arrival_processes.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/traffic.h"

namespace fogsched::sim {

MmppConfig make_mmpp_config(const ArrivalSpec& arrivals, double rate_factor);
TrafficConfig make_traffic_config(const Scenario& scenario, const City& city, std::uint32_t workload);

// Throws ScenarioError (at the workload entry's location) for models that cannot be
// built.
void check_workload_models(const Scenario& scenario, const City& city);

}  // namespace fogsched::sim
