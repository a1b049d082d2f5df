// One policy conformance suite for both runtimes: every built-in policy runs in the
// simulator with each node's calls recorded (RecordingPolicy), then each node's
// calls are replayed into a live-mode context (LiveNodeState) put in the state the
// simulator showed, with a fresh instance of the same configured policy. The two
// recordings must match call by call: the queries the policy made and their
// answers, its effects, its decisions and its random stream. The live side must
// also accept every decision under the runtime's contract checks; and every breach of
// the contract is refused by both runtimes with the same message from core.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include "fogsched/analysis/optimal.h"
#include "fogsched/app/optimal_table.h"
#include "fogsched/core/decision_rules.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/learned_model.h"
#include "fogsched/core/optimal_table.h"
#include "fogsched/core/text_file.h"
#include "fogsched/live/live_context.h"
#include "fogsched/plugins/plugin.h"
#include "fogsched/sim/runner.h"
#include "recording_policy.h"
#include "sim_fixtures.h"

namespace fogsched {
namespace {

using namespace std::chrono_literals;
using live::LiveNodeState;
using testing::PolicyCall;
using testing::PolicyLog;
using testing::RecordingPolicy;

constexpr std::uint32_t kCameras = 5;
constexpr std::uint32_t kHopLimit = 1;

// Five loss nodes (K = 2) at 0.8 erlang per slot for 60 s: calls are rejected, run
// here and sent away all the time. Latencies of 2 to 3.3 ms one way against a 5 ms
// probe timeout: probes of far peers go unanswered, so re-entries see partial
// answers. Seed 7 (loss_cluster's), replication 0.
Scenario conformance_scenario() {
  Scenario s = sim::testing::loss_cluster(kCameras, 2, 0.8, 60s);
  s.hop_limit = kHopLimit;
  s.network.latency_base = 1ms;
  s.network.latency_per_km = 10ms;
  s.network.probe_timeout = 5ms;
  return s;
}

// Paths a policy's run must take for the comparison to mean something (bit flags).
enum Path : unsigned {
  kProbes = 1u << 0,
  kForwards = 1u << 1,
  kGossipToSome = 1u << 2,
  kGossipToAll = 1u << 3,
};

struct PolicyCase {
  std::string spec;
  unsigned paths = 0;  // Path flags
};

void PrintTo(const PolicyCase& c, std::ostream* out) { *out << c.spec; }

std::string case_name(const ::testing::TestParamInfo<PolicyCase>& info) {
  std::string name;
  for (char c : info.param.spec) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_')
      name += c;
    else if (c == '(' || c == ',')
      name += '_';
  }
  return name;
}

// What the runs did, counted over every node's calls.
struct PathCounts {
  std::uint32_t probes = 0;
  std::uint32_t partial_probe_answers = 0;  // re-entries missing some probed peer
  std::uint32_t forwards = 0;
  std::uint32_t rejects = 0;
  std::uint32_t run_local = 0;
  std::uint32_t gossip_to_some = 0;
  std::uint32_t gossip_to_all = 0;
  std::uint32_t timers = 0;
  std::uint32_t completions = 0;
};

PathCounts count_paths(const PolicyLog& log) {
  PathCounts counts;
  for (std::uint32_t node = 0; node < log.node_count(); ++node) {
    std::unordered_map<std::uint64_t, std::size_t> probed_peers;  // by invocation id
    for (const PolicyCall& call : log.calls_of(NodeId{node})) {
      if (call.hook == testing::Hook::complete) ++counts.completions;
      if (call.hook == testing::Hook::timer) ++counts.timers;
      for (const testing::ContextEntry& e : call.entries) {
        if (e.call.starts_with("gossip_load(")) ++counts.gossip_to_some;
        if (e.call == "gossip_load_to_all()") ++counts.gossip_to_all;
      }
      if (!call.decision) continue;
      const std::uint64_t id = call.invocation->id.value;
      if (call.inputs.probed && call.inputs.answers.size() < probed_peers.at(id)) ++counts.partial_probe_answers;
      if (const auto* probe = std::get_if<Probe>(&*call.decision)) {
        ++counts.probes;
        probed_peers[id] = probe->peers.size();
      }
      if (std::holds_alternative<Forward>(*call.decision)) ++counts.forwards;
      if (std::holds_alternative<Reject>(*call.decision)) ++counts.rejects;
      if (std::holds_alternative<RunLocal>(*call.decision)) ++counts.run_local;
    }
  }
  return counts;
}

// The first place where two recordings of one node differ, described for a human;
// none when they are identical. Within a call: the call itself, the random state,
// the queries and effects in order, the decision, the random state after, and last
// the inputs the runtime had bound (which the policy may not have asked for).
std::optional<std::string> first_difference(NodeId node, const std::vector<PolicyCall>& sim,
                                            const std::vector<PolicyCall>& live) {
  for (std::size_t i = 0; i < std::min(sim.size(), live.size()); ++i) {
    const PolicyCall& s = sim[i];
    const PolicyCall& l = live[i];
    const std::string at = fmt::format("node {}, call {} ({})", node.value, i, s.title());
    if (s.title() != l.title()) return fmt::format("{}: the live side made call `{}`", at, l.title());
    if (testing::state_of(s.rng_before) != testing::state_of(l.rng_before)) {
      return fmt::format("{}: random state before the call: sim {}, live {}", at,
                         testing::describe(testing::state_of(s.rng_before)),
                         testing::describe(testing::state_of(l.rng_before)));
    }
    for (std::size_t e = 0; e < std::min(s.entries.size(), l.entries.size()); ++e) {
      if (s.entries[e] != l.entries[e]) {
        return fmt::format("{}: query {}: sim `{}` -> `{}`, live `{}` -> `{}`", at, e, s.entries[e].call,
                           s.entries[e].answer, l.entries[e].call, l.entries[e].answer);
      }
    }
    if (s.entries.size() != l.entries.size()) {
      const bool sim_longer = s.entries.size() > l.entries.size();
      const testing::ContextEntry& extra = sim_longer ? s.entries[l.entries.size()] : l.entries[s.entries.size()];
      return fmt::format("{}: {} queries on the sim side, {} on the live side; first extra ({}): `{}` -> `{}`", at,
                         s.entries.size(), l.entries.size(), sim_longer ? "sim" : "live", extra.call, extra.answer);
    }
    const std::string sim_decision = s.decision ? testing::describe(*s.decision) : "none";
    const std::string live_decision = l.decision ? testing::describe(*l.decision) : "none";
    if (sim_decision != live_decision) {
      return fmt::format("{}: decision: sim {}, live {}", at, sim_decision, live_decision);
    }
    if (testing::state_of(s.rng_after) != testing::state_of(l.rng_after)) {
      return fmt::format("{}: random state after the call: sim {}, live {}", at,
                         testing::describe(testing::state_of(s.rng_after)),
                         testing::describe(testing::state_of(l.rng_after)));
    }
    if (const std::string sim_in = testing::describe(s.inputs), live_in = testing::describe(l.inputs);
        sim_in != live_in) {
      return fmt::format("{}: bound inputs: sim {}, live {}", at, sim_in, live_in);
    }
  }
  if (sim.size() != live.size()) {
    return fmt::format("node {}: {} calls recorded in the simulator, {} replayed in live mode", node.value, sim.size(),
                       live.size());
  }
  return std::nullopt;
}

// What check_decision() must make of `decision` for `invocation`.
void expect_checked_as(const CheckedDecision& checked, const Decision& decision, const Invocation& invocation,
                       const std::string& where) {
  const bool at_hop_limit = invocation.hops >= kHopLimit;
  if (const auto* forward = std::get_if<Forward>(&decision)) {
    EXPECT_EQ(checked.hop_limit_enforced, at_hop_limit) << where;
    if (at_hop_limit) {
      EXPECT_EQ(checked.step, Step::run_local) << where;
    } else {
      EXPECT_EQ(checked.step, Step::forward) << where;
      EXPECT_EQ(checked.peer, forward->peer) << where;
    }
  } else if (const auto* probe = std::get_if<Probe>(&decision)) {
    EXPECT_EQ(checked.hop_limit_enforced, at_hop_limit) << where;
    if (at_hop_limit) {
      EXPECT_EQ(checked.step, Step::run_local) << where;
    } else {
      ASSERT_EQ(checked.step, Step::probe) << where;
      ASSERT_NE(checked.probe_peers, nullptr) << where;
      EXPECT_EQ(*checked.probe_peers, probe->peers) << where;
    }
  } else if (const auto* reject = std::get_if<Reject>(&decision)) {
    EXPECT_EQ(checked.step, Step::reject) << where;
    EXPECT_EQ(checked.reason, reject->reason) << where;
    EXPECT_FALSE(checked.hop_limit_enforced) << where;
  } else {
    EXPECT_EQ(checked.step, Step::run_local) << where;
    EXPECT_FALSE(checked.hop_limit_enforced) << where;
  }
}

// Puts what the simulator's node remembered into the live node's memory. A memory
// breaks ties among its least loaded peers by its own history of gossip, which a
// replay cannot repeat; so the peers go in by ascending load (an order the memory
// keeps), the one the simulator chose among the tied placed where the same draw
// picks it. The replay then still checks the draw, the load and age answered, and
// what the policy does with them.
void remember_as_simulated(LiveNodeState& state, const PolicyCall& call) {
  const testing::CallInputs& in = call.inputs;
  for (NodeId peer : in.peers) state.forget_known_load(peer);
  std::vector<std::pair<NodeId, KnownLoad>> known = in.known;
  std::stable_sort(known.begin(), known.end(),
                   [](const auto& a, const auto& b) { return a.second.load.load() < b.second.load.load(); });
  const auto query = std::find_if(call.entries.begin(), call.entries.end(),
                                  [](const testing::ContextEntry& e) { return e.chosen.has_value(); });
  if (query != call.entries.end() && !known.empty()) {
    const auto tied = static_cast<std::size_t>(std::count_if(known.begin(), known.end(), [&](const auto& entry) {
      return entry.second.load.load() == known.front().second.load.load();
    }));
    auto draw = std::bit_cast<Rng>(query->rng_before);
    const std::size_t pick = tied > 1 ? static_cast<std::size_t>(draw.uniform_index(tied)) : 0;
    const auto chosen = std::find_if(known.begin(), known.begin() + static_cast<std::ptrdiff_t>(tied),
                                     [&](const auto& entry) { return entry.first == *query->chosen; });
    if (chosen != known.begin() + static_cast<std::ptrdiff_t>(tied)) {
      const auto entry = *chosen;
      known.erase(chosen);
      known.insert(known.begin() + static_cast<std::ptrdiff_t>(pick), entry);
    }
  }
  for (const auto& [peer, k] : known) state.record_known_load(peer, k.load, in.now - k.age);
}

// Replays the simulator's calls of `node` into a live-mode context running a fresh
// instance of `live_config`, recording them into `live_log`. Before each call the
// context is given the simulator's view: its clock, peer list, loads heard from
// peers and the function's running count; its random stream is seeded once, from
// the simulator's state at the first call, and then left to evolve.
void replay_on_live(const PolicyConfig& live_config, NodeId node, const std::vector<PolicyCall>& sim_calls,
                    PolicyLog& live_log) {
  ASSERT_FALSE(sim_calls.empty()) << "node " << node.value << " made no policy calls";
  Time clock_now{};
  std::uint32_t gossip_sends = 0;  // as the node service would see them
  std::uint32_t timers_armed = 0;
  LiveNodeState state(
      node, sim_calls.front().rng_before, [&clock_now] { return clock_now; }, kHopLimit, live_config.canonical,
      LiveNodeState::Effects{.gossip = [&](std::span<const NodeId>, LoadReport) { ++gossip_sends; },
                             .set_timer = [&](Duration) { ++timers_armed; }});
  const FunctionId function = state.function_id("f");
  ASSERT_EQ(function, FunctionId{0}) << "the scenario's only function is function 0";
  RecordingPolicy policy(live_config.make(), live_log);

  for (std::size_t i = 0; i < sim_calls.size(); ++i) {
    const PolicyCall& call = sim_calls[i];
    const testing::CallInputs& in = call.inputs;
    const std::string where = fmt::format("node {}, call {} ({})", node.value, i, call.title());
    // Live nodes have no queue of their own; the scenario's loss nodes have none either.
    ASSERT_EQ(in.local_load.queued, 0u) << where;
    ASSERT_EQ(in.local_load.queue_capacity, 0u) << where;

    clock_now = in.now;
    state.set_available_peers(in.peers);
    remember_as_simulated(state, call);
    state.set_slots(function, in.local_load.slots);
    while (state.function_load(function).running > in.local_load.running) state.release_slot(function);
    while (state.function_load(function).running < in.local_load.running) {
      ASSERT_TRUE(state.try_acquire_slot(function)) << where;
    }

    try {
      switch (call.hook) {
        case testing::Hook::start: state.start(policy); break;
        case testing::Hook::timer: state.timer(policy); break;
        case testing::Hook::complete: state.complete(policy, *call.completion); break;
        case testing::Hook::decide: {
          const CheckedDecision checked = state.decide(policy, *call.invocation, in.answers, in.probed);
          const PolicyCall& live_call = live_log.calls_of(node).back();
          ASSERT_TRUE(live_call.decision.has_value()) << where;
          expect_checked_as(checked, *live_call.decision, *call.invocation, where);
          break;
        }
      }
    } catch (const PolicyContractError& error) {
      FAIL() << where << ": the live context refused the call: " << error.what();
    }
  }

  std::uint32_t gossip_calls = 0;
  std::uint32_t timer_calls = 0;
  for (const PolicyCall& call : live_log.calls_of(node)) {
    for (const testing::ContextEntry& e : call.entries) {
      if (e.call.starts_with("gossip_load")) ++gossip_calls;
      if (e.call.starts_with("set_timer(")) ++timer_calls;
    }
  }
  EXPECT_EQ(gossip_sends, gossip_calls) << "node " << node.value << ": gossip reaching Effects::gossip";
  EXPECT_EQ(timers_armed, timer_calls) << "node " << node.value << ": timers reaching Effects::set_timer";
}

// Replays every node's simulated calls into live mode running `live_config`; the
// first difference, or none. Stops at a replay that failed fatally.
std::optional<std::string> replay_difference(const PolicyConfig& live_config, const PolicyLog& sim_log) {
  PolicyLog live_log;
  for (std::uint32_t node = 0; node < sim_log.node_count(); ++node) {
    const std::vector<PolicyCall>& sim_calls = sim_log.calls_of(NodeId{node});
    replay_on_live(live_config, NodeId{node}, sim_calls, live_log);
    if (::testing::Test::HasFatalFailure()) return std::nullopt;
    if (auto difference = first_difference(NodeId{node}, sim_calls, live_log.calls_of(NodeId{node}))) {
      return difference;
    }
  }
  return std::nullopt;
}

// The simulator's recording of `config` on the conformance scenario.
PolicyLog record_simulation(const PolicyConfig& config) {
  const Scenario scenario = conformance_scenario();
  PolicyLog log;
  sim::simulate_replication(scenario, testing::recorded(config, log), sim::replication_seed(scenario.seed, 0));
  return log;
}

// Any registered policy can be checked: FOGSCHED_CHECK_POLICIES lists specs
// (separated by ';'), FOGSCHED_CHECK_PLUGINS the plugins (separated by ':') they come
// from (`make check-policy`, docs/policies.md).
std::vector<std::string> split_env(const char* name, char separator) {
  std::vector<std::string> items;
  const char* value = std::getenv(name);
  for (std::string_view rest = value != nullptr ? value : ""; !rest.empty();) {
    const auto end = rest.find(separator);
    if (end != 0) items.emplace_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return items;
}

// The file `table` replays in its case: the optimal decisions of the conformance
// cluster (kCameras loss nodes of 2 slots at 1.6/s, service rate 1/s) with forwards
// costing a tenth of a rejection, so the table runs, forwards and rejects.
constexpr std::string_view kConformanceTable = "conformance-table.json";

std::string conformance_table_text() {
  const std::vector<analysis::NodeModel> nodes(
      kCameras, analysis::NodeModel{.arrival_rate_per_s = 1.6, .service_rate_per_s = 1, .slots = 2, .queue = 0});
  const analysis::OptimalCosts costs{.forward = 0.1, .probe = 0};
  return to_json_text(app::optimal_table(nodes, costs, analysis::solve_optimal(nodes, costs)));
}

const PolicyRegistry& conformance_registry() {
  static const PolicyRegistry registry = [] {
    PolicyRegistry r = PolicyRegistry::with_builtins();
    r.read_files_with([](const std::filesystem::path& path) {
      return path == kConformanceTable ? conformance_table_text() : read_text_file(path);
    });
    for (const std::string& plugin : split_env("FOGSCHED_CHECK_PLUGINS", ':')) load_plugin(r, plugin);
    return r;
  }();
  return registry;
}

std::vector<PolicyCase> given_policy_cases() {
  std::vector<PolicyCase> cases;
  for (std::string& spec : split_env("FOGSCHED_CHECK_POLICIES", ';')) cases.push_back({std::move(spec), 0});
  return cases;
}

class SimAndLive : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(SimAndLive, SameQueriesAnswersEffectsAndDecisions) {
  const PolicyCase& c = GetParam();
  const PolicyConfig config = conformance_registry().parse(c.spec);
  const PolicyLog sim_log = record_simulation(config);
  ASSERT_EQ(sim_log.node_count(), kCameras);

  const PathCounts paths = count_paths(sim_log);
  EXPECT_GT(paths.rejects, 0u);
  EXPECT_GT(paths.run_local, 0u);
  EXPECT_GT(paths.completions, 0u);
  if ((c.paths & kProbes) != 0) {
    EXPECT_GT(paths.probes, 0u);
    EXPECT_GT(paths.partial_probe_answers, 0u);
  }
  if ((c.paths & kForwards) != 0) {
    EXPECT_GT(paths.forwards, 0u);
  }
  if ((c.paths & kGossipToSome) != 0) {
    EXPECT_GT(paths.gossip_to_some, 0u);
    EXPECT_GT(paths.timers, 0u);
  }
  if ((c.paths & kGossipToAll) != 0) {
    EXPECT_GT(paths.gossip_to_all, 0u);
    EXPECT_GT(paths.timers, 0u);
  }

  const std::optional<std::string> difference = replay_difference(config, sim_log);
  if (HasFatalFailure()) return;
  if (difference) FAIL() << c.spec << ": " << *difference;
}

// The built-in policies' cases: a new built-in adds its case here (the test after
// the next one fails until it does).
std::vector<PolicyCase> builtin_policy_cases() {
  return {PolicyCase{"local", 0}, PolicyCase{"random", kForwards}, PolicyCase{"round_robin", kForwards},
          PolicyCase{"threshold_random(threshold=1)", kForwards},
          PolicyCase{"power_of_d(d=2,threshold=1)", kProbes | kForwards},
          PolicyCase{"least_loaded(gossip_interval=200ms,fanout=0)", kForwards | kGossipToAll},
          PolicyCase{"least_loaded(gossip_interval=200ms,fanout=2)", kForwards | kGossipToSome},
          // Live mode has no cloud node, so the scenario has none either:
          // offloading has nowhere to go in both runtimes.
          PolicyCase{"cloud_offload(threshold=1)", 0},
          // Exploring from the start, so every action (and the updates on_complete
          // makes) shows within the recorded calls.
          PolicyCase{"sarsa(epsilon=0.5)", kProbes | kForwards},
          PolicyCase{"q_learning(epsilon=0.5,peer_buckets=2,gossip=200ms)", kProbes | kForwards | kGossipToAll},
          PolicyCase{"table(file=conformance-table.json)", kProbes | kForwards}};
}

INSTANTIATE_TEST_SUITE_P(conformance, SimAndLive, ::testing::ValuesIn(builtin_policy_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(given, SimAndLive, ::testing::ValuesIn(given_policy_cases()), case_name);

// ---- A trained model, deployed: `model=FILE,learn=false` decides alike in both runtimes.

// A model file written for one test, removed after it.
class ModelFile {
 public:
  ModelFile(const std::string& name, const LearnedModel& model)
      : path_(std::filesystem::temp_directory_path() / fmt::format("fogsched-{}-{}.json", name, ::getpid())) {
    write_learned_model(path_, model);
  }
  ~ModelFile() { std::filesystem::remove(path_); }
  ModelFile(const ModelFile&) = delete;
  ModelFile& operator=(const ModelFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One training episode of `spec` on the conformance scenario, from a run seed the
// replay never uses, as `fogsched train` would write it.
LearnedModel train_on_conformance_scenario(const PolicyRegistry& registry, std::string_view spec) {
  const Scenario scenario = conformance_scenario();
  const PolicyConfig config = registry.parse(spec);
  const sim::ReplicationResult trained =
      sim::simulate_replication(scenario, config, sim::episode_seed(scenario.seed, 0));
  LearnedModel model;
  model.policy = config.canonical;
  model.episodes = 1;
  std::vector<const LearnedTable*> tables;
  for (std::uint32_t camera = 0; camera < trained.learned.size(); ++camera) {
    if (!trained.learned[camera]) continue;
    tables.push_back(&model.nodes.emplace(camera, *trained.learned[camera]).first->second);
  }
  if (!tables.empty()) model.shared = merge_tables(tables);
  return model;
}

TEST(conformance, ATrainedModelDecidesAlikeLiveAndSimulated) {
  const PolicyRegistry& registry = conformance_registry();
  const LearnedModel trained = train_on_conformance_scenario(registry, "sarsa(epsilon=0.5)");
  ASSERT_EQ(trained.nodes.size(), kCameras);
  ASSERT_GT(trained.shared.total_visits(), 0u);
  const ModelFile file("conformance-model", trained);
  const PolicyConfig config = registry.parse(fmt::format("sarsa(model={},learn=false)", file.path().string()));

  const PolicyLog sim_log = record_simulation(config);
  ASSERT_EQ(sim_log.node_count(), kCameras);
  const PathCounts paths = count_paths(sim_log);
  EXPECT_GT(paths.run_local, 0u);
  EXPECT_GT(paths.rejects + paths.forwards + paths.probes, 0u) << "the trained table only ever runs calls here";
  const std::optional<std::string> difference = replay_difference(config, sim_log);
  if (HasFatalFailure()) return;
  if (difference) FAIL() << *difference;

  // The table decides: a node replaying an untrained one answers the same calls otherwise.
  LearnedModel untrained = trained;
  for (auto& [camera, table] : untrained.nodes) table = LearnedTable::zeros(table.shape);
  const ModelFile untrained_file("conformance-untrained-model", untrained);
  const PolicyConfig untrained_config =
      registry.parse(fmt::format("sarsa(model={},learn=false)", untrained_file.path().string()));
  EXPECT_TRUE(replay_difference(untrained_config, sim_log).has_value());
}

// ---- The contract checks: every runtime refuses the same breaches, with core's text.

// A policy breaking one rule of the contract, in decide() or in on_start().
struct Breach {
  std::string name;
  std::function<Decision(NodeContext&)> decide;  // none: decides RunLocal
  std::function<void(NodeContext&)> start;       // none: does nothing
  std::string message_part;                      // from core/decision_rules.cpp
  bool on_reentry = false;                       // the breach is the answer to a probe's results
};

void PrintTo(const Breach& b, std::ostream* out) { *out << b.name; }

Probe probe_of(std::initializer_list<NodeId> peers) {
  Probe p;
  p.peers.assign(peers.begin(), peers.end());
  return p;
}

// A node no runtime lists: not a peer, not the cloud.
constexpr NodeId kStranger{77};

Breach in_decide(std::string name, std::function<Decision(NodeContext&)> decide, std::string message_part,
                 bool on_reentry = false) {
  return Breach{std::move(name), std::move(decide), {}, std::move(message_part), on_reentry};
}
Breach in_start(std::string name, std::function<void(NodeContext&)> start, std::string message_part) {
  return Breach{std::move(name), {}, std::move(start), std::move(message_part), false};
}

std::vector<Breach> breaches() {
  return {
      in_decide(
          "forward_to_self", [](NodeContext& ctx) -> Decision { return Forward{ctx.self()}; }, "to itself"),
      in_decide(
          "forward_to_a_stranger", [](NodeContext&) -> Decision { return Forward{kStranger}; },
          "to node 77, which is not one of its peers nor its cloud"),
      in_decide(
          "probe_a_stranger", [](NodeContext&) -> Decision { return probe_of({kStranger}); },
          "to node 77, which is not one of its peers"),
      in_decide(
          "empty_probe", [](NodeContext&) -> Decision { return Probe{}; }, "returned a Probe with no peers"),
      in_decide(
          "peer_probed_twice",
          [](NodeContext& ctx) -> Decision {
            return probe_of({ctx.peer(0), ctx.peer(0)});
          },
          "twice at once"),
      in_decide(
          "probe_answering_a_probe", [](NodeContext& ctx) -> Decision { return probe_of({ctx.peer(0)}); },
          "answered a probe's results with another Probe", /*on_reentry=*/true),
      in_start(
          "zero_timer", [](NodeContext& ctx) { ctx.set_timer(Duration::zero()); },
          "armed a timer 0 ns from now; it must be positive"),
      in_start(
          "gossip_to_a_stranger",
          [](NodeContext& ctx) {
            const NodeId stranger[] = {kStranger};
            ctx.gossip_load(stranger);
          },
          "gossiped to node 77, which is not a peer"),
  };
}

class BreachingPolicy final : public Policy {
 public:
  explicit BreachingPolicy(Breach breach) : breach_(std::move(breach)) {}
  Decision decide(const Invocation&, NodeContext& ctx) override {
    return breach_.decide ? breach_.decide(ctx) : Decision{RunLocal{}};
  }
  void on_start(NodeContext& ctx) override {
    if (breach_.start) breach_.start(ctx);
  }

 private:
  Breach breach_;
};

// What the simulator throws when `breach`'s policy runs on the conformance scenario;
// "" when it throws nothing.
std::string simulator_refusal(const Breach& breach) {
  PolicyConfig config;
  config.name = config.canonical = "breaching";
  config.make = [breach] { return std::make_unique<BreachingPolicy>(breach); };
  const Scenario scenario = conformance_scenario();
  try {
    sim::simulate_replication(scenario, config, sim::replication_seed(scenario.seed, 0));
  } catch (const PolicyContractError& error) {
    return error.what();
  }
  return "";
}

// What live mode's context throws for `breach`'s policy on a node with peers 0 and 2;
// "" when it throws nothing.
std::string live_refusal(const Breach& breach) {
  LiveNodeState state(NodeId{1}, Rng(1), [] { return Time{}; }, kHopLimit, "breaching", {});
  state.set_available_peers({NodeId{0}, NodeId{2}});
  BreachingPolicy policy(breach);
  Invocation invocation;
  invocation.function = state.function_id("f");
  invocation.origin = NodeId{1};
  try {
    state.start(policy);
    state.decide(policy, invocation, {}, breach.on_reentry);
  } catch (const PolicyContractError& error) {
    return error.what();
  }
  return "";
}

enum class Runtime { sim, live };
void PrintTo(Runtime runtime, std::ostream* out) { *out << (runtime == Runtime::sim ? "sim" : "live"); }

class ContractChecks : public ::testing::TestWithParam<std::tuple<Runtime, Breach>> {};

TEST_P(ContractChecks, RefuseTheBreachWithCoresMessage) {
  const auto& [runtime, breach] = GetParam();
  const std::string refusal = runtime == Runtime::sim ? simulator_refusal(breach) : live_refusal(breach);
  ASSERT_FALSE(refusal.empty()) << breach.name << " was accepted";
  EXPECT_NE(refusal.find("policy 'breaching' at node "), std::string::npos) << refusal;
  EXPECT_NE(refusal.find(breach.message_part), std::string::npos) << refusal;
}

INSTANTIATE_TEST_SUITE_P(conformance, ContractChecks,
                         ::testing::Combine(::testing::Values(Runtime::sim, Runtime::live),
                                            ::testing::ValuesIn(breaches())),
                         [](const ::testing::TestParamInfo<std::tuple<Runtime, Breach>>& param_info) {
                           return std::string(std::get<0>(param_info.param) == Runtime::sim ? "sim_" : "live_") +
                                  std::get<1>(param_info.param).name;
                         });

// Every built-in policy is in the suite above.
TEST(conformance, CoversEveryBuiltinPolicy) {
  const PolicyRegistry& registry = conformance_registry();
  std::vector<std::string> covered;
  for (const PolicyCase& c : builtin_policy_cases()) covered.push_back(registry.parse(c.spec).name);
  for (const PolicyInfo* info : registry.all()) {
    EXPECT_NE(std::find(covered.begin(), covered.end(), info->name), covered.end())
        << info->name << " is not in the conformance suite";
  }
}

// The comparison finds a real difference and names where it is: a live policy that
// gossips to two random peers where the simulated one told them all differs at the
// first query of its first gossip round.
TEST(conformance, ReportsTheFirstDifferenceByNodeCallAndQuery) {
  const PolicyRegistry& registry = PolicyRegistry::with_builtins();
  const PolicyLog sim_log = record_simulation(registry.parse("least_loaded(gossip_interval=200ms,fanout=0)"));
  PolicyLog live_log;
  const NodeId node{1};
  replay_on_live(registry.parse("least_loaded(gossip_interval=200ms,fanout=2)"), node, sim_log.calls_of(node),
                 live_log);
  const auto difference = first_difference(node, sim_log.calls_of(node), live_log.calls_of(node));
  ASSERT_TRUE(difference.has_value());
  EXPECT_TRUE(difference->starts_with("node 1, call ")) << *difference;
  EXPECT_TRUE(
      difference->ends_with(" (on_timer): query 0: sim `gossip_load_to_all()` -> ``, live `peer_count()` -> `4`"))
      << *difference;
}

}  // namespace
}  // namespace fogsched
