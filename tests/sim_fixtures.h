#pragma once
// Scenarios and helpers shared by the simulator's tests.
#include <chrono>
#include <cstdint>
#include <string>

#include "fogsched/core/scenario.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/runner.h"

namespace fogsched::sim::testing {

using namespace std::chrono_literals;

// Independent loss nodes on a 100 m grid, Poisson arrivals at `load` per slot,
// exponential service of mean 1 s, no network delay, seed 7, 8 replications.
inline Scenario loss_cluster(std::uint32_t cameras, std::uint32_t slots, double load, Duration duration) {
  Scenario s;
  s.name = "loss-cluster";
  s.seed = 7;
  s.duration = duration;
  s.warmup = duration / 20;
  s.replications = 8;
  s.cameras.count = cameras;
  s.cameras.layout = Layout::grid;
  s.cameras.spacing_m = 100;
  s.cameras.slots = slots;
  s.cameras.queue = 0;
  FunctionSpec f;
  f.name = "f";
  f.service_time.dist = ServiceDist::exponential;
  f.service_time.mean = 1s;
  s.functions.push_back(f);
  WorkloadSpec w;
  w.function = "f";
  w.function_index = 0;
  w.arrivals.load = load;
  s.workload.push_back(w);
  return s;
}

inline PolicyConfig builtin(const std::string& spec) { return PolicyRegistry::with_builtins().parse(spec); }

// RunOptions with only what a test cares about (designated initialisers that omit
// members trip -Wmissing-field-initializers on GCC 12).
inline RunOptions options(std::uint32_t threads = 1, bool keep_trace = false) {
  RunOptions o;
  o.threads = threads;
  o.keep_trace = keep_trace;
  return o;
}

// Every client invocation that arrived ended exactly once (or is still in flight).
inline bool conserved(const MetricsCollector& m) {
  return m.client_invocations == m.completed + m.rejected + m.deadline_missed + m.failed + m.in_flight_at_end;
}

}  // namespace fogsched::sim::testing
