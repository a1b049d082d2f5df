#pragma once
// sarsa and q_learning: per-camera tabular reinforcement learning, trained in the
// simulator (`fogsched train`) and deployed unchanged (`model=FILE, learn=false`
// replays a trained table; `learn=true` keeps learning, live too).
//
// State: this node's load for the invocation's function in `levels` levels (0 ..
// levels-2, larger loads sharing levels-2; the top level means "cannot accept") and,
// with peer_buckets > 0, the lowest load (as a fraction of slots + queue) this node
// last heard from a peer by gossip, in peer_buckets buckets plus one for "never heard".
// Actions: run here, forward to a uniform peer, probe d peers then forward to the
// least loaded that can accept when it is less loaded than this node or this node
// cannot accept (else run here, else reject), reject. Running here
// is not offered when the node cannot accept, forwarding and probing not when it has
// no peers.
//
// Reward of a client invocation, learned when it ends (on_complete): -1 when it was
// rejected or missed its deadline, minus probe_cost per peer probed and forward_cost
// when it was forwarded. The update of decision k waits for both its reward and
// decision k+1 at the same node:
//   sarsa:      Q(s,a) += alpha (r + discount Q(s',a') - Q(s,a))
//   q_learning: Q(s,a) += alpha (r + discount max_b Q(s',b) - Q(s,a))
// with alpha = max(alpha_min, alpha 2^(-v / alpha_half_life)) for an entry updated v
// times, and exploration epsilon = max(epsilon_min, epsilon 2^(-n / epsilon_half_life))
// after n decisions (counted by the table's visits, so it carries over episodes).
// Greedy choices break ties in action order (run, forward, probe, reject). All
// randomness comes from the context's stream: training is reproducible.
#include <cstdint>
#include <map>
#include <memory>

#include "fogsched/core/learned_model.h"
#include "fogsched/core/policy.h"
#include "fogsched/policies/registry.h"

namespace fogsched::policies {

class TabularLearner : public Policy {
 public:
  enum class Rule : std::uint8_t { sarsa, q_learning };
  enum Action : std::uint8_t { run_here, forward, probe, reject };
  static constexpr std::uint32_t kActions = 4;

  struct Config {
    PolicyFile model;          // start from this learned model (none: from zero)
    bool learn = true;         // explore and update; false replays the table greedily
    bool shared = false;       // start from the model's table shared by all cameras
    std::int64_t camera = -1;  // start from this camera's table; -1: this node's own id
    std::uint32_t levels = 8;
    std::uint32_t peer_buckets = 0;
    Duration gossip{};    // how often to send this node's load to every peer; 0: never
    std::uint32_t d = 2;  // peers the probe action asks
    double alpha = 0.1;
    double alpha_min = 0.01;
    std::uint64_t alpha_half_life = 10'000;
    double epsilon = 0.2;
    double epsilon_min = 0.01;
    std::uint64_t epsilon_half_life = 200'000;
    double discount = 0.98;
    double probe_cost = 0;
    double forward_cost = 0;

    // Derived once per configuration: the parsed `model`.
    std::shared_ptr<const LearnedModel> start;

    std::uint32_t states() const { return levels * (peer_buckets > 0 ? peer_buckets + 1 : 1); }
  };

  TabularLearner(Rule rule, Config config);

  const Config& config() const { return config_; }

  void on_start(NodeContext& ctx) override;
  void on_timer(NodeContext& ctx) override;
  Decision decide(const Invocation& invocation, NodeContext& ctx) override;
  void on_complete(const Completion& completion, NodeContext& ctx) override;
  // The table, while learning; none when replaying (learn=false).
  std::optional<LearnedTable> learned_table() const override;

 protected:
  // The parameters and checks both rules share.
  template <class P>
  static PolicyInfo define(std::string name, std::string doc);

 private:
  // A decision waiting for its reward and for the next decision at this node.
  struct Step {
    std::uint32_t state = 0;
    Action action = run_here;
    std::uint32_t probes = 0;
    bool forwarded = false;
    bool rewarded = false;
    double reward = 0;
    bool followed = false;
    std::uint32_t next_state = 0;
    Action next_action = run_here;
    std::uint8_t next_allowed = 0;  // bit per action
  };

  std::uint32_t state_of(NodeContext& ctx) const;
  static std::uint8_t allowed_actions(NodeContext& ctx);
  Action choose(std::uint32_t state, std::uint8_t allowed, NodeContext& ctx);
  Action greedy(std::uint32_t state, std::uint8_t allowed) const;
  Decision carry_out(const Invocation& invocation, Action action, NodeContext& ctx);
  void learn_from(std::map<std::uint64_t, Step>::iterator it);
  double& value(std::uint32_t state, Action action) { return table_.values[state * kActions + action]; }
  double value(std::uint32_t state, Action action) const { return table_.values[state * kActions + action]; }

  Rule rule_;
  Config config_;
  LearnedTable table_;
  std::uint64_t decisions_ = 0;
  std::map<std::uint64_t, Step> pending_;  // by invocation id, oldest first
  std::optional<std::uint64_t> last_;      // the latest decision still pending
};

class Sarsa final : public TabularLearner {
 public:
  static PolicyInfo info();
  explicit Sarsa(Config config) : TabularLearner(Rule::sarsa, std::move(config)) {}
};

class QLearning final : public TabularLearner {
 public:
  static PolicyInfo info();
  explicit QLearning(Config config) : TabularLearner(Rule::q_learning, std::move(config)) {}
};

}  // namespace fogsched::policies
