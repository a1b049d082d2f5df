// The node's settings: one table (key, environment variable, flag, how to read and
// write the value) from which the file reader, the environment, the command line,
// the YAML dump and `fogsched serve --help` all work, and the checks every source shares.
#include "node_settings.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "fogsched/core/units.h"
#include "fogsched/live/node_policy.h"
#include "fogsched/plugins/plugin.h"

namespace fogsched::live::setting_table {
namespace {

// A value that is wrong; the caller adds where it came from.
class ValueError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

constexpr std::uint32_t kMaxHopLimit = 16;
constexpr unsigned kMaxThreads = 4096;
constexpr std::uint16_t kDefaultNodePort = 18080;

// Non-empty trimmed items of a comma-separated list.
std::vector<std::string_view> split_list(std::string_view text) {
  std::vector<std::string_view> items;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) items.push_back(item);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return items;
}

// `max` is the type's largest value when the setting has no upper bound of its own.
std::uint64_t unsigned_value(std::string_view text, std::uint64_t min, std::uint64_t max, bool bounded) {
  const std::optional<std::uint64_t> parsed = parse_unsigned_integer(trim(text));
  const std::uint64_t value = parsed.value_or(0);
  if (!parsed || value < min || value > max) {
    throw ValueError(bounded ? fmt::format("expected an integer from {} to {}, got '{}'", min, max, text)
                             : fmt::format("expected an integer of at least {}, got '{}'", min, text));
  }
  return value;
}

template <typename T>
T integer_value(std::string_view text, T min, T max = std::numeric_limits<T>::max()) {
  return static_cast<T>(unsigned_value(text, min, max, max < std::numeric_limits<T>::max()));
}

Duration duration_value(std::string_view text, bool zero_allowed) {
  const Duration value = parse_duration(trim(text));
  if (value < Duration::zero() || (!zero_allowed && value == Duration::zero())) {
    throw ValueError(fmt::format("expected a {} duration, got '{}'", zero_allowed ? "non-negative" : "positive", text));
  }
  return value;
}

std::size_t size_value(std::string_view text) {
  const std::uint64_t bytes = parse_bytes(trim(text));
  if (bytes == 0 || bytes > std::numeric_limits<std::size_t>::max()) {
    throw ValueError(fmt::format("expected a positive size, got '{}'", text));
  }
  return static_cast<std::size_t>(bytes);
}

// "16MiB" rather than "16777216B" where the value allows.
std::string format_size(std::size_t bytes) {
  constexpr std::array<std::pair<std::size_t, std::string_view>, 3> kUnits = {
      {{std::size_t{1} << 30, "GiB"}, {std::size_t{1} << 20, "MiB"}, {std::size_t{1} << 10, "KiB"}}};
  for (const auto& [size, unit] : kUnits) {
    if (bytes % size == 0) return fmt::format("{}{}", bytes / size, unit);
  }
  return fmt::format("{}B", bytes);
}

// Node names travel in X-Fogsched-Node and, comma-separated, in X-Fogsched-Path.
bool is_node_name(std::string_view name) {
  return !name.empty() && name.size() <= 253 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

std::string host_name() {
  std::array<char, HOST_NAME_MAX + 1> buffer{};
  if (::gethostname(buffer.data(), buffer.size() - 1) != 0) {
    throw std::system_error(errno, std::generic_category(), "gethostname");
  }
  return std::string(buffer.data());
}

// `host[:port]`, the port defaulting to the node's.
std::string dns_value(std::string_view text) {
  const std::string_view written = trim(text);
  const auto colon = written.rfind(':');
  const std::string_view host = written.substr(0, colon);
  const bool host_ok = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
  if (!host_ok) throw ValueError(fmt::format("expected a DNS name with an optional :port, got '{}'", text));
  const std::uint16_t port =
      colon == std::string_view::npos ? kDefaultNodePort : integer_value<std::uint16_t>(written.substr(colon + 1), 1);
  return fmt::format("{}:{}", host, port);
}

std::string policy_text(const PolicySpec& spec) {
  if (spec.params.empty()) return spec.name;
  std::string text = spec.name + "(";
  for (std::size_t i = 0; i < spec.params.size(); ++i) {
    text += fmt::format("{}{}={}", i == 0 ? "" : ",", spec.params[i].first, spec.params[i].second);
  }
  return text + ")";
}

// "NAME=K,NAME=K".
void add_slots_list(NodeConfig& config, std::string_view text) {
  for (const std::string_view item : split_list(text)) {
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) throw ValueError(fmt::format("expected NAME=K, got '{}'", item));
    add_slots(config, trim(item.substr(0, equals)), item.substr(equals + 1));
  }
}

std::string slots_text(const NodeConfig& config) {
  std::string text;
  for (const auto& [function, slots] : config.slots) {
    text += fmt::format("{}{}={}", text.empty() ? "" : ",", function, slots);
  }
  return text;
}

}  // namespace

