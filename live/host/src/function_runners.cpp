// Running a function as a watchdog does: a process per request (classic watchdog),
// a slot held for a service time (synthetic), or a call to an upstream (of-watchdog
// in http mode); each bounded by the function's exec_timeout.
#include "host_state.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "fogsched/core/quote_input.h"
#include "fogsched/core/units.h"
#include "fogsched/live/wire.h"
#include "gateway_answers.h"
#include "host_process.h"

namespace fogsched::live {
namespace {

// HttpClient needs a bound; an http function with exec_timeout 0 gets this one.
constexpr SteadyDuration kUnboundedUpstream = std::chrono::hours(24);

// Go's canonical header key ("x-call-id" -> "X-Call-Id"), as the watchdog sees it.
std::string canonical_header_name(std::string_view name) {
  std::string canonical(name);
  bool upper = true;
  for (char& c : canonical) {
    c = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(c))
                                : std::tolower(static_cast<unsigned char>(c)));
    upper = c == '-';
  }
  return canonical;
}

// The service time a caller names in seconds (none when the header is absent), or why
// the value is unusable. Kept in seconds: a huge value must not reach nanoseconds, and
// without an exec_timeout to cut it short, one nanoseconds cannot hold is refused.
struct NamedServiceTime {
  std::optional<double> seconds;
  std::string error;
};

NamedServiceTime named_service_time(const Request& request, bool bounded) {
  const std::string_view header = wire::kServiceSecondsHeader;
  auto it = request.find(beast::string_view(header.data(), header.size()));
  if (it == request.end()) return {};
  const std::string text(it->value());
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(seconds) || seconds < 0)
    return {std::nullopt,
            fmt::format("{}: {} is not a finite, non-negative number of seconds\n", header, quote_input(text))};
  if (!bounded && seconds >= to_seconds(Duration::max()))
    return {std::nullopt, fmt::format("{}: {} is beyond the longest service time, {:.0f} s\n", header,
                                      quote_input(text), to_seconds(Duration::max()))};
  return {seconds, {}};
}

Response exec_timeout_response(const Function& function, const Request& request) {
  return text_response(
      http::status::gateway_timeout,
      fmt::format("{} exceeded exec_timeout of {}\n", function.spec.name, format_duration(function.spec.exec_timeout)),
      request);
}

}  // namespace

asio::awaitable<Response> FunctionHost::State::run(Function& function, const Request& request, const std::string& path,
                                                   const ClientInfo& client_info, const std::string& call_id,
                                                   std::string_view start_time) {
  if (const auto* command = std::get_if<CommandFunction>(&function.spec.kind)) {
    co_return co_await run_command(function, *command, request, path);
  }
  if (std::holds_alternative<SyntheticFunction>(function.spec.kind))
    co_return co_await run_synthetic(function, request);
  co_return co_await run_http(function, std::get<HttpFunction>(function.spec.kind), request, path, client_info, call_id,
                              start_time);
}

asio::awaitable<Response> FunctionHost::State::run_synthetic(Function& function, const Request& request) {
  const auto began = std::chrono::steady_clock::now();
  // The caller may name the service time (`fogsched load` sends the simulator's
  // draw, so a live run and its simulation share their service demands).
  const Duration exec_timeout = function.spec.exec_timeout;
  const bool bounded = exec_timeout > Duration::zero();
  const NamedServiceTime named = named_service_time(request, bounded);
  if (!named.error.empty()) co_return text_response(http::status::bad_request, named.error, request);
  // A named time is compared in seconds, so only one within the bound is converted.
  const bool times_out_named = named.seconds && bounded && *named.seconds > to_seconds(exec_timeout);
  const Duration service_time = times_out_named ? exec_timeout
                                : named.seconds ? from_seconds(*named.seconds)
                                                : function.sampler->draw();
  const bool times_out = times_out_named || (bounded && service_time > exec_timeout);
  if (service_time > Duration::zero()) {
    asio::steady_timer timer(co_await asio::this_coro::executor, times_out ? exec_timeout : service_time);
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (times_out) co_return exec_timeout_response(function, request);
  Response response = text_response(http::status::ok, fmt::format("{:.6f}\n", to_seconds(service_time)), request);
  response.set("X-Duration-Seconds", duration_seconds(std::chrono::steady_clock::now() - began));
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
  for (const auto& [key, value] : variables) {
    std::string assignment = key + "=";
    assignment += value;
    process.environment.push_back(std::move(assignment));
  }
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
  response.set("X-Duration-Seconds", duration_seconds(std::chrono::steady_clock::now() - began));
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

}  // namespace fogsched::live
