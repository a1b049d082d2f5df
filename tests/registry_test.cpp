// The policy registry: the built-in catalogue, spec parsing, canonical names and
// every configuration error's message.
#include <algorithm>
#include <array>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fogsched/core/errors.h"
#include "fogsched/core/optimal_table.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/units.h"
#include "fogsched/policies/least_loaded.h"
#include "fogsched/policies/policy_definition.h"
#include "fogsched/policies/power_of_d.h"
#include "fogsched/policies/registry.h"
#include "fogsched/policies/threshold_random.h"

namespace fogsched {
namespace {

using namespace std::chrono_literals;
using testing::ElementsAre;

const PolicyRegistry& registry() {
  static const PolicyRegistry builtins = PolicyRegistry::with_builtins();
  return builtins;
}

// The message of the PolicyError `action` throws ("" if it throws none).
template <class Action>
std::string policy_error(Action action) {
  try {
    action();
  } catch (const PolicyError& error) {
    return error.what();
  }
  return "";
}

std::string parse_error(std::string_view spec) {
  return policy_error([&] { registry().parse(spec); });
}

std::vector<std::string> param_names(const PolicyInfo& info) {
  std::vector<std::string> names;
  for (const ParamSpec& param : info.params) names.push_back(param.name);
  return names;
}

// ---- catalogue ---------------------------------------------------------------------

// A new built-in registers itself (FOGSCHED_REGISTER_POLICY): this list need not
// grow with it, only hold the ones the documentation names.
TEST(PolicyRegistry, ListsEveryBuiltinPolicySortedByName) {
  std::vector<std::string> names;
  for (const PolicyInfo* info : registry().all()) names.push_back(info->name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_THAT(names, testing::IsSupersetOf({"cloud_offload", "least_loaded", "local", "power_of_d", "random",
                                            "round_robin", "threshold_random"}));
  for (const PolicyInfo* info : registry().all()) EXPECT_EQ(info->source, "built in") << info->name;
}

TEST(PolicyRegistry, EveryPolicyAndParameterIsDocumentedAndItsDefaultsConfigure) {
  for (const PolicyInfo* info : registry().all()) {
    SCOPED_TRACE(info->name);
    EXPECT_FALSE(info->doc.empty());
    EXPECT_EQ(info->doc.find('\n'), std::string::npos);
    for (const ParamSpec& param : info->params) {
      EXPECT_FALSE(param.doc.empty()) << param.name;
      EXPECT_EQ(param.doc.find('\n'), std::string::npos) << param.name;
      EXPECT_LE(param.min, param.max) << param.name;
    }
    // The one policy that cannot run on its defaults: it replays a file, named or refused.
    if (info->name == "table") {
      EXPECT_EQ(policy_error([&] { registry().parse(info->name); }), "name the table with file=FILE");
      continue;
    }
    const PolicyConfig config = registry().parse(info->name);
    ASSERT_TRUE(config.make);
    EXPECT_NE(config.make(), nullptr);
  }
}

TEST(PolicyRegistry, DeclaresParametersInOrder) {
  EXPECT_THAT(param_names(*registry().find("power_of_d")), ElementsAre("d", "threshold"));
  EXPECT_THAT(param_names(*registry().find("least_loaded")), ElementsAre("gossip_interval", "fanout"));
  EXPECT_THAT(param_names(*registry().find("threshold_random")), ElementsAre("threshold"));
  EXPECT_THAT(param_names(*registry().find("cloud_offload")), ElementsAre("threshold"));
  EXPECT_TRUE(registry().find("local")->params.empty());
  EXPECT_EQ(registry().find("nonexistent"), nullptr);
}

TEST(PolicyRegistry, RefusesADuplicateName) {
  PolicyRegistry local_registry = PolicyRegistry::with_builtins();
  EXPECT_THROW(local_registry.add(*registry().find("local")), std::logic_error);
}

TEST(PolicyRegistry, RefusesADefaultOutsideItsOwnRange) {
  PolicyRegistry local_registry;
  PolicyInfo info{.name = "broken",
                  .doc = "a declaration bug",
                  .params = {ParamSpec{
                      .name = "k", .type = ParamType::integer, .default_value = "0", .min = 1, .max = 5, .doc = "k"}},
                  .configure = [](const ParamValues&) -> PolicyMaker { return {}; }};
  EXPECT_THROW(local_registry.add(std::move(info)), std::logic_error);
}

// ---- parsing and canonical names ---------------------------------------------------

TEST(PolicyRegistry, NameAloneIsTheCanonicalFormOfAPolicyWithoutParameters) {
  const PolicyConfig config = registry().parse("local");
  EXPECT_EQ(config.name, "local");
  EXPECT_EQ(config.canonical, "local");
  EXPECT_EQ(registry().parse("local()").canonical, "local");
}

TEST(PolicyRegistry, CanonicalFormListsEveryParameterInDeclarationOrderWithDefaults) {
  EXPECT_EQ(registry().parse("power_of_d").canonical, "power_of_d(d=2,threshold=3)");
  EXPECT_EQ(registry().parse("power_of_d(threshold=5)").canonical, "power_of_d(d=2,threshold=5)");
  EXPECT_EQ(registry().parse("power_of_d(threshold=5,d=3)").canonical, "power_of_d(d=3,threshold=5)");
  EXPECT_EQ(registry().parse("least_loaded").canonical, "least_loaded(gossip_interval=1s,fanout=0)");
  EXPECT_EQ(registry().parse("cloud_offload").canonical, "cloud_offload(threshold=4)");
}

TEST(PolicyRegistry, ToleratesWhitespace) {
  EXPECT_EQ(registry().parse("  power_of_d ( d = 3 ,\tthreshold= 5 )  ").canonical, "power_of_d(d=3,threshold=5)");
  EXPECT_EQ(registry().parse(" local ").canonical, "local");
}

TEST(PolicyRegistry, CanonicalFormParsesBackToItself) {
  const std::vector<std::string> specs = {"local",
                                          "random",
                                          "round_robin",
                                          "threshold_random(threshold=7)",
                                          "power_of_d(d=16,threshold=1)",
                                          "least_loaded(gossip_interval=250ms,fanout=3)",
                                          "least_loaded(gossip_interval=1.5s)",
                                          "cloud_offload(threshold=2)"};
  for (const std::string& spec : specs) {
    const std::string canonical = registry().parse(spec).canonical;
    EXPECT_EQ(registry().parse(canonical).canonical, canonical) << spec;
  }
}

TEST(PolicyRegistry, ValuesReachThePolicysTypedConfig) {
  const PolicyConfig config = registry().parse("power_of_d(d=3,threshold=7)");
  EXPECT_EQ(config.values.integer("d"), 3);
  EXPECT_EQ(config.values.integer("threshold"), 7);
  const auto policy = config.make();
  const auto* power_of_d = dynamic_cast<const policies::PowerOfD*>(policy.get());
  ASSERT_NE(power_of_d, nullptr);
  EXPECT_EQ(power_of_d->config().d, 3u);
  EXPECT_EQ(power_of_d->config().threshold, 7u);

  const auto threshold_random = registry().parse("threshold_random(threshold=9)").make();
  EXPECT_EQ(dynamic_cast<const policies::ThresholdRandom&>(*threshold_random).config().threshold, 9u);
}

TEST(PolicyRegistry, MakerBuildsIndependentInstancesPerNode) {
  const PolicyConfig config = registry().parse("round_robin");
  const auto first = config.make();
  const auto second = config.make();
  EXPECT_NE(first.get(), second.get());
}

TEST(PolicyRegistry, MakerBuildsInRoomOnlyWhenTheObjectFits) {
  using policies::PowerOfD;
  const PolicyConfig config = registry().parse("power_of_d(d=3,threshold=7)");
  alignas(PowerOfD) std::array<std::byte, 2 * sizeof(PowerOfD)> room{};
  const std::span<std::byte> all(room);

  Policy* placed = config.make(all);
  ASSERT_EQ(static_cast<void*>(placed), static_cast<void*>(room.data()));
  EXPECT_EQ(dynamic_cast<const PowerOfD&>(*placed).config().d, 3u);
  placed->~Policy();

  EXPECT_EQ(config.make(all.first(sizeof(PowerOfD) - 1)), nullptr) << "too small";
  EXPECT_EQ(config.make(all.subspan(1)), nullptr) << "large enough, but misaligned";

  // A maker given as a callable (Python policies, tests) builds on the heap only.
  const PolicyMaker heap_only = [] { return std::unique_ptr<Policy>(std::make_unique<PowerOfD>(PowerOfD::Config{})); };
  EXPECT_EQ(heap_only(all), nullptr);
  EXPECT_NE(heap_only(), nullptr);
}

// Test policies for PolicyMaker::hears_completions: one keeps Policy's on_complete,
// one declares its own, and one inherits its base's.
struct Deaf : Policy {
  Decision decide(const Invocation&, NodeContext&) override { return RunLocal{}; }
};
struct Listening : Deaf {
  void on_complete(const Completion&, NodeContext&) override {}
};
struct ListeningThroughItsBase final : Listening {};

TEST(PolicyRegistry, MakerKnowsWhetherItsObjectsHearCompletions) {
  EXPECT_FALSE(PolicyMaker::of<Deaf>().hears_completions());
  EXPECT_TRUE(PolicyMaker::of<Listening>().hears_completions());
  EXPECT_TRUE(PolicyMaker::of<ListeningThroughItsBase>().hears_completions());
  EXPECT_FALSE(registry().parse("power_of_d").make.hears_completions());
  EXPECT_TRUE(registry().parse("q_learning").make.hears_completions()) << "it learns from completions";
  // A callable's type is unknown: its objects are taken to listen.
  const PolicyMaker callable = [] { return std::unique_ptr<Policy>(std::make_unique<Deaf>()); };
  EXPECT_TRUE(callable.hears_completions());
}

TEST(PolicyRegistry, DurationsAreCanonicalisedAndTyped) {
  // Durations read the same however written, and print as format_duration does.
  const PolicyConfig config = registry().parse("least_loaded(gossip_interval=0.5s,fanout=2)");
  EXPECT_EQ(config.canonical, "least_loaded(gossip_interval=" + format_duration(500ms) + ",fanout=2)");
  EXPECT_EQ(registry().parse("least_loaded(gossip_interval=500ms,fanout=2)").canonical, config.canonical);
  EXPECT_EQ(config.values.duration("gossip_interval"), 500ms);
  const auto policy = config.make();
  const auto& least_loaded = dynamic_cast<const policies::LeastLoaded&>(*policy);
  EXPECT_EQ(least_loaded.config().gossip_interval, 500ms);
  EXPECT_EQ(least_loaded.config().fanout, 2u);
  EXPECT_EQ(registry().parse("least_loaded(gossip_interval=1min)").canonical,
            registry().parse("least_loaded(gossip_interval=60000ms)").canonical);
}

TEST(PolicyRegistry, ConfigureTakesRawTextParameters) {
  const PolicyConfig config = registry().configure("power_of_d", {{"threshold", "4"}, {"d", " 3 "}});
  EXPECT_EQ(config.canonical, "power_of_d(d=3,threshold=4)");
}

// A registry with one policy of every parameter type.
PolicyRegistry typed_registry() {
  PolicyRegistry r;
  r.add(PolicyInfo{
      .name = "typed",
      .doc = "one parameter of each type",
      .params =
          {ParamSpec{.name = "count",
                     .type = ParamType::integer,
                     .default_value = "2",
                     .min = -3,
                     .max = 10,
                     .doc = "an integer"},
           ParamSpec{
               .name = "weight", .type = ParamType::real, .default_value = "0.5", .min = 0, .max = 1, .doc = "a real"},
           ParamSpec{.name = "delay",
                     .type = ParamType::duration,
                     .default_value = "250ms",
                     .min = 0,
                     .max = 60,
                     .doc = "a duration"},
           ParamSpec{.name = "eager", .type = ParamType::boolean, .default_value = "false", .doc = "a boolean"}},
      .configure = [](const ParamValues&) -> PolicyMaker { return {}; }});
  return r;
}

TEST(PolicyRegistry, CanonicalValueTextPerType) {
  const PolicyRegistry r = typed_registry();
  const std::string delay = format_duration(250ms);
  EXPECT_EQ(r.parse("typed").canonical, "typed(count=2,weight=0.5,delay=" + delay + ",eager=false)");
  const PolicyConfig config = r.parse("typed(count=-3,weight=1e-1,delay=250ms,eager=true)");
  EXPECT_EQ(config.canonical, "typed(count=-3,weight=0.1,delay=" + delay + ",eager=true)");
  EXPECT_EQ(config.values.integer("count"), -3);
  EXPECT_DOUBLE_EQ(config.values.real("weight"), 0.1);
  EXPECT_EQ(config.values.duration("delay"), 250ms);
  EXPECT_TRUE(config.values.boolean("eager"));
  EXPECT_EQ(r.parse("typed(weight=1,delay=0)").canonical, "typed(count=2,weight=1,delay=0,eager=false)");
}

TEST(PolicyRegistry, TypedValueErrors) {
  const PolicyRegistry r = typed_registry();
  const auto error = [&r](std::string_view spec) { return policy_error([&] { r.parse(spec); }); };
  EXPECT_EQ(error("typed(weight=heavy)"), "parameter 'weight' of typed: expected a number, got 'heavy'");
  EXPECT_EQ(error("typed(weight=nan)"), "parameter 'weight' of typed: expected a number, got 'nan'");
  EXPECT_EQ(error("typed(weight=1.5)"), "parameter 'weight' of typed: 1.5 is out of range [0, 1]");
  EXPECT_EQ(error("typed(eager=yes)"), "parameter 'eager' of typed: expected true or false, got 'yes'");
  EXPECT_EQ(error("typed(delay=2min)"), "parameter 'delay' of typed: " + format_duration(2min) +
                                            " is out of range [0, " + format_duration(1min) + "]");
  EXPECT_EQ(error("typed(count=3.0)"), "parameter 'count' of typed: expected an integer, got '3.0'");
  EXPECT_EQ(error("typed(count=99999999999999999999)"),
            "parameter 'count' of typed: 99999999999999999999 is out of range [-3, 10]");
  // The unit parser's message, prefixed with the parameter.
  EXPECT_THAT(error("typed(delay=5 parsecs)"), testing::StartsWith("parameter 'delay' of typed: "));
  EXPECT_GT(error("typed(delay=5 parsecs)").size(), std::string("parameter 'delay' of typed: ").size());
}

// ---- error messages ----------------------------------------------------------------

TEST(PolicyRegistryErrors, UnknownPolicyListsTheKnownOnes) {
  EXPECT_EQ(parse_error("foo"),
            "unknown policy 'foo' (known: cloud_offload, least_loaded, local, power_of_d, q_learning, random, "
            "round_robin, sarsa, table, threshold_random)");
  EXPECT_EQ(parse_error("foo(d=2)"), parse_error("foo"));
}

TEST(PolicyRegistryErrors, UnknownParameterListsTheDeclaredOnes) {
  EXPECT_EQ(parse_error("power_of_d(x=1)"), "unknown parameter 'x' for policy 'power_of_d' (parameters: d, threshold)");
  EXPECT_EQ(parse_error("local(threshold=1)"),
            "unknown parameter 'threshold' for policy 'local' (it takes no parameters)");
}

TEST(PolicyRegistryErrors, WrongTypeAndOutOfRange) {
  EXPECT_EQ(parse_error("power_of_d(d=two)"), "parameter 'd' of power_of_d: expected an integer, got 'two'");
  EXPECT_EQ(parse_error("power_of_d(d=0)"), "parameter 'd' of power_of_d: 0 is out of range [1, 16]");
  EXPECT_EQ(parse_error("power_of_d(d=17)"), "parameter 'd' of power_of_d: 17 is out of range [1, 16]");
  EXPECT_EQ(parse_error("threshold_random(threshold=0)"),
            "parameter 'threshold' of threshold_random: 0 is out of range [1, 1000000]");
  EXPECT_EQ(parse_error("least_loaded(gossip_interval=0)"),
            "parameter 'gossip_interval' of least_loaded: 0 is out of range [1ms, 1d]");
  EXPECT_EQ(parse_error("least_loaded(fanout=-1)"), "parameter 'fanout' of least_loaded: -1 is out of range [0, 64]");
}

TEST(PolicyRegistryErrors, DuplicateParameter) {
  EXPECT_EQ(parse_error("power_of_d(d=2,d=3)"), "duplicate parameter 'd' for policy 'power_of_d'");
}

TEST(PolicyRegistryErrors, MalformedSpecText) {
  EXPECT_EQ(parse_error("power_of_d(d=2"),
            "malformed policy spec 'power_of_d(d=2': unbalanced parentheses: missing ')'");
  EXPECT_EQ(parse_error("power_of_d(d=2))"), "malformed policy spec 'power_of_d(d=2))': unbalanced parentheses");
  EXPECT_EQ(parse_error("power_of_d((d=2)"), "malformed policy spec 'power_of_d((d=2)': unbalanced parentheses");
  EXPECT_EQ(parse_error("local)"), "malformed policy spec 'local)': unbalanced parentheses: ')' without '('");
  EXPECT_EQ(parse_error("power_of_d(d=2) x"), "malformed policy spec 'power_of_d(d=2) x': unexpected text after ')'");
  EXPECT_EQ(parse_error("power_of_d(d)"), "malformed policy spec 'power_of_d(d)': expected 'name=value', got 'd'");
  EXPECT_EQ(parse_error("power_of_d(d=2,)"), "malformed policy spec 'power_of_d(d=2,)': expected 'name=value', got ''");
  EXPECT_EQ(parse_error("power_of_d(=2)"),
            "malformed policy spec 'power_of_d(=2)': expected a parameter name before '=', got ''");
  EXPECT_EQ(parse_error("power_of_d(d=)"), "malformed policy spec 'power_of_d(d=)': missing value for parameter 'd'");
  EXPECT_EQ(parse_error("(d=2)"), "malformed policy spec '(d=2)': missing policy name");
  EXPECT_EQ(parse_error(""), "malformed policy spec '': missing policy name");
  EXPECT_EQ(parse_error("power of d"), "malformed policy spec 'power of d': 'power of d' is not a policy name");
}

TEST(PolicyRegistryErrors, ScenarioEntryErrorsStartWithTheEntrysLocation) {
  const PolicySpec unknown{.name = "foo", .params = {}, .where = {.file = "city.yaml", .line = 12, .column = 5}};
  EXPECT_EQ(policy_error([&] { registry().configure(unknown); }),
            "city.yaml:12: policies: unknown policy 'foo' (known: cloud_offload, least_loaded, local, "
            "power_of_d, q_learning, random, round_robin, sarsa, table, threshold_random)");
  const PolicySpec out_of_range{
      .name = "power_of_d", .params = {{"d", "0"}}, .where = {.file = "city.yaml", .line = 14, .column = 0}};
  EXPECT_EQ(policy_error([&] { registry().configure(out_of_range); }),
            "city.yaml:14: policies: parameter 'd' of power_of_d: 0 is out of range [1, 16]");
  const PolicySpec no_location{.name = "foo", .params = {}, .where = {}};
  EXPECT_THAT(policy_error([&] { registry().configure(no_location); }),
              testing::StartsWith("policies: unknown policy 'foo'"));
}

TEST(PolicyRegistry, ScenarioEntryConfigures) {
  const PolicySpec spec{
      .name = "power_of_d", .params = {{"d", "4"}}, .where = {.file = "city.yaml", .line = 3, .column = 0}};
  EXPECT_EQ(registry().configure(spec).canonical, "power_of_d(d=4,threshold=3)");
}

TEST(ParamTypeNames, AreTheWordsUsersRead) {
  EXPECT_STREQ(to_string(ParamType::integer), "integer");
  EXPECT_STREQ(to_string(ParamType::real), "real");
  EXPECT_STREQ(to_string(ParamType::duration), "duration");
  EXPECT_STREQ(to_string(ParamType::boolean), "boolean");
}

// ---- PolicyDefinition ------------------------------------------------------------

// A policy whose parameters are one of each type, bound to its config's fields.
class EveryType final : public Policy {
 public:
  struct Config {
    std::uint8_t count = 3;
    double share = 0.25;
    Duration period = std::chrono::milliseconds(1500);
    bool eager = true;
  };
  static PolicyDefinition<EveryType> definition() {
    return PolicyDefinition<EveryType>("every_type", "one parameter of each type")
        .param("count", &Config::count, {.min = 1, .max = 200}, "c")
        .param("share", &Config::share, {.min = 0, .max = 1}, "s")
        .param("period", &Config::period, {.min = 0.001, .max = 600}, "p")
        .param("eager", &Config::eager, {}, "e");
  }
  explicit EveryType(Config given) : config(given) {}
  Decision decide(const Invocation&, NodeContext&) override { return RunLocal{}; }
  Config config;
};

TEST(PolicyDefinition, TypesDefaultsAndValuesFollowTheConfigFields) {
  PolicyRegistry local_registry;
  local_registry.add(EveryType::definition().info());
  const PolicyInfo& info = *local_registry.find("every_type");
  ASSERT_EQ(info.params.size(), 4u);
  EXPECT_EQ(info.params[0].type, ParamType::integer);
  EXPECT_EQ(info.params[1].type, ParamType::real);
  EXPECT_EQ(info.params[2].type, ParamType::duration);
  EXPECT_EQ(info.params[3].type, ParamType::boolean);
  EXPECT_EQ(local_registry.parse("every_type").canonical, "every_type(count=3,share=0.25,period=1.5s,eager=true)");

  const auto policy = local_registry.parse("every_type(count=200,share=1,period=2min,eager=false)").make();
  const EveryType::Config& config = dynamic_cast<const EveryType&>(*policy).config;
  EXPECT_EQ(config.count, 200);
  EXPECT_EQ(config.share, 1.0);
  EXPECT_EQ(config.period, std::chrono::minutes(2));
  EXPECT_FALSE(config.eager);
}

TEST(PolicyDefinition, RefusesARangeItsFieldCannotHoldAndChecksRulesAcrossParameters) {
  EXPECT_THROW(PolicyDefinition<EveryType>("x", "d").param("count", &EveryType::Config::count, {.min = 0, .max = 256},
                                                           "too wide for a byte"),
               std::logic_error);
  PolicyRegistry local_registry;
  local_registry.add(EveryType::definition()
                         .check([](const EveryType::Config& c) {
                           if (c.eager && c.count > 10) throw PolicyError("eager needs count <= 10");
                         })
                         .info());
  EXPECT_NO_THROW(local_registry.parse("every_type(count=10)"));
  EXPECT_EQ(policy_error([&] { local_registry.parse("every_type(count=11)"); }), "eager needs count <= 10");
}

// ---- File parameters: the front-end reads the file, the policy gets its text.

TEST(FileParameters, AreReadByTheFrontEndsReader) {
  PolicyRegistry files = PolicyRegistry::with_builtins();
  std::vector<std::filesystem::path> asked;
  // One camera that runs while it can.
  const std::string table = to_json_text(OptimalTable{.nodes = {{.slots = 1}}, .actions = {0, -1}});
  files.read_files_with([&](const std::filesystem::path& path) {
    asked.push_back(path);
    return table;
  });
  // A spec given as text: the path as written (from the working directory).
  const PolicyConfig text_spec = files.parse("table(file=tables/t.json)");
  EXPECT_EQ(text_spec.canonical, "table(file=tables/t.json)");
  EXPECT_EQ(*text_spec.values.file("file").contents, table);
  // A scenario's entry: from the scenario's folder; an absolute path as it is.
  files.configure(PolicySpec{"table", {{"file", "t.json"}}, SourceLocation{"/srv/scenarios/city.yaml", 3, 1}});
  files.configure(PolicySpec{"table", {{"file", "/abs/t.json"}}, SourceLocation{"/srv/scenarios/city.yaml", 3, 1}});
  EXPECT_EQ(asked, (std::vector<std::filesystem::path>{"tables/t.json", "/srv/scenarios/t.json", "/abs/t.json"}));
}

TEST(FileParameters, LeftOutAreNoneAndTheCanonicalSpecReadsBack) {
  const PolicyConfig config = registry().parse("sarsa");
  EXPECT_FALSE(config.values.file("model").given());
  EXPECT_THAT(config.canonical, ::testing::StartsWith("sarsa(model=none,learn=true,"));
  EXPECT_EQ(registry().parse(config.canonical).canonical, config.canonical);
}

TEST(FileParameters, ErrorsNameTheParameterAndTheFile) {
  // No reader: this front-end gives policies no files.
  EXPECT_EQ(policy_error([] { PolicyRegistry::with_builtins().parse("table(file=t.json)"); }),
            "parameter 'file' of table: this program reads no files for policies");
  PolicyRegistry files = PolicyRegistry::with_builtins();
  files.read_files_with([](const std::filesystem::path&) -> std::string { throw std::runtime_error("no such file"); });
  EXPECT_EQ(policy_error([&] { files.parse("table(file=missing.json)"); }),
            "parameter 'file' of table: cannot read 'missing.json': no such file");
  EXPECT_EQ(policy_error([&] { files.parse("table"); }), "name the table with file=FILE");
}

}  // namespace
}  // namespace fogsched
