#pragma once
// A policy decorator that records every call a runtime makes into a policy and
// everything the policy asks of its NodeContext, so two runtimes driving the same
// policy can be compared call by call (the sim/live conformance suite).
//
// RecordingPolicy wraps the real policy and hands it a RecordingContext, which
// forwards each NodeContext call to the runtime's context and logs the call with its
// answer. Answers are logged as text: one comparable form for every query and
// effect, readable as it stands in a failure message.
#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "fogsched/core/policy.h"
#include "fogsched/policies/registry.h"

namespace fogsched::testing {

// The generator's whole state: equal states draw equal streams.
using RngState = std::array<std::uint64_t, 4>;
static_assert(sizeof(Rng) == sizeof(RngState));
inline RngState state_of(const Rng& rng) { return std::bit_cast<RngState>(rng); }

inline std::string describe(const RngState& state) {
  return fmt::format("{:016x}{:016x}{:016x}{:016x}", state[0], state[1], state[2], state[3]);
}

inline std::string describe(const LoadReport& load) {
  return fmt::format("running={} queued={} slots={} queue_capacity={}", load.running, load.queued, load.slots,
                     load.queue_capacity);
}

inline std::string describe(std::span<const NodeId> nodes) {
  std::vector<std::uint32_t> ids;
  for (NodeId node : nodes) ids.push_back(node.value);
  return fmt::format("[{}]", fmt::join(ids, ", "));
}

inline std::string describe(const Invocation& inv) {
  return fmt::format("invocation {} (function {}, origin {}, hops {}, arrival {} ns, payload {} B)", inv.id.value,
                     inv.function.value, inv.origin.value, inv.hops, inv.arrival.time_since_epoch().count(),
                     inv.payload_bytes);
}

inline std::string describe(const Completion& c) {
  return fmt::format("completion of invocation {} (function {}, executed on {}, {}, response time {} ns)", c.id.value,
                     c.function.value, c.executed_on.value, to_string(c.outcome), c.response_time.count());
}

inline std::string describe(const Decision& decision) {
  struct Describe {
    std::string operator()(RunLocal) const { return "RunLocal"; }
    std::string operator()(Forward f) const { return fmt::format("Forward({})", f.peer.value); }
    std::string operator()(Reject r) const { return fmt::format("Reject({})", to_string(r.reason)); }
    std::string operator()(const Probe& p) const {
      return fmt::format("Probe({})", describe(std::span<const NodeId>(p.peers.data(), p.peers.size())));
    }
  };
  return std::visit(Describe{}, decision);
}

// One call the policy made on its context: "known_load(3)" answered "none", or an
// effect such as "set_timer(1000000 ns)" (answered "").
struct ContextEntry {
  std::string call;
  std::string answer;
  // least_loaded_known_peer(): the random state it was asked in, and its answer.
  RngState rng_before{};
  std::optional<NodeId> chosen;
  friend bool operator==(const ContextEntry&, const ContextEntry&) = default;
};

enum class Hook : std::uint8_t { start, timer, decide, complete };

inline const char* to_string(Hook hook) {
  switch (hook) {
    case Hook::start: return "on_start";
    case Hook::timer: return "on_timer";
    case Hook::decide: return "decide";
    case Hook::complete: return "on_complete";
  }
  return "unknown";
}

// What the runtime had bound when a call began, whether or not the policy asked:
// enough to put another runtime in the same state before the same call.
struct CallInputs {
  Time now{};
  NodeId self;
  LoadReport local_load;
  std::vector<NodeId> peers;
  std::vector<std::pair<NodeId, KnownLoad>> known;  // the peers heard from
  bool probed = false;
  std::vector<ProbeAnswer> answers;
};

inline std::string describe(const CallInputs& in) {
  std::string known;
  for (const auto& [peer, k] : in.known) {
    known += fmt::format("[{}: {} age={} ns]", peer.value, describe(k.load), k.age.count());
  }
  std::string answers;
  for (const ProbeAnswer& a : in.answers) answers += fmt::format("[{}: {}]", a.peer.value, describe(a.load));
  return fmt::format("now={} ns self={} local_load=({}) peers={} known={} probed={} answers={}",
                     in.now.time_since_epoch().count(), in.self.value, describe(in.local_load),
                     describe(std::span<const NodeId>(in.peers)), known, in.probed, answers);
}

// One call of a runtime into the policy.
struct PolicyCall {
  Hook hook = Hook::start;
  std::optional<Invocation> invocation;  // decide
  std::optional<Completion> completion;  // on_complete
  CallInputs inputs;
  Rng rng_before;
  Rng rng_after;
  std::vector<ContextEntry> entries;  // in the order the policy made them
  std::optional<Decision> decision;   // decide

