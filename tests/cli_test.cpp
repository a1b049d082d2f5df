// The `fogsched` command as a user runs it: exit codes, error messages, the JSON on
// stdout, determinism across thread counts, output files, and every shipped scenario.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sanitizers.h"

namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

const fs::path kSourceDir = FOGSCHED_SOURCE_DIR;
const fs::path kScenarios = kSourceDir / "scenarios";
const std::string kErlangB = (kScenarios / "erlang-b.yaml").string();
const std::string kCityDefault = (kScenarios / "city-default.yaml").string();

// Short runs: the shipped scenarios simulate an hour or more, tests a minute or two
// (a warm-up longer than that shrinks in proportion).
const std::vector<std::string> kShortRun = {"--duration", "1min", "--replications", "2"};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string shell_quote(const std::string& arg) {
  std::string quoted = "'";
  for (const char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           (std::string("fogsched_cli_test_") + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `shell_prefix` runs first in the same shell ("ulimit -v ...; ").
  CliResult run(const std::vector<std::string>& args, const std::string& shell_prefix = "") const {
    const fs::path out = dir_ / "stdout.txt";
    const fs::path err = dir_ / "stderr.txt";
    std::string command = shell_prefix + shell_quote(FOGSCHED_CLI_PATH);
    for (const std::string& arg : args) command.append(" ").append(shell_quote(arg));
    command.append(" </dev/null >").append(shell_quote(out.string()));
    command.append(" 2>").append(shell_quote(err.string()));
    const int status = std::system(command.c_str());
    CliResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(out);
    result.err = read_file(err);
    return result;
  }

  // The erlang-b scenario with one edit, written to a temp file.
  fs::path edited_erlang_b(const std::string& name, const std::function<std::string(std::string)>& edit) const {
    fs::path path = dir_ / name;
    write_file(path, edit(read_file(kErlangB)));
    return path;
  }

  fs::path dir_;
};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A scenario text with the first match of `pattern` replaced, and the 1-based line
// of that match (0 when nothing matched).
struct EditedText {
  std::string text;
  int line = 0;
};

EditedText replace_first(const std::string& text, const std::regex& pattern, const std::string& replacement) {
  EditedText edited;
  std::istringstream in(text);
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (edited.line == 0 && std::regex_search(line, pattern)) {
      line = std::regex_replace(line, pattern, replacement, std::regex_constants::format_first_only);
      edited.line = number;
    }
    edited.text += line + '\n';
  }
  return edited;
}

std::string unwrapped(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

// The start of a scenario error as the CLI prints it: "fogsched: FILE:LINE: KEY: ".
std::string error_prefix(const fs::path& file, int line, const std::string& key_path) {
  return "fogsched: " + file.string() + ":" + std::to_string(line) + ": " + key_path + ": ";
}

int line_count(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

// Checks the schema of `fogsched run --json` (docs/results.md, "JSON results").
void expect_result_schema(const nlohmann::json& document) {
  ASSERT_TRUE(document.is_object());
  EXPECT_TRUE(document.at("scenario").is_string());
  EXPECT_TRUE(document.at("seed").is_number_unsigned());
  ASSERT_TRUE(document.at("results").is_array());
  ASSERT_FALSE(document["results"].empty());
  const auto expect_estimate = [](const nlohmann::json& e) {
    ASSERT_TRUE(e.is_object());
    EXPECT_EQ(e.size(), 2u);
    EXPECT_TRUE(e.at("mean").is_number() || e.at("mean").is_null());
    EXPECT_TRUE(e.at("ci95").is_number() || e.at("ci95").is_null());
  };
  for (const auto& result : document["results"]) {
    EXPECT_EQ(result.size(), 13u);
    EXPECT_TRUE(result.at("policy").is_string());
    EXPECT_TRUE(result.at("replications").is_number_unsigned());
    EXPECT_TRUE(result.at("invocations").is_number_unsigned());
    for (const char* metric :
         {"rejection_probability", "forwarded_fraction", "probes_per_invocation", "deadline_miss_rate", "utilization",
          "jain_fairness", "failed_fraction", "timeouts_per_invocation"}) {
      SCOPED_TRACE(metric);
      expect_estimate(result.at(metric));
    }
    const auto& response = result.at("response_time_s");
    EXPECT_EQ(response.size(), 4u);
    for (const char* statistic : {"mean", "p50", "p95", "p99"}) {
      SCOPED_TRACE(statistic);
      expect_estimate(response.at(statistic));
    }
  }
}

// --- listing and help ----------------------------------------------------------------

TEST_F(CliTest, PoliciesListsEveryBuiltInPolicyWithItsParameters) {
  const CliResult r = run({"policies"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* policy :
       {"local", "random", "round_robin", "threshold_random", "power_of_d", "least_loaded", "cloud_offload"}) {
    EXPECT_THAT(r.out, MatchesRegex(std::string("(.*\n)?") + policy + " .*")) << policy;
  }
  EXPECT_THAT(r.out, HasSubstr("threshold"));
  EXPECT_THAT(r.out, HasSubstr("gossip_interval"));
  EXPECT_THAT(r.out, HasSubstr("default"));
}

TEST_F(CliTest, TrainWritesTheModelAndCurveThatRunReplays) {
  const std::string markov_small = (kScenarios / "markov-small.yaml").string();
  const fs::path model = dir_ / "model.json";
  const CliResult trained = run({"train", markov_small, "--policy", "q_learning(epsilon=0.3)", "--episodes", "3",
                                 "--out", model.string(), "--duration", "5min", "--replications", "2"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  EXPECT_THAT(trained.out, HasSubstr("training q_learning(model=none,learn=true,"));
  EXPECT_THAT(trained.out, HasSubstr("model: " + model.string() + " (3 episodes"));
  EXPECT_THAT(read_file(model), HasSubstr("\"format\": \"fogsched-learned-model\""));
  const std::string curve = read_file(dir_ / "model.curve.csv");
  EXPECT_EQ(std::count(curve.begin(), curve.end(), '\n'), 4) << curve;  // header and 3 episodes

  const CliResult replayed =
      run(concat({"run", markov_small, "--policy", "q_learning(model=" + model.string() + ",learn=false)"}, kShortRun));
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  EXPECT_THAT(replayed.out, HasSubstr("q_learning(model=" + model.string() + ",learn=false,"));
}

TEST_F(CliTest, InterruptedTrainingLeavesTheModelAndCurveAtTheSameEpisode) {
  // Stopped by SIGINT after 2 s of a training that would take hours: the model file and
  // the curve both hold the episodes finished by then (however many that was).
  const std::string markov_small = (kScenarios / "markov-small.yaml").string();
  const fs::path model = dir_ / "model.json";
  const CliResult r = run({"train", markov_small, "--policy", "sarsa", "--episodes", "1000000", "--out", model.string(),
                           "--duration", "2min", "--replications", "2"},
                          "timeout -s INT 2 ");
  EXPECT_NE(r.exit_code, 0);
  const std::string curve = read_file(dir_ / "model.curve.csv");
  ASSERT_THAT(curve, ::testing::StartsWith("episode,seed,"));
  const auto rows = std::count(curve.begin(), curve.end(), '\n') - 1;
  if (fs::exists(model)) {
    EXPECT_EQ(nlohmann::json::parse(read_file(model))["episodes"].get<long>(), rows);
  } else {
    EXPECT_EQ(rows, 0);
  }
}

TEST_F(CliTest, TrainRefusesWhatItCannotTrainBeforeTraining) {
  const std::string markov_small = (kScenarios / "markov-small.yaml").string();
  const std::string out = (dir_ / "m.json").string();
  const CliResult local = run({"train", markov_small, "--policy", "local", "--out", out});
  EXPECT_EQ(local.exit_code, 2);
  EXPECT_EQ(local.out, "");
  EXPECT_THAT(local.err, HasSubstr("'local' cannot be trained"));
  const CliResult two = run({"train", markov_small, "--policy", "sarsa", "--policy", "q_learning", "--out", out});
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_THAT(two.err, HasSubstr("--policy: give exactly one policy to train"));
  const CliResult no_out = run({"train", markov_small, "--policy", "sarsa"});
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_THAT(no_out.err, HasSubstr("--out is required"));
  const std::string absent = (dir_ / "none.json").string();
  const CliResult missing = run({"run", markov_small, "--policy", "sarsa(model=" + absent + ")"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("parameter 'model' of sarsa: cannot read '" + absent + "': no such file"));
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(CliTest, VersionAndHelpExitZero) {
  const CliResult version = run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, StartsWith("fogsched "));
  // The allocator the build chose is the one that serves malloc at run time.
  EXPECT_THAT(version.out, HasSubstr(std::string("\nallocator: ") + FOGSCHED_CLI_ALLOCATOR));
  EXPECT_THAT(version.out, Not(HasSubstr("not in use")));

  const CliResult help = run({"run", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--policy"));
}

TEST_F(CliTest, HelpListsTheCommandsOneLineEach) {
  const CliResult help = run({"--help"});
  ASSERT_EQ(help.exit_code, 0);
  std::istringstream lines(help.out);
  std::vector<std::string> commands;
  bool in_commands = false;
  for (std::string line; std::getline(lines, line);) {
    if (line == "Subcommands:") {
      in_commands = true;
    } else if (in_commands && !line.empty()) {
      // "  NAME   description": a name, then its description on the same line.
      EXPECT_THAT(line, MatchesRegex("  [a-z]+ +[A-Z].*")) << "a command's line wrapped";
      commands.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  EXPECT_THAT(commands,
              ElementsAre("run", "validate", "analyze", "policies", "serve", "host", "load", "compare", "train"));
}

// --- bad input: exit 2 and one precise line on stderr ------------------------------------

TEST_F(CliTest, MalformedYamlNamesFileAndLine) {
  const fs::path path = edited_erlang_b("malformed.yaml", [](std::string text) { return text + "extra: [1, 2\n"; });
  const CliResult r = run({"validate", path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, MatchesRegex("fogsched: " + path.string() + ":[0-9]+: .*\n"));
  EXPECT_EQ(r.out, "");
}

TEST_F(CliTest, UnknownKeyNamesFileLineAndKey) {
  std::string original;
  const fs::path path = edited_erlang_b("unknown_key.yaml", [&original](std::string text) {
    original = text;
    return text + "colour: blue\n";
  });
  const CliResult r = run({"validate", path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith(error_prefix(path, line_count(original) + 1, "colour")));
  EXPECT_THAT(r.err, HasSubstr("unknown key"));
}

TEST_F(CliTest, BadUnitNamesFileLineAndKey) {
  int line = 0;
  const fs::path path = edited_erlang_b("bad_unit.yaml", [&line](const std::string& text) {
    EditedText edited = replace_first(text, std::regex("^duration:.*$"), "duration: 10 parsecs");
    line = edited.line;
    return edited.text;
  });
  ASSERT_GT(line, 0) << "erlang-b.yaml sets no top-level duration";
  const CliResult r = run({"validate", path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith(error_prefix(path, line, "duration")));
  EXPECT_THAT(r.err, HasSubstr("parsecs"));
}

TEST_F(CliTest, NegativeRateNamesFileLineAndKey) {
  int line = 0;
  const fs::path path = edited_erlang_b("negative_rate.yaml", [&line](const std::string& text) {
    EditedText edited = replace_first(text, std::regex(R"(rate: *[0-9.]+ */ *s)"), "rate: -2/s");
    line = edited.line;
    return edited.text;
  });
  ASSERT_GT(line, 0) << "erlang-b.yaml gives no arrival rate in /s";
  const CliResult r = run({"validate", path.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith(error_prefix(path, line, "workload.0.arrivals.rate")));
  EXPECT_THAT(r.err, HasSubstr("-2/s"));
}

TEST_F(CliTest, BadOverrideIsReportedAsComingFromTheCommandLine) {
  const CliResult r = run({"validate", kErlangB, "--set", "cluster.cameras.slots=many"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("fogsched: --set: cluster.cameras.slots: "));
}

TEST_F(CliTest, UnknownPolicyIsBadInput) {
  const CliResult r = run(concat({"run", kErlangB, "--policy", "teleport"}, kShortRun));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("fogsched: "));
  EXPECT_THAT(r.err, HasSubstr("unknown policy"));
  EXPECT_THAT(r.err, HasSubstr("teleport"));
  EXPECT_EQ(line_count(r.err), 1);
}

TEST_F(CliTest, UnknownPolicyParameterIsBadInput) {
  const CliResult r = run(concat({"run", kErlangB, "--policy", "power_of_d(d=2,banana=3)"}, kShortRun));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("fogsched: "));
  EXPECT_THAT(r.err, HasSubstr("unknown parameter"));
  EXPECT_THAT(r.err, HasSubstr("banana"));
}

TEST_F(CliTest, OutOfRangePolicyParameterIsBadInput) {
  const CliResult r = run(concat({"run", kErlangB, "--policy", "power_of_d(d=-1)"}, kShortRun));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("fogsched: "));
  EXPECT_THAT(r.err, HasSubstr("-1"));
}

// Missing, unknown or ill-formed arguments: the error, then how the command is used.
TEST_F(CliTest, CommandLineMistakesAreBadInputAnsweredWithTheUsage) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"fly"},
           {"run"},
           {"run", "--frob", kErlangB},
           {"run", kErlangB, "--replications", "0"},
           {"run", kErlangB, "--threads", "two"},
           {"run", kErlangB, "--seed", "-3"},
       }) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    SCOPED_TRACE(joined);
    const CliResult r = run(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, StartsWith("fogsched: "));
    const std::string command = !args.empty() && args[0] == "run" ? "run" : "COMMAND";
    EXPECT_THAT(r.err, HasSubstr("\nUsage: fogsched " + command));
    EXPECT_THAT(r.err, HasSubstr(command == "run" ? "\nExample: fogsched run scenarios/city-default.yaml"
                                                  : "\nExample: fogsched run "));
    EXPECT_THAT(r.err, HasSubstr("--help` lists"));
  }
}

// A value the command read but cannot use: one line that names it is the answer.
TEST_F(CliTest, UnusableValuesAreBadInputInOneLine) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"run", kErlangB, "--duration", "10 parsecs"},
           {"run", kErlangB, "--set", "no-equals-sign"},
       }) {
    SCOPED_TRACE(args.back());
    const CliResult r = run(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, StartsWith("fogsched: --"));
    EXPECT_THAT(r.err, HasSubstr(args.back()));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
  }
}

TEST_F(CliTest, MissingAndEmptyFilesAreBadInput) {
  const fs::path missing = dir_ / "missing.yaml";
  const CliResult r = run({"validate", missing.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("fogsched: scenario: " + missing.string() + ": no such file\n"));
  EXPECT_THAT(r.err, HasSubstr("\nExample: fogsched validate scenarios/"));  // a wrong argument, so the usage

  const fs::path empty = dir_ / "empty.yaml";
  write_file(empty, "");
  const CliResult e = run({"validate", empty.string()});
  EXPECT_EQ(e.exit_code, 2);
  EXPECT_THAT(e.err, StartsWith("fogsched: " + empty.string()));
}

// Run settings are written into the document like overrides, yet a broken file is
// still the file's fault: the same FILE:LINE as `validate`, whatever flags are given.
TEST_F(CliTest, BrokenFileIsBlamedOnTheFileWhateverTheFlags) {
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"empty.yaml", ""}, {"scalar.yaml", "hello\n"}, {"list.yaml", "- 1\n- 2\n"}}) {
    SCOPED_TRACE(name);
    const fs::path path = dir_ / name;
    write_file(path, text);
    const CliResult validated = run({"validate", path.string()});
    EXPECT_THAT(validated.err, StartsWith("fogsched: " + path.string() + ":1: "));
    for (const auto& flags : std::vector<std::vector<std::string>>{
             kShortRun, {"--replications", "3"}, {"--seed", "4"}, {"--set", "seed=4"}}) {
      const CliResult r = run(concat({"run", path.string()}, flags));
      EXPECT_EQ(r.exit_code, 2);
      EXPECT_EQ(r.err, validated.err) << flags.front();
    }
  }
}

// A key the scenario does not know, given with --set, is the command line's mistake,
// named as it was given.
TEST_F(CliTest, UnknownKeyFromSetNamesSetAndTheKeyAsGiven) {
  for (const std::string given : {"nonexistent.key", "nonexistent", "cluster.nonexistent.key"}) {
    const CliResult r = run({"validate", kErlangB, "--set", given + "=1"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, StartsWith("fogsched: --set: " + given + ": unknown key"));
  }
}

// A message echoes a long value cut short, with its length: the mistake stays
// readable and the terminal is not flooded.
TEST_F(CliTest, LongValuesAreCutShortInMessages) {
  const std::string long_value(10'000, '7');  // below the longest line a file may hold
  const std::string shown = "'" + long_value.substr(0, 60) + "'… (10001 characters)";
  const fs::path long_duration = edited_erlang_b("long_duration.yaml", [&](const std::string& text) {
    return replace_first(text, std::regex("^duration:.*$"), "duration: " + long_value + "x").text;
  });
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"validate", kErlangB, "--set", "cluster.cameras.slots=" + long_value + "x"},
           {"validate", kErlangB, "--set", long_value + "x"},
           {"validate", kErlangB, "--set", "duration=" + long_value + "x"},
           {"validate", long_duration.string()},
           concat({"run", kErlangB, "--duration", long_value + "x"}, {"--replications", "1"}),
       }) {
    SCOPED_TRACE(args.back().substr(0, 40));
    const CliResult r = run(args);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_LT(r.err.size(), 400u) << r.err.substr(0, 400);
    EXPECT_THAT(r.err, HasSubstr(" (10001 characters)")) << r.err.substr(0, 400);
  }
  EXPECT_THAT(run({"validate", kErlangB, "--set", long_value + "x"}).err, HasSubstr(shown));
}

TEST_F(CliTest, UnwritableOutputIsBadInput) {
  const fs::path blocker = dir_ / "a-file";
  write_file(blocker, "x");
  const CliResult r =
      run(concat({"run", kErlangB, "--policy", "local", "--out", (blocker / "sub").string()}, kShortRun));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, StartsWith("fogsched: cannot create directory"));
}

