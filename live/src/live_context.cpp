#include "fogsched/live/live_context.h"

#include <algorithm>
#include <utility>

namespace fogsched::live {

LiveNodeState::LiveNodeState(NodeId self, Rng rng, std::function<Time()> clock, std::uint32_t hop_limit,
                             std::string policy_name, Effects effects, std::size_t gossip_memory)
    : self_(self),
      rng_(rng),
      clock_(std::move(clock)),
      hop_limit_(hop_limit),
      policy_name_(std::move(policy_name)),
      effects_(std::move(effects)),
      known_(gossip_memory) {}

FunctionId LiveNodeState::function_id(std::string_view name) {
  std::string key(name);
  if (auto it = function_ids_.find(key); it != function_ids_.end()) return it->second;
  const FunctionId id{next_function_id_++};
  function_ids_.emplace(key, id);
  functions_.emplace(id.value, FunctionState{.name = std::move(key), .slots = 0, .running = 0});
  return id;
}

std::optional<FunctionId> LiveNodeState::find_function(std::string_view name) const {
  const auto it = function_ids_.find(std::string(name));
  if (it == function_ids_.end()) return std::nullopt;
  return it->second;
}

const std::string& LiveNodeState::function_name(FunctionId function) const {
  return functions_.at(function.value).name;
}

bool LiveNodeState::remove_function(FunctionId function) {
  const auto it = functions_.find(function.value);
  if (it == functions_.end() || it->second.running > 0) return false;
  function_ids_.erase(it->second.name);
  functions_.erase(it);
  return true;
}

void LiveNodeState::for_each_function(const FunctionVisitor& visit) const {
  for (const auto& [id, f] : functions_) {
    visit(FunctionId{id}, f.name, function_load(FunctionId{id}));
  }
}

void LiveNodeState::set_slots(FunctionId function, std::uint32_t slots) { functions_.at(function.value).slots = slots; }

LoadReport LiveNodeState::function_load(FunctionId function) const {
  const FunctionState& f = functions_.at(function.value);
  // Live nodes have no queue of their own: the watchdog rejects at max_inflight.
  return LoadReport{.running = f.running, .queued = 0, .slots = f.slots, .queue_capacity = 0};
}

LoadReport LiveNodeState::total_load() const {
  LoadReport total;
  for (const auto& [id, f] : functions_) {
    total.running += f.running;
    total.slots += f.slots;
  }
  return total;
}

bool LiveNodeState::try_acquire_slot(FunctionId function) {
  FunctionState& f = functions_.at(function.value);
  if (f.running >= f.slots) return false;
  ++f.running;
  return true;
}

void LiveNodeState::release_slot(FunctionId function) {
  FunctionState& f = functions_.at(function.value);
  if (f.running > 0) --f.running;
}

void LiveNodeState::set_available_peers(std::span<const NodeId> available) {
  peers_.assign(available.begin(), available.end());
  std::erase(peers_, self_);
}

bool LiveNodeState::is_available_peer(NodeId node) const {
  return std::find(peers_.begin(), peers_.end(), node) != peers_.end();
}

void LiveNodeState::record_known_load(NodeId peer, LoadReport load, Time measured_at) {
  known_.record(peer, load, measured_at);
}

CheckedDecision LiveNodeState::decide(Policy& policy, const Invocation& invocation,
                                      std::span<const ProbeAnswer> answers, bool reentry, bool local_full) {
  // Bound for this call only, also when the policy breaks the contract and throws:
  // hooks afterwards must see the node's overall load and no stale probe answers.
  struct Binding {
    LiveNodeState& state;
    ~Binding() {
      state.bound_function_.reset();
      state.bound_answers_ = {};
      state.bound_probed_ = false;
      state.bound_full_ = false;
    }
  } binding{*this};
  bound_function_ = invocation.function;
  bound_full_ = local_full;
  bound_answers_ = answers;
  bound_probed_ = reentry;
  const Decision decision = policy.decide(invocation, *this);
  CheckedDecision checked = check_decision(decision, invocation, reentry, rules());
  // The Decision dies here: a Probe's peers are handed over by value.
  if (checked.step == Step::probe) {
    probe_peers_ = *checked.probe_peers;
    checked.probe_peers = &probe_peers_;
  }
  return checked;
}

DecisionRules LiveNodeState::rules() const {
  return DecisionRules{.self = self_,
                       .hop_limit = hop_limit_,
                       .policy_name = policy_name_,
                       .is_peer = [this](NodeId node) { return is_available_peer(node); },
                       .cloud = cloud()};
}

void LiveNodeState::start(Policy& policy) { policy.on_start(*this); }
void LiveNodeState::timer(Policy& policy) { policy.on_timer(*this); }
void LiveNodeState::complete(Policy& policy, const Completion& completion) { policy.on_complete(completion, *this); }

LoadReport LiveNodeState::local_load() const noexcept {
  if (!bound_function_ || !functions_.contains(bound_function_->value)) return total_load();
  LoadReport load = function_load(*bound_function_);
  if (bound_full_) load.running = std::max(load.running, load.slots);
  return load;
}

std::optional<KnownLoad> LiveNodeState::known_load(NodeId peer) const noexcept { return known_.find(peer, now()); }

std::optional<KnownPeer> LiveNodeState::least_loaded_known_peer() noexcept {
  // A peer in back-off (or gone) may not be forwarded to: it is forgotten, and
  // remembered again when it next gossips. Each pass forgets one, so this ends.
  for (;;) {
    std::optional<KnownPeer> least = known_.least_loaded(now(), rng_);
    if (!least || is_available_peer(least->peer)) return least;
    known_.forget(least->peer);
  }
}

void LiveNodeState::gossip_load(std::span<const NodeId> peers) {
  check_gossip(peers, rules());
  if (effects_.gossip) effects_.gossip(peers, total_load());
}

void LiveNodeState::gossip_load_to_all() {
  if (effects_.gossip) effects_.gossip(peers_, total_load());
}

void LiveNodeState::set_timer(Duration after) {
  check_timer(after, rules());
  if (effects_.set_timer) effects_.set_timer(after);
}

}  // namespace fogsched::live
