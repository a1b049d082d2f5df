// The scheduler node's configuration: the YAML file, the environment over it, flags
// over both; every error naming the file, line and key, or the variable or flag.
// Then `fogsched serve` as an operator runs it: --print-config, exit codes, --help.
#include "fogsched/live/node_config.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fogsched/core/learned_model.h"
#include "fogsched/live/node_policy.h"

namespace fogsched::live {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using namespace std::chrono_literals;

const fs::path kSourceDir = FOGSCHED_SOURCE_DIR;

Environment environment(std::map<std::string, std::string, std::less<>> variables) {
  return Environment(std::move(variables));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string this_host_name() {
  std::array<char, 256> buffer{};
  EXPECT_EQ(::gethostname(buffer.data(), buffer.size() - 1), 0);
  return buffer.data();
}

// The section "The node's configuration" of docs/live.md.
std::string documented_config_section() {
  const std::string document = read_file(kSourceDir / "docs" / "live.md");
  const auto start = document.find("## The node's configuration");
  EXPECT_NE(start, std::string::npos) << "docs/live.md has no section 'The node's configuration'";
  const auto end = document.find("\n## ", start + 1);
  return document.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string documented_config_yaml() {
  const std::string section = documented_config_section();
  const std::regex block(R"(```yaml\n([\s\S]*?)```)");
  std::smatch match;
  EXPECT_TRUE(std::regex_search(section, match, block)) << "no yaml block in the configuration section of docs/live.md";
  return match[1].str();
}

std::set<std::string> documented_env_vars() {
  const std::string section = documented_config_section();
  const std::regex variable(R"(\bFOGSCHED_[A-Z_]+\b)");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(section.begin(), section.end(), variable); it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

class NodeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / (std::string("fogsched_node_config_") + info->test_suite_name() + "_" +
                                        info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    token_ = dir_ / "peer-token";
    std::ofstream(token_) << "s3cret-token\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) const {
    fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // The message of the ConfigError that loading `yaml` throws; fails when none.
  std::string file_error(const std::string& yaml, const Environment& env = {}) const {
    const fs::path path = write("node.yaml", yaml);
    try {
      load_node_config(path, env);
    } catch (const ConfigError& error) {
      return error.what();
    }
    ADD_FAILURE() << "no error for:\n" << yaml;
    return {};
  }

  std::string env_error(std::map<std::string, std::string, std::less<>> variables) const {
    try {
      load_node_config(std::nullopt, Environment(std::move(variables)));
    } catch (const ConfigError& error) {
      return error.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  }

  static std::string flag_error(const std::vector<SettingOverride>& overrides) {
    NodeConfig config = load_node_config(std::nullopt, Environment{});
    try {
      apply_command_line(config, overrides);
    } catch (const ConfigError& error) {
      return error.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  }

  std::string file_prefix(int line) const { return (dir_ / "node.yaml").string() + ":" + std::to_string(line) + ": "; }

  fs::path dir_;
  fs::path token_;
};

TEST_F(NodeConfigTest, DefaultsWithoutFileOrEnvironment) {
  const NodeConfig config = load_node_config(std::nullopt, Environment{});
  EXPECT_EQ(config.name, this_host_name());
  EXPECT_EQ(config.listen, "0.0.0.0:18080");
  EXPECT_EQ(config.threads, 0u);
  EXPECT_EQ(config.seed, 1u);
  EXPECT_EQ(config.gateway, (Url{.host = "127.0.0.1", .port = 8080, .prefix = ""}));
  EXPECT_EQ(config.gateway_timeout, 30s);
  EXPECT_EQ(config.gateway_connections, 64u);
  EXPECT_EQ(config.secrets_dir, "/run/secrets");
  EXPECT_EQ(config.policy.name, "local");
  EXPECT_TRUE(config.policy.params.empty());
  EXPECT_EQ(config.hop_limit, 1u);
  EXPECT_EQ(config.default_slots, 4u);
  EXPECT_TRUE(config.slots.empty());
  EXPECT_TRUE(config.static_peers.empty());
  EXPECT_FALSE(config.peers_dns);
  EXPECT_FALSE(config.peer_token_file);
  EXPECT_EQ(config.probe_timeout, 100ms);
  EXPECT_EQ(config.gossip_memory, 128u);
  EXPECT_EQ(config.forward_timeout, 30s);
  EXPECT_EQ(config.peer_backoff.initial, 1s);
  EXPECT_EQ(config.peer_backoff.max, 30s);
  EXPECT_EQ(config.max_body_bytes, 16u * 1024 * 1024);
  EXPECT_EQ(config.max_header_bytes, 16u * 1024);
  EXPECT_EQ(config.max_connections, 10000u);
  EXPECT_EQ(config.max_buffered_bytes, 256u * 1024 * 1024);
  EXPECT_EQ(config.drain_timeout, 30s);
}

TEST_F(NodeConfigTest, FullFile) {
  const fs::path path = write("node.yaml", R"(
node:
  name: cam-07
  listen: 127.0.0.1:19090
  threads: 3
  seed: 42
gateway:
  url: http://gateway:8081/prefix/
  timeout: 5s
  connections: 8
  secrets: /etc/fogsched/secrets
policy: power_of_d(d=3,threshold=2)
hop_limit: 2
functions:
  default_slots: 6
  refresh: 1min
  slots: {plate-recognition: 2, echo: 9}
peers:
  static: [http://10.0.0.2:18080, http://10.0.0.3:18081]
  dns: tasks.fogsched:18082
  refresh: 15s
  token_file: )" + token_.string() + R"(
  probe_timeout: 250ms
  gossip_memory: 8
  forward_timeout: 12s
  backoff: {initial: 2s, max: 1min}
limits:
  max_body: 1MiB
  max_header: 8KiB
  max_connections: 500
  max_buffered: 64MiB
  drain_timeout: 0
)");
  const NodeConfig config = load_node_config(path, Environment{});
  EXPECT_EQ(config.name, "cam-07");
  EXPECT_EQ(config.listen, "127.0.0.1:19090");
  EXPECT_EQ(config.threads, 3u);
  EXPECT_EQ(config.seed, 42u);
  EXPECT_EQ(config.gateway, (Url{.host = "gateway", .port = 8081, .prefix = "/prefix"}));
  EXPECT_EQ(config.gateway_timeout, 5s);
  EXPECT_EQ(config.gateway_connections, 8u);
  EXPECT_EQ(config.secrets_dir, "/etc/fogsched/secrets");
  EXPECT_EQ(config.policy.name, "power_of_d");
  EXPECT_EQ(config.policy.where.to_string(), path.string() + ":12");
  EXPECT_EQ(PolicyRegistry::with_builtins().configure(config.policy).canonical,
            PolicyRegistry::with_builtins().parse("power_of_d(d=3,threshold=2)").canonical);
  EXPECT_EQ(config.hop_limit, 2u);
  EXPECT_EQ(config.default_slots, 6u);
  EXPECT_EQ(config.functions_refresh, 60s);
  EXPECT_EQ(config.slots, (std::map<std::string, std::uint32_t>{{"plate-recognition", 2}, {"echo", 9}}));
  EXPECT_EQ(config.static_peers, (std::vector<Url>{{.host = "10.0.0.2", .port = 18080, .prefix = ""},
                                                   {.host = "10.0.0.3", .port = 18081, .prefix = ""}}));
  EXPECT_EQ(config.peers_dns, "tasks.fogsched:18082");
  EXPECT_EQ(config.peers_refresh, 15s);
  EXPECT_EQ(config.peer_token_file, token_);
  EXPECT_EQ(config.probe_timeout, 250ms);
  EXPECT_EQ(config.gossip_memory, 8u);
  EXPECT_EQ(config.forward_timeout, 12s);
  EXPECT_EQ(config.peer_backoff.initial, 2s);
  EXPECT_EQ(config.peer_backoff.max, 60s);
  EXPECT_EQ(config.max_body_bytes, 1024u * 1024);
  EXPECT_EQ(config.max_header_bytes, 8u * 1024);
  EXPECT_EQ(config.max_connections, 500u);
  EXPECT_EQ(config.max_buffered_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(config.drain_timeout, 0s);
}

TEST_F(NodeConfigTest, TheDocumentedExampleIsAccepted) {
  // Its token file is a deployment's path; the environment points at a real one.
  const fs::path path = write("node.yaml", documented_config_yaml());
  const NodeConfig config = load_node_config(path, environment({{"FOGSCHED_PEER_TOKEN_FILE", token_.string()}}));
  EXPECT_EQ(config.name, "cam-07");
  EXPECT_EQ(config.policy.name, "power_of_d");
  EXPECT_EQ(config.slots.at("plate-recognition"), 4u);
  EXPECT_EQ(config.peers_dns, "tasks.fogsched:18080");
}

TEST_F(NodeConfigTest, EnvironmentOverridesTheFile) {
  const fs::path path = write("node.yaml", R"(
node: {name: from-file, threads: 2}
policy: power_of_d(d=2)
hop_limit: 1
peers:
  static: [http://10.0.0.2:18080]
  probe_timeout: 100ms
)");
  const NodeConfig config = load_node_config(path, environment({
                                                       {"FOGSCHED_NODE_NAME", "from-env"},
                                                       {"FOGSCHED_POLICY", "random"},
                                                       {"FOGSCHED_HOP_LIMIT", "3"},
                                                       {"FOGSCHED_PEERS", "http://a:1, http://b:2"},
                                                       {"FOGSCHED_PROBE_TIMEOUT", "40ms"},
                                                       {"FOGSCHED_GATEWAY_URL", "http://gw:9999"},
                                                   }));
  EXPECT_EQ(config.name, "from-env");
  EXPECT_EQ(config.threads, 2u);  // not in the environment: the file's
  EXPECT_EQ(config.policy.name, "random");
  EXPECT_EQ(config.policy.where.file, "FOGSCHED_POLICY=random");
  EXPECT_EQ(config.hop_limit, 3u);
  EXPECT_EQ(config.static_peers,
            (std::vector<Url>{{.host = "a", .port = 1, .prefix = ""}, {.host = "b", .port = 2, .prefix = ""}}));
  EXPECT_EQ(config.probe_timeout, 40ms);
  EXPECT_EQ(config.gateway.port, 9999);
}

TEST_F(NodeConfigTest, AnEmptyVariableCountsAsUnset) {
  const fs::path path = write("node.yaml", "node: {name: from-file}\nhop_limit: 2\n");
  const NodeConfig config =
      load_node_config(path, environment({{"FOGSCHED_NODE_NAME", ""}, {"FOGSCHED_HOP_LIMIT", "  "}}));
  EXPECT_EQ(config.name, "from-file");
  EXPECT_EQ(config.hop_limit, 2u);
}

TEST_F(NodeConfigTest, FlagsOverrideTheEnvironment) {
  NodeConfig config = load_node_config(
      std::nullopt,
      environment({{"FOGSCHED_HOP_LIMIT", "3"}, {"FOGSCHED_SEED", "5"}, {"FOGSCHED_PEERS_DNS", "tasks.a:1"}}));
  apply_command_line(
      config,
      {{"hop_limit", "0"}, {"peers.dns", ""}, {"policy", "least_loaded"}, {"peers.token_file", token_.string()}});
  EXPECT_EQ(config.hop_limit, 0u);
  EXPECT_EQ(config.seed, 5u);  // not on the command line: the environment's
  EXPECT_FALSE(config.peers_dns);
  EXPECT_EQ(config.policy.name, "least_loaded");
  EXPECT_EQ(config.peer_token_file, token_);
}

TEST_F(NodeConfigTest, AnEmptyNameIsTheHostName) {
  NodeConfig config = load_node_config(write("node.yaml", "node: {name: ''}\n"), Environment{});
  EXPECT_EQ(config.name, this_host_name());
  apply_command_line(config, {{"node.name", "cam-01"}});
  EXPECT_EQ(config.name, "cam-01");
  apply_command_line(config, {{"node.name", ""}});
  EXPECT_EQ(config.name, this_host_name());
}

TEST_F(NodeConfigTest, PolicyCompactAndMapFormsAgree) {
  const NodeConfig compact =
      load_node_config(write("compact.yaml", "policy: power_of_d(d=2, threshold=3)\n"), Environment{});
  const NodeConfig map =
      load_node_config(write("map.yaml", "policy: {name: power_of_d, d: 2, threshold: 3}\n"), Environment{});
  EXPECT_EQ(compact.policy.name, "power_of_d");
  EXPECT_EQ(compact.policy.params, map.policy.params);
  const PolicyRegistry& registry = PolicyRegistry::with_builtins();
  EXPECT_EQ(registry.configure(compact.policy).canonical, registry.configure(map.policy).canonical);
  // Every parameter is held, defaults included, in canonical form.
  EXPECT_EQ(compact.policy.params.size(), registry.find("power_of_d")->params.size());
  EXPECT_EQ(map.policy.where.to_string(), (dir_ / "map.yaml").string() + ":1");
}

TEST_F(NodeConfigTest, SlotsMergeAcrossSources) {
  NodeConfig config = load_node_config(write("node.yaml", "functions:\n  slots: {a: 1, b: 2}\n"),
                                       environment({{"FOGSCHED_SLOTS", "b=3,c=4"}}));
  apply_command_line(config, {{"functions.slots", "c=5"}, {"functions.slots", "d=6"}});
  EXPECT_EQ(config.slots, (std::map<std::string, std::uint32_t>{{"a", 1}, {"b", 3}, {"c", 5}, {"d", 6}}));
}

TEST_F(NodeConfigTest, PrintedYamlReadsBackToTheSameConfiguration) {
  NodeConfig config = load_node_config(write("node.yaml", documented_config_yaml()),
                                       environment({{"FOGSCHED_PEER_TOKEN_FILE", token_.string()}}));
  apply_command_line(config, {{"functions.slots", "echo=2"}, {"limits.drain_timeout", "1.5s"}});
  const std::string yaml = to_yaml(config);
  EXPECT_THAT(yaml, HasSubstr(token_.string()));
  EXPECT_THAT(yaml, Not(HasSubstr("s3cret")));

  const NodeConfig again = load_node_config(write("printed.yaml", yaml), Environment{});
  EXPECT_EQ(to_yaml(again), yaml);
  EXPECT_EQ(again.name, config.name);
  EXPECT_EQ(again.gateway, config.gateway);
  EXPECT_EQ(again.policy.params, config.policy.params);
  EXPECT_EQ(again.slots, config.slots);
  EXPECT_EQ(again.static_peers, config.static_peers);
  EXPECT_EQ(again.peer_token_file, config.peer_token_file);
  EXPECT_EQ(again.drain_timeout, config.drain_timeout);
  EXPECT_EQ(again.max_body_bytes, config.max_body_bytes);
}

// A learning policy's table file: in the policy's map in a file (relative to it),
// by variable or flag anywhere; --print-config writes it back in the map.
TEST_F(NodeConfigTest, PolicySaveComesFromThePolicysMapTheEnvironmentOrAFlag) {
  EXPECT_EQ(load_node_config(std::nullopt, Environment{}).policy_save, std::nullopt);
  EXPECT_EQ(load_node_config(std::nullopt, Environment{}).policy_save_interval, 1min);
  const fs::path path =
      write("node.yaml", "policy: {name: sarsa, epsilon: 0.5, save: model.json, save_interval: 30s}\n");
  NodeConfig config = load_node_config(path, Environment{});
  EXPECT_EQ(config.policy.name, "sarsa");
  EXPECT_EQ(config.policy_save, dir_ / "model.json");
  EXPECT_EQ(config.policy_save_interval, 30s);

  const NodeConfig again = load_node_config(write("printed.yaml", to_yaml(config)), Environment{});
  EXPECT_EQ(again.policy_save, config.policy_save);
  EXPECT_EQ(again.policy_save_interval, config.policy_save_interval);
  EXPECT_EQ(again.policy.params, config.policy.params);
  EXPECT_EQ(to_yaml(again), to_yaml(config));

  const NodeConfig from_env = load_node_config(
      path,
      environment({{"FOGSCHED_POLICY_SAVE", (dir_ / "env.json").string()}, {"FOGSCHED_POLICY_SAVE_INTERVAL", "5s"}}));
  EXPECT_EQ(from_env.policy_save, dir_ / "env.json");
  EXPECT_EQ(from_env.policy_save_interval, 5s);
  apply_command_line(config, {{"policy.save", (dir_ / "flag.json").string()}, {"policy.save_interval", "2s"}});
  EXPECT_EQ(config.policy_save, dir_ / "flag.json");
  EXPECT_EQ(config.policy_save_interval, 2s);
}

// A policy's file parameter (a model) is beside the configuration file when the
// file names it, and in the working directory when a variable or flag does, both
// when the configuration is read and when the node makes its policy.
TEST_F(NodeConfigTest, APolicysRelativeModelFileIsFoundWhereItsSourceSays) {
  fs::create_directories(dir_ / "models");
  LearnedModel model;
  model.policy = "sarsa";
  model.shared = LearnedTable::zeros({8, 4});
  model.nodes.emplace(0, model.shared);
  write_learned_model(dir_ / "models" / "model.json", model);

  const NodeConfig compact = load_node_config(write("node.yaml", "policy: sarsa(model=models/model.json)\n"), {});
  EXPECT_NO_THROW(configure_node_policy(compact.policies, compact.policy));

  const std::string relative = fs::relative(dir_ / "models" / "model.json").string();
  ASSERT_NE(relative.find('/'), std::string::npos);
  const NodeConfig from_env =
      load_node_config(std::nullopt, environment({{"FOGSCHED_POLICY", "sarsa(model=" + relative + ")"}}));
  EXPECT_NO_THROW(configure_node_policy(from_env.policies, from_env.policy));
  NodeConfig from_flag = load_node_config(std::nullopt, {});
  apply_command_line(from_flag, {{"policy", "sarsa(model=" + relative + ")"}});
  EXPECT_NO_THROW(configure_node_policy(from_flag.policies, from_flag.policy));
}

TEST_F(NodeConfigTest, APolicySaveFileMustBeWritableWhereItIsNamed) {
  EXPECT_EQ(file_error("policy:\n  name: sarsa\n  save: /nonexistent/folder/model.json\n"),
            file_prefix(3) + "policy.save: no such folder: /nonexistent/folder");
  EXPECT_EQ(file_error("policy: {name: sarsa, save: " + dir_.string() + "}\n"),
            file_prefix(1) + "policy.save: " + dir_.string() + " is a directory, not a model file");
  EXPECT_THAT(file_error("policy: {name: sarsa, save_interval: 0s}\n"),
              StartsWith(file_prefix(1) + "policy.save_interval: expected a positive duration, got '0s'"));
  EXPECT_EQ(env_error({{"FOGSCHED_POLICY_SAVE", "/nonexistent/folder/m.json"}}),
            "FOGSCHED_POLICY_SAVE=/nonexistent/folder/m.json: no such folder: /nonexistent/folder");
  EXPECT_THAT(env_error({{"FOGSCHED_POLICY_SAVE_INTERVAL", "abc"}}), StartsWith("FOGSCHED_POLICY_SAVE_INTERVAL=abc: "));
  EXPECT_EQ(flag_error({{"policy.save", dir_.string()}}),
            "--policy-save=" + dir_.string() + ": " + dir_.string() + " is a directory, not a model file");
  EXPECT_THAT(flag_error({{"policy.save_interval", "-1s"}}), StartsWith("--policy-save-interval=-1s: "));
}

// ---- errors ------------------------------------------------------------------------

TEST_F(NodeConfigTest, FileErrorsNameFileLineAndKey) {
  struct Case {
    std::string yaml;
    int line;
    std::string key_and_problem;
  };
  const std::vector<Case> cases = {
      {"node:\n  nmae: x\n", 2, "node.nmae: unknown key (expected one of: name, listen, threads, seed)"},
      {"gateways: {}\n", 1, "gateways: unknown key (expected one of: node, gateway, plugins, policy, hop_limit,"},
      {"node:\n  threads: -1\n", 2, "node.threads: expected an integer from 0 to 4096, got '-1'"},
      {"functions:\n  default_slots: 0\n", 2, "functions.default_slots: expected an integer of at least 1"},
      {"functions:\n  slots: {echo: 0}\n", 2, "functions.slots.echo: expected an integer of at least 1"},
      {"functions:\n  slots: {'bad name': 2}\n", 2, "functions.slots.bad name: 'bad name' is not a function name"},
      {"hop_limit: 17\n", 1, "hop_limit: expected an integer from 0 to 16, got '17'"},
      {"peers:\n  probe_timeout: 0\n", 2, "peers.probe_timeout: expected a positive duration, got '0'"},
      {"peers:\n  gossip_memory: 0\n", 2, "peers.gossip_memory: expected an integer of at least 1"},
      {"peers:\n\n  forward_timeout: abc\n", 3, "peers.forward_timeout: expected a duration"},
      {"gateway:\n  url: https://gw\n", 2, "gateway.url: 'https://gw' is not an http:// URL"},
      {"node: {listen: 'nowhere'}\n", 1, "node.listen: 'nowhere' is not an address"},
      {"peers:\n  static:\n    - http://a:1\n    - ftp://b\n", 4, "peers.static.1: 'ftp://b' is not an http:// URL"},
      {"policy: nope\n", 1, "policy: unknown policy 'nope'"},
      {"policy: power_of_d(d=0)\n", 1, "policy: "},
      {"policy: {name: power_of_d, dd: 2}\n", 1, "policy: unknown parameter 'dd' for policy 'power_of_d'"},
      {"policy: {d: 2}\n", 1, "policy: missing required key 'name'"},
      {"node:\n  name: a\n  name: b\n", 3, "node.name: duplicate key"},
      {"node: cam-07\n", 1, "node: expected a map of name, listen, threads, seed, got 'cam-07'"},
      {"peers:\n  backoff: {initial: 10s, max: 1s}\n", 2,
       "peers.backoff.max: backoff max 1s is shorter than initial 10s"},
      {"limits:\n  max_body: 0\n", 2, "limits.max_body: expected a positive size"},
      {"node:\n  name: 'cam 07'\n", 2, "node.name: 'cam 07' is not a node name"},
      {"node:\n  seed: [1]\n", 2, "node.seed: expected S, got a list"},
      {"node:\n  name: a\n    bad: indent\n", 3, "malformed YAML"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(file_error(c.yaml), StartsWith(file_prefix(c.line) + c.key_and_problem)) << c.yaml;
  }
}

TEST_F(NodeConfigTest, APolicyErrorIsPassedOn) {
  std::string registry_message;
  try {
    PolicyRegistry::with_builtins().parse("power_of_d(d=0)");
  } catch (const PolicyError& error) {
    registry_message = error.what();
  }
  ASSERT_FALSE(registry_message.empty());
  EXPECT_EQ(file_error("policy: power_of_d(d=0)\n"), file_prefix(1) + "policy: " + registry_message);
  EXPECT_EQ(env_error({{"FOGSCHED_POLICY", "power_of_d(d=0)"}}),
            "FOGSCHED_POLICY=power_of_d(d=0): " + registry_message);
}

TEST_F(NodeConfigTest, FileProblemsNameTheFile) {
  const fs::path missing = dir_ / "missing.yaml";
  EXPECT_THROW(
      {
        try {
          load_node_config(missing, Environment{});
        } catch (const ConfigError& error) {
          EXPECT_EQ(std::string(error.what()), missing.string() + ": no such file");
          throw;
        }
      },
      ConfigError);
  EXPECT_THAT(file_error(""), StartsWith((dir_ / "node.yaml").string()));
  EXPECT_THAT(file_error(""), HasSubstr("expected a map of settings"));
  // yaml-cpp reads a stray ',' at the top as an empty document: refused, not defaults.
  EXPECT_THAT(file_error(",\nnode: {name: a}\n"), HasSubstr("expected a map of settings"));
}

TEST_F(NodeConfigTest, EnvironmentErrorsNameTheVariableAndValue) {
  EXPECT_THAT(env_error({{"FOGSCHED_PROBE_TIMEOUT", "abc"}}),
              AllOf(StartsWith("FOGSCHED_PROBE_TIMEOUT=abc: "), HasSubstr("expected a duration")));
  EXPECT_EQ(env_error({{"FOGSCHED_HOP_LIMIT", "17"}}),
            "FOGSCHED_HOP_LIMIT=17: expected an integer from 0 to 16, got '17'");
  EXPECT_THAT(env_error({{"FOGSCHED_THREADS", "two"}}), StartsWith("FOGSCHED_THREADS=two: expected an integer"));
  EXPECT_THAT(env_error({{"FOGSCHED_PEERS", "http://a:1,gopher://b"}}),
              StartsWith("FOGSCHED_PEERS=http://a:1,gopher://b: 'gopher://b' is not an http:// URL"));
  EXPECT_THAT(env_error({{"FOGSCHED_SLOTS", "echo"}}), StartsWith("FOGSCHED_SLOTS=echo: expected NAME=K"));
  EXPECT_THAT(env_error({{"FOGSCHED_POLICY", "nope"}}), StartsWith("FOGSCHED_POLICY=nope: unknown policy 'nope'"));
  EXPECT_EQ(env_error({{"FOGSCHED_PEER_TOKEN_FILE", "/nonexistent/token"}}),
            "FOGSCHED_PEER_TOKEN_FILE=/nonexistent/token: no such file: /nonexistent/token");
}

TEST_F(NodeConfigTest, AMissingTokenFileNamesWhereItWasConfigured) {
  EXPECT_EQ(file_error("peers:\n  token_file: /nonexistent/token\n"),
            file_prefix(2) + "peers.token_file: no such file: /nonexistent/token");
  // A later source naming a file that exists wins over the file's missing one.
  const fs::path path = write("node.yaml", "peers:\n  token_file: /nonexistent/token\n");
  EXPECT_EQ(load_node_config(path, environment({{"FOGSCHED_PEER_TOKEN_FILE", token_.string()}})).peer_token_file,
            token_);
  EXPECT_THAT(file_error("peers:\n  token_file: " + dir_.string() + "\n"), HasSubstr("is a directory"));
}

TEST_F(NodeConfigTest, FlagErrorsNameTheFlagAndValue) {
  EXPECT_EQ(flag_error({{"hop_limit", "99"}}), "--hop-limit=99: expected an integer from 0 to 16, got '99'");
  EXPECT_THAT(flag_error({{"peers.forward_timeout", "0s"}}),
              StartsWith("--forward-timeout=0s: expected a positive duration"));
  EXPECT_THAT(flag_error({{"functions.slots", "echo=0"}}),
              StartsWith("--slots=echo=0: expected an integer of at least 1"));
  EXPECT_THAT(flag_error({{"peers.token_file", "/nonexistent/t"}}),
              StartsWith("--peer-token-file=/nonexistent/t: no such file"));
  EXPECT_THAT(flag_error({{"policy", "power_of_d(d=2"}}), StartsWith("--policy=power_of_d(d=2: malformed policy spec"));
}

TEST_F(NodeConfigTest, EveryDocumentedVariableIsASetting) {
  std::set<std::string> variables;
  for (const NodeSetting& setting : node_settings()) {
    if (!setting.env.empty()) variables.insert(std::string(setting.env));
  }
  for (const std::string& name : documented_env_vars()) EXPECT_TRUE(variables.contains(name)) << name;
  EXPECT_GE(documented_env_vars().size(), 12u);
}

// ---- fogsched serve ----------------------------------------------------------------

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string shell_quote(const std::string& arg) {
  std::string quoted = "'";
  for (const char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

class ServeCliTest : public NodeConfigTest {
 protected:
  // Runs `fogsched ARGS` with only `env` of the node's variables set.
  CliResult run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) const {
    std::string command = "env";
    for (const NodeSetting& setting : node_settings()) {
      if (!setting.env.empty()) command += " -u " + std::string(setting.env);
    }
    for (const auto& [name, value] : env) {
      std::string assignment = name + "=";
      assignment += value;
      command += " " + shell_quote(assignment);
    }
    command += " " + shell_quote(FOGSCHED_CLI_PATH);
    for (const std::string& arg : args) command += " " + shell_quote(arg);
    const fs::path out = dir_ / "stdout.txt";
    const fs::path err = dir_ / "stderr.txt";
    command += " </dev/null >" + shell_quote(out.string()) + " 2>" + shell_quote(err.string());
    const int status = std::system(command.c_str());
    CliResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = read_file(out);
    result.err = read_file(err);
    return result;
  }
};

TEST_F(ServeCliTest, PrintConfigShowsFileUnderEnvironmentUnderFlags) {
  const fs::path path = write("node.yaml", "node: {name: file-name, seed: 7}\nhop_limit: 1\npolicy: random\n");
  const CliResult result = run(
      {"serve", "--config", path.string(), "--hop-limit", "3", "--slots", "echo=2", "--slots", "cat=1",
       "--print-config"},
      {{"FOGSCHED_NODE_NAME", "env-name"}, {"FOGSCHED_HOP_LIMIT", "2"}, {"FOGSCHED_PEER_TOKEN_FILE", token_.string()}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const NodeConfig printed = load_node_config(write("printed.yaml", result.out), Environment{});
  EXPECT_EQ(printed.name, "env-name");  // environment over file
  EXPECT_EQ(printed.seed, 7u);          // file only
  EXPECT_EQ(printed.hop_limit, 3u);     // flag over environment over file
  EXPECT_EQ(printed.policy.name, "random");
  EXPECT_EQ(printed.slots, (std::map<std::string, std::uint32_t>{{"cat", 1}, {"echo", 2}}));
  EXPECT_EQ(printed.peer_token_file, token_);
  EXPECT_THAT(result.out, Not(HasSubstr("s3cret")));
}

TEST_F(ServeCliTest, BadInputExitsWithCodeTwo) {
  const fs::path path = write("node.yaml", "node:\n  threads: 2\n  colour: blue\n");
  const CliResult bad_file = run({"serve", "--config", path.string(), "--print-config"});
  EXPECT_EQ(bad_file.exit_code, 2);
  EXPECT_THAT(bad_file.err, HasSubstr(path.string() + ":3: node.colour: unknown key"));
  EXPECT_TRUE(bad_file.out.empty());

  const CliResult bad_env = run({"serve", "--print-config"}, {{"FOGSCHED_PROBE_TIMEOUT", "abc"}});
  EXPECT_EQ(bad_env.exit_code, 2);
  EXPECT_THAT(bad_env.err, HasSubstr("FOGSCHED_PROBE_TIMEOUT=abc: "));

  const CliResult bad_flag = run({"serve", "--threads", "-2", "--print-config"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_THAT(bad_flag.err, HasSubstr("--threads=-2: "));
}

TEST_F(ServeCliTest, HelpDocumentsEveryVariableKeyAndFlag) {
  const CliResult help = run({"serve", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  for (const std::string& variable : documented_env_vars()) EXPECT_THAT(help.out, HasSubstr(variable));
  for (const NodeSetting& setting : node_settings()) {
    EXPECT_THAT(help.out, HasSubstr(std::string(setting.key)));
    if (!setting.flag.empty()) {
      EXPECT_THAT(help.out, HasSubstr(std::string(setting.flag)));
    }
  }
  EXPECT_THAT(help.out, HasSubstr("--config"));
  EXPECT_THAT(help.out, HasSubstr("--print-config"));
  EXPECT_THAT(help.out, HasSubstr("Precedence"));
}

// A node names plugins in its file (relative to it), in FOGSCHED_PLUGINS or with
// --plugin, and its policy may come from any of them, whichever source names it.
TEST_F(NodeConfigTest, PoliciesComeFromPluginsNamedInAnySource) {
  const fs::path plugin = dir_ / "plugins" / "ring.so";
  fs::create_directories(plugin.parent_path());
  fs::copy_file(FOGSCHED_RING_PLUGIN, plugin);
  const fs::path path = write("node.yaml", "policy: {name: ring, threshold: 2}\nplugins: [plugins/ring.so]\n");
  const NodeConfig from_file = load_node_config(path, Environment{});
  EXPECT_EQ(from_file.policy.name, "ring");
  EXPECT_THAT(from_file.plugins, testing::ElementsAre(plugin));
  EXPECT_EQ(from_file.policies.find("ring")->source, fs::canonical(plugin).string());

  const fs::path policy_only = write("policy-only.yaml", "policy: ring\n");
  EXPECT_EQ(load_node_config(policy_only, environment({{"FOGSCHED_PLUGINS", plugin.string()}})).policy.name, "ring");
  EXPECT_EQ(load_node_config(policy_only, Environment{}, {plugin.string()}).policy.name, "ring");
  EXPECT_THAT(file_error("policy: ring\n"), HasSubstr("policy: unknown policy 'ring'"));
  EXPECT_THAT(file_error("plugins: [missing.so]\n"),
              HasSubstr("plugins.0: plugin " + (dir_ / "missing.so").string() + ": No such file or directory"));
}

}  // namespace
}  // namespace fogsched::live
