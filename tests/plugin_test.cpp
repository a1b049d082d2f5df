// Policy plugins: the example policy compiled in and the same source loaded as a
// plugin give the same results byte for byte; the loader refuses, with a message
// naming the file and the problem, whatever is not a plugin of this fogsched,
// before running a line of its code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "fogsched/app/run_settings.h"
#include "fogsched/core/errors.h"
#include "fogsched/core/results.h"
#include "fogsched/plugins/plugin.h"
#include "fogsched/sim/runner.h"

namespace fogsched {
namespace {

using testing::ElementsAre;
using testing::HasSubstr;

const std::filesystem::path kRing = FOGSCHED_RING_PLUGIN;

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const PolicyError& error) {
    return error.what();
  }
  return "";
}

std::string run_json(PolicyRegistry registry, const std::string& policy) {
  const app::PreparedRun prepared = app::prepare_run(
      app::load_document(std::string(FOGSCHED_SOURCE_DIR) + "/scenarios/markov-small.yaml", {}),
      {.seed = 11, .replications = 2, .duration = "10min", .policies = {{policy}}}, std::move(registry));
  sim::RunOptions options;
  options.threads = 2;
  return to_json(sim::run_scenario(prepared.scenario, prepared.policies, options).report);
}

TEST(Plugin, CompiledInAndLoadedAsAPluginTheSamePolicyGivesTheSameResults) {
  // This test has ring.cpp compiled in: the built-ins include it.
  const PolicyRegistry compiled_in = PolicyRegistry::with_builtins();
  ASSERT_NE(compiled_in.find("ring"), nullptr);
  EXPECT_EQ(compiled_in.find("ring")->source, "built in");

  PolicyRegistry from_plugin;
  EXPECT_THAT(load_plugin(from_plugin, kRing), ElementsAre("ring"));
  EXPECT_EQ(from_plugin.find("ring")->source, std::filesystem::canonical(kRing).string());

  const std::string expected = run_json(compiled_in, "ring(threshold=1)");
  EXPECT_THAT(expected, HasSubstr("\"ring(threshold=1,use_cloud=false)\""));
  EXPECT_EQ(run_json(from_plugin, "ring(threshold=1)"), expected);
}

TEST(Plugin, LoadingTwiceIntoOneRegistryIsOneLoadAndANameTakenIsRefused) {
  PolicyRegistry registry;
  EXPECT_THAT(load_plugin(registry, kRing), ElementsAre("ring"));
  EXPECT_THAT(load_plugin(registry, kRing), ElementsAre("ring"));
  EXPECT_EQ(registry.all().size(), 1u);

  PolicyRegistry with_ring = PolicyRegistry::with_builtins();  // ring compiled in
  EXPECT_THAT(error_of([&] { load_plugin(with_ring, kRing); }),
              HasSubstr("policy 'ring' is already registered (built in)"));
}

TEST(Plugin, RefusesAMissingFileAndAFileThatIsNoPlugin) {
  PolicyRegistry registry;
  EXPECT_EQ(error_of([&] { load_plugin(registry, "/nonexistent/ring.so"); }),
            "plugin /nonexistent/ring.so: No such file or directory");
  const std::string not_a_plugin = std::filesystem::canonical(FOGSCHED_NOT_A_PLUGIN).string();
  EXPECT_THAT(error_of([&] { load_plugin(registry, not_a_plugin); }),
              HasSubstr("plugin " + not_a_plugin + ": not a fogsched policy plugin (it carries no fogsched stamp"));
  EXPECT_EQ(registry.all().size(), 0u);
}

TEST(Plugin, RefusesAPluginBuiltAgainstAnotherVersionBeforeLoadingIt) {
  // The stamp rewritten as another version's, at the same length.
  std::ifstream in(kRing, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::string ours = "fogsched-plugin-stamp:" + plugin_stamp();
  std::string theirs = ours;
  const auto version = theirs.find("fogsched ", theirs.find(':')) + 9;
  theirs.replace(version, 1, theirs[version] == '9' ? "8" : "9");
  std::size_t replaced = 0;
  for (auto at = bytes.find(ours); at != std::string::npos; at = bytes.find(ours, at + 1), ++replaced) {
    bytes.replace(at, ours.size(), theirs);
  }
  ASSERT_GT(replaced, 0u);
  const std::filesystem::path other =
      std::filesystem::temp_directory_path() / ("fogsched-plugin-test-" + std::to_string(::getpid()) + ".so");
  std::ofstream(other, std::ios::binary) << bytes;
  struct Remove {
    std::filesystem::path path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{other};

  PolicyRegistry registry;
  const std::string message = error_of([&] { load_plugin(registry, other); });
  EXPECT_THAT(message, HasSubstr(": built against " + theirs.substr(theirs.find(':') + 1) + ", but this is " +
                                 plugin_stamp() + ": rebuild it"));
  EXPECT_EQ(plugin_stamp_of(other), theirs.substr(theirs.find(':') + 1));
  EXPECT_EQ(registry.find("ring"), nullptr);
}

TEST(Plugin, TheStampIsFoundWhereverItIsInTheFile) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("fogsched-stamp-test-" + std::to_string(::getpid()));
  struct Remove {
    std::filesystem::path path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{file};
  // Across the reader's 1 MiB windows, at the very end, and absent.
  for (const std::size_t before : {std::size_t{0}, (std::size_t{1} << 20) - 10, (std::size_t{3} << 20) + 5}) {
    std::ofstream(file, std::ios::binary)
        << std::string(before, 'x') << "fogsched-plugin-stamp:fogsched 7.7.7, lib" << '\0' << "after";
    EXPECT_EQ(plugin_stamp_of(file), "fogsched 7.7.7, lib") << before;
  }
  std::ofstream(file, std::ios::binary) << std::string(std::size_t{2} << 20, 'x') << "fogsched-plugin-stamp:end";
  EXPECT_EQ(plugin_stamp_of(file), "end");
  std::ofstream(file, std::ios::binary) << std::string(std::size_t{2} << 20, 'x') << "fogsched-plugin-sta";
  EXPECT_EQ(plugin_stamp_of(file), "");
  // The prefix followed by what no stamp holds (a source file naming it): no stamp.
  std::ofstream(file, std::ios::binary) << "x = \"fogsched-plugin-stamp:\" + text;\nmore\n";
  EXPECT_EQ(plugin_stamp_of(file), "");
}

TEST(Plugin, ScenarioPluginErrorsNameTheEntry) {
  const std::string yaml = std::string(
      "name: p\nduration: 1min\ncluster:\n  cameras: {count: 2, layout: grid, spacing: 100m, slots: 1}\n"
      "functions:\n  f:\n    service_time: {dist: exponential, mean: 1s}\n"
      "workload:\n  - function: f\n    arrivals: {process: poisson, rate: 1/s}\n"
      "plugins: [missing.so]\npolicies: [local]\n");
  const std::string error = error_of([&] {
    app::prepare_run(ScenarioDocument::from_string(yaml, "/somewhere/s.yaml"), {}, PolicyRegistry::with_builtins());
  });
  EXPECT_EQ(error, "/somewhere/s.yaml:11: plugins: plugin /somewhere/missing.so: No such file or directory");
}

}  // namespace
}  // namespace fogsched
