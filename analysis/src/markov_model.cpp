#include "fogsched/analysis/markov_model.h"

#include <algorithm>

#include <fmt/format.h>

#include "fogsched/core/units.h"

namespace fogsched::analysis {

const char* to_string(PolicyKind kind) noexcept {
  switch (kind) {
    case PolicyKind::local: return "local";
    case PolicyKind::random: return "random";
    case PolicyKind::threshold_random: return "threshold_random";
    case PolicyKind::power_of_d: return "power_of_d";
  }
  return "?";
}

std::optional<MarkovPolicy> markov_policy(const PolicyConfig& policy) {
  // The registry has validated the parameters (threshold >= 1, 1 <= d <= 16).
  const auto unsigned_value = [&](const char* name) { return static_cast<std::uint32_t>(policy.values.integer(name)); };
  if (policy.name == "local") return MarkovPolicy{.kind = PolicyKind::local};
  if (policy.name == "random") return MarkovPolicy{.kind = PolicyKind::random};
  if (policy.name == "threshold_random") {
    return MarkovPolicy{.kind = PolicyKind::threshold_random, .threshold = unsigned_value("threshold")};
  }
  if (policy.name == "power_of_d") {
    return MarkovPolicy{
        .kind = PolicyKind::power_of_d, .threshold = unsigned_value("threshold"), .d = unsigned_value("d")};
  }
  return std::nullopt;
}

namespace {

bool drawn(const std::optional<CameraValueSpread>& spread) {
  return spread && spread->kind != CameraValueSpread::Kind::list;
}

}  // namespace

std::vector<FailedAssumption> check_scenario_assumptions(const Scenario& scenario, bool moves_work, bool probes) {
  std::vector<FailedAssumption> failed;
  const auto fail = [&failed](std::string key, std::string problem) {
    failed.push_back({std::move(key), std::move(problem)});
  };

  if (scenario.workload.size() != 1) {
    fail("workload", fmt::format("has {} entries; the models take a single Poisson stream of one function",
                                 scenario.workload.size()));
  }
  if (!scenario.workload.empty()) {
    const WorkloadSpec& work = scenario.workload.front();
    const ArrivalSpec& arrivals = work.arrivals;
    if (arrivals.process != ArrivalProcess::poisson) {
      fail("workload.0.arrivals.process",
           fmt::format("is {}; the models need Poisson arrivals", to_string(arrivals.process)));
    } else {
      if (!arrivals.profile.empty()) {
        fail("workload.0.arrivals.profile",
             "makes the rate vary in time; the models need a constant rate (no profile)");
      }
      if (arrivals.hotspot_cameras.empty() && arrivals.hotspot_count > 0 && arrivals.hotspot_factor != 1.0) {
        fail("workload.0.arrivals.hotspots.count",
             "hot-spot cameras are drawn from the seed; list them with hotspots.cameras so the models "
             "see the same cameras as the simulator");
      }
    }
    if (work.function_index < scenario.functions.size()) {
      const FunctionSpec& function = scenario.functions[work.function_index];
      const std::string prefix = "functions." + function.name;
      if (function.service_time.dist != ServiceDist::exponential) {
        fail(prefix + ".service_time.dist",
             fmt::format("is {}; the models need exponential service times", to_string(function.service_time.dist)));
      }
      if (moves_work && scenario.network.bandwidth_bps > 0 && function.payload_bytes > 0) {
        fail(prefix + ".payload",
             "takes time to move at network.bandwidth; the models need instant forwards (payload 0 or bandwidth 0)");
      }
    }
  }

  if (drawn(scenario.cameras.slots_spread)) {
    fail("cluster.cameras.slots",
         "is drawn per camera from the seed; list one value per camera so the models see the same fleet "
         "as the simulator");
  }
  if (drawn(scenario.cameras.speed_spread)) {
    fail("cluster.cameras.speed",
         "is drawn per camera from the seed; list one value per camera so the models see the same fleet "
         "as the simulator");
  }

  if (!scenario.faults.outages.empty()) fail("faults.outages", "cameras go down; the models have no faults");
  if (scenario.faults.failures) fail("faults.failures", "cameras fail and recover; the models have no faults");

  if (moves_work) {
    if (scenario.network.latency_base != Duration::zero()) {
      fail("network.latency.base",
           fmt::format("is {}; the models need zero network delay", format_duration(scenario.network.latency_base)));
    }
    if (scenario.network.latency_per_km != Duration::zero()) {
      fail("network.latency.per_km",
           fmt::format("is {}; the models need zero network delay", format_duration(scenario.network.latency_per_km)));
    }
    if (scenario.hop_limit == 0) {
      fail("hop_limit",
           "is 0, which turns every forward into a local run; the models assume forwards happen "
           "(hop limit 1 or more)");
    }
  }
  if (probes && scenario.network.bandwidth_bps > 0 && scenario.network.probe_bytes > 0) {
    fail("network.probe_bytes",
         "probes take time to move at network.bandwidth; the models need instantaneous "
         "probes (probe_bytes 0 or bandwidth 0)");
  }
  return failed;
}

std::vector<FailedAssumption> check_assumptions(const Scenario& scenario, const PolicyConfig& policy) {
  const std::optional<MarkovPolicy> markov = markov_policy(policy);
  if (!markov) {
    return {{"policies", fmt::format("'{}' is not modelled; the exact models cover local, random, "
                                     "threshold_random and power_of_d",
                                     policy.canonical)}};
  }
  const bool moves_work = markov->kind != PolicyKind::local;
  return check_scenario_assumptions(scenario, moves_work, markov->kind == PolicyKind::power_of_d);
}

std::vector<NodeModel> cluster_nodes(const Scenario& scenario) {
  // Network keys do not change the nodes: check only what shapes them.
  const std::vector<FailedAssumption> failed = check_scenario_assumptions(scenario, false, false);
  if (!failed.empty()) {
    std::string text = "the scenario is not Markovian";
    const char* separator = ": ";
    for (const FailedAssumption& f : failed) {
      text.append(separator).append(f.to_string());
      separator = "; ";
    }
    throw AnalysisError(text);
  }

  const CamerasSpec& cams = scenario.cameras;
  std::vector<NodeModel> nodes(cams.count);
  std::vector<double> speed(cams.count, cams.speed);
  for (std::uint32_t i = 0; i < cams.count; ++i) {
    nodes[i].slots = cams.slots;
    nodes[i].queue = cams.queue;
    if (cams.slots_spread) nodes[i].slots = static_cast<std::uint32_t>(cams.slots_spread->values.at(i));
    if (cams.speed_spread) speed[i] = cams.speed_spread->values.at(i);
  }
  for (const CameraOverride& o : cams.overrides) {
    for (std::uint32_t c : o.cameras) {
      if (o.slots) nodes.at(c).slots = *o.slots;
      if (o.queue) nodes.at(c).queue = *o.queue;
      if (o.speed) speed.at(c) = *o.speed;
    }
  }

  const WorkloadSpec& work = scenario.workload.front();
  const ArrivalSpec& arrivals = work.arrivals;
  const double mean_s = scenario.functions.at(work.function_index).service_time.mean_seconds();
  const double default_slots = cams.slots_spread ? cams.slots_spread->mean() : cams.slots;
  const double default_speed = cams.speed_spread ? cams.speed_spread->mean() : cams.speed;
  const double base_rate =
      arrivals.rate_per_s ? *arrivals.rate_per_s : arrivals.load.value_or(0.0) * default_slots * default_speed / mean_s;
  std::vector<double> rate(cams.count, 0.0);
  if (work.cameras.empty()) {
    std::fill(rate.begin(), rate.end(), base_rate);
  } else {
    for (std::uint32_t c : work.cameras) rate.at(c) = base_rate;
  }
  for (std::uint32_t c : arrivals.hotspot_cameras) rate.at(c) *= arrivals.hotspot_factor;
  for (const auto& [camera, camera_rate] : arrivals.camera_rates) rate.at(camera) = camera_rate;

  for (std::uint32_t i = 0; i < cams.count; ++i) {
    nodes[i].arrival_rate_per_s = rate[i];
    nodes[i].service_rate_per_s = speed[i] / mean_s;
  }
  return nodes;
}

}  // namespace fogsched::analysis
