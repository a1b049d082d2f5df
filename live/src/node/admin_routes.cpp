// The node's routes for operators and orchestrators: /healthz, Prometheus' /metrics
// and the JSON /status.
#include "node_impl.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace fogsched::live {

using json = nlohmann::json;

Response SchedulerNode::Impl::handle_health(const Request& request) const {
  if (draining) return text_response(http::status::service_unavailable, "draining\n", request);
  const GatewayHealth::Status gateway_status = gateway_health.status();
  if (!gateway_status.healthy) {
    return text_response(http::status::service_unavailable,
                         fmt::format("gateway unavailable: {}\n", gateway_status.reason), request);
  }
  return text_response(http::status::ok, "OK\n", request);
}

Response SchedulerNode::Impl::handle_metrics(const Request& request) {
  std::string out;
  render_metric_header(out, "fogsched_invocations_total", "counter",
                       "Invocations answered by this node, by the decision taken here and the outcome.");
  for (const DecisionKind decision : {DecisionKind::run_local, DecisionKind::forward, DecisionKind::reject}) {
    for (std::size_t outcome = 0; outcome < NodeMetrics::kOutcomes.size(); ++outcome) {
      render_sample(
          out, "fogsched_invocations_total",
          fmt::format("decision=\"{}\",outcome=\"{}\"", to_string(decision), NodeMetrics::kOutcomes.at(outcome)),
          static_cast<double>(metrics.invocations.at(static_cast<std::size_t>(decision)).at(outcome).value()));
    }
  }
  render_metric_header(out, "fogsched_invocation_seconds", "histogram",
                       "Time from the request's arrival at this node to its answer.");
  metrics.latency.render(out, "fogsched_invocation_seconds", "");
  const std::pair<const char*, const Counter*> counters[] = {
      {"fogsched_probes_total", &metrics.probes_sent},
      {"fogsched_probe_failures_total", &metrics.probes_failed},
      {"fogsched_forwards_total", &metrics.forwards_sent},
      {"fogsched_forward_failures_total", &metrics.forwards_failed},
      {"fogsched_gossip_sent_total", &metrics.gossip_sent},
      {"fogsched_gossip_received_total", &metrics.gossip_received},
      {"fogsched_hop_limit_enforced_total", &metrics.hop_limit_enforced},
      {"fogsched_gateway_rejections_total", &metrics.gateway_rejections},
      {"fogsched_gateway_failures_total", &metrics.gateway_failures},
      {"fogsched_peer_unauthorized_total", &metrics.peer_unauthorized},
      {"fogsched_functions_evicted_total", &metrics.functions_evicted},
      {"fogsched_node_failures_total", &metrics.node_failures},
      {"fogsched_cloud_offloads_total", &metrics.cloud_offloads},
      {"fogsched_cloud_failures_total", &metrics.cloud_failures},
  };
  for (const auto& [name, counter] : counters) {
    render_metric_header(out, name, "counter", "See docs/live.md.");
    render_sample(out, name, "", static_cast<double>(counter->value()));
  }
  if (server) {
    render_metric_header(out, "fogsched_connections_refused_total", "counter",
                         "Connections closed unserved because limits.max_connections were open.");
    render_sample(out, "fogsched_connections_refused_total", "", static_cast<double>(server->refused_connections()));
    render_metric_header(out, "fogsched_open_connections", "gauge", "Connections open to the node's server.");
    render_sample(out, "fogsched_open_connections", "", static_cast<double>(server->open_connections()));
  }
  render_metric_header(out, "fogsched_slot_lookup_failures_total", "counter",
                       "Reads of a function's K from the gateway that failed, by reason.");
  for (std::size_t reason = 0; reason < kLookupFailures.size(); ++reason) {
    render_sample(out, "fogsched_slot_lookup_failures_total", fmt::format("reason=\"{}\"", kLookupFailures.at(reason)),
                  static_cast<double>(metrics.slot_lookup_failures.at(reason).value()));
  }
  render_metric_header(out, "fogsched_gateway_healthy", "gauge", "1 while the local gateway answers, else 0.");
  render_sample(out, "fogsched_gateway_healthy", "", gateway_health.healthy() ? 1 : 0);
  if (config.cloud) {
    render_metric_header(out, "fogsched_cloud_healthy", "gauge", "1 while the cloud gateway answers, else 0.");
    render_sample(out, "fogsched_cloud_healthy", "", cloud_health.healthy() ? 1 : 0);
  }
  render_metric_header(out, "fogsched_running", "gauge", "Executions in flight on the local gateway, by function.");
  std::vector<std::pair<std::string, LoadReport>> loads;
  {
    std::lock_guard lock(mutex);
    state->for_each_function(
        [&](FunctionId, const std::string& name, const LoadReport& load) { loads.emplace_back(name, load); });
  }
  for (const auto& [name, load] : loads) {
    render_sample(out, "fogsched_running", fmt::format("function=\"{}\"", escape_label_value(name)), load.running);
  }
  render_metric_header(out, "fogsched_slots", "gauge", "Slots K per function.");
  for (const auto& [name, load] : loads) {
    render_sample(out, "fogsched_slots", fmt::format("function=\"{}\"", escape_label_value(name)), load.slots);
  }
  Response response = text_response(http::status::ok, std::move(out), request);
  response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  return response;
}

Response SchedulerNode::Impl::handle_status(const Request& request) {
  json peers = json::array();
  json functions = json::object();
  json cloud;  // null without a cloud
  LoadReport total;
  {
    std::lock_guard lock(mutex);
    const Time t = now();
    for (const PeerDirectory::PeerStatus& p : directory.status(t)) {
      peers.push_back(json{{"url", p.url.to_string()},
                           {"from_dns", p.from_dns},
                           {"present", p.present},
                           {"available", p.available},
                           {"consecutive_failures", p.failures},
                           {"retry_in_seconds", to_seconds(p.retry_in)}});
    }
    state->for_each_function([&](FunctionId id, const std::string& name, const LoadReport& load) {
      const TrackedFunction& entry = tracked.at(id.value);
      const std::string source = entry.failure ? fmt::format("lookup failed: {}", to_string(*entry.failure))
                                               : std::string(to_string(entry.source));
      functions[name] = json{{"running", load.running}, {"slots", load.slots}, {"slots_source", source}};
    });
    total = state->total_load();
    if (config.cloud) {
      const GatewayHealth::Status cloud_status = cloud_health.status();
      cloud = json{{"url", config.cloud->to_string()},
                   {"healthy", cloud_status.healthy},
                   {"reason", cloud_status.reason},
                   // null until the cloud's function list has been read (cloud.secrets)
                   {"functions", cloud_functions ? json(*cloud_functions) : json()}};
    }
  }
  const GatewayHealth::Status gateway_status = gateway_health.status();
  const json status{{"node", config.name},
                    {"policy", policy_config.canonical},
                    {"hop_limit", config.hop_limit},
                    {"gateway", config.gateway.to_string()},
                    {"gateway_health", json{{"healthy", gateway_status.healthy},
                                            {"reason", gateway_status.reason},
                                            {"consecutive_failures", gateway_status.consecutive_failures}}},
                    {"draining", draining.load()},
                    {"load", json{{"running", total.running}, {"slots", total.slots}}},
                    {"functions", functions},
                    {"cloud", cloud},
                    {"peers", peers}};
  return json_response(http::status::ok, status.dump(2), request);
}

}  // namespace fogsched::live
