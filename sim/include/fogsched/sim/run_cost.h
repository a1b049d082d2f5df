#pragma once
// What a run will cost before it starts: the memory it holds at its peak (a run
// that cannot fit is refused before it allocates), and the engine events it will
// process and the wall time they take on this machine (announced).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fogsched/core/scenario.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/runner.h"

namespace fogsched::sim {

struct RunCost {
  std::uint64_t memory_bytes = 0;  // at the run's peak, estimated upwards
  // The setting that drives the memory ("cluster.cameras.count", "replications")
  // and how, for the message that refuses it.
  std::string memory_key;
  std::string memory_reason;
  // Only from a sample (estimate_by_sampling).
  std::optional<double> events;   // engine events over the whole run
  std::optional<double> seconds;  // wall time on this machine with the run's threads
};

// From the scenario's sizes alone, allocating nothing: the city, the simulation
// state of every replication running at once (each camera's memory of gossiped
// loads included, network.gossip_memory peers at most), and the results kept of each.
RunCost estimate_from_sizes(const Scenario& scenario, std::size_t policy_count, const RunOptions& options);

// The sizes' estimate refined by a short sample of each policy on the real city
// (stopped after some thousand events): events and wall time extrapolated to the
// whole run; traces added to the memory. Allocates the city and one simulation:
// call it only once the sizes' estimate fits.
RunCost estimate_by_sampling(const Scenario& scenario, const std::vector<PolicyConfig>& policies,
                             const RunOptions& options);

// Bytes this process can still allocate: the least of what its address-space and
// data limits leave, what its cgroup's memory limit leaves, and the machine's
// available memory and swap.
std::uint64_t available_memory();

// Throws ResourceError naming the cost's key and estimate when it needs more than
// available_memory().
void check_memory(const RunCost& cost);

// The sizes' estimate checked, then the sample's checked and returned: what a
// command announces before it runs.
RunCost checked_estimate(const Scenario& scenario, const std::vector<PolicyConfig>& policies,
                         const RunOptions& options);

// Rough quantities for messages: "1.5 GB", "4.1 million", "12 s", "3.2 h", "2 years".
std::string format_rough_bytes(double bytes);
std::string format_rough_count(double count);
std::string format_rough_seconds(double seconds);

}  // namespace fogsched::sim