// --- what a run will cost ------------------------------------------------------------

// Under a 4 GB address-space limit, sizes that cannot fit are refused with the key
// and the estimate, before anything is allocated (they used to abort on SIGABRT).
TEST_F(CliTest, SizesThatCannotFitAreRefusedNamingTheKeyAndTheEstimate) {
  if (fogsched::kUnderSanitizers) {
    GTEST_SKIP() << "ASan reserves terabytes of address space for its shadow memory: no process of this build "
                    "starts under an address-space limit";
  }
  const std::string limited = "ulimit -v 4000000; ";
  const std::string overrides = (kScenarios / "empirical-service.yaml").string();  // has camera overrides
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"validate", overrides, "--set", "cluster.cameras.count=2147483647"},
                                             {"run", overrides, "--set", "cluster.cameras.count=2147483647"},
                                             {"validate", kCityDefault, "--set", "cluster.cameras.count=100000000"},
                                             {"run", kCityDefault, "--set", "cluster.cameras.count=100000000"}}) {
    const CliResult r = run(args, limited);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args[1] << "\n" << r.err;
    EXPECT_THAT(r.err, MatchesRegex("fogsched: cluster\\.cameras\\.count: the run needs about [0-9.]+ [TPG]B of memory "
                                    "for [0-9]+ cameras, more than the [0-9.]+ [GM]B this process can get; .*\n"));
  }
  const CliResult r = run({"run", kCityDefault, "--replications", "1000000", "--duration", "1s"}, limited);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, StartsWith("fogsched: replications: the run needs about "));
  EXPECT_THAT(r.err, HasSubstr("for the results of 1000000 replications of 7 policies"));
}

