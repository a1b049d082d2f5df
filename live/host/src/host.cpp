// FunctionHost: the gateway's routes over the host's own functions.
#include "fogsched/live/host.h"

#include <sys/utsname.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <mutex>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fogsched/core/rng.h"
#include "fogsched/core/service_time.h"
#include "fogsched/core/units.h"
#include "host_metrics.h"
#include "host_process.h"

extern char** environ;  // NOLINT: POSIX, the environment a command function inherits

namespace fogsched::live {
namespace {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;
using SystemClock = std::chrono::system_clock;

// HttpClient needs a bound; an http function with exec_timeout 0 gets this one.
constexpr SteadyDuration kUnboundedUpstream = std::chrono::hours(24);

std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

// --- answers as the gateway writes them ------------------------------------------

// Go's http.Error: text, a newline, and nosniff.
Response go_error(http::status status, std::string_view text, const Request& request) {
  Response response = text_response(status, std::string(text) + "\n", request);
  response.set("X-Content-Type-Options", "nosniff");
  return response;
}

Response empty_response(http::status status, const Request& request) {
  Response response{status, request.version()};
  response.keep_alive(request.keep_alive());
  response.content_length(0);
  return response;
}

Response page_not_found(const Request& request) {
  return go_error(http::status::not_found, "404 page not found", request);
}

// Go's JSON errors say "unexpected end of JSON input" for a truncated body.
std::string json_error_text(const json::exception& error, std::string_view body) {
  if (const auto* parse = dynamic_cast<const json::parse_error*>(&error); parse && parse->byte >= body.size()) {
    return "unexpected end of JSON input";
  }
  std::string_view text = error.what();
  if (const auto bracket = text.find("] "); text.starts_with("[json.exception") && bracket != std::string_view::npos) {
    text.remove_prefix(bracket + 2);
  }
  return std::string(text);
}

std::string format_seconds(SteadyDuration elapsed) {
  return fmt::format("{:.6f}", std::chrono::duration<double>(elapsed).count());
}

std::string new_call_id() {
  thread_local boost::uuids::random_generator_mt19937 generate;
  return boost::uuids::to_string(generate());
}

// Go's canonical header key ("x-call-id" -> "X-Call-Id"), as the watchdog sees it.
std::string canonical_header_name(std::string_view name) {
  std::string canonical(name);
  bool upper = true;
  for (char& c : canonical) {
    c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c)) : std::tolower(static_cast<unsigned char>(c)));
    upper = c == '-';
  }
  return canonical;
}

std::string machine_architecture() {
  utsname names{};
  return ::uname(&names) == 0 ? names.machine : "unknown";
}

// --- functions -------------------------------------------------------------------

// Draws service times of a synthetic function (core's distribution, as the simulator
// draws them); one stream per function, shared by its concurrent invocations.
class ServiceTimeSampler {
 public:
  ServiceTimeSampler(ServiceTimeSpec spec, std::uint64_t seed) : distribution_(std::move(spec)), rng_(seed) {}

  Duration draw() {
    const ServiceTimeSpec& spec = distribution_.spec();
    if (spec.dist == ServiceDist::deterministic) return spec.mean;  // no lock: the benchmark's path
    std::lock_guard lock(mutex_);
    return from_seconds(distribution_.sample_s(rng_));
  }

 private:
  ServiceTimeDistribution distribution_;
  std::mutex mutex_;
  Rng rng_;
};

// The service time a caller asks a synthetic function for, in seconds; none when the
// header is absent or not a finite, non-negative number.
std::optional<Duration> requested_service_time(const Request& request) {
  auto it = request.find(beast::string_view(kServiceSecondsHeader.data(), kServiceSecondsHeader.size()));
  if (it == request.end()) return std::nullopt;
  const std::string text(it->value());
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(seconds) || seconds < 0) return std::nullopt;
  return from_seconds(seconds);
}

// A deployed function. Updating one replaces it; invocations in progress finish on
// the version they started with, as on a rolling update.
struct Function {
  Function(HostedFunction hosted, SystemClock::time_point created)
      : spec(std::move(hosted)),
        deployment(to_deployment(spec)),
        qualified_name(fmt::format("{}.{}", spec.name, kDefaultFunctionNamespace)),
        created_at(created) {
    if (const auto* synthetic = std::get_if<SyntheticFunction>(&spec.kind)) {
      sampler.emplace(synthetic->service_time, synthetic->seed);
    }
  }