Url url_value(std::string_view text) { return parse_url(trim(text)); }

void add_slots(NodeConfig& config, std::string_view function, std::string_view slots) {
  if (!is_valid_function_name(function)) throw ValueError(fmt::format("'{}' is not a function name", function));
  config.slots[std::string(function)] = integer_value<std::uint32_t>(slots, 1);
}

// The validated policy as a spec in canonical form.
PolicySpec spec_of(const PolicyConfig& policy, const SourceLocation& where) {
  PolicySpec spec = split_policy_spec(policy.canonical);
  spec.where = where;
  return spec;
}

using Where = const SourceLocation&;

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      {"node.name", "FOGSCHED_NODE_NAME", "--name", "NAME",
       "Name of this node in responses and peers' paths (default: the host name)",
       [](NodeConfig& c, std::string_view v, Where) {
         const std::string_view name = trim(v);
         if (!name.empty() && !is_node_name(name)) {
           throw ValueError(fmt::format("'{}' is not a node name (letters, digits, '.', '-', '_')", v));
         }
         c.name = name;
       },
       [](const NodeConfig& c) { return c.name; }},
      {"node.listen", "FOGSCHED_LISTEN", "--listen", "ADDRESS:PORT", "Address clients and peers call",
       [](NodeConfig& c, std::string_view v, Where) {
         parse_listen_address(trim(v));
         c.listen = trim(v);
       },
       [](const NodeConfig& c) { return c.listen; }},
      {"node.threads", "FOGSCHED_THREADS", "--threads", "N", "I/O threads; 0 = one per hardware thread",
       [](NodeConfig& c, std::string_view v, Where) { c.threads = integer_value<unsigned>(v, 0, kMaxThreads); },
       [](const NodeConfig& c) { return std::to_string(c.threads); }},
      {"node.seed", "FOGSCHED_SEED", "--seed", "S", "Seed of the policy's random stream",
       [](NodeConfig& c, std::string_view v, Where) { c.seed = integer_value<std::uint64_t>(v, 0); },
       [](const NodeConfig& c) { return std::to_string(c.seed); }},
      {"gateway.url", "FOGSCHED_GATEWAY_URL", "--gateway", "URL", "The local OpenFaaS gateway",
       [](NodeConfig& c, std::string_view v, Where) { c.gateway = url_value(v); },
       [](const NodeConfig& c) { return c.gateway.to_string(); }},
      {"gateway.timeout", "FOGSCHED_GATEWAY_TIMEOUT", "--gateway-timeout", "DURATION",
       "Limit on each call to the gateway",
       [](NodeConfig& c, std::string_view v, Where) { c.gateway_timeout = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.gateway_timeout); }},
      {"gateway.connect_timeout", "FOGSCHED_GATEWAY_CONNECT_TIMEOUT", "--gateway-connect-timeout", "DURATION",
       "Limit on opening a connection to the gateway",
       [](NodeConfig& c, std::string_view v, Where) { c.gateway_connect_timeout = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.gateway_connect_timeout); }},
      {"gateway.health_interval", "", "", "DURATION",
       "How often the gateway's /healthz is checked (what makes it healthy again)",
       [](NodeConfig& c, std::string_view v, Where) { c.gateway_health_interval = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.gateway_health_interval); }},
      {"gateway.unhealthy_after", "", "", "N", "Timeouts or gateway failures in a row that make the gateway unhealthy",
       [](NodeConfig& c, std::string_view v, Where) { c.gateway_unhealthy_after = integer_value<std::uint32_t>(v, 1); },
       [](const NodeConfig& c) { return std::to_string(c.gateway_unhealthy_after); }},
      {"gateway.connections", "", "", "N", "Keep-alive connections kept open to the gateway",
       [](NodeConfig& c, std::string_view v, Where) { c.gateway_connections = integer_value<std::size_t>(v, 1); },
       [](const NodeConfig& c) { return std::to_string(c.gateway_connections); }},
      {"gateway.secrets", "FOGSCHED_SECRETS_DIR", "--secrets", "DIR",
       "Directory holding basic-auth-user and basic-auth-password, the node's own credentials",
       [](NodeConfig& c, std::string_view v, Where) {
         if (trim(v).empty()) throw ValueError("expected a directory, got ''");
         c.secrets_dir = trim(v);
       },
       [](const NodeConfig& c) { return c.secrets_dir.string(); }},
      {kPluginsKey, "FOGSCHED_PLUGINS", "--plugin", "PATH,...",
       "Policy plugins (.so files built with fogsched_add_policy) whose policies `policy` may name",
       [](NodeConfig& c, std::string_view v, Where) {
         for (const std::string_view path : split_list(v)) {
           const std::filesystem::path plugin = std::filesystem::absolute(std::string(path));
           if (std::find(c.plugins.begin(), c.plugins.end(), plugin) != c.plugins.end()) continue;
           load_plugin(c.policies, plugin);
           c.plugins.push_back(plugin);
         }
       },
       [](const NodeConfig& c) {
         std::string text;
         for (const std::filesystem::path& plugin : c.plugins) text += (text.empty() ? "" : ",") + plugin.string();
         return text;
       }},
      {"policy", "FOGSCHED_POLICY", "--policy", "SPEC",
       "Scheduling policy, e.g. 'power_of_d(d=2,threshold=3)' (see fogsched policies) or "
       "'python:package.module:ClassName'",
       [](NodeConfig& c, std::string_view v, Where where) {
         // A Python policy is checked when the node starts: that imports it.
         if (is_python_policy(trim(v))) {
           c.policy = PolicySpec{std::string(trim(v)), {}, where};
           return;
         }
         const PolicySpec written = split_policy_spec(v);
         c.policy = spec_of(c.policies.configure(written.name, written.params, policy_files_folder(where)), where);
       },
       [](const NodeConfig& c) { return policy_text(c.policy); }},
      {"policy.save", "FOGSCHED_POLICY_SAVE", "--policy-save", "FILE",
       "Learned model file a learning policy's table is saved to, every policy.save_interval and on SIGTERM; "
       "none when empty. In a file: a key of the policy's map, relative to the file",
       [](NodeConfig& c, std::string_view v, Where) {
         c.policy_save = trim(v).empty() ? std::nullopt : std::optional<std::filesystem::path>(std::string(trim(v)));
       },
       [](const NodeConfig& c) { return c.policy_save ? c.policy_save->string() : std::string(); }},
      {"policy.save_interval", "FOGSCHED_POLICY_SAVE_INTERVAL", "--policy-save-interval", "DURATION",
       "How often a learning policy's table is saved to policy.save",
       [](NodeConfig& c, std::string_view v, Where) { c.policy_save_interval = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.policy_save_interval); }},
      {"hop_limit", "FOGSCHED_HOP_LIMIT", "--hop-limit", "N", "Forwards one invocation may take (at most 16)",
       [](NodeConfig& c, std::string_view v, Where) { c.hop_limit = integer_value<std::uint32_t>(v, 0, kMaxHopLimit); },
       [](const NodeConfig& c) { return std::to_string(c.hop_limit); }},
      {"functions.default_slots", "FOGSCHED_DEFAULT_SLOTS", "--default-slots", "K",
       "Slots (K) of a function nothing else sets",
       [](NodeConfig& c, std::string_view v, Where) { c.default_slots = integer_value<std::uint32_t>(v, 1); },
       [](const NodeConfig& c) { return std::to_string(c.default_slots); }},
      {"functions.refresh", "", "", "DURATION", "How often K is re-read from the gateway",
       [](NodeConfig& c, std::string_view v, Where) { c.functions_refresh = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.functions_refresh); }},
      {"functions.max_tracked", "FOGSCHED_MAX_TRACKED_FUNCTIONS", "--max-tracked-functions", "N",
       "Functions the node keeps state for; beyond, the least recently used idle one is dropped",
       [](NodeConfig& c, std::string_view v, Where) { c.max_tracked = integer_value<std::size_t>(v, 1); },
       [](const NodeConfig& c) { return std::to_string(c.max_tracked); }},
      {"functions.slots", "FOGSCHED_SLOTS", "--slots", "NAME=K",
       "Slots (K) of one function, winning over its labels; repeat the flag, or NAME=K,NAME=K",
       [](NodeConfig& c, std::string_view v, Where) { add_slots_list(c, v); }, slots_text},
      {"cloud.url", "FOGSCHED_CLOUD_URL", "--cloud", "URL",
       "A remote OpenFaaS gateway policies may send work to (ctx.cloud(), e.g. cloud_offload); none when empty",
       [](NodeConfig& c, std::string_view v, Where) {
         c.cloud = trim(v).empty() ? std::nullopt : std::optional<Url>(url_value(v));
       },
       [](const NodeConfig& c) { return c.cloud ? c.cloud->to_string() : std::string(); }},
      {"cloud.secrets", "FOGSCHED_CLOUD_SECRETS_DIR", "--cloud-secrets", "DIR",
       "Directory holding the cloud gateway's basic-auth-user and basic-auth-password, for its /system API",
       [](NodeConfig& c, std::string_view v, Where) {
         c.cloud_secrets_dir =
             trim(v).empty() ? std::nullopt : std::optional<std::filesystem::path>(std::string(trim(v)));
       },
       [](const NodeConfig& c) { return c.cloud_secrets_dir ? c.cloud_secrets_dir->string() : std::string(); }},
      {"peers.static", "FOGSCHED_PEERS", "--peers", "URL,...", "Peer nodes' base URLs, comma-separated",
       [](NodeConfig& c, std::string_view v, Where) {
         c.static_peers.clear();
         for (const std::string_view url : split_list(v)) c.static_peers.push_back(url_value(url));
       },
       [](const NodeConfig& c) {
         std::string text;
         for (const Url& url : c.static_peers) text += (text.empty() ? "" : ",") + url.to_string();
         return text;
       }},
      {"peers.dns", "FOGSCHED_PEERS_DNS", "--peers-dns", "HOST[:PORT]",
       "DNS name listing the peers (Swarm's tasks.SERVICE), re-resolved every peers.refresh",
       [](NodeConfig& c, std::string_view v, Where) {
         c.peers_dns = trim(v).empty() ? std::nullopt : std::optional<std::string>(dns_value(v));
       },
       [](const NodeConfig& c) { return c.peers_dns.value_or(""); }},
      {"peers.refresh", "", "", "DURATION", "How often peers.dns is resolved again",
       [](NodeConfig& c, std::string_view v, Where) { c.peers_refresh = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.peers_refresh); }},
      {"peers.token_file", "FOGSCHED_PEER_TOKEN_FILE", "--peer-token-file", "FILE",
       "File holding the token peers share; peer requests without it are refused",
       [](NodeConfig& c, std::string_view v, Where) {
         c.peer_token_file =
             trim(v).empty() ? std::nullopt : std::optional<std::filesystem::path>(std::string(trim(v)));
       },
       [](const NodeConfig& c) { return c.peer_token_file ? c.peer_token_file->string() : std::string(); }},
      {"peers.probe_timeout", "FOGSCHED_PROBE_TIMEOUT", "--probe-timeout", "DURATION",
       "Limit on a load probe; a late answer counts as absent",
       [](NodeConfig& c, std::string_view v, Where) { c.probe_timeout = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.probe_timeout); }},
      {"peers.gossip_memory", "FOGSCHED_GOSSIP_MEMORY", "--gossip-memory", "N",
       "Peers whose gossiped load the node remembers; one more forgets the peer heard from longest ago",
       [](NodeConfig& c, std::string_view v, Where) { c.gossip_memory = integer_value<std::uint32_t>(v, 1); },
       [](const NodeConfig& c) { return std::to_string(c.gossip_memory); }},
      {"peers.forward_timeout", "FOGSCHED_FORWARD_TIMEOUT", "--forward-timeout", "DURATION",
       "Limit on a forwarded invocation",
       [](NodeConfig& c, std::string_view v, Where) { c.forward_timeout = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.forward_timeout); }},
      {"peers.connect_timeout", "FOGSCHED_PEER_CONNECT_TIMEOUT", "--peer-connect-timeout", "DURATION",
       "Limit on opening a connection to a peer; a peer that does not answer in time is skipped",
       [](NodeConfig& c, std::string_view v, Where) { c.peer_connect_timeout = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.peer_connect_timeout); }},
      {"peers.backoff.initial", "", "", "DURATION", "How long an unreachable peer is skipped at first",
       [](NodeConfig& c, std::string_view v, Where) { c.peer_backoff.initial = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.peer_backoff.initial); }},
      {"peers.backoff.max", "", "", "DURATION", "Longest skip, doubling from peers.backoff.initial",
       [](NodeConfig& c, std::string_view v, Where) { c.peer_backoff.max = duration_value(v, false); },
       [](const NodeConfig& c) { return format_duration(c.peer_backoff.max); }},
      {"limits.max_body", "", "", "SIZE", "Largest request body (413 beyond)",
       [](NodeConfig& c, std::string_view v, Where) { c.max_body_bytes = size_value(v); },
       [](const NodeConfig& c) { return format_size(c.max_body_bytes); }},
      {"limits.max_header", "", "", "SIZE", "Largest request header block (431 beyond)",
       [](NodeConfig& c, std::string_view v, Where) { c.max_header_bytes = size_value(v); },
       [](const NodeConfig& c) { return format_size(c.max_header_bytes); }},
      {"limits.max_connections", "", "", "N", "Open connections; one more is closed at once, unserved",
       [](NodeConfig& c, std::string_view v, Where) { c.max_connections = integer_value<std::size_t>(v, 1); },
       [](const NodeConfig& c) { return std::to_string(c.max_connections); }},
      {"limits.max_buffered", "", "", "SIZE", "Request body bytes held across connections (503 beyond)",
       [](NodeConfig& c, std::string_view v, Where) { c.max_buffered_bytes = size_value(v); },
       [](const NodeConfig& c) { return format_size(c.max_buffered_bytes); }},
      {"limits.drain_timeout", "FOGSCHED_DRAIN_TIMEOUT", "--drain-timeout", "DURATION",
       "On SIGTERM, how long in-flight work may take to finish",
       [](NodeConfig& c, std::string_view v, Where) { c.drain_timeout = duration_value(v, true); },
       [](const NodeConfig& c) { return format_duration(c.drain_timeout); }},
  };
  return table;
}