TEST_F(CliTest, ValidateAndRunAnnounceTheEventsTimeAndMemory) {
  const CliResult validated = run({"validate", kErlangB});
  ASSERT_EQ(validated.exit_code, 0) << validated.err;
  EXPECT_THAT(unwrapped(validated.out),
              MatchesRegex(".* Estimate: about [0-9.]+( thousand| million)? events, (under a second|about [0-9.]+ "
                           "(s|min)) with [0-9]+ threads?, about [0-9.]+ [KMG]B of memory\\. "));
  const CliResult ran = run(concat({"run", kErlangB, "--threads", "1"}, kShortRun));
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_THAT(ran.err, MatchesRegex("fogsched: estimate: about .* events, .* with 1 thread, about .* of memory\n"));
}

// A rate that would keep the run going for years is announced before it starts; the
// run is then stopped with SIGINT (sent after at most 3 s by `timeout`).
TEST_F(CliTest, ARunThatWouldTakeYearsIsAnnouncedWithAWarning) {
  const std::vector<std::string> endless = {"--set", "workload.0.arrivals.rate=1e9/s"};  // erlang-b: one policy
  const CliResult validated = run(concat({"validate", kErlangB}, endless));
  ASSERT_EQ(validated.exit_code, 0) << validated.err;
  EXPECT_THAT(unwrapped(validated.out),
              MatchesRegex(".* Estimate: about [0-9.]+ (billion|trillion) events, about [0-9.]+ "
                           "(days|years) with .*"));
  const CliResult ran = run(concat({"run", kErlangB}, endless), "timeout --preserve-status -s INT 3 ");
  EXPECT_EQ(ran.exit_code, 130) << ran.err;
  EXPECT_THAT(ran.err, HasSubstr("fogsched: warning: this run will take about "));
  EXPECT_THAT(ran.err, HasSubstr("Ctrl-C stops it"));
}

