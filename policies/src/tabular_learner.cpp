#include "fogsched/policies/tabular_learner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "fogsched/policies/policy_definition.h"
#include "peer_choice.h"

namespace fogsched::policies {

namespace {

// Decisions kept waiting for their rewards; beyond, the oldest is dropped unlearned
// (an invocation whose end never comes must not grow the node without bound).
constexpr std::size_t kMaxPending = 4096;

constexpr std::uint8_t bit(TabularLearner::Action action) { return static_cast<std::uint8_t>(1u << action); }

double halved(double start, double floor, std::uint64_t count, std::uint64_t half_life) {
  return std::max(floor, start * std::exp2(-static_cast<double>(count) / static_cast<double>(half_life)));
}

std::string shape_text(const std::vector<std::uint32_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace

template <class P>
PolicyInfo TabularLearner::define(std::string name, std::string doc) {
  constexpr double kCounts = 1e12;
  return PolicyDefinition<P>(std::move(name), std::move(doc))
      .param("model", &Config::model, {}, "learned model to start from (fogsched train --out); none: from zero")
      .param("learn", &Config::learn, {0, 1}, "explore and update the table; false replays it greedily")
      .param("shared", &Config::shared, {0, 1}, "start from the model's table shared by all cameras")
      .param("camera", &Config::camera, {-1, 1e6},
             "camera of the model whose table to start from; -1: this node's id (live, every node is 0)")
      .param("levels", &Config::levels, {2, 64}, "levels of this node's load; the top one means full")
      .param("peer_buckets", &Config::peer_buckets, {0, 16},
             "buckets of the lowest peer load heard by gossip (0: own load only)")
      .param("gossip", &Config::gossip, {0, 3600}, "period of sending this node's load to every peer (0: never)")
      .param("d", &Config::d, {1, static_cast<double>(kMaxProbePeers)}, "peers the probe action asks")
      .param("alpha", &Config::alpha, {0, 1}, "learning rate at an entry's first update")
      .param("alpha_min", &Config::alpha_min, {0, 1}, "learning rate never falls below this")
      .param("alpha_half_life", &Config::alpha_half_life, {1, kCounts},
             "updates of an entry after which its learning rate has halved")
      .param("epsilon", &Config::epsilon, {0, 1}, "exploration probability at the first decision")
      .param("epsilon_min", &Config::epsilon_min, {0, 1}, "exploration probability never falls below this")
      .param("epsilon_half_life", &Config::epsilon_half_life, {1, kCounts},
             "decisions after which the exploration probability has halved")
      .param("discount", &Config::discount, {0, 0.9999}, "weight of the next decision's value")
      .param("probe_cost", &Config::probe_cost, {0, 1000}, "cost of each peer probed, against 1 per rejection")
      .param("forward_cost", &Config::forward_cost, {0, 1000}, "cost of a forward, against 1 per rejection")
      .check([](const Config& c) {
        if (c.alpha_min > c.alpha) throw PolicyError("alpha_min must not exceed alpha");
        if (c.epsilon_min > c.epsilon) throw PolicyError("epsilon_min must not exceed epsilon");
        if (c.peer_buckets > 0 && c.gossip == Duration::zero()) {
          throw PolicyError("peer_buckets needs gossip > 0: peer loads are only heard by gossip");
        }
        if (!c.learn && !c.model.given()) throw PolicyError("learn=false replays a model: name one with model=FILE");
      })
      .prepare([](Config& c) {
        if (!c.model.given()) return;
        auto model = std::make_shared<LearnedModel>(parse_learned_model(*c.model.contents, c.model.path));
        const std::vector<std::uint32_t> shape = {c.states(), kActions};
        if (model->shared.shape != shape) {
          throw PolicyError(c.model.path + ": shared.shape: is " + shape_text(model->shared.shape) +
                            "; levels=" + std::to_string(c.levels) +
                            ", peer_buckets=" + std::to_string(c.peer_buckets) + " need " + shape_text(shape));
        }
        c.start = std::move(model);
      })
      .info();
}

PolicyInfo Sarsa::info() {
  return define<Sarsa>("sarsa", "tabular SARSA on own (and gossiped peer) load: run, forward, probe or reject");
}

PolicyInfo QLearning::info() {
  return define<QLearning>("q_learning",
                           "tabular Q-learning on own (and gossiped peer) load: run, forward, probe or reject");
}

TabularLearner::TabularLearner(Rule rule, Config config)
    : rule_(rule), config_(std::move(config)), table_(LearnedTable::zeros({config_.states(), kActions})) {}

void TabularLearner::on_start(NodeContext& ctx) {
  if (config_.start) {
    const auto camera = config_.camera >= 0 ? static_cast<std::uint32_t>(config_.camera) : ctx.self().value;
    table_ = config_.start->table_for(camera, config_.shared);
  }
  decisions_ = table_.total_visits();
  if (config_.gossip > Duration::zero()) ctx.set_timer(config_.gossip);
}

std::optional<LearnedTable> TabularLearner::learned_table() const {
  if (!config_.learn) return std::nullopt;
  return table_;
}

void TabularLearner::on_timer(NodeContext& ctx) {
  ctx.gossip_load_to_all();
  ctx.set_timer(config_.gossip);
}

std::uint32_t TabularLearner::state_of(NodeContext& ctx) const {
  const LoadReport load = ctx.local_load();
  const std::uint32_t top = config_.levels - 1;
  const std::uint32_t own = load.can_accept() ? std::min(load.load(), top - 1) : top;
  if (config_.peer_buckets == 0) return own;

  std::uint32_t bucket = config_.peer_buckets;  // never heard
  double lowest = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < ctx.peer_count(); ++i) {
    const std::optional<KnownLoad> known = ctx.known_load(ctx.peer(i));
    if (!known) continue;
    const std::uint32_t capacity = known->load.slots + known->load.queue_capacity;
    lowest = std::min(lowest, capacity == 0 ? 1.0 : static_cast<double>(known->load.load()) / capacity);
  }
  if (std::isfinite(lowest)) {
    bucket = std::min(config_.peer_buckets - 1, static_cast<std::uint32_t>(lowest * config_.peer_buckets));
  }
  return own * (config_.peer_buckets + 1) + bucket;
}

std::uint8_t TabularLearner::allowed_actions(NodeContext& ctx) {
  std::uint8_t allowed = bit(reject);
  if (ctx.local_load().can_accept()) allowed = static_cast<std::uint8_t>(allowed | bit(run_here));
  if (ctx.peer_count() > 0) allowed = static_cast<std::uint8_t>(allowed | bit(forward) | bit(probe));
  return allowed;
}

TabularLearner::Action TabularLearner::greedy(std::uint32_t state, std::uint8_t allowed) const {
  Action best = reject;
  double best_value = -std::numeric_limits<double>::infinity();
  for (std::uint8_t a = 0; a < kActions; ++a) {
    const auto action = static_cast<Action>(a);
    if ((allowed & bit(action)) != 0 && value(state, action) > best_value) {
      best = action;
      best_value = value(state, action);
    }
  }
  return best;
}

TabularLearner::Action TabularLearner::choose(std::uint32_t state, std::uint8_t allowed, NodeContext& ctx) {
  if (!config_.learn) return greedy(state, allowed);
  const double epsilon = halved(config_.epsilon, config_.epsilon_min, decisions_++, config_.epsilon_half_life);
  if (!ctx.rng().bernoulli(epsilon)) return greedy(state, allowed);
  std::uint8_t choices[kActions];
  std::uint8_t count = 0;
  for (std::uint8_t a = 0; a < kActions; ++a) {
    if ((allowed & bit(static_cast<Action>(a))) != 0) choices[count++] = a;
  }
  return static_cast<Action>(choices[ctx.rng().uniform_index(count)]);
}

Decision TabularLearner::carry_out(const Invocation& invocation, Action action, NodeContext& ctx) {
  Step* step = nullptr;
  if (config_.learn) step = &pending_.at(invocation.id.value);
  switch (action) {
    case run_here: return RunLocal{};
    case reject: return Reject{RejectReason::policy};
    case forward: {
      const std::optional<NodeId> peer = detail::random_peer(ctx);
      if (!peer) return detail::run_here_or_reject(ctx);
      if (step) step->forwarded = true;
      return detail::forward_to(*peer, ctx);
    }
    case probe: {
      Probe ask;
      detail::sample_distinct_peers(ctx, config_.d, ask.peers);
      if (ask.peers.empty()) return detail::run_here_or_reject(ctx);
      if (step) step->probes = static_cast<std::uint32_t>(ask.peers.size());
      return ask;
    }
  }
  return Reject{RejectReason::policy};
}

Decision TabularLearner::decide(const Invocation& invocation, NodeContext& ctx) {
  if (invocation.hops != 0) return detail::run_here_or_reject(ctx);

  if (ctx.probed()) {
    detail::LeastLoadedPeer best;
    for (const ProbeAnswer& answer : ctx.probe_answers()) {
      if (answer.peer != ctx.self() && answer.load.can_accept()) best.offer(answer.peer, answer.load.load(), ctx.rng());
    }
    const LoadReport load = ctx.local_load();
    if (!best.peer() || (load.can_accept() && best.load() >= load.load())) return detail::run_here_or_reject(ctx);
    if (config_.learn) {
      const auto it = pending_.find(invocation.id.value);
      if (it != pending_.end()) it->second.forwarded = true;
    }
    return detail::forward_to(*best.peer(), ctx);
  }

  const std::uint32_t state = state_of(ctx);
  const std::uint8_t allowed = allowed_actions(ctx);
  const Action action = choose(state, allowed, ctx);
  if (config_.learn) {
    if (last_) {
      const auto previous = pending_.find(*last_);
      if (previous != pending_.end()) {
        previous->second.followed = true;
        previous->second.next_state = state;
        previous->second.next_action = action;
        previous->second.next_allowed = allowed;
        learn_from(previous);
      }
    }
    if (pending_.size() >= kMaxPending) {
      if (last_ == pending_.begin()->first) last_.reset();
      pending_.erase(pending_.begin());
    }
    pending_.insert_or_assign(invocation.id.value, Step{.state = state, .action = action});
    last_ = invocation.id.value;
  }
  return carry_out(invocation, action, ctx);
}

void TabularLearner::on_complete(const Completion& completion, NodeContext& /*ctx*/) {
  if (!config_.learn) return;
  const auto it = pending_.find(completion.id.value);
  if (it == pending_.end()) return;
  Step& step = it->second;
  const bool failed = completion.outcome == Outcome::rejected || completion.outcome == Outcome::deadline_missed;
  step.reward =
      (failed ? -1.0 : 0.0) - config_.probe_cost * step.probes - (step.forwarded ? config_.forward_cost : 0.0);
  step.rewarded = true;
  learn_from(it);
}

void TabularLearner::learn_from(std::map<std::uint64_t, Step>::iterator it) {
  const Step& step = it->second;
  if (!step.rewarded || !step.followed) return;
  const double next = rule_ == Rule::sarsa ? value(step.next_state, step.next_action)
                                           : value(step.next_state, greedy(step.next_state, step.next_allowed));
  const std::size_t entry = step.state * kActions + step.action;
  const double alpha = halved(config_.alpha, config_.alpha_min, table_.visits[entry], config_.alpha_half_life);
  table_.values[entry] += alpha * (step.reward + config_.discount * next - table_.values[entry]);
  ++table_.visits[entry];
  if (last_ == it->first) last_.reset();
  pending_.erase(it);
}

}  // namespace fogsched::policies

FOGSCHED_REGISTER_POLICY(fogsched::policies::Sarsa)
FOGSCHED_REGISTER_POLICY(fogsched::policies::QLearning)