const Setting* find_setting(std::string_view key) {
  const auto& table = settings();
  const auto found = std::find_if(table.begin(), table.end(), [&](const Setting& s) { return s.key == key; });
  return found == table.end() ? nullptr : &*found;
}

Origin outside_origin(std::string_view name, std::string_view value) {
  return Origin{SourceLocation{fmt::format("{}={}", name, value), 0, 0}, ""};
}

void apply(const Setting& setting, NodeConfig& config, std::string_view text, const Origin& origin) {
  try {
    setting.set(config, text, origin.where);
  } catch (const std::invalid_argument& error) {
    throw ConfigError(origin.where, origin.key_path, error.what());
  } catch (const PolicyError& error) {
    throw ConfigError(origin.where, origin.key_path, error.what());
  }
}

void note(Provenance& provenance, std::string_view key, const Origin& origin) {
  if (key == "node.name") provenance.name = origin;
  if (key == "peers.token_file") provenance.token_file = origin;
  if (key == "peers.backoff.initial" || key == "peers.backoff.max") provenance.backoff = origin;
  if (key == "policy.save") provenance.policy_save = origin;
}

void finish(NodeConfig& config, const Provenance& provenance) {
  if (config.name.empty()) {
    try {
      config.name = host_name();
    } catch (const std::system_error& error) {
      throw ConfigError(provenance.name.where, provenance.name.key_path,
                        fmt::format("no name given and the host name is unknown: {}", error.what()));
    }
    if (!is_node_name(config.name)) {
      throw ConfigError(provenance.name.where, provenance.name.key_path,
                        fmt::format("no name given and the host name '{}' is not a node name", config.name));
    }
  }
  if (config.peer_token_file && provenance.token_file) {
    std::error_code error;
    const auto status = std::filesystem::status(*config.peer_token_file, error);
    const auto& [where, key_path] = *provenance.token_file;
    if (!std::filesystem::exists(status)) {
      throw ConfigError(where, key_path, fmt::format("no such file: {}", config.peer_token_file->string()));
    }
    if (std::filesystem::is_directory(status)) {
      throw ConfigError(where, key_path,
                        fmt::format("{} is a directory, not a token file", config.peer_token_file->string()));
    }
  }
  if (config.policy_save && provenance.policy_save) {
    // Written later, renamed over: the folder must be there and the name no folder.
    const std::filesystem::path& file = *config.policy_save;
    const std::filesystem::path folder = file.parent_path().empty() ? "." : file.parent_path();
    const auto& [where, key_path] = *provenance.policy_save;
    std::error_code error;
    if (std::filesystem::is_directory(file, error)) {
      throw ConfigError(where, key_path, fmt::format("{} is a directory, not a model file", file.string()));
    }
    if (!std::filesystem::is_directory(folder, error)) {
      throw ConfigError(where, key_path, fmt::format("no such folder: {}", folder.string()));
    }
  }
  if (provenance.backoff && config.peer_backoff.max < config.peer_backoff.initial) {
    throw ConfigError(provenance.backoff->where, provenance.backoff->key_path,
                      fmt::format("backoff max {} is shorter than initial {}", format_duration(config.peer_backoff.max),
                                  format_duration(config.peer_backoff.initial)));
  }
}

}  // namespace fogsched::live::setting_table