  // The watchdog's max_inflight: false when every slot is taken.
  bool try_acquire_slot() {
    std::uint32_t current = inflight.load();
    do {
      if (spec.max_inflight != 0 && current >= spec.max_inflight) return false;
    } while (!inflight.compare_exchange_weak(current, current + 1));
    return true;
  }
  void release_slot() { inflight.fetch_sub(1); }

  const HostedFunction spec;
  const FunctionDeployment deployment;
  const std::string qualified_name;  // "name.openfaas-fn", the metrics' label
  const SystemClock::time_point created_at;
  std::atomic<std::uint64_t> replicas{1};
  std::atomic<std::uint32_t> inflight{0};
  std::optional<ServiceTimeSampler> sampler;
};

class SlotGuard {
 public:
  explicit SlotGuard(Function& function) : function_(function) {}
  ~SlotGuard() { function_.release_slot(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  Function& function_;
};

Response exec_timeout_response(const Function& function, const Request& request) {
  return text_response(http::status::gateway_timeout,
                       fmt::format("{} exceeded exec_timeout of {}\n", function.spec.name,
                                   format_duration(function.spec.exec_timeout)),
                       request);
}

std::map<std::string, std::string> read_environment() {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string_view::npos) environment.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  return environment;
}

}  // namespace

// --------------------------------------------------------------------------------

struct FunctionHost::State : std::enable_shared_from_this<State> {
  State(IoContextPool& contexts, HostConfig host_config)
      : config(std::move(host_config)), client(contexts), environment(read_environment()),
        arch(machine_architecture()) {
    const auto now = SystemClock::now();
    for (HostedFunction& function : config.functions) {
      std::string name = function.name;
      functions.emplace(std::move(name), std::make_shared<Function>(std::move(function), now));
    }
    config.functions.clear();
  }

  asio::awaitable<Response> handle(Request request, ClientInfo client_info);
  asio::awaitable<Response> invoke(Request request, const ClientInfo& client_info);
  asio::awaitable<Response> run(Function& function, const Request& request, const std::string& path,
                                const ClientInfo& client_info, const std::string& call_id, std::string_view start_time);
  asio::awaitable<Response> run_command(Function& function, const CommandFunction& command, const Request& request,
                                        const std::string& path);
  asio::awaitable<Response> run_synthetic(Function& function, const Request& request);
  asio::awaitable<Response> run_http(Function& function, const HttpFunction& upstream, const Request& request,
                                     const std::string& path, const ClientInfo& client_info,
                                     const std::string& call_id, std::string_view start_time);
  Response system(const Request& request, std::string_view path);
  Response deploy(const Request& request, bool update);
  Response remove(const Request& request);
  Response scale(const Request& request, const std::string& name);
  Response status_of(const Request& request, const std::string& name);
  Response list(const Request& request);
  Response info(const Request& request) const;
  Response metrics_page(const Request& request);

  std::shared_ptr<Function> find(const std::string& name) const {
    std::lock_guard lock(mutex);
    const auto it = functions.find(name);
    return it == functions.end() ? nullptr : it->second;
  }
  FunctionStatus status(const Function& function) const;

  HostConfig config;  // its functions moved into `functions`
  HttpClient client;
  const std::map<std::string, std::string> environment;  // the host's own, inherited by commands
  const std::string arch;
  GatewayMetrics metrics;
  mutable std::mutex mutex;
  std::map<std::string, std::shared_ptr<Function>> functions;  // guarded by mutex
  std::unique_ptr<HttpServer> server;
  std::unique_ptr<HttpServer> metrics_server;
};

asio::awaitable<Response> FunctionHost::State::handle(Request request, ClientInfo client_info) {
  const std::string_view target = view(request.target());
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.starts_with("/function/")) co_return co_await invoke(std::move(request), client_info);
  if (path == "/healthz") co_return text_response(http::status::ok, "OK", request);
  if (path.starts_with("/system/")) co_return system(request, path);
  co_return page_not_found(request);  // /async-function too: the host has no queue
}

// --- /function/{name} ------------------------------------------------------------

