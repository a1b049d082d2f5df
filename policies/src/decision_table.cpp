#include "fogsched/policies/decision_table.h"

#include <algorithm>
#include <string>

#include <boost/container/static_vector.hpp>

#include "fogsched/policies/policy_definition.h"
#include "peer_choice.h"

namespace fogsched::policies {

PolicyInfo DecisionTable::info() {
  return PolicyDefinition<DecisionTable>("table",
                                         "replays a decision table of `fogsched analyze --optimal-table`, probing "
                                         "every peer for the cluster's whole state")
      .param("file", &Config::file, {}, "the table file (fogsched analyze --optimal --optimal-table FILE)")
      .check([](const Config& c) {
        if (!c.file.given()) throw PolicyError("name the table with file=FILE");
      })
      .prepare([](Config& c) {
        auto table = std::make_shared<OptimalTable>(parse_optimal_table(*c.file.contents, c.file.path));
        if (table->nodes.size() > kMaxProbePeers + 1) {
          throw PolicyError(c.file.path + ": nodes: " + std::to_string(table->nodes.size()) +
                            " nodes; a table is replayed by probing every peer, at most " +
                            std::to_string(kMaxProbePeers) + " at once");
        }
        c.table = std::move(table);
      })
      .info();
}

DecisionTable::DecisionTable(Config config) : config_(std::move(config)) {}

void DecisionTable::on_start(NodeContext& ctx) {
  const std::size_t nodes = config_.table->nodes.size();
  if (ctx.peer_count() + 1 != nodes || ctx.self().value >= nodes) {
    throw PolicyError("table " + config_.file.path + " is for a cluster of " + std::to_string(nodes) + " nodes; node " +
                      std::to_string(ctx.self().value) + " has " + std::to_string(ctx.peer_count()) + " peers");
  }
}

Decision DecisionTable::decide(const Invocation& invocation, NodeContext& ctx) {
  if (invocation.hops != 0) return detail::run_here_or_reject(ctx);
  if (ctx.probed() || ctx.peer_count() == 0) return look_up(ctx);
  Probe everyone;
  for (std::size_t i = 0; i < ctx.peer_count(); ++i) everyone.peers.push_back(ctx.peer(i));
  return everyone;
}

Decision DecisionTable::look_up(NodeContext& ctx) const {
  const OptimalTable& table = *config_.table;
  // Every node full until heard otherwise: a peer that did not answer takes no work.
  boost::container::static_vector<std::uint32_t, kMaxProbePeers + 1> loads;
  for (const OptimalTableNode& node : table.nodes) loads.push_back(node.slots + node.queue);
  const auto note = [&](NodeId node, const LoadReport& load) {
    if (node.value < loads.size()) loads[node.value] = std::min(loads[node.value], load.load());
  };
  note(ctx.self(), ctx.local_load());
  for (const ProbeAnswer& answer : ctx.probe_answers()) note(answer.peer, answer.load);

  std::size_t state = 0;
  std::size_t stride = 1;
  for (std::size_t i = 0; i < loads.size(); ++i) {
    state += loads[i] * stride;
    stride *= table.nodes[i].slots + table.nodes[i].queue + 1;
  }
  const std::int32_t action = table.action(state, ctx.self().value);
  if (action < 0) return Reject{RejectReason::policy};
  const NodeId target{static_cast<std::uint32_t>(action)};
  if (target == ctx.self()) return detail::run_here_or_reject(ctx);
  return detail::forward_to(target, ctx);
}

}  // namespace fogsched::policies

FOGSCHED_REGISTER_POLICY(fogsched::policies::DecisionTable)
