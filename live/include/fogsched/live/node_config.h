#pragma once
// The scheduler node's configuration (docs/live.md, "The node's configuration"):
// plain values, read once at the edge from a YAML file, then environment variables,
// then command-line flags, each later source overriding the earlier.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fogsched/core/errors.h"
#include "fogsched/core/known_loads.h"
#include "fogsched/core/time.h"
#include "fogsched/live/http.h"
#include "fogsched/policies/registry.h"

namespace fogsched::live {

struct Backoff {
  Duration initial = std::chrono::seconds(1);
  Duration max = std::chrono::seconds(30);
};

// The built-in policies, reading the files policies name from disk.
PolicyRegistry node_policy_registry();

struct NodeConfig {
  // node
  std::string name;  // default: the host name
  std::string listen = "0.0.0.0:18080";
  unsigned threads = 0;    // 0: hardware threads
  std::uint64_t seed = 1;  // the policy's RNG stream

  // gateway
  Url gateway = Url{.host = "127.0.0.1", .port = 8080, .prefix = ""};
  Duration gateway_timeout = std::chrono::seconds(30);
  Duration gateway_connect_timeout = std::chrono::seconds(1);
  Duration gateway_health_interval = std::chrono::seconds(2);  // the background GET /healthz
  std::uint32_t gateway_unhealthy_after = 3;                   // timeouts or gateway failures in a row
  std::size_t gateway_connections = 64;
  std::filesystem::path secrets_dir = "/run/secrets";

  // policy
  // What `policy` may name: the built-ins and the policies of `plugins`.
  PolicyRegistry policies = node_policy_registry();
  std::vector<std::filesystem::path> plugins;  // loaded into `policies`, in order
  PolicySpec policy{"local", {}, {}};          // validated; parameters in canonical form
  // Where a learning policy's table is saved (a learned model file), every
  // policy_save_interval and when the node drains; none: what it learns is lost at exit.
  std::optional<std::filesystem::path> policy_save;
  Duration policy_save_interval = std::chrono::minutes(1);
  std::uint32_t hop_limit = 1;

  // functions
  std::uint32_t default_slots = 4;
  Duration functions_refresh = std::chrono::seconds(30);
  std::map<std::string, std::uint32_t> slots;  // K per function name
  std::size_t max_tracked = 1000;              // functions with state; the least recently used idle one goes

  // cloud: a remote OpenFaaS gateway, the target of a policy's forward to ctx.cloud()
  std::optional<Url> cloud;
  std::optional<std::filesystem::path> cloud_secrets_dir;  // its basic auth, for its /system API

  // peers
  std::vector<Url> static_peers;
  std::optional<std::string> peers_dns;  // host:port, re-resolved every peers_refresh
  Duration peers_refresh = std::chrono::seconds(10);
  std::optional<std::filesystem::path> peer_token_file;
  Duration probe_timeout = std::chrono::milliseconds(100);
  std::uint32_t gossip_memory = kDefaultGossipMemory;  // peers whose gossiped load is remembered
  Duration forward_timeout = std::chrono::seconds(30);
  Duration peer_connect_timeout = std::chrono::seconds(1);
  Backoff peer_backoff;

  // limits
  std::size_t max_body_bytes = std::size_t{16} * 1024 * 1024;
  std::size_t max_header_bytes = std::size_t{16} * 1024;
  std::size_t max_connections = 10000;
  std::size_t max_buffered_bytes = std::size_t{256} * 1024 * 1024;
  Duration drain_timeout = std::chrono::seconds(30);
};

// A configuration value is wrong. what() names where it came from:
// "FILE:LINE: key.path: problem" for the file, "VARIABLE=value: problem" for the
// environment, "--flag=value: problem" for the command line. A ScenarioError, so
// every front end reports it as the bad input it is (the CLI: exit code 2).
class ConfigError : public ScenarioError {
 public:
  using ScenarioError::ScenarioError;
};

// The environment variables the node reads, injectable so tests need not setenv.
class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string, std::less<>> variables);

  // The node's variables (those of node_settings()) as the process sees them.
  static Environment of_process();

  std::optional<std::string> get(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> variables_;
};

// One key of the configuration file, and the environment variable and flag that
// override it (empty when there is none). The one list the loader, the CLI's flags
// and `fogsched serve --help` are built from.
struct NodeSetting {
  std::string_view key;         // "peers.probe_timeout"
  std::string_view env;         // "FOGSCHED_PROBE_TIMEOUT"
  std::string_view flag;        // "--probe-timeout"
  std::string_view value_name;  // "DURATION"
  std::string_view help;        // one line, without the names above
  std::string default_value;    // as the file would write it; empty when there is none
};
const std::vector<NodeSetting>& node_settings();

// The setting naming policy plugins: read before any other (load_node_config).
inline constexpr std::string_view kPluginsKey = "plugins";

// A value given on the command line for a setting's key, as written.
struct SettingOverride {
  std::string key;  // NodeSetting::key
  std::string value;
};

// Reads `file` (when given), then the environment over it; validates every value.
// An empty name becomes the host name. The plugins of every source (`plugins`
// given here from the command line, FOGSCHED_PLUGINS, the file's `plugins`) are
// loaded first, so that any source's `policy` may name their policies. Throws
// ConfigError.
NodeConfig load_node_config(const std::optional<std::filesystem::path>& file, const Environment& env,
                            const std::vector<std::string>& plugins = {});

// Applies command-line values over `config`, in order; `functions.slots` values
// ("NAME=K,...") add to the map, every other key replaces. Throws ConfigError.
void apply_command_line(NodeConfig& config, const std::vector<SettingOverride>& overrides);

// The configuration as a YAML file load_node_config reads back to the same values.
// Names the peer token's file, never its content.
std::string to_yaml(const NodeConfig& config);

}  // namespace fogsched::live