asio::awaitable<Response> FunctionHost::State::invoke(Request request, const ClientInfo& client_info) {
  const auto started_at = std::chrono::steady_clock::now();
  const std::string start_time = std::to_string(
      std::chrono::duration_cast<std::chrono::nanoseconds>(SystemClock::now().time_since_epoch()).count());
  const std::optional<FunctionTarget> target = split_function_target(view(request.target()));
  if (!target || !is_valid_function_name(target->name)) co_return page_not_found(request);
  const auto [name, namespace_name] = split_function_namespace(target->name);
  const bool our_namespace = namespace_name.empty() || namespace_name == kDefaultFunctionNamespace;
  std::shared_ptr<Function> function = our_namespace ? find(name) : nullptr;

  if (!function && config.scale_from_zero) {
    // The gateway asks the provider for the function and relays its refusal.
    co_return text_response(
        http::status::not_found,
        fmt::format("error finding function {}.{}: server returned non-200 status code (404) for function, {}, body: ",
                    name, our_namespace ? kDefaultFunctionNamespace : namespace_name, name),
        request);
  }
  const auto existing_call_id = request.find("X-Call-Id");
  const bool generated_call_id = existing_call_id == request.end();
  const std::string call_id = generated_call_id ? new_call_id() : std::string(view(existing_call_id->value()));
  const auto stamp = [&](Response& response) {
    if (generated_call_id) response.set("X-Call-Id", call_id);
    response.set("X-Start-Time", start_time);
  };
  if (function && function->replicas.load() == 0 && config.scale_from_zero) {
    function->replicas.store(1);  // the gateway scales from zero and then invokes
  }
  if (!function || function->replicas.load() == 0) {
    Response response = go_error(http::status::service_unavailable, fmt::format("No endpoints available for: {}.", name),
                                 request);
    response.set("X-OpenFaaS-Internal", "proxy");
    stamp(response);
    co_return response;
  }

  metrics.started(function->qualified_name);
  Response response;
  if (!function->try_acquire_slot()) {
    response = go_error(http::status::too_many_requests,
                        fmt::format("Concurrent request limit exceeded. Max concurrent requests: {}",
                                    function->spec.max_inflight),
                        request);
    response.set("X-OpenFaaS-Internal", "faas-middleware");
  } else {
    SlotGuard slot(*function);
    response = co_await run(*function, request, target->path, client_info, call_id, start_time);
  }
  stamp(response);
  metrics.finished(function->qualified_name, response.result_int(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count());
  co_return response;
}

asio::awaitable<Response> FunctionHost::State::run(Function& function, const Request& request, const std::string& path,
                                                   const ClientInfo& client_info, const std::string& call_id,
                                                   std::string_view start_time) {
  if (const auto* command = std::get_if<CommandFunction>(&function.spec.kind)) {
    co_return co_await run_command(function, *command, request, path);
  }
  if (std::holds_alternative<SyntheticFunction>(function.spec.kind)) co_return co_await run_synthetic(function, request);
  co_return co_await run_http(function, std::get<HttpFunction>(function.spec.kind), request, path, client_info,
                              call_id, start_time);
}

asio::awaitable<Response> FunctionHost::State::run_synthetic(Function& function, const Request& request) {
  const auto began = std::chrono::steady_clock::now();
  // The caller may name the service time (`fogsched load` sends the simulator's
  // draw, so a live run and its simulation share their service demands).
  const std::optional<Duration> requested = requested_service_time(request);
  const Duration service_time = requested ? *requested : function.sampler->draw();
  const Duration exec_timeout = function.spec.exec_timeout;
  const bool times_out = exec_timeout > Duration::zero() && service_time > exec_timeout;
  if (service_time > Duration::zero()) {
    asio::steady_timer timer(co_await asio::this_coro::executor, times_out ? exec_timeout : service_time);
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (times_out) co_return exec_timeout_response(function, request);
  Response response = text_response(http::status::ok, fmt::format("{:.6f}\n", to_seconds(service_time)), request);
  response.set("X-Duration-Seconds", format_seconds(std::chrono::steady_clock::now() - began));
  co_return response;
}

asio::awaitable<Response> FunctionHost::State::run_command(Function& function, const CommandFunction& command,
                                                           const Request& request, const std::string& path) {
  const auto began = std::chrono::steady_clock::now();
  // The classic watchdog's environment: its own, the function's, then the request
  // as Http_* variables.
  std::map<std::string, std::string> variables = environment;
  for (const auto& [key, value] : function.spec.env_vars) variables[key] = value;
  for (const auto& field : request) {
    if (field.name() == http::field::host) continue;
    std::string key = "Http_" + canonical_header_name(view(field.name_string()));
    std::replace(key.begin(), key.end(), '-', '_');
    variables.emplace(std::move(key), std::string(view(field.value())));
  }
  const auto query_start = path.find('?');
  variables["Http_Method"] = std::string(view(request.method_string()));
  variables["Http_Path"] = path.substr(0, query_start);
  if (query_start != std::string::npos && query_start + 1 < path.size()) {
    variables["Http_Query"] = path.substr(query_start + 1);
  } else {
    variables.erase("Http_Query");
  }

  ProcessRequest process;
  process.argv = command.argv;
  process.environment.reserve(variables.size());
  for (const auto& [key, value] : variables) process.environment.push_back(key + "=" + value);
  process.input = request.body();
  process.timeout = function.spec.exec_timeout;

  ProcessOutcome outcome;
  try {
    outcome = co_await run_process(std::move(process));
  } catch (const std::system_error& e) {
    co_return text_response(http::status::internal_server_error,
                            fmt::format("Can't start {}: {}\n", command.argv.front(), e.code().message()), request);
  }
  Response response;
  if (outcome.timed_out) {
    response = exec_timeout_response(function, request);
  } else if (!outcome.succeeded()) {
    std::string text = outcome.err.empty() ? (outcome.signal != 0 ? fmt::format("killed by signal {}\n", outcome.signal)
                                                                   : fmt::format("exit status {}\n", outcome.exit_code))
                                           : std::move(outcome.err);
    response = text_response(http::status::internal_server_error, std::move(text), request);
  } else {
    response = Response{http::status::ok, request.version()};
    const auto type = request.find(http::field::content_type);
    response.set(http::field::content_type,
                 type != request.end() ? type->value() : beast::string_view("application/octet-stream"));
    response.body() = std::move(outcome.out);
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
  }
  response.set("X-Duration-Seconds", format_seconds(std::chrono::steady_clock::now() - began));
  co_return response;
}

asio::awaitable<Response> FunctionHost::State::run_http(Function& function, const HttpFunction& upstream,
                                                        const Request& request, const std::string& path,
                                                        const ClientInfo& client_info, const std::string& call_id,
                                                        std::string_view start_time) {
  Request forwarded{request.method(), upstream.upstream.prefix + path, request.version()};
  for (const auto& field : request) forwarded.insert(field.name_string(), field.value());
  strip_hop_by_hop(forwarded.base());
  forwarded.erase(http::field::host);
  const std::string client_address = client_info.remote.address().to_string();
  const auto prior = request.find("X-Forwarded-For");
  forwarded.set("X-Forwarded-For",
                prior == request.end() ? client_address : fmt::format("{}, {}", view(prior->value()), client_address));
  if (const auto host = request.find(http::field::host); host != request.end()) {
    forwarded.set("X-Forwarded-Host", host->value());
  }
  forwarded.set("X-Call-Id", call_id);
  forwarded.set("X-Start-Time", beast::string_view(start_time.data(), start_time.size()));
  forwarded.body() = request.body();
  forwarded.prepare_payload();

  const Duration exec_timeout = function.spec.exec_timeout;
  const SteadyDuration timeout = exec_timeout > Duration::zero() ? SteadyDuration(exec_timeout) : kUnboundedUpstream;
  ClientResult result = co_await client.send(upstream.upstream, std::move(forwarded), timeout);
  if (!result) {
    if (result.failure == ClientFailure::connect || result.failure == ClientFailure::resolve) {
      co_return text_response(http::status::internal_server_error,
                              fmt::format("Can't reach service for: {}.\n", function.spec.name), request);
    }
    co_return empty_response(http::status::bad_gateway, request);
  }
  Response response = std::move(*result.response);
  strip_hop_by_hop(response.base());
  response.version(request.version());
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  co_return response;
}

// --- /system/* -------------------------------------------------------------------

FunctionStatus FunctionHost::State::status(const Function& function) const {
  FunctionStatus s;
  const FunctionDeployment& d = function.deployment;
  s.name = d.service;
  s.image = d.image;
  s.namespace_name = d.namespace_name;
  s.env_process = d.env_process;
  s.env_vars = d.env_vars;
  s.labels = d.labels;
  s.annotations = d.annotations;
  s.invocation_count = metrics.invocations(function.qualified_name);
  s.replicas = function.replicas.load();
  s.available_replicas = s.replicas;
  s.created_at = function.created_at;
  return s;
}

Response FunctionHost::State::system(const Request& request, std::string_view path) {
  const http::verb method = request.method();
  enum class Route { function_list, one_function, scale, info, namespaces, secrets, logs };
  std::optional<Route> route;
  std::string name;
  if (path == "/system/functions") {
    route = Route::function_list;
  } else if (const auto target = split_function_target(path, "/system/function/"); target && target->path == "/") {
    route = Route::one_function;
    name = target->name;
  } else if (const auto scaled = split_function_target(path, "/system/scale-function/"); scaled && scaled->path == "/") {
    route = Route::scale;
    name = scaled->name;
  } else if (path == "/system/info") {
    route = Route::info;
  } else if (path == "/system/namespaces") {
    route = Route::namespaces;
  } else if (path == "/system/secrets") {
    route = Route::secrets;
  } else if (path == "/system/logs") {
    route = Route::logs;
  }
  if (!route || ((*route == Route::one_function || *route == Route::scale) && !is_valid_function_name(name))) {
    return page_not_found(request);
  }
  if (config.basic_auth && !basic_auth_matches(request, *config.basic_auth)) return unauthorized(request);

  switch (*route) {
    case Route::function_list:
      if (method == http::verb::get) return list(request);
      if (method == http::verb::post) return deploy(request, false);
      if (method == http::verb::put) return deploy(request, true);
      if (method == http::verb::delete_) return remove(request);
      break;
    case Route::one_function:
      if (method == http::verb::get) return status_of(request, name);
      break;
    case Route::scale:
      if (method == http::verb::post) return scale(request, name);
      break;
    case Route::info:
      if (method == http::verb::get) return info(request);
      break;
    case Route::namespaces:
      if (method == http::verb::get) {
        return json_response(http::status::ok, ordered_json::array({kDefaultFunctionNamespace}).dump(), request);
      }
      break;
    case Route::secrets:
      if (method == http::verb::get) return json_response(http::status::ok, "[]", request);
      break;
    case Route::logs:
      return empty_response(http::status::not_implemented, request);
  }
  return empty_response(http::status::method_not_allowed, request);
}

Response FunctionHost::State::list(const Request& request) {
  std::vector<std::shared_ptr<Function>> all;
  {
    std::lock_guard lock(mutex);
    for (const auto& [name, function] : functions) all.push_back(function);
  }
  ordered_json body = ordered_json::array();
  for (const auto& function : all) body.push_back(status(*function));
  return json_response(http::status::ok, body.dump(), request);
}

Response FunctionHost::State::status_of(const Request& request, const std::string& name) {
  const auto [bare_name, namespace_name] = split_function_namespace(name);
  const bool our_namespace = namespace_name.empty() || namespace_name == kDefaultFunctionNamespace;
  const std::shared_ptr<Function> function = our_namespace ? find(bare_name) : nullptr;
  if (!function) return empty_response(http::status::not_found, request);
  return json_response(http::status::ok, ordered_json(status(*function)).dump(), request);
}

Response FunctionHost::State::deploy(const Request& request, bool update) {
  HostedFunction hosted;
  try {
    hosted = from_deployment(json::parse(request.body()).get<FunctionDeployment>());
  } catch (const json::exception& e) {
    return go_error(http::status::bad_request, json_error_text(e, request.body()), request);
  } catch (const std::invalid_argument& e) {
    return go_error(http::status::bad_request, e.what(), request);
  }
  std::lock_guard lock(mutex);
  const auto existing = functions.find(hosted.name);
  if (update && existing == functions.end()) {
    return go_error(http::status::not_found,
                    fmt::format("function {}.{} not found", hosted.name, kDefaultFunctionNamespace), request);
  }
  // An update keeps the function's creation time and scale, as a provider does.
  const bool keep = update && existing != functions.end();
  auto function = std::make_shared<Function>(hosted, keep ? existing->second->created_at : SystemClock::now());
  if (keep) function->replicas.store(existing->second->replicas.load());
  std::string name = hosted.name;
  functions.insert_or_assign(std::move(name), std::move(function));
  return empty_response(http::status::accepted, request);
}

Response FunctionHost::State::remove(const Request& request) {
  std::string name;
  try {
    const json body = json::parse(request.body());
    if (!body.is_object()) return go_error(http::status::bad_request, "expected a JSON object", request);
    if (const auto it = body.find("functionName"); it != body.end() && !it->is_null()) it->get_to(name);
  } catch (const json::exception& e) {
    return go_error(http::status::bad_request, json_error_text(e, request.body()), request);
  }
  if (name.empty()) return go_error(http::status::bad_request, "functionName is required", request);
  std::lock_guard lock(mutex);
  if (functions.erase(name) == 0) {
    return go_error(http::status::not_found, fmt::format("function {}.{} not found", name, kDefaultFunctionNamespace),
                    request);
  }
  return empty_response(http::status::accepted, request);
}

Response FunctionHost::State::scale(const Request& request, const std::string& name) {
  std::int64_t replicas = 0;
  try {
    const json body = json::parse(request.body());
    if (!body.is_object()) return go_error(http::status::bad_request, "expected a JSON object", request);
    if (const auto it = body.find("replicas"); it != body.end() && !it->is_null()) it->get_to(replicas);
  } catch (const json::exception& e) {
    return go_error(http::status::bad_request, json_error_text(e, request.body()), request);
  }
  if (replicas < 0) return go_error(http::status::bad_request, "replicas must not be negative", request);
  const auto [bare_name, namespace_name] = split_function_namespace(name);
  const bool our_namespace = namespace_name.empty() || namespace_name == kDefaultFunctionNamespace;
  const std::shared_ptr<Function> function = our_namespace ? find(bare_name) : nullptr;
  if (!function) {
    return go_error(http::status::not_found,
                    fmt::format("function: {}.{} not found", bare_name, kDefaultFunctionNamespace), request);
  }
  function->replicas.store(static_cast<std::uint64_t>(replicas));
  return empty_response(http::status::accepted, request);
}

Response FunctionHost::State::info(const Request& request) const {
  ordered_json body;
  body["provider"] = {{"provider", "fogsched-host"},
                      {"version", {{"sha", config.release}, {"release", config.release}}},
                      {"orchestration", "process"}};
  body["version"] = {{"commit_message", "fogsched host"}, {"sha", config.release}, {"release", config.release}};
  body["arch"] = arch;
  return json_response(http::status::ok, body.dump(), request);
}

Response FunctionHost::State::metrics_page(const Request& request) {
  if (view(request.target()).substr(0, view(request.target()).find('?')) != "/metrics") return page_not_found(request);
  std::vector<std::pair<std::string, std::uint64_t>> replicas;
  {
    std::lock_guard lock(mutex);
    for (const auto& [name, function] : functions) replicas.emplace_back(function->qualified_name, function->replicas.load());
  }
  Response response = text_response(http::status::ok, metrics.exposition(replicas), request);
  response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  return response;
}

// --------------------------------------------------------------------------------

FunctionHost::FunctionHost(IoContextPool& contexts, HostConfig config)
    : state_(std::make_shared<State>(contexts, std::move(config))) {
  // The servers hold the state weakly: the state owns them.
  std::weak_ptr<State> weak = state_;
  state_->server = std::make_unique<HttpServer>(
      contexts, parse_listen_address(state_->config.listen), state_->config.limits,
      [weak](Request request, ClientInfo client_info) -> asio::awaitable<Response> {
        const auto state = weak.lock();
        if (!state) co_return text_response(http::status::service_unavailable, "shutting down\n", request);
        co_return co_await state->handle(std::move(request), client_info);
      });
  if (state_->config.metrics_listen) {
    state_->metrics_server = std::make_unique<HttpServer>(
        contexts, parse_listen_address(*state_->config.metrics_listen), state_->config.limits,
        [weak](Request request, ClientInfo) -> asio::awaitable<Response> {
          const auto state = weak.lock();
          if (!state) co_return text_response(http::status::service_unavailable, "shutting down\n", request);
          co_return state->metrics_page(request);
        });
  }
}

FunctionHost::~FunctionHost() = default;

void FunctionHost::start() {
  state_->server->start();
  if (state_->metrics_server) state_->metrics_server->start();
}

tcp::endpoint FunctionHost::local_endpoint() const { return state_->server->local_endpoint(); }

std::optional<tcp::endpoint> FunctionHost::metrics_endpoint() const {
  if (!state_->metrics_server) return std::nullopt;
  return state_->metrics_server->local_endpoint();
}

void FunctionHost::drain(SteadyDuration timeout, std::function<void()> on_drained) {
  struct Countdown {
    std::atomic<int> remaining;
    std::function<void()> done;
    std::shared_ptr<State> state;
  };
  auto countdown = std::make_shared<Countdown>();
  countdown->remaining = state_->metrics_server ? 2 : 1;
  countdown->done = std::move(on_drained);
  countdown->state = state_;
  const auto one_drained = [countdown] {
    if (--countdown->remaining == 0) {
      countdown->state->client.close_idle();
      if (countdown->done) countdown->done();
    }
  };
  state_->server->drain(timeout, one_drained);
  if (state_->metrics_server) state_->metrics_server->drain(timeout, one_drained);
}

}  // namespace fogsched::live
