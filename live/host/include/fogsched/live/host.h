#pragma once
// `fogsched host`: a local OpenFaaS-compatible gateway for laptops and tests.
//
// It answers the gateway's routes with the gateway's codes, headers, JSON and basic
// auth (../shared/OPENFAAS_API.md) and runs functions itself, one watchdog's worth of
// each: a local command per request, a synthetic service time, or an upstream URL.
// `max_inflight` bounds concurrent executions per function with the watchdog's 429.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fogsched/core/errors.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/service_time_grammar.h"
#include "fogsched/core/time.h"
#include "fogsched/live/http.h"
#include "fogsched/live/openfaas.h"

namespace fogsched::live {

// --------------------------------------------------------------------------------
// Functions

// A process per request: the body on stdin, stdout the answer (the classic watchdog).
struct CommandFunction {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
};

// Holds a slot for a service time drawn from a distribution, then answers 200.
struct SyntheticFunction {
  ServiceTimeSpec service_time;
  std::uint64_t seed = 1;
};

// Proxied to an upstream URL (an of-watchdog in http mode, or any HTTP service).
struct HttpFunction {
  Url upstream;
};

struct HostedFunction {
  std::string name;
  std::string image;  // shown in /system/functions; by default "fogsched/<kind>"
  std::variant<CommandFunction, SyntheticFunction, HttpFunction> kind;
  std::uint32_t max_inflight = 0;                    // 0: no limit, as the watchdog
  Duration exec_timeout = std::chrono::seconds(10);  // 0: none
  std::map<std::string, std::string> env_vars;       // a command's extra environment
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
};

// How a host function appears in /system/functions (what a POST would recreate it
// from): envProcess for a command, the annotation `com.fogsched.synthetic` or
// `com.fogsched.upstream` otherwise, `max_inflight` and `exec_timeout` in envVars.
FunctionDeployment to_deployment(const HostedFunction& function);
// The reverse, for POST / PUT /system/functions. Throws std::invalid_argument with
// the text of the 400 answer.
HostedFunction from_deployment(const FunctionDeployment& deployment);

inline constexpr std::string_view kSyntheticAnnotation = "com.fogsched.synthetic";
inline constexpr std::string_view kUpstreamAnnotation = "com.fogsched.upstream";
inline constexpr std::string_view kSeedAnnotation = "com.fogsched.seed";
// A call may name a synthetic function's service time instead of its drawing one:
// wire::kServiceSecondsHeader (fogsched/live/wire.h).

// Service times are written in core's one grammar (fogsched/core/service_time_grammar.h):
// `exponential(1s)`, `uniform(1s,2s)`, ... or the same as a map.

// --------------------------------------------------------------------------------
// Configuration

// A functions file is wrong. what() is "FILE:LINE: key.path: problem". A
// ScenarioError, so every front end reports it as bad input (the CLI: exit code 2).
class HostConfigError : public ScenarioError {
 public:
  using ScenarioError::ScenarioError;
};

// The gateway's async queue and its worker (docs/live.md, "Async invocations").
struct AsyncQueueConfig {
  // Calls accepted and not yet finished (waiting, running or calling back); 503
  // beyond. 0: no queue, and /async-function/ answers 404 as a gateway without one.
  std::uint64_t capacity = 1024;
  Duration callback_timeout = std::chrono::seconds(10);  // the result's POST, sent at most once
};

struct HostConfig {
  std::string listen = "127.0.0.1:8080";           // gateway routes
  std::optional<std::string> metrics_listen;       // /metrics; none when absent
  std::optional<BasicAuthCredentials> basic_auth;  // /system/* open when absent
  bool scale_from_zero = true;                     // unknown function: 404 (true) or 503
  // One-way latency of a WAN link in front of the gateway (the simulator's cloud):
  // each /function/ and /async-function/ call waits it before it runs and before its
  // answer (or callback) leaves, holding no slot meanwhile.
  Duration latency{};
  AsyncQueueConfig queue;
  // One JSON line per call handed to a function ({"call_id", "function"}), appended as
  // it starts; none when absent. For tests that check no call id ran twice.
  std::optional<std::filesystem::path> execution_log;
  std::vector<HostedFunction> functions;
  ServerLimits limits;
  std::string release = "dev";  // reported by /system/info
};

// The functions file of docs/live.md ("The local host's functions file"). Unknown
// keys are refused; `secrets` is read now, relative to the file's directory.
HostConfig load_host_config(const std::filesystem::path& file);
// `origin` names the text in errors; relative paths are taken from `base_dir`.
HostConfig parse_host_config(std::string_view yaml, const std::string& origin,
                             const std::filesystem::path& base_dir = ".");

// --------------------------------------------------------------------------------
// The host

class FunctionHost {
 public:
  // Binds the gateway (and metrics) address at once; a port in use is reported as
  // std::system_error, a malformed address as std::invalid_argument. Runs on the
  // pool's contexts, which must outlive the host.
  FunctionHost(IoContextPool& contexts, HostConfig config);
  ~FunctionHost();
  FunctionHost(const FunctionHost&) = delete;
  FunctionHost& operator=(const FunctionHost&) = delete;

  void start();

  tcp::endpoint local_endpoint() const;
  std::optional<tcp::endpoint> metrics_endpoint() const;

  // Stops accepting and finishes the requests in progress (HttpServer::drain);
  // `on_drained` runs once both listeners are done.
  void drain(SteadyDuration timeout, std::function<void()> on_drained);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace fogsched::live