  // "decide of invocation 12 (...)": which call this is, whatever the runtime.
  std::string title() const {
    std::string what = to_string(hook);
    if (invocation) what += " of " + describe(*invocation);
    if (completion) what += " of " + describe(*completion);
    return what;
  }
};

// The calls of every node, indexed by node id.
class PolicyLog {
 public:
  std::vector<PolicyCall>& calls_of(NodeId node) {
    if (node.value >= nodes_.size()) nodes_.resize(node.value + 1);
    return nodes_[node.value];
  }
  std::size_t node_count() const { return nodes_.size(); }
  const std::vector<PolicyCall>& calls_of(NodeId node) const { return nodes_.at(node.value); }

 private:
  std::vector<std::vector<PolicyCall>> nodes_;
};

// A NodeContext that forwards every call to `inner` and logs it with its answer.
class RecordingContext final : public NodeContext {
 public:
  RecordingContext(NodeContext& inner, std::vector<ContextEntry>& log) : inner_(inner), log_(log) {}

  Time now() const noexcept override {
    const Time t = inner_.now();
    log("now()", fmt::format("{} ns", t.time_since_epoch().count()));
    return t;
  }
  NodeId self() const noexcept override {
    const NodeId node = inner_.self();
    log("self()", std::to_string(node.value));
    return node;
  }
  LoadReport local_load() const noexcept override {
    const LoadReport load = inner_.local_load();
    log("local_load()", describe(load));
    return load;
  }
  std::size_t peer_count() const noexcept override {
    const std::size_t count = inner_.peer_count();
    log("peer_count()", std::to_string(count));
    return count;
  }
  NodeId peer(std::size_t index) const noexcept override {
    const NodeId node = inner_.peer(index);
    log(fmt::format("peer({})", index), std::to_string(node.value));
    return node;
  }
  std::optional<NodeId> cloud() const noexcept override {
    const std::optional<NodeId> node = inner_.cloud();
    log("cloud()", node ? std::to_string(node->value) : "none");
    return node;
  }
  std::optional<KnownLoad> known_load(NodeId peer) const noexcept override {
    const std::optional<KnownLoad> known = inner_.known_load(peer);
    log(fmt::format("known_load({})", peer.value),
        known ? fmt::format("{} age={} ns", describe(known->load), known->age.count()) : "none");
    return known;
  }
  // Logged with the random state it was asked in: a memory breaks ties by its own
  // history, so a replay needs the draw to put the same peer in the same place.
  std::optional<KnownPeer> least_loaded_known_peer() noexcept override {
    const RngState before = state_of(inner_.rng());
    const std::optional<KnownPeer> least = inner_.least_loaded_known_peer();
    log_.push_back(ContextEntry{.call = "least_loaded_known_peer()",
                                .answer = least ? fmt::format("{}: {} age={} ns", least->peer.value,
                                                              describe(least->known.load), least->known.age.count())
                                                : "none",
                                .rng_before = before,
                                .chosen = least ? std::optional(least->peer) : std::nullopt});
    return least;
  }
  bool probed() const noexcept override {
    const bool probed = inner_.probed();
    log("probed()", probed ? "true" : "false");
    return probed;
  }
  std::span<const ProbeAnswer> probe_answers() const noexcept override {
    const std::span<const ProbeAnswer> answers = inner_.probe_answers();
    std::string text;
    for (const ProbeAnswer& a : answers) text += fmt::format("[{}: {}]", a.peer.value, describe(a.load));
    log("probe_answers()", text);
    return answers;
  }
  // The state as handed out: draws that follow are checked by the next entry or by
  // the call's rng_after.
  Rng& rng() noexcept override {
    Rng& rng = inner_.rng();
    log("rng()", describe(state_of(rng)));
    return rng;
  }
  void gossip_load(std::span<const NodeId> peers) override {
    log(fmt::format("gossip_load({})", describe(peers)), "");
    inner_.gossip_load(peers);
  }
  void gossip_load_to_all() override {
    log("gossip_load_to_all()", "");
    inner_.gossip_load_to_all();
  }
  void set_timer(Duration after) override {
    log(fmt::format("set_timer({} ns)", after.count()), "");
    inner_.set_timer(after);
  }

