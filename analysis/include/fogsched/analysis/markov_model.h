#pragma once
// A scenario as the exact models see it: per-node Poisson arrival rates,
// exponential service rates and capacities, the policy reduced to the few numbers
// the models need, and the assumptions under which the models are exact.
//
// The models never approximate silently: check_assumptions() names every scenario
// key that takes a scenario outside them, and the functions that build models from
// a scenario refuse (AnalysisError) when one fails.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "fogsched/core/scenario.h"
#include "fogsched/policies/registry.h"

namespace fogsched::analysis {

// A model was asked for something outside what it covers (a state space too large,
// a policy it does not know, a scenario breaking an assumption).
class AnalysisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One node of a Markovian cluster: an M/M/K/K+Q station.
struct NodeModel {
  double arrival_rate_per_s = 0;  // Poisson client arrivals at this node
  double service_rate_per_s = 1;  // of one busy slot: speed / mean service time
  std::uint32_t slots = 1;        // K
  std::uint32_t queue = 0;        // Q; 0 = loss node

  std::uint32_t capacity() const { return slots + queue; }
  friend bool operator==(const NodeModel&, const NodeModel&) = default;
};

// The built-in policies the models cover, with the semantics of policies/src:
// load = running + queued, and a node "can accept" while load < slots + queue.
enum class PolicyKind : std::uint8_t {
  local,             // run here if it can accept, else reject
  random,            // forward every client invocation to a uniform peer
  threshold_random,  // run here if load < threshold and it can accept, else a uniform peer
  power_of_d,        // as threshold_random, but probe d distinct peers and forward to
                     // the least loaded (ties uniform) if strictly less loaded than
                     // this node; otherwise run here if it can accept, else reject
};
const char* to_string(PolicyKind kind) noexcept;

struct MarkovPolicy {
  PolicyKind kind = PolicyKind::local;
  std::uint32_t threshold = 1;  // threshold_random, power_of_d
  std::uint32_t d = 1;          // power_of_d
};

// The policy as the models know it; none when it is not one of PolicyKind.
std::optional<MarkovPolicy> markov_policy(const PolicyConfig& policy);

// An assumption of the models that a scenario breaks, named by the scenario key
// that breaks it ("network.latency.base") and said in plain words.
struct FailedAssumption {
  std::string key;
  std::string problem;

  std::string to_string() const { return key + ": " + problem; }
  friend bool operator==(const FailedAssumption&, const FailedAssumption&) = default;
};

// Every assumption the Markov models (Erlang-B, the exact chain, the mean-field
// limit) share that `scenario` run with `policy` breaks; empty when all hold:
// a policy the models cover; a single workload entry of Poisson arrivals at a
// constant rate; exponential service; no faults; and, for policies that forward
// or probe, zero network delay (no latency, no transfer time for payloads and
// probes) and a hop limit of at least 1. Hot spots and per-camera slots or speeds
// drawn from the seed are refused too: list them, so the models see the very
// cameras the simulator draws. A cloud is allowed: these policies never use it.
std::vector<FailedAssumption> check_assumptions(const Scenario& scenario, const PolicyConfig& policy);

// The same assumptions for any dispatcher of the model: `moves_work` when it
// forwards (network delays and the hop limit then count), `probes` when it probes.
std::vector<FailedAssumption> check_scenario_assumptions(const Scenario& scenario, bool moves_work, bool probes);

// The cameras as Markovian nodes, resolved as the simulator resolves them (slots,
// queue and speed with their lists and overrides; base rate or load, listed hot
// spots, per-camera rates). Throws AnalysisError naming the failed assumptions when
// the scenario is not Markovian.
std::vector<NodeModel> cluster_nodes(const Scenario& scenario);

}  // namespace fogsched::analysis
