// Cost of one `decide` call of each built-in policy, made through the registry as
// the simulator makes it, against a fake node with 100 peers. Each case sets the
// node's load so the policy takes one of its interesting branches: below its
// threshold (run here) and above it (forward, probe, or pick among known loads).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fogsched/core/known_loads.h"
#include "fogsched/core/policy.h"
#include "fogsched/policies/registry.h"

namespace {

using namespace fogsched;

constexpr std::uint32_t kPeers = 100;
constexpr std::uint32_t kSlots = 4;

// A node with peers 1..peers (self is node 0) whose state a case sets directly.
// Lookups are flat vectors so the fake's own cost stays small beside the policy's.
class FakeNodeContext final : public NodeContext {
 public:
  // `memory`: peers whose known load the node remembers (network.gossip_memory).
  explicit FakeNodeContext(std::uint32_t peers = kPeers, std::uint32_t memory = kDefaultGossipMemory)
      : known_loads_(memory), random_(42) {
    for (std::uint32_t i = 1; i <= peers; ++i) peers_.emplace_back(i);
  }

  Time now() const noexcept override { return Time{}; }
  NodeId self() const noexcept override { return NodeId{0}; }
  LoadReport local_load() const noexcept override { return load_; }
  std::size_t peer_count() const noexcept override { return peers_.size(); }
  NodeId peer(std::size_t index) const noexcept override { return peers_[index]; }
  std::optional<NodeId> cloud() const noexcept override {
    return NodeId{static_cast<std::uint32_t>(peers_.size() + 1)};
  }
  std::optional<KnownLoad> known_load(NodeId peer_id) const noexcept override {
    return known_loads_.find(peer_id, now());
  }
  std::optional<KnownPeer> least_loaded_known_peer() noexcept override {
    return known_loads_.least_loaded(now(), random_);
  }
  bool probed() const noexcept override { return !answers_.empty(); }
  std::span<const ProbeAnswer> probe_answers() const noexcept override { return answers_; }
  Rng& rng() noexcept override { return random_; }
  void gossip_load(std::span<const NodeId> /*peers*/) override {}
  void gossip_load_to_all() override {}
  void set_timer(Duration /*after*/) override {}

  // `running` executions on a loss node with kSlots slots.
  void set_local_load(std::uint32_t running) {
    load_ = LoadReport{.running = running, .queued = 0, .slots = kSlots, .queue_capacity = 0};
  }
  // Every peer heard from (the memory keeps the last `memory` of them), with loads
  // 0..kSlots spread over the peers (ties included).
  void know_every_peer() {
    for (std::uint32_t i = 1; i <= peers_.size(); ++i) {
      known_loads_.record(NodeId{i}, peer_load(i % (kSlots + 1)), now() - std::chrono::seconds{1});
    }
  }
  // Makes decide() the re-entry after a probe of two peers.
  void answer_probe() { answers_ = {ProbeAnswer{NodeId{17}, peer_load(1)}, ProbeAnswer{NodeId{42}, peer_load(2)}}; }

 private:
  static LoadReport peer_load(std::uint32_t running) {
    return LoadReport{.running = running, .queued = 0, .slots = kSlots, .queue_capacity = 0};
  }

  std::vector<NodeId> peers_;
  KnownLoads known_loads_;
  std::vector<ProbeAnswer> answers_;
  LoadReport load_;
  Rng random_;
};

struct DecideCase {
  std::string name;  // "policy/branch"
  std::string spec;  // as a scenario names the policy
  std::function<void(FakeNodeContext&)> set_up;
  std::uint32_t peers = kPeers;
  std::uint32_t memory = kDefaultGossipMemory;
};

const auto kIdle = [](FakeNodeContext& ctx) { ctx.set_local_load(1); };
const auto kFull = [](FakeNodeContext& ctx) { ctx.set_local_load(kSlots); };
const auto kAllKnown = [](FakeNodeContext& ctx) {
  ctx.set_local_load(kSlots);
  ctx.know_every_peer();
};

std::vector<DecideCase> decide_cases() {
  return {
      {"local/free_slot", "local", kIdle},
      {"random/forward", "random", kIdle},
      {"round_robin/forward", "round_robin", kIdle},
      {"threshold_random/below", "threshold_random(threshold=3)", kIdle},
      {"threshold_random/above", "threshold_random(threshold=3)", kFull},
      {"power_of_d/below", "power_of_d(d=2,threshold=3)", kIdle},
      {"power_of_d/probe", "power_of_d(d=2,threshold=3)", kFull},
      {"power_of_d/reentry", "power_of_d(d=2,threshold=3)",
       [](FakeNodeContext& ctx) {
         ctx.set_local_load(kSlots);
         ctx.answer_probe();
       }},
      // Every peer heard from, remembering them all or the default 64.
      {"least_loaded/all_known/100", "least_loaded", kAllKnown, 100, 100},
      {"least_loaded/all_known/100000", "least_loaded", kAllKnown, 100'000, 100'000},
      {"least_loaded/memory_default/100", "least_loaded", kAllKnown, 100, kDefaultGossipMemory},
      {"least_loaded/memory_default/100000", "least_loaded", kAllKnown, 100'000, kDefaultGossipMemory},
      {"cloud_offload/below", "cloud_offload(threshold=3)", kIdle},
      {"cloud_offload/above", "cloud_offload(threshold=3)", kFull},
  };
}

void decide_benchmark(benchmark::State& state, const DecideCase& decide_case) {
  const std::unique_ptr<Policy> policy = PolicyRegistry::with_builtins().parse(decide_case.spec).make();
  FakeNodeContext ctx(decide_case.peers, decide_case.memory);
  decide_case.set_up(ctx);
  const Invocation invocation{.id = InvocationId{1}, .function = FunctionId{0}, .origin = NodeId{0}};
  for (auto _ : state) {
    Decision decision = policy->decide(invocation, ctx);
    benchmark::DoNotOptimize(decision);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
  for (const DecideCase& decide_case : decide_cases()) {
    benchmark::RegisterBenchmark(("BM_Decide/" + decide_case.name).c_str(), decide_benchmark, decide_case);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