 private:
  // NodeContext's queries are noexcept: a failed log append ends the test run.
  void log(std::string call, std::string answer) const noexcept {
    log_.push_back(ContextEntry{std::move(call), std::move(answer), {}, std::nullopt});
  }

  NodeContext& inner_;
  std::vector<ContextEntry>& log_;
};

// Wraps a policy: every hook call goes to it through a RecordingContext and is
// appended, with its inputs, answers and result, to the log of the calling node.
class RecordingPolicy final : public Policy {
 public:
  RecordingPolicy(std::unique_ptr<Policy> inner, PolicyLog& log) : inner_(std::move(inner)), log_(log) {}

  Decision decide(const Invocation& invocation, NodeContext& ctx) override {
    PolicyCall call = begin(Hook::decide, ctx);
    call.invocation = invocation;
    RecordingContext recording(ctx, call.entries);
    Decision decision = inner_->decide(invocation, recording);
    call.decision = decision;
    end(std::move(call), ctx);
    return decision;
  }
  void on_start(NodeContext& ctx) override {
    PolicyCall call = begin(Hook::start, ctx);
    RecordingContext recording(ctx, call.entries);
    inner_->on_start(recording);
    end(std::move(call), ctx);
  }
  void on_timer(NodeContext& ctx) override {
    PolicyCall call = begin(Hook::timer, ctx);
    RecordingContext recording(ctx, call.entries);
    inner_->on_timer(recording);
    end(std::move(call), ctx);
  }
  void on_complete(const Completion& completion, NodeContext& ctx) override {
    PolicyCall call = begin(Hook::complete, ctx);
    call.completion = completion;
    RecordingContext recording(ctx, call.entries);
    inner_->on_complete(completion, recording);
    end(std::move(call), ctx);
  }

 private:
  // The inputs are read from the runtime's context directly: they are not the
  // policy's queries and stay out of the entries.
  static PolicyCall begin(Hook hook, NodeContext& ctx) {
    PolicyCall call;
    call.hook = hook;
    CallInputs& in = call.inputs;
    in.now = ctx.now();
    in.self = ctx.self();
    in.local_load = ctx.local_load();
    for (std::size_t i = 0; i < ctx.peer_count(); ++i) {
      const NodeId peer = ctx.peer(i);
      in.peers.push_back(peer);
      if (const auto known = ctx.known_load(peer)) in.known.emplace_back(peer, *known);
    }
    in.probed = ctx.probed();
    const std::span<const ProbeAnswer> answers = ctx.probe_answers();
    in.answers.assign(answers.begin(), answers.end());
    call.rng_before = ctx.rng();
    return call;
  }
  void end(PolicyCall call, NodeContext& ctx) {
    call.rng_after = ctx.rng();
    log_.calls_of(call.inputs.self).push_back(std::move(call));
  }

  std::unique_ptr<Policy> inner_;
  PolicyLog& log_;
};

// `config` with every per-node instance wrapped in a RecordingPolicy logging to `log`.
inline PolicyConfig recorded(const PolicyConfig& config, PolicyLog& log) {
  PolicyConfig wrapped = config;
  wrapped.make = [make = config.make, &log] { return std::make_unique<RecordingPolicy>(make(), log); };
  return wrapped;
}

}  // namespace fogsched::testing
