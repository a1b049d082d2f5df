// The network section: link latency and bandwidth, message sizes, the NB-IoT uplink.
#include "parser.h"

#include <fmt/format.h>

namespace fogsched::scenario_parsing {
namespace keys = scenario_keys;

NetworkSpec Parser::parse_network(const YAML::Node& node, const std::string& path) const {
  const ConfigMap map = section(node, path, keys::kNetwork);
  NetworkSpec network;
  if (map.has("latency")) {
    const YAML::Node latency = map.get("latency");
    if (latency.IsScalar()) {
      network.latency_base = duration(latency, map.path("latency"), Bound::non_negative);
    } else {
      const ConfigMap parts = section(latency, map.path("latency"), keys::kLatency);
      if (parts.has("base"))
        network.latency_base = duration(parts.get("base"), parts.path("base"), Bound::non_negative);
      if (parts.has("per_km")) {
        network.latency_per_km = duration(parts.get("per_km"), parts.path("per_km"), Bound::non_negative);
      }
    }
  }
  if (map.has("bandwidth")) network.bandwidth_bps = bandwidth(map.get("bandwidth"), map.path("bandwidth"));
  if (map.has("probe_bytes")) {
    network.probe_bytes = bytes(map.get("probe_bytes"), map.path("probe_bytes"), Bound::non_negative);
  }
  if (map.has("gossip_bytes")) {
    network.gossip_bytes = bytes(map.get("gossip_bytes"), map.path("gossip_bytes"), Bound::non_negative);
  }
  if (map.has("gossip_memory")) {
    network.gossip_memory = count(map.get("gossip_memory"), map.path("gossip_memory"), Bound::positive);
  }
  if (map.has("probe_timeout")) {
    network.probe_timeout = duration(map.get("probe_timeout"), map.path("probe_timeout"), Bound::non_negative);
  }
  if (map.has("uplink")) network.uplink = parse_uplink(map.get("uplink"), map.path("uplink"));
  return network;
}

UplinkSpec Parser::parse_uplink(const YAML::Node& node, const std::string& path) const {
  const ConfigMap map = section(node, path, keys::kUplink);
  UplinkSpec uplink;
  if (map.has("bandwidth")) {
    // Unlike the other links, an uplink without transmission time is no model of
    // NB-IoT: alerts must queue behind each other.
    const YAML::Node given = map.get("bandwidth");
    uplink.bandwidth_bps = bandwidth(given, map.path("bandwidth"));
    if (uplink.bandwidth_bps <= 0) {
      fail(given, map.path("bandwidth"),
           fmt::format("expected a positive bandwidth, got {}", quote_input(given.Scalar())));
    }
  }
  if (map.has("latency")) uplink.latency = duration(map.get("latency"), map.path("latency"), Bound::non_negative);
  if (map.has("loss")) uplink.loss_probability = share(map.get("loss"), map.path("loss"), "probability", "[0, 1)");
  return uplink;
}

}  // namespace fogsched::scenario_parsing
