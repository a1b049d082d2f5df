// The simulator against known results and its own invariants: Erlang-B, conservation
// of invocations, Little's law, the hop limit, the policy contract and determinism.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "fogsched/core/errors.h"
#include "fogsched/core/results.h"
#include "fogsched/policies/registry.h"
#include "fogsched/sim/runner.h"
#include "replication_statistics.h"
#include "sim_fixtures.h"

namespace fogsched::sim {
namespace {

using namespace std::chrono_literals;
using namespace fogsched::sim::testing;

// Erlang-B blocking probability of an M/M/K/K system offered `erlangs`.
double erlang_b(double erlangs, std::uint32_t slots) {
  double b = 1.0;
  for (std::uint32_t k = 1; k <= slots; ++k) b = erlangs * b / (k + erlangs * b);
  return b;
}

// A test policy from a lambda: the contract checks must hold for any policy.
template <class DecideFn>
PolicyConfig custom_policy(std::string name, DecideFn decide_fn) {
  struct Lambda final : Policy {
    explicit Lambda(DecideFn f) : fn(std::move(f)) {}
    Decision decide(const Invocation& inv, NodeContext& ctx) override { return fn(inv, ctx); }
    DecideFn fn;
  };
  PolicyConfig config;
  config.name = name;
  config.canonical = name;
  config.make = [decide_fn] { return std::make_unique<Lambda>(decide_fn); };
  return config;
}

struct Totals {
  std::uint64_t arrived = 0, ended = 0;
};

Totals totals(const MetricsCollector& m) {
  return {m.client_invocations, m.completed + m.rejected + m.deadline_missed + m.failed + m.in_flight_at_end};
}

// --- Erlang-B -------------------------------------------------------------------

struct ErlangCase {
  std::uint32_t slots;
  double load;  // per slot
};

class ErlangB : public ::testing::TestWithParam<ErlangCase> {};

TEST_P(ErlangB, LocalOnLossNodesMatchesErlangB) {
  // Seed 7, 8 replications of 10 nodes x 1500 s; tolerance 3 standard errors of the
  // replication mean.
  const auto [slots, load] = GetParam();
  const Scenario s = loss_cluster(10, slots, load, 1500s);
  const RunOutput out = run_scenario(s, {builtin("local")}, options(2));
  std::vector<double> p;
  for (const ReplicationResult& r : out.replications[0]) p.push_back(r.summary.rejection_probability);
  const auto [mean, standard_error] = fogsched::testing::mean_and_error(p);
  const double exact = erlang_b(load * slots, slots);
  EXPECT_LT(standard_error, 0.01) << "too few samples to test anything";
  EXPECT_NEAR(mean, exact, 3 * standard_error) << "K=" << slots << " load=" << load;
  EXPECT_NEAR(out.report.results[0].rejection_probability.mean, mean, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(SeveralSlotsAndLoads, ErlangB,
                         ::testing::Values(ErlangCase{1, 0.5}, ErlangCase{2, 0.8}, ErlangCase{4, 0.6},
                                           ErlangCase{4, 0.9}, ErlangCase{8, 0.7}),
                         [](const ::testing::TestParamInfo<ErlangCase>& param_info) {
                           return "K" + std::to_string(param_info.param.slots) + "_load" +
                                  std::to_string(static_cast<int>(param_info.param.load * 100));
                         });

// --- Conservation and Little's law ---------------------------------------------------

TEST(Conservation, EveryArrivalEndsExactlyOnceForEveryPolicy) {
  Scenario s = loss_cluster(16, 2, 0.85, 300s);
  s.cameras.queue = 2;
  s.network.latency_base = 2ms;
  s.network.probe_bytes = 200;
  s.network.bandwidth_bps = 100e6;
  s.functions[0].payload_bytes = 150'000;
  s.functions[0].deadline = 1500ms;
  s.workload[0].arrivals.hotspot_count = 3;
  s.workload[0].arrivals.hotspot_factor = 3;
  s.cloud.enabled = true;
  s.cloud.slots = 8;
  s.cloud.latency = 40ms;
  s.replications = 2;
  for (const char* spec :
       {"local", "random", "round_robin", "threshold_random(threshold=2)", "power_of_d(d=2,threshold=2)",
        "least_loaded(gossip_interval=500ms)", "cloud_offload(threshold=2)"}) {
    const RunOutput out = run_scenario(s, {builtin(spec)}, options(1, true));
    for (std::size_t r = 0; r < out.replications[0].size(); ++r) {
      const MetricsCollector& m = out.replications[0][r].metrics;
      const Totals t = totals(m);
      EXPECT_GT(t.arrived, 1000u) << spec;
      EXPECT_EQ(t.arrived, t.ended) << spec;
      EXPECT_EQ(out.traces[r].records.size(), m.completed + m.rejected + m.deadline_missed + m.failed) << spec;
      for (const InvocationRecord& rec : out.traces[r].records) {
        EXPECT_LE(rec.hops, s.hop_limit) << spec;
        EXPECT_LE(rec.arrival, rec.start) << spec;
        EXPECT_LE(rec.start, rec.end) << spec;
        if (rec.decision == DecisionKind::forward) {
          EXPECT_NE(rec.executed_on, rec.origin) << spec;
        }
      }
    }
  }
}

TEST(Conservation, LittlesLawHoldsForBusySlots) {
  // Mean number of busy slots (utilisation x K x N) = throughput x mean service time.
  // Seed 7, one replication of 2000 s; tolerance 2 % (boundary effects are far smaller).
  Scenario s = loss_cluster(8, 3, 0.7, 2000s);
  s.replications = 1;
  const RunOutput out = run_scenario(s, {builtin("local")}, options(1, true));
  const double window_s = to_seconds(s.duration - s.warmup);
  double service_sum = 0;
  for (const InvocationRecord& rec : out.traces[0].records) {
    if (rec.outcome != Outcome::rejected) service_sum += to_seconds(rec.end - rec.start);
  }
  const double mean_busy = out.replications[0][0].summary.utilization * 3 * 8;
  EXPECT_NEAR(mean_busy, service_sum / window_s, 0.02 * mean_busy);
}

// --- Runtime invariants ------------------------------------------------------------

TEST(HopLimit, RuntimeStopsForwardingChains) {
  // A policy that forwards everything, forwarded invocations included.
  auto always_forward = custom_policy("always_forward", [](const Invocation&, NodeContext& ctx) -> Decision {
    return Forward{ctx.peer(ctx.rng().uniform_index(ctx.peer_count()))};
  });
  for (std::uint32_t limit : {1u, 3u}) {
    Scenario s = loss_cluster(6, 2, 0.5, 100s);
    s.hop_limit = limit;
    s.replications = 1;
    const RunOutput out = run_scenario(s, {always_forward}, options(1, true));
    const MetricsCollector& m = out.replications[0][0].metrics;
    EXPECT_EQ(totals(m).arrived, totals(m).ended);
    EXPECT_GT(m.hop_limit_enforced, 0u);
    std::uint32_t max_hops = 0;
    for (const InvocationRecord& rec : out.traces[0].records) max_hops = std::max(max_hops, rec.hops);
    EXPECT_EQ(max_hops, limit);
  }
}

TEST(Contract, ForwardToSelfIsRejectedLoudly) {
  auto self_forward = custom_policy(
      "self_forward", [](const Invocation&, NodeContext& ctx) -> Decision { return Forward{ctx.self()}; });
  const Scenario s = loss_cluster(3, 1, 0.5, 10s);
  EXPECT_THROW(run_scenario(s, {self_forward}), PolicyContractError);
}

TEST(Contract, ASecondProbeIsAViolation) {
  auto probe_forever = custom_policy("probe_forever", [](const Invocation&, NodeContext& ctx) -> Decision {
    Probe p;
    p.peers.push_back(ctx.peer(0));
    return p;
  });
  const Scenario s = loss_cluster(3, 1, 0.5, 10s);
  EXPECT_THROW(run_scenario(s, {probe_forever}), PolicyContractError);
}

TEST(Contract, ProbeAnswersComeBackInOrderAndReenterDecide) {
  // Probe every peer, then check the answers on re-entry: one per peer, in order.
  int reentries = 0;
  auto probe_all = custom_policy("probe_all", [&reentries](const Invocation&, NodeContext& ctx) -> Decision {
    if (!ctx.probed()) {
      Probe p;
      for (std::size_t i = 0; i < ctx.peer_count(); ++i) p.peers.push_back(ctx.peer(i));
      return p;
    }
    ++reentries;
    EXPECT_EQ(ctx.probe_answers().size(), ctx.peer_count());
    for (std::size_t i = 0; i < ctx.probe_answers().size(); ++i) {
      EXPECT_EQ(ctx.probe_answers()[i].peer, ctx.peer(i));
    }
    return RunLocal{};
  });
  Scenario s = loss_cluster(4, 1, 0.5, 20s);
  s.network.latency_base = 1ms;
  s.replications = 1;
  s.warmup = 0s;
  const RunOutput out = run_scenario(s, {probe_all});
  EXPECT_GT(reentries, 0);
  const MetricsCollector& m = out.replications[0][0].metrics;
  EXPECT_EQ(m.probe_messages, 3 * m.client_invocations);  // every client invocation probes all 3 peers
}

TEST(Contract, APolicyWithItsOwnOnCompleteHearsEveryEndAtTheOrigin) {
  // Made through PolicyMaker::of, whose objects the simulator skips on_complete for
  // when they keep Policy's (which does nothing): this one has its own.
  struct Counting final : Policy {
    explicit Counting(std::uint64_t* heard) : heard(heard) {}
    Decision decide(const Invocation&, NodeContext& ctx) override {
      return ctx.self().value == 0 ? Decision{Forward{ctx.peer(0)}} : Decision{RunLocal{}};
    }
    void on_complete(const Completion&, NodeContext&) override { ++*heard; }
    std::uint64_t* heard;
  };
  std::uint64_t heard = 0;
  PolicyConfig counting{.name = "counting", .canonical = "counting", .values = {}, .make = {}};
  counting.make = PolicyMaker::of<Counting>(&heard);
  ASSERT_TRUE(counting.make.hears_completions());
  Scenario s = loss_cluster(3, 1, 0.5, 20s);
  s.network.latency_base = 1ms;
  s.replications = 1;
  s.warmup = 0s;
  const RunOutput out = run_scenario(s, {counting});
  const MetricsCollector& m = out.replications[0][0].metrics;
  EXPECT_GT(m.forwarded, 0u) << "node 0 forwards all it gets: ends are heard away from where they ran";
  EXPECT_EQ(heard, m.completed + m.rejected + m.deadline_missed + m.failed);
}

TEST(Probes, TimedOutProbesFallBackToLocal) {
  // Probes need 2 x 5 ms; the timeout is 1 ms, so power_of_d never hears an answer
  // and must behave like local: it never forwards.
  Scenario s = loss_cluster(8, 1, 0.9, 200s);
  s.network.latency_base = 5ms;
  s.network.probe_timeout = 1ms;
  s.replications = 1;
  const RunOutput out = run_scenario(s, {builtin("power_of_d(d=2,threshold=1)")});
  const MetricsCollector& m = out.replications[0][0].metrics;
  EXPECT_GT(m.probe_messages, 0u);
  EXPECT_EQ(m.forwarded, 0u);
}

TEST(Gossip, LeastLoadedSendsOneMessagePerPeerPerInterval) {
  Scenario s = loss_cluster(5, 2, 0.5, 100s);
  s.warmup = 0s;
  s.replications = 1;
  const RunOutput out = run_scenario(s, {builtin("least_loaded(gossip_interval=1s)")});
  const double expected = 5.0 * 4.0 * 100.0;  // nodes x peers x intervals
  EXPECT_NEAR(static_cast<double>(out.replications[0][0].metrics.gossip_messages), expected, 5 * 4);
}

// Every node gossips to every peer each second; each decision counts the peers its
// node remembers. With network.gossip_memory = 3 among 12 cameras a node remembers
// exactly 3 once it has heard from that many, never more, and the least loaded
// remembered peer is one of them.
TEST(Gossip, ANodeRemembersAtMostGossipMemoryPeers) {
  struct Counts {
    std::size_t most_remembered = 0;
    std::size_t decisions = 0;
    std::size_t least_not_remembered = 0;
  };
  struct Remembering final : Policy {
    explicit Remembering(std::shared_ptr<Counts> c) : counts(std::move(c)) {}
    void on_start(NodeContext& ctx) override { ctx.set_timer(1s); }
    void on_timer(NodeContext& ctx) override {
      ctx.gossip_load_to_all();
      ctx.set_timer(1s);
    }
    Decision decide(const Invocation&, NodeContext& ctx) override {
      std::size_t remembered = 0;
      for (std::size_t i = 0; i < ctx.peer_count(); ++i) remembered += ctx.known_load(ctx.peer(i)).has_value();
      counts->most_remembered = std::max(counts->most_remembered, remembered);
      ++counts->decisions;
      if (const auto least = ctx.least_loaded_known_peer(); least && !ctx.known_load(least->peer)) {
        ++counts->least_not_remembered;
      }
      return RunLocal{};
    }
    std::shared_ptr<Counts> counts;
  };
  Scenario s = loss_cluster(12, 2, 0.5, 30s);
  s.replications = 1;
  s.network.gossip_memory = 3;
  auto counts = std::make_shared<Counts>();
  PolicyConfig config;
  config.name = config.canonical = "remembering";
  config.make = [counts] { return std::make_unique<Remembering>(counts); };
  run_scenario(s, {config}, options(1));
  EXPECT_GT(counts->decisions, 100u);
  EXPECT_EQ(counts->most_remembered, 3u);
  EXPECT_EQ(counts->least_not_remembered, 0u);
}

// --- Workload ------------------------------------------------------------------

TEST(Workload, EveryPolicySeesTheSameArrivals) {
  // Common random numbers: arrivals depend on the seed only, never on the policy.
  Scenario s = loss_cluster(10, 2, 0.9, 100s);
  s.replications = 3;
  const RunOutput out = run_scenario(s, {builtin("local"), builtin("random"), builtin("power_of_d")});
  for (std::uint32_t r = 0; r < 3; ++r) {
    EXPECT_EQ(out.replications[0][r].metrics.client_invocations, out.replications[1][r].metrics.client_invocations);
    EXPECT_EQ(out.replications[0][r].metrics.client_invocations, out.replications[2][r].metrics.client_invocations);
  }
}

TEST(Workload, PoissonRateAndProfileAreHonoured) {
  // 10 cameras at 2/s for 1000 s, doubled from 500 s on: expect 30 000 arrivals,
  // standard deviation about 173; tolerance 4 sd. Seed 7.
  Scenario s = loss_cluster(10, 100, 0.1, 1000s);
  s.warmup = 0s;
  s.replications = 1;
  s.workload[0].arrivals.load.reset();
  s.workload[0].arrivals.rate_per_s = 2.0;
  s.workload[0].arrivals.profile = {{0s, 1.0}, {500s, 2.0}};
  const RunOutput out = run_scenario(s, {builtin("local")});
  EXPECT_NEAR(static_cast<double>(out.replications[0][0].metrics.client_invocations), 30000.0, 4 * 173.0);
}

TEST(Workload, WarmupArrivalsAreNotMeasured) {
  Scenario s = loss_cluster(10, 100, 0.1, 1000s);
  s.workload[0].arrivals.load.reset();
  s.workload[0].arrivals.rate_per_s = 2.0;
  s.replications = 1;
  s.warmup = 900s;  // 100 s measured: 2000 arrivals expected, sd ~45; tolerance 5 sd
  const RunOutput out = run_scenario(s, {builtin("local")});
  EXPECT_NEAR(static_cast<double>(out.replications[0][0].metrics.client_invocations), 2000.0, 5 * 45.0);
}

TEST(Cooperation, PowerOfDBeatsLocalWithHotSpots) {
  Scenario s = loss_cluster(20, 4, 0.5, 300s);
  s.workload[0].arrivals.hotspot_count = 4;
  s.workload[0].arrivals.hotspot_factor = 3;
  s.replications = 3;
  const RunOutput out = run_scenario(s, {builtin("local"), builtin("power_of_d(d=2,threshold=3)")});
  const double local = out.report.results[0].rejection_probability.mean;
  const double pod = out.report.results[1].rejection_probability.mean;
  EXPECT_LT(pod, 0.5 * local);
  EXPECT_GT(out.report.results[1].forwarded_fraction.mean, 0.01);
}

// --- Determinism ------------------------------------------------------------------

TEST(Determinism, SameSeedSameResultsWhateverTheThreadCount) {
  Scenario s = loss_cluster(12, 2, 0.8, 120s);
  s.replications = 4;
  const std::vector<PolicyConfig> policies{builtin("power_of_d"), builtin("least_loaded")};
  const std::string one = to_json(run_scenario(s, policies, options(1)).report);
  const std::string two = to_json(run_scenario(s, policies, options(2)).report);
  EXPECT_EQ(one, two);
  RunOptions other_seed = options(2);
  other_seed.seed = 8;
  const std::string other = to_json(run_scenario(s, policies, other_seed).report);
  EXPECT_NE(one, other);
}

// The look-ahead only starts loading records early: with it forced on or off, a
// small city (off by default) and one past the size where it starts (on by
// default) give byte-identical results, for policies that probe, gossip, forward
// and run locally.
TEST(Determinism, TheLookAheadNeverChangesResults) {
  const std::vector<PolicyConfig> policies{builtin("power_of_d"), builtin("least_loaded(fanout=2)"), builtin("random"),
                                           builtin("local")};
  for (const auto& [cameras, duration] : {std::pair{std::uint32_t{12}, 120s}, std::pair{std::uint32_t{9'000}, 3s}}) {
    Scenario s = loss_cluster(cameras, 2, 0.8, duration);
    s.replications = 2;
    std::vector<std::string> reports;
    for (const LookAhead mode : {LookAhead::automatic, LookAhead::always, LookAhead::never}) {
      RunOptions o = options(2);
      o.look_ahead = mode;
      reports.push_back(to_json(run_scenario(s, policies, o).report));
    }
    EXPECT_EQ(reports[0], reports[1]) << cameras << " cameras";
    EXPECT_EQ(reports[0], reports[2]) << cameras << " cameras";
  }
}

// --- Batches -----------------------------------------------------------------------

// Scenarios of different sizes, replications and policy lists: 1 + 3 + 2 x 2 tasks.
std::vector<ScenarioRun> three_runs() {
  std::vector<ScenarioRun> runs(3);
  runs[0].scenario = loss_cluster(12, 2, 0.6, 60s);
  runs[0].scenario.replications = 1;
  runs[0].policies = {builtin("power_of_d")};
  runs[1].scenario = loss_cluster(8, 1, 0.9, 40s);
  runs[1].scenario.replications = 3;
  runs[1].policies = {builtin("local")};
  runs[2].scenario = loss_cluster(10, 3, 0.7, 50s);
  runs[2].scenario.replications = 2;
  runs[2].scenario.seed = 21;
  runs[2].policies = {builtin("least_loaded"), builtin("power_of_d(d=2,threshold=1)")};
  return runs;
}

TEST(Batch, EachRunOfABatchEqualsItsRunAlone) {
  const std::vector<ScenarioRun> runs = three_runs();
  std::vector<double> fractions;
  RunOptions on_two = options(2, true);
  on_two.progress = [&fractions](double done) { fractions.push_back(done); };
  const std::vector<RunOutput> batch = run_scenarios(runs, on_two);
  ASSERT_EQ(batch.size(), runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunOutput alone = run_scenario(runs[i].scenario, runs[i].policies, options(1, true));
    EXPECT_EQ(to_json(batch[i].report), to_json(alone.report)) << "run " << i;
    ASSERT_EQ(batch[i].traces.size(), alone.traces.size());
    for (std::size_t t = 0; t < alone.traces.size(); ++t) {
      EXPECT_EQ(batch[i].traces[t].records.size(), alone.traces[t].records.size());
    }
  }
  ASSERT_FALSE(fractions.empty());
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
  EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
}

TEST(Batch, ASeedOverrideAppliesToEveryRun) {
  std::vector<ScenarioRun> runs = three_runs();
  RunOptions reseeded = options(2);
  reseeded.seed = 5;
  reseeded.replications = 2;
  const std::vector<RunOutput> batch = run_scenarios(runs, reseeded);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    EXPECT_EQ(to_json(batch[i].report), to_json(run_scenario(runs[i].scenario, runs[i].policies, reseeded).report));
  }
}

TEST(Batch, TheFirstFailingRunsErrorSurfacesAsWhenItRunsAlone) {
  const PolicyConfig self_forward = custom_policy(
      "self_forward", [](const Invocation&, NodeContext& ctx) -> Decision { return Forward{ctx.self()}; });
  const PolicyConfig probe_forever =
      custom_policy("probe_forever", [](const Invocation&, NodeContext& ctx) -> Decision {
        Probe p;
        p.peers.push_back(ctx.peer(0));
        return p;
      });
  std::vector<ScenarioRun> runs = three_runs();
  runs[1].policies = {builtin("local"), self_forward};
  runs[2].policies = {probe_forever};
  std::string alone;
  try {
    run_scenario(runs[1].scenario, runs[1].policies, options(1));
  } catch (const PolicyContractError& e) {
    alone = e.what();
  }
  ASSERT_FALSE(alone.empty());
  for (const std::uint32_t threads : {1u, 2u}) {
    std::string in_batch;
    try {
      run_scenarios(runs, options(threads));
    } catch (const PolicyContractError& e) {
      in_batch = e.what();
    }
    EXPECT_EQ(in_batch, alone) << threads << " threads";
  }
}

TEST(Batch, NoRunsGiveNoOutputs) { EXPECT_TRUE(run_scenarios({}, options(2)).empty()); }

TEST(Cancellation, ASetFlagStopsTheRun) {
  const Scenario s = loss_cluster(10, 2, 0.8, 100000s);
  std::atomic<bool> cancel{true};
  RunOptions cancelled = options();
  cancelled.cancel = &cancel;
  EXPECT_THROW(run_scenario(s, {builtin("local")}, cancelled), Cancelled);
  const std::vector<ScenarioRun> runs{{s, {builtin("local")}}, {s, {builtin("power_of_d")}}};
  EXPECT_THROW(run_scenarios(runs, cancelled), Cancelled);
}

}  // namespace
}  // namespace fogsched::sim
