#pragma once
// table: replays a decision table that `fogsched analyze --optimal --optimal-table FILE`
// wrote, so the optimum of a small cluster can be simulated and its exact value
// cross-checked.
//
// The table's actions depend on every node's load, which no node knows alone: at each
// client arrival this policy probes every peer and looks the whole state up (its own
// load and the answers; a peer that did not answer counts as full, and a load beyond
// the table's slots + queue as the table's most). It is the optimum's bound made
// visible, not a decentralised policy: it probes N - 1 peers per arrival, and only
// fits clusters of at most 17 nodes (one probe asks at most 16 peers).
#include <memory>

#include "fogsched/core/optimal_table.h"
#include "fogsched/core/policy.h"
#include "fogsched/policies/registry.h"

namespace fogsched::policies {

class DecisionTable final : public Policy {
 public:
  struct Config {
    PolicyFile file;  // the table (JSON, format fogsched-optimal-table)

    // Derived once per configuration: the parsed `file`.
    std::shared_ptr<const OptimalTable> table;
  };

  static PolicyInfo info();
  explicit DecisionTable(Config config);

  // Throws PolicyError when this cluster is not the table's (another node count).
  void on_start(NodeContext& ctx) override;
  Decision decide(const Invocation& invocation, NodeContext& ctx) override;

 private:
  Decision look_up(NodeContext& ctx) const;

  Config config_;
};

}  // namespace fogsched::policies
