// The gateway's API over the host's functions: /system/* (list, deploy, update,
// delete, status, scale, info, namespaces) behind basic auth, and /metrics.
#include "host_state.h"

#include <nlohmann/json.hpp>

#include "gateway_answers.h"

namespace fogsched::live {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

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
  } else if (const auto target = split_function_target(path, kFunctionStatusPrefix); target && target->path == "/") {
    route = Route::one_function;
    name = target->name;
  } else if (const auto scaled = split_function_target(path, "/system/scale-function/");
             scaled && scaled->path == "/") {
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
    case Route::logs: return empty_response(http::status::not_implemented, request);
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
    for (const auto& [name, function] : functions)
      replicas.emplace_back(function->qualified_name, function->replicas.load());
  }
  const std::optional<std::uint64_t> queue_depth =
      config.queue.capacity > 0 ? std::optional(async_queue.depth()) : std::nullopt;
  Response response = text_response(http::status::ok, metrics.exposition(replicas, queue_depth), request);
  response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  return response;
}

}  // namespace fogsched::live