// --- running -------------------------------------------------------------------------

TEST_F(CliTest, ValidateErlangB) {
  const CliResult r = run({"validate", kErlangB});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("is valid"));
  EXPECT_THAT(r.out, HasSubstr("local"));
  EXPECT_EQ(r.err, "");
}

// An Azure trace workload: what was read, what is kept, what will arrive.
TEST_F(CliTest, ValidateReportsWhatAnAzureTraceWorkloadRead) {
  const CliResult r = run({"validate", (kScenarios / "azure-sample.yaml").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  std::replace(out.begin(), out.end(), '\n', ' ');  // validate wraps its paragraph
  EXPECT_THAT(out, HasSubstr("16 rows read, 12 functions kept (0 without durations), 4182 invocations expected"));
  EXPECT_THAT(out, HasSubstr("1085 rows read, 10 functions of 10 kept, 1085 invocations expected"));
}

TEST_F(CliTest, RunJsonFollowsTheSchema) {
  const CliResult r = run({"run", kErlangB, "--json", "--duration", "2min", "--replications", "2", "--policy", "local",
                           "--policy", "power_of_d(d=2,threshold=1)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json document = nlohmann::json::parse(r.out);
  expect_result_schema(document);
  ASSERT_EQ(document["results"].size(), 2u);
  EXPECT_EQ(document["results"][0]["policy"], "local");
  EXPECT_THAT(document["results"][1]["policy"].get<std::string>(), StartsWith("power_of_d("));
  for (const auto& result : document["results"]) {
    EXPECT_EQ(result["replications"], 2);
    EXPECT_GT(result["invocations"].get<std::uint64_t>(), 0u);
    const double rejection = result["rejection_probability"]["mean"].get<double>();
    EXPECT_GE(rejection, 0.0);
    EXPECT_LE(rejection, 1.0);
  }
}

TEST_F(CliTest, TableHasOneRowPerPolicy) {
  const CliResult r =
      run(concat({"run", kErlangB, "--policy", "local", "--policy", "threshold_random(threshold=1)"}, kShortRun));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, MatchesRegex("(.*\n)*local .*±.*\n(.*\n)*"));
  EXPECT_THAT(r.out, MatchesRegex("(.*\n)*threshold_random\\(.*±.*\n(.*\n)*"));
  EXPECT_THAT(r.out, HasSubstr("[ms]"));
}

TEST_F(CliTest, TheDemosTableFitsAnHundredAndTwentyColumnsAndWideOrMetricsShowTheRest) {
  const std::vector<std::string> short_demo = concat({"run", kCityDefault}, kShortRun);
  const CliResult fitted = run(short_demo);
  ASSERT_EQ(fitted.exit_code, 0) << fitted.err;
  std::istringstream lines(fitted.out);
  for (std::string line; std::getline(lines, line);) {
    const auto cells = std::count_if(line.begin(), line.end(), [](char c) { return (c & 0xC0) != 0x80; });
    EXPECT_LE(cells, 120) << line;
  }
  EXPECT_THAT(fitted.out, HasSubstr("\nnot shown: "));

  const CliResult wide = run(concat(short_demo, {"--wide"}));
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  EXPECT_THAT(wide.out, HasSubstr("jain"));
  EXPECT_THAT(wide.out, Not(HasSubstr("not shown")));

  const CliResult chosen = run(concat(short_demo, {"--metrics", "probes,rejection"}));
  ASSERT_EQ(chosen.exit_code, 0) << chosen.err;
  EXPECT_THAT(chosen.out, MatchesRegex("(.*\n)*policy +probes/inv +rejection\n(.*\n)*"));

  const CliResult unknown = run(concat(short_demo, {"--metrics", "rejection,latency"}));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown metric 'latency' (expected one of rejection, "));
}

TEST_F(CliTest, SameSeedSameJsonWhateverTheThreadCount) {
  const std::vector<std::string> base = concat({"run", kCityDefault, "--json", "--seed", "7"}, kShortRun);
  const CliResult one_thread = run(concat(base, {"--threads", "1"}));
  const CliResult two_threads = run(concat(base, {"--threads", "2"}));
  ASSERT_EQ(one_thread.exit_code, 0) << one_thread.err;
  ASSERT_EQ(two_threads.exit_code, 0) << two_threads.err;
  EXPECT_EQ(one_thread.out, two_threads.out);

  const CliResult other_seed = run(concat({"run", kCityDefault, "--json", "--seed", "8", "--threads", "2"}, kShortRun));
  ASSERT_EQ(other_seed.exit_code, 0) << other_seed.err;
  EXPECT_NE(other_seed.out, one_thread.out);
  EXPECT_EQ(nlohmann::json::parse(other_seed.out)["seed"], 8);
}

TEST_F(CliTest, OutDirectoryHoldsResultsSummaryScenarioAndTrace) {
  const fs::path out = dir_ / "results";
  const fs::path trace = dir_ / "trace.csv";
  const CliResult r = run(concat({"run", kErlangB, "--json", "--policy", "local", "--seed", "11", "--out", out.string(),
                                  "--trace", trace.string()},
                                 kShortRun));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  EXPECT_EQ(read_file(out / "results.json"), r.out);
  EXPECT_THAT(read_file(out / "summary.txt"), HasSubstr("local"));

  // The effective scenario carries the command-line settings and validates again.
  const CliResult again = run({"validate", (out / "scenario.yaml").string()});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(unwrapped(again.out), HasSubstr("seed 11"));
  EXPECT_THAT(unwrapped(again.out), HasSubstr("2 replications of 60s"));

  const std::string csv = read_file(trace);
  EXPECT_EQ(read_file(out / "trace.csv"), csv);
  EXPECT_THAT(csv, StartsWith("id,policy,replication,function,origin,executed_on,hops,probes,decision,outcome,"
                              "arrival_s,start_s,end_s,response_s,vehicle,blacklisted,alert_s\n"));
  // One row per ended invocation of the one policy's two replications.
  std::istringstream rows(csv);
  std::string row;
  std::getline(rows, row);
  int row_count = 0;
  while (std::getline(rows, row)) {
    ++row_count;
    ASSERT_EQ(std::count(row.begin(), row.end(), ','), 16) << row;
    ASSERT_THAT(row, MatchesRegex("[0-9]+,local,[01],0,[0-9]+,[0-9]+,0,0,(run_local|reject),"
                                  "(completed|rejected|deadline_missed|failed),.*"));
  }
  EXPECT_GT(row_count, 0);
}

TEST_F(CliTest, RunReportWritesTheHtmlPageAndOutHoldsItToo) {
  const fs::path report = dir_ / "report.html";
  const fs::path out = dir_ / "results";
  const CliResult r = run(concat({"run", kErlangB, "--policy", "local", "--policy", "threshold_random(threshold=1)",
                                  "--report", report.string(), "--out", out.string()},
                                 kShortRun));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string page = read_file(report);
  EXPECT_THAT(page, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(page, HasSubstr("<table id=\"comparison\">"));
  EXPECT_THAT(page, HasSubstr("<td>threshold_random(<wbr>threshold=1)</td>"));
  EXPECT_THAT(page, HasSubstr("<svg "));
  EXPECT_EQ(read_file(out / "report.html"), page);
}

// A run that would take years, or nodes that do not answer: only refusing the path
// before the work starts ends these within the timeout.
TEST_F(CliTest, AnUnwritableReportIsRefusedBeforeTheWork) {
  const std::string unwritable = (dir_ / "no-such-directory" / "report.html").string();
  const CliResult ran = run({"run", kErlangB, "--set", "workload.0.arrivals.rate=1e9/s", "--report", unwritable},
                            "timeout --preserve-status -s INT 20 ");
  EXPECT_EQ(ran.exit_code, 2) << ran.err;
  EXPECT_EQ(ran.err, "fogsched: cannot write " + unwritable + "\n");
  const CliResult loaded = run({"load", kErlangB, "--nodes", "http://127.0.0.1:9", "--report", unwritable},
                               "timeout --preserve-status -s INT 20 ");
  EXPECT_EQ(loaded.exit_code, 2) << loaded.err;
  EXPECT_EQ(loaded.err, "fogsched: cannot write " + unwritable + "\n");
}

TEST_F(CliTest, EveryShippedScenarioValidatesAndRuns) {
  std::vector<fs::path> scenarios;
  for (const auto& entry : fs::directory_iterator(kScenarios)) {
    if (entry.path().extension() == ".yaml") scenarios.push_back(entry.path());
  }
  std::sort(scenarios.begin(), scenarios.end());
  ASSERT_GE(scenarios.size(), 2u);
  for (const fs::path& scenario : scenarios) {
    SCOPED_TRACE(scenario.string());
    const CliResult valid = run({"validate", scenario.string()});
    EXPECT_EQ(valid.exit_code, 0) << valid.err;
    const CliResult ran = run(concat({"run", scenario.string(), "--json"}, kShortRun));
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
    expect_result_schema(nlohmann::json::parse(ran.out));
  }
}

}  // namespace
