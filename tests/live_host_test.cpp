// `fogsched host` against ../shared/OPENFAAS_API.md row by row: routes, codes, bodies,
// headers, JSON field names, basic auth, 429 at max_inflight, command / synthetic /
// http functions, deploy-then-invoke, and the functions file's errors. Loopback only;
// every request has a deadline.
#include "fogsched/live/host.h"

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "fogsched/live/openfaas.h"
#include "live_wire.h"

namespace fogsched::live {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr auto kRequestTimeout = 10s;

// `threads` single-threaded io_contexts, as in the services.
class Loop {
 public:
  explicit Loop(std::size_t threads = 2) : contexts_(threads) { contexts_.start(); }
  IoContextPool& contexts() { return contexts_; }

  template <class T>
  std::future<T> spawn(asio::awaitable<T> coroutine) {
    return asio::co_spawn(contexts_.next(), std::move(coroutine), asio::use_future);
  }

  // Runs a coroutine to its end; aborts if it takes longer than the request timeout.
  template <class T>
  T run(asio::awaitable<T> coroutine) {
    auto future = spawn(std::move(coroutine));
    if (future.wait_for(kRequestTimeout + 5s) != std::future_status::ready) {
      ADD_FAILURE() << "coroutine did not finish in time";
      std::abort();
    }
    return future.get();
  }

 private:
  IoContextPool contexts_;
};

HostedFunction command_function(std::string name, std::vector<std::string> argv) {
  HostedFunction f;
  f.name = std::move(name);
  f.kind = CommandFunction{std::move(argv)};
  return f;
}

HostedFunction synthetic_function(std::string name, std::string_view service_time) {
  HostedFunction f;
  f.name = std::move(name);
  f.kind = SyntheticFunction{parse_service_time(service_time), 7};
  return f;
}

HostConfig base_config() {
  HostConfig config;
  config.listen = "127.0.0.1:0";
  config.functions.push_back(command_function("echo", {"cat"}));
  return config;
}

// A host on a free loopback port and a client to call it.
class HostUnderTest {
 public:
  explicit HostUnderTest(HostConfig config, std::size_t threads = 2)
      : loop_(threads), host_(loop_.contexts(), std::move(config)), client_(loop_.contexts()) {
    host_.start();
  }

  Request request(http::verb method, std::string target, std::string body = {}) const {
    Request request{method, target, 11};
    request.set(http::field::host, "gateway.test");
    request.body() = std::move(body);
    request.prepare_payload();
    return request;
  }

  Response send(Request request) { return loop_.run(send_async(std::move(request))); }
  Response send(http::verb method, std::string target, std::string body = {}) {
    return send(request(method, std::move(target), std::move(body)));
  }
  std::future<Response> send_later(Request request) { return loop_.spawn(send_async(std::move(request))); }
  std::future<Response> send_later(http::verb method, std::string target) {
    return send_later(request(method, std::move(target)));
  }

  Response metrics() {
    const Url url{"127.0.0.1", host_.metrics_endpoint().value().port(), ""};
    return loop_.run(send_to(url, request(http::verb::get, "/metrics")));  // `url` outlives the run
  }

  Loop& loop() { return loop_; }
  FunctionHost& host() { return host_; }

 private:
  // No temporaries inside co_await expressions: g++ 12 destroys some of them twice.
  asio::awaitable<Response> send_async(Request request) {
    const Url url{"127.0.0.1", host_.local_endpoint().port(), ""};
    co_return co_await send_to(url, std::move(request));
  }
  asio::awaitable<Response> send_to(const Url& url, Request request) {
    ClientResult result = co_await client_.send(url, std::move(request), kRequestTimeout);
    if (!result) throw std::runtime_error("request failed: " + result.message);
    co_return std::move(*result.response);
  }

  Loop loop_;
  FunctionHost host_;
  HttpClient client_;
};

std::string header(const Response& response, std::string_view name) {
  const auto it = response.find(beast::string_view(name.data(), name.size()));
  return it == response.end() ? std::string() : std::string(it->value());
}

// --------------------------------------------------------------------------------
// openfaas.h

TEST(OpenFaasNames, FollowTheGatewayPattern) {
  for (const char* good : {"echo", "plate-recognition", "a_b.openfaas-fn", "F00"}) {
    EXPECT_TRUE(is_valid_function_name(good)) << good;
  }
  for (const char* bad : {"", "a b", "a/b", "ä", "a?b", "a%20"}) EXPECT_FALSE(is_valid_function_name(bad)) << bad;
  const auto qualified = split_function_namespace("echo.team.openfaas-fn");
  EXPECT_EQ(qualified.name, "echo.team");
  EXPECT_EQ(qualified.namespace_name, "openfaas-fn");
  EXPECT_EQ(split_function_namespace("echo").namespace_name, "");
}

TEST(OpenFaasNames, SplitFunctionTargets) {
  const auto check = [](std::string_view target, std::string name, std::string path) {
    const auto split = split_function_target(target);
    ASSERT_TRUE(split) << target;
    EXPECT_EQ(split->name, name) << target;
    EXPECT_EQ(split->path, path) << target;
  };
  check("/function/name/sub/path?x=1", "name", "/sub/path?x=1");
  check("/function/name", "name", "/");
  check("/function/name/", "name", "/");
  check("/function/name?x=1", "name", "/?x=1");
  check("/function/a.openfaas-fn/p", "a.openfaas-fn", "/p");
  EXPECT_FALSE(split_function_target("/function/"));
  EXPECT_FALSE(split_function_target("/functions/x"));
  EXPECT_FALSE(split_function_target("/system/function/x"));
  const auto peer = split_function_target(forward_target("x/y"), wire::kForwardPrefix);
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->path, "/y");
}

TEST(OpenFaasAuth, SecretsAreTrimmedAndCheckedExactly) {
  const auto dir = std::filesystem::temp_directory_path() / ("fogsched-secrets-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  EXPECT_FALSE(read_basic_auth_secrets(dir));
  std::ofstream(dir / "basic-auth-user") << "admin\n";
  std::ofstream(dir / "basic-auth-password") << "  s3cret \n\n";
  const auto credentials = read_basic_auth_secrets(dir);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->user, "admin");
  EXPECT_EQ(credentials->password, "s3cret");
  EXPECT_EQ(basic_auth_header(*credentials), "Basic YWRtaW46czNjcmV0");  // base64("admin:s3cret")

  Request request{http::verb::get, "/system/info", 11};
  EXPECT_FALSE(basic_auth_matches(request, *credentials));
  request.set(http::field::authorization, "basic YWRtaW46czNjcmV0");
  EXPECT_TRUE(basic_auth_matches(request, *credentials));
  request.set(http::field::authorization, basic_auth_header({"admin", "s3cret!"}));
  EXPECT_FALSE(basic_auth_matches(request, *credentials));
  request.set(http::field::authorization, basic_auth_header({"admin", "s3cre"}));
  EXPECT_FALSE(basic_auth_matches(request, *credentials));
  request.set(http::field::authorization, "Bearer YWRtaW46czNjcmV0");
  EXPECT_FALSE(basic_auth_matches(request, *credentials));

  const Response refusal = unauthorized(request);
  EXPECT_EQ(refusal.result(), http::status::unauthorized);
  EXPECT_EQ(header(refusal, "WWW-Authenticate"), R"(Basic realm="Restricted")");
  EXPECT_EQ(refusal.body(), "invalid credentials");
}

TEST(OpenFaasJson, Rfc3339AsGoWritesIt) {
  const auto time = parse_rfc3339("2026-11-27T18:18:54.38293459Z");
  EXPECT_EQ(format_rfc3339(time), "2026-11-27T18:18:54.38293459Z");
  EXPECT_EQ(format_rfc3339(parse_rfc3339("2026-11-27T19:18:54+01:00")), "2026-11-27T18:18:54Z");
  EXPECT_THROW(parse_rfc3339("2026-11-27 18:18:54"), std::invalid_argument);
  EXPECT_THROW(parse_rfc3339("2026-13-27T18:18:54Z"), std::invalid_argument);
}

TEST(OpenFaasJson, DeploymentOmitsEmptyFieldsAndRoundTrips) {
  FunctionDeployment minimal;
  minimal.service = "echo";
  EXPECT_EQ(json(minimal).dump(), R"({"image":"","service":"echo"})");

  const json full = json::parse(R"({"service":"echo","image":"of-watchdog","namespace":"openfaas-fn",
      "envProcess":"cat","envVars":{"mode":"streaming"},"constraints":["node.role==worker"],"secrets":["s"],
      "labels":{"com.openfaas.scale.min":"1"},"annotations":{"a":"b"},"limits":{"memory":"128Mi"},
      "requests":{"cpu":"100m"},"readOnlyRootFilesystem":true,"unknownField":1})");
  const auto deployment = full.get<FunctionDeployment>();
  EXPECT_EQ(deployment.env_process, "cat");
  EXPECT_EQ(deployment.labels.at("com.openfaas.scale.min"), "1");
  EXPECT_EQ(deployment.limits->memory, "128Mi");
  EXPECT_EQ(deployment.requests->cpu, "100m");
  EXPECT_TRUE(deployment.read_only_root_filesystem);
  json written = deployment;
  EXPECT_FALSE(written.contains("unknownField"));
  EXPECT_EQ(written.get<FunctionDeployment>(), deployment);
  EXPECT_THROW(json::parse(R"({"service":3})").get<FunctionDeployment>(), json::exception);
}

TEST(OpenFaasJson, StatusWritesInvocationCountAsGoDoes) {
  FunctionStatus status;
  status.name = "echo";
  status.image = "of-watchdog";
  status.namespace_name = "openfaas-fn";
  status.invocation_count = 4;
  status.replicas = 1;
  status.available_replicas = 1;
  status.created_at = parse_rfc3339("2026-11-27T18:18:54.447484756Z");
  // Field for field the gateway's answer in openfaas-transcript.txt.
  EXPECT_EQ(nlohmann::ordered_json(status).dump(),
            R"({"name":"echo","image":"of-watchdog","namespace":"openfaas-fn","invocationCount":4,"replicas":1,)"
            R"("availableReplicas":1,"createdAt":"2026-11-27T18:18:54.447484756Z"})");
  status.invocation_count = 2.5;
  EXPECT_EQ(json(status)["invocationCount"], 2.5);
  EXPECT_EQ(json(status).get<FunctionStatus>(), status);
}

// --------------------------------------------------------------------------------
// Routes without a function

TEST(HostRoutes, HealthzIs200) {
  HostUnderTest host(base_config());
  const Response response = host.send(http::verb::get, "/healthz");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "OK");
}

TEST(HostRoutes, UnknownRoutesAndInvalidNamesAre404PageNotFound) {
  HostUnderTest host(base_config());
  for (const char* target :
       {"/nothing", "/function/", "/function/a%20b", "/async-function/", "/async-function/a%20b", "/system/nothing"}) {
    const Response response = host.send(http::verb::post, target, "x");
    EXPECT_EQ(response.result(), http::status::not_found) << target;
    EXPECT_EQ(response.body(), "404 page not found\n") << target;
  }
}

// As a gateway without a queue configured (openfaas-transcript.txt).
TEST(HostRoutes, AsyncWithoutAQueueIs404PageNotFound) {
  HostConfig config = base_config();
  config.queue.capacity = 0;
  HostUnderTest host(std::move(config));
  const Response response = host.send(http::verb::post, "/async-function/echo", "x");
  EXPECT_EQ(response.result(), http::status::not_found);
  EXPECT_EQ(response.body(), "404 page not found\n");
}

TEST(HostRoutes, UnknownFunctionIs404WithScaleFromZero) {
  HostUnderTest host(base_config());
  const Response response = host.send(http::verb::get, "/function/nope");
  EXPECT_EQ(response.result(), http::status::not_found);
  EXPECT_EQ(response.body(),
            "error finding function nope.openfaas-fn: server returned non-200 status code (404) for function, nope, "
            "body: ");
  EXPECT_EQ(header(response, "Content-Type"), "text/plain; charset=utf-8");
}

TEST(HostRoutes, UnknownFunctionIs503WithoutScaleFromZero) {
  HostConfig config = base_config();
  config.scale_from_zero = false;
  HostUnderTest host(std::move(config));
  const Response response = host.send(http::verb::get, "/function/nope");
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(response.body(), "No endpoints available for: nope.\n");
  EXPECT_EQ(header(response, "X-OpenFaaS-Internal"), "proxy");
  EXPECT_FALSE(header(response, "X-Call-Id").empty());
}

// --------------------------------------------------------------------------------
// /function/{name}

TEST(HostInvoke, CommandAnswersWithItsStdoutAndGatewayHeaders) {
  HostUnderTest host(base_config());
  std::string binary(300, '\0');
  for (std::size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 7);
  const Response response = host.send(http::verb::post, "/function/echo", binary);
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), binary);
  EXPECT_EQ(header(response, "Content-Type"), "application/octet-stream");
  EXPECT_TRUE(std::regex_match(header(response, "X-Call-Id"),
                               std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << header(response, "X-Call-Id");
  EXPECT_TRUE(std::regex_match(header(response, "X-Start-Time"), std::regex("[0-9]{19}")));
  EXPECT_TRUE(std::regex_match(header(response, "X-Duration-Seconds"), std::regex("[0-9]+\\.[0-9]{6}")));

  Request with_id = host.request(http::verb::post, "/function/echo.openfaas-fn", "with id");
  with_id.set("X-Call-Id", "my-call-id");
  const Response kept = host.send(std::move(with_id));
  EXPECT_EQ(kept.body(), "with id");
  EXPECT_EQ(header(kept, "X-Call-Id"), "") << "the gateway returns only an id it made";
}

TEST(HostInvoke, CommandSeesSubPathQueryMethodAndHeadersAsHttpVariables) {
  HostConfig config = base_config();
  config.functions.push_back(command_function(
      "env",
      {"sh", "-c",
       R"(printf '%s|%s|%s|%s|%s' "$Http_Method" "$Http_Path" "$Http_Query" "$Http_X_Custom_Tag" "$GREETING")"}));
  config.functions.back().env_vars["GREETING"] = "hi";
  HostUnderTest host(std::move(config));
  Request request = host.request(http::verb::put, "/function/env/sub/path?x=1&y=2", "");
  request.set("x-custom-tag", "camera-7");
  const Response response = host.send(std::move(request));
  EXPECT_EQ(response.result(), http::status::ok) << response.body();
  EXPECT_EQ(response.body(), "PUT|/sub/path|x=1&y=2|camera-7|hi");

  const Response bare = host.send(http::verb::get, "/function/env");
  EXPECT_EQ(bare.body(), "GET|/|||hi");
}

TEST(HostInvoke, FailingCommandIs500WithItsStderr) {
  HostConfig config = base_config();
  config.functions.push_back(command_function("fail", {"sh", "-c", "echo broken >&2; exit 3"}));
  config.functions.push_back(command_function("missing", {"/nonexistent/program"}));
  HostUnderTest host(std::move(config));
  const Response response = host.send(http::verb::post, "/function/fail", "x");
  EXPECT_EQ(response.result(), http::status::internal_server_error);
  EXPECT_EQ(response.body(), "broken\n");
  EXPECT_EQ(host.send(http::verb::post, "/function/missing", "x").result(), http::status::internal_server_error);
}

TEST(HostInvoke, CommandBeyondExecTimeoutIsKilledAnd504) {
  HostConfig config = base_config();
  config.functions.push_back(command_function("slow", {"sh", "-c", "sleep 30; echo late"}));
  config.functions.back().exec_timeout = 200ms;
  HostUnderTest host(std::move(config));
  const auto began = std::chrono::steady_clock::now();
  const Response response = host.send(http::verb::post, "/function/slow", "x");
  EXPECT_EQ(response.result(), http::status::gateway_timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 10s) << "the process group was not killed at exec_timeout";
}

TEST(HostInvoke, SyntheticNoOpAnswers200) {
  HostConfig config = base_config();
  config.functions.push_back(synthetic_function("noop", "deterministic(0s)"));
  HostUnderTest host(std::move(config));
  const Response response = host.send(http::verb::post, "/function/noop", "payload");
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "0.000000\n");
}

TEST(HostInvoke, SyntheticHoldsForTheServiceTimeTheCallerNames) {
  HostConfig config = base_config();
  config.functions.push_back(synthetic_function("plate", "exponential(1h)"));
  HostUnderTest host(std::move(config));
  Request named = host.request(http::verb::post, "/function/plate", "x");
  named.set(header_name(wire::kServiceSecondsHeader), "0.002");
  const Response response = host.send(named);
  EXPECT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response.body(), "0.002000\n") << "the named time, not a draw with a mean of an hour";
  EXPECT_GE(std::stod(std::string(response["X-Duration-Seconds"])), 0.002);
}

// A named time beyond exec_timeout is the exec timeout's 504 after exec_timeout, even
// when it is too large for nanoseconds (compared in seconds, never converted).
TEST(HostInvoke, SyntheticNamedTimeBeyondExecTimeoutIs504) {
  HostConfig config = base_config();
  config.functions.push_back(synthetic_function("plate", "deterministic(0s)"));
  config.functions.back().exec_timeout = 50ms;
  HostUnderTest host(std::move(config));
  for (const char* seconds : {"1", "9.3e9", "1e300"}) {
    Request named = host.request(http::verb::post, "/function/plate", "x");
    named.set(header_name(wire::kServiceSecondsHeader), seconds);
    const auto began = std::chrono::steady_clock::now();
    const Response response = host.send(named);
    EXPECT_EQ(response.result(), http::status::gateway_timeout) << seconds;
    EXPECT_GE(std::chrono::steady_clock::now() - began, 50ms) << seconds;
  }
}

// A named time that is not a finite, non-negative number is the caller's mistake: a
// 400 naming the header and the value, not a silent draw.
TEST(HostInvoke, SyntheticUnusableNamedTimeIs400) {
  HostConfig config = base_config();
  config.functions.push_back(synthetic_function("plate", "deterministic(0s)"));
  config.functions.back().exec_timeout = Duration::zero();
  HostUnderTest host(std::move(config));
  for (const char* seconds : {"", "abc", "1s", "-1", "nan", "inf", "1e300"}) {
    Request named = host.request(http::verb::post, "/function/plate", "x");
    named.set(header_name(wire::kServiceSecondsHeader), seconds);
    const Response response = host.send(named);
    EXPECT_EQ(response.result(), http::status::bad_request) << "'" << seconds << "'";
    EXPECT_NE(response.body().find(std::string(wire::kServiceSecondsHeader)), std::string::npos) << response.body();
    EXPECT_NE(response.body().find(fmt::format("'{}'", seconds)), std::string::npos) << response.body();
  }
}

// The watchdog's max_inflight: N requests hold every slot, the next is refused with
// the watchdog's exact 429. One event-loop thread, so a request counted as started
// has taken its slot before anything else runs.
TEST(HostInvoke, RequestBeyondMaxInflightIs429) {
  constexpr std::uint32_t kSlots = 3;
  HostConfig config = base_config();
  config.metrics_listen = "127.0.0.1:0";
  config.functions.push_back(synthetic_function("hold", "deterministic(1h)"));
  config.functions.back().max_inflight = kSlots;
  config.functions.back().exec_timeout = Duration::zero();
  HostUnderTest host(std::move(config), 1);

  std::vector<std::future<Response>> held;
  for (std::uint32_t i = 0; i < kSlots; ++i) held.push_back(host.send_later(http::verb::post, "/function/hold"));
  const std::string started = "gateway_function_invocation_started{function_name=\"hold.openfaas-fn\"} 3\n";
  bool all_started = false;
  for (int attempt = 0; attempt < 200 && !all_started; ++attempt) {  // bounded: at most 200 polls
    all_started = host.metrics().body().find(started) != std::string::npos;
  }
  ASSERT_TRUE(all_started) << host.metrics().body();

  const Response refused = host.send(http::verb::post, "/function/hold");
  EXPECT_EQ(refused.result(), http::status::too_many_requests);
  EXPECT_EQ(refused.body(), "Concurrent request limit exceeded. Max concurrent requests: 3\n");
  EXPECT_EQ(header(refused, "X-OpenFaaS-Internal"), "faas-middleware");
  EXPECT_EQ(header(refused, "Content-Type"), "text/plain; charset=utf-8");
  for (auto& request : held) EXPECT_EQ(request.wait_for(0s), std::future_status::timeout) << "a held slot ended";
  EXPECT_NE(host.metrics().body().find(
                "gateway_function_invocation_total{code=\"429\",function_name=\"hold.openfaas-fn\"} 1\n"),
            std::string::npos);
  // Another function is not limited by this one's slots.
  EXPECT_EQ(host.send(http::verb::post, "/function/echo", "free").body(), "free");
}

// A small upstream that reports what it received.
struct Upstream {
  explicit Upstream(IoContextPool& contexts)
      : server(contexts, parse_listen_address("127.0.0.1:0"), {},
               [](Request request, ClientInfo) -> asio::awaitable<Response> {
                 Response response{http::status::created, request.version()};
                 response.set("X-Seen-Method", request.method_string());
                 response.set("X-Seen-Target", request.target());
                 for (const char* name : {"X-Forwarded-For", "X-Forwarded-Host", "X-Call-Id", "X-Start-Time"}) {
                   if (const auto it = request.find(name); it != request.end()) {
                     response.set(std::string("X-Seen-") + name, it->value());
                   }
                 }
                 response.body() = "upstream:" + request.body();
                 response.prepare_payload();
                 co_return response;
               }) {
    server.start();
  }
  Url url() const { return Url{"127.0.0.1", server.local_endpoint().port(), "/base"}; }
  HttpServer server;
};

TEST(HostInvoke, HttpFunctionIsProxiedWithForwardedHeaders) {
  Loop upstream_loop(1);
  Upstream upstream(upstream_loop.contexts());
  HostConfig config = base_config();
  HostedFunction up;
  up.name = "up";
  up.kind = HttpFunction{upstream.url()};
  config.functions.push_back(up);
  HostedFunction down;
  down.name = "down";
  down.kind = HttpFunction{parse_url("http://127.0.0.1:1")};
  config.functions.push_back(down);
  HostUnderTest host(std::move(config));

  const Response response = host.send(http::verb::patch, "/function/up/sub?x=1", "body");
  EXPECT_EQ(response.result(), http::status::created);
  EXPECT_EQ(response.body(), "upstream:body");
  EXPECT_EQ(header(response, "X-Seen-Method"), "PATCH");
  EXPECT_EQ(header(response, "X-Seen-Target"), "/base/sub?x=1");
  EXPECT_EQ(header(response, "X-Seen-X-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(header(response, "X-Seen-X-Forwarded-Host"), "gateway.test");
  EXPECT_EQ(header(response, "X-Seen-X-Call-Id"), header(response, "X-Call-Id"));
  EXPECT_EQ(header(response, "X-Seen-X-Start-Time"), header(response, "X-Start-Time"));

  const Response unreachable = host.send(http::verb::get, "/function/down");
  EXPECT_EQ(unreachable.result(), http::status::internal_server_error);
  EXPECT_EQ(unreachable.body(), "Can't reach service for: down.\n");
}

// --------------------------------------------------------------------------------
// /async-function/{name}

// A loopback server that records the callbacks it receives and answers 200.
class CallbackReceiver {
 public:
  explicit CallbackReceiver(IoContextPool& contexts)
      : server_(contexts, parse_listen_address("127.0.0.1:0"), {},
                [this](Request request, ClientInfo) -> asio::awaitable<Response> {
                  {
                    // Notified under the lock: the waiter may destroy the receiver as
                    // soon as it has the lock back.
                    std::lock_guard lock(mutex_);
                    received_.push_back(request);
                    arrived_.notify_all();
                  }
                  co_return text_response(http::status::ok, "thanks", request);
                }) {
    server_.start();
  }

  // The callback URL, with a path and a query the callback must keep.
  std::string url() const { return fmt::format("http://127.0.0.1:{}/done?from=host", server_.local_endpoint().port()); }

  // The first `count` callbacks, waiting for them at most `timeout`; fewer when they
  // did not arrive in time.
  std::vector<Request> wait_for(std::size_t count, std::chrono::steady_clock::duration timeout = kRequestTimeout) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
    return received_;
  }

  std::size_t received() const {
    std::lock_guard lock(mutex_);
    return received_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<Request> received_;  // guarded by mutex_
  HttpServer server_;              // last: it stops before what its handler uses goes
};

std::string header(const Request& request, std::string_view name) {
  const auto it = request.find(beast::string_view(name.data(), name.size()));
  return it == request.end() ? std::string() : std::string(it->value());
}

Request async_call(const HostUnderTest& host, std::string target, std::string body, const std::string& callback_url) {
  Request request = host.request(http::verb::post, std::move(target), std::move(body));
  request.set(header_name(kCallbackUrlHeader), callback_url);
  return request;
}

const std::regex kUuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

TEST(HostAsync, AcceptsWith202AndTheCallIdKeptOrMade) {
  HostUnderTest host(base_config());
  Request with_id = host.request(http::verb::post, "/async-function/echo", "x");
  with_id.set("X-Call-Id", "my-call-id");
  const Response kept = host.send(std::move(with_id));
  EXPECT_EQ(kept.result(), http::status::accepted);
  EXPECT_EQ(kept.body(), "");
  EXPECT_EQ(header(kept, "X-Call-Id"), "my-call-id");

  const Response made = host.send(http::verb::post, "/async-function/echo", "x");
  EXPECT_EQ(made.result(), http::status::accepted);
  EXPECT_TRUE(std::regex_match(header(made, "X-Call-Id"), kUuid)) << header(made, "X-Call-Id");
}

TEST(HostAsync, CallbackCarriesTheFunctionsAnswerAndTheGatewayHeaders) {
  HostConfig config = base_config();
  config.metrics_listen = "127.0.0.1:0";
  HostUnderTest host(std::move(config));
  CallbackReceiver receiver(host.loop().contexts());
  const Response accepted = host.send(async_call(host, "/async-function/echo/sub?x=1", "hello", receiver.url()));
  ASSERT_EQ(accepted.result(), http::status::accepted);

  const std::vector<Request> callbacks = receiver.wait_for(1);
  ASSERT_EQ(callbacks.size(), 1u);
  const Request& callback = callbacks[0];
  EXPECT_EQ(callback.method(), http::verb::post);
  EXPECT_EQ(callback.target(), "/done?from=host");
  EXPECT_EQ(callback.body(), "hello");
  EXPECT_EQ(header(callback, "X-Call-Id"), header(accepted, "X-Call-Id"));
  EXPECT_EQ(header(callback, kFunctionStatusHeader), "200");
  EXPECT_EQ(header(callback, kFunctionNameHeader), "echo");
  EXPECT_TRUE(std::regex_match(header(callback, "X-Duration-Seconds"), std::regex("[0-9]+\\.[0-9]{6}")))
      << header(callback, "X-Duration-Seconds");

  // The gateway's series count the call as the worker ran it; the queue is empty again.
  const std::string text = host.metrics().body();
  for (const char* line : {"gateway_function_invocation_total{code=\"200\",function_name=\"echo.openfaas-fn\"} 1\n",
                           "gateway_async_queue_depth 0\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin\n" << text;
  }
}

TEST(HostAsync, TheFunctionsOwnErrorTravelsInXFunctionStatus) {
  HostConfig config = base_config();
  config.functions.push_back(command_function("fail", {"sh", "-c", "echo broken >&2; exit 3"}));
  HostUnderTest host(std::move(config));
  CallbackReceiver receiver(host.loop().contexts());
  ASSERT_EQ(host.send(async_call(host, "/async-function/fail", "x", receiver.url())).result(), http::status::accepted);
  const std::vector<Request> callbacks = receiver.wait_for(1);
  ASSERT_EQ(callbacks.size(), 1u);
  EXPECT_EQ(header(callbacks[0], kFunctionStatusHeader), "500");
  EXPECT_EQ(header(callbacks[0], kFunctionNameHeader), "fail");
  EXPECT_EQ(callbacks[0].body(), "broken\n");
}

// The worker waits for a slot instead of failing with 429: six calls of 200 ms on
// two slots take three rounds, and the running count never passes two.
TEST(HostAsync, WorkerWaitsForASlotAndNeverExceedsMaxInflight) {
  constexpr int kCalls = 6;
  constexpr std::uint32_t kSlots = 2;
  constexpr double kServiceSeconds = 0.2;
  HostConfig config = base_config();
  config.metrics_listen = "127.0.0.1:0";
  config.functions.push_back(synthetic_function("busy", "exponential(1h)"));
  config.functions.back().max_inflight = kSlots;
  HostUnderTest host(std::move(config));
  CallbackReceiver receiver(host.loop().contexts());

  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) {
    Request call = async_call(host, "/async-function/busy", "", receiver.url());
    call.set(header_name(wire::kServiceSecondsHeader), std::to_string(kServiceSeconds));
    ASSERT_EQ(host.send(std::move(call)).result(), http::status::accepted);
  }
  // Running = started - finished, sampled from the metrics while the calls run.
  const std::regex started(R"(gateway_function_invocation_started\{function_name="busy.openfaas-fn"\} (\d+))");
  const std::regex finished(
      R"(gateway_function_invocation_total\{code="\d+",function_name="busy.openfaas-fn"\} (\d+))");
  int most_running = 0;
  for (int sample = 0; sample < 500 && receiver.received() < kCalls; ++sample) {  // bounded
    const std::string text = host.metrics().body();
    std::smatch match;
    int running = std::regex_search(text, match, started) ? std::stoi(match[1]) : 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), finished); it != std::sregex_iterator(); ++it) {
      running -= std::stoi((*it)[1]);
    }
    most_running = std::max(most_running, running);
  }
  const std::vector<Request> callbacks = receiver.wait_for(kCalls);
  const auto elapsed = std::chrono::steady_clock::now() - began;
  ASSERT_EQ(callbacks.size(), static_cast<std::size_t>(kCalls));
  for (const Request& callback : callbacks) EXPECT_EQ(header(callback, kFunctionStatusHeader), "200");
  EXPECT_LE(most_running, static_cast<int>(kSlots));
  EXPECT_GE(elapsed, std::chrono::duration<double>(kServiceSeconds * kCalls / kSlots))
      << "more than " << kSlots << " calls ran at once";
}

TEST(HostAsync, NamespaceFormRunsAndOtherNamespacesAre404) {
  HostUnderTest host(base_config());
  CallbackReceiver receiver(host.loop().contexts());
  EXPECT_EQ(host.send(async_call(host, "/async-function/echo.openfaas-fn", "qualified", receiver.url())).result(),
            http::status::accepted);
  const std::vector<Request> callbacks = receiver.wait_for(1);
  ASSERT_EQ(callbacks.size(), 1u);
  EXPECT_EQ(callbacks[0].body(), "qualified");
  EXPECT_EQ(header(callbacks[0], kFunctionStatusHeader), "200");

  const Response elsewhere = host.send(async_call(host, "/async-function/echo.other", "x", receiver.url()));
  EXPECT_EQ(elsewhere.result(), http::status::not_found);
  EXPECT_EQ(elsewhere.body(),
            "error finding function echo.other: server returned non-200 status code (404) for function, echo, body: ");
  const Response unknown = host.send(async_call(host, "/async-function/nope", "x", receiver.url()));
  EXPECT_EQ(unknown.result(), http::status::not_found);
  EXPECT_EQ(host.send(http::verb::post, "/function/echo", "after").body(), "after");
  EXPECT_EQ(receiver.received(), 1u) << "a refused call was queued";
}

TEST(HostAsync, BadCallbackUrlIs400AndOtherMethodsAre405) {
  HostUnderTest host(base_config());
  for (const char* url :
       {"https://127.0.0.1/done", "ftp://127.0.0.1/", "127.0.0.1:9/done", "http://", "http://127.0.0.1:99999/"}) {
    const Response response = host.send(async_call(host, "/async-function/echo", "x", url));
    EXPECT_EQ(response.result(), http::status::bad_request) << url;
    EXPECT_NE(response.body().find(url), std::string::npos) << url << ": " << response.body();
  }
  for (const http::verb method : {http::verb::get, http::verb::put, http::verb::delete_}) {
    const Response response = host.send(method, "/async-function/echo");
    EXPECT_EQ(response.result(), http::status::method_not_allowed) << method;
    EXPECT_EQ(response.body(), "");
  }
}

// Calls accepted and not finished are bounded: the next is refused with 503.
TEST(HostAsync, FullQueueIs503) {
  HostConfig config = base_config();
  config.metrics_listen = "127.0.0.1:0";
  config.queue.capacity = 2;
  config.functions.push_back(synthetic_function("hold", "deterministic(1h)"));
  config.functions.back().exec_timeout = Duration::zero();
  HostUnderTest host(std::move(config));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(host.send(http::verb::post, "/async-function/hold").result(), http::status::accepted);
  }
  const Response full = host.send(http::verb::post, "/async-function/hold");
  EXPECT_EQ(full.result(), http::status::service_unavailable);
  EXPECT_EQ(full.body(), "Async queue is full: 2 calls accepted and not finished\n");
  EXPECT_EQ(header(full, "Retry-After"), "1");
  EXPECT_NE(host.metrics().body().find("gateway_async_queue_depth 2\n"), std::string::npos);
  EXPECT_EQ(host.send(http::verb::post, "/function/echo", "sync still runs").body(), "sync still runs");
}

// Drain finishes the queued calls, callbacks included, before it reports the host done.
TEST(HostAsync, DrainWaitsForQueuedCalls) {
  HostConfig config = base_config();
  config.functions.push_back(synthetic_function("slow", "deterministic(300ms)"));
  HostUnderTest host(std::move(config));
  CallbackReceiver receiver(host.loop().contexts());
  ASSERT_EQ(host.send(async_call(host, "/async-function/slow", "", receiver.url())).result(), http::status::accepted);

  std::promise<std::size_t> drained;
  host.host().drain(kRequestTimeout, [&] { drained.set_value(receiver.received()); });
  auto callbacks_when_drained = drained.get_future();
  ASSERT_EQ(callbacks_when_drained.wait_for(kRequestTimeout), std::future_status::ready);
  EXPECT_EQ(callbacks_when_drained.get(), 1u) << "the host reported drained before the queued call called back";
}

// --------------------------------------------------------------------------------
// execution_log: which call ids ran, once each

// A fresh path for an execution log under the temporary directory, removed with it.
class LogFile {
 public:
  explicit LogFile(std::string_view test)
      : dir_(std::filesystem::temp_directory_path() / fmt::format("fogsched-{}-{}", test, ::getpid())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~LogFile() { std::filesystem::remove_all(dir_); }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  std::filesystem::path path() const { return dir_ / "runs.jsonl"; }
  // The call ids of the log's lines, in order, each line checked to be the documented JSON.
  std::vector<std::string> call_ids(std::string_view function) const {
    std::vector<std::string> ids;
    std::ifstream in(path());
    for (std::string line; std::getline(in, line);) {
      const json record = json::parse(line);
      EXPECT_EQ(record.size(), 2u) << line;
      EXPECT_EQ(record.at("function"), function) << line;
      ids.push_back(record.at("call_id").get<std::string>());
    }
    return ids;
  }

 private:
  std::filesystem::path dir_;
};

TEST(HostExecutionLog, RecordsEveryCallHandedToAFunctionOnce) {
  const LogFile log("execution-log");
  HostConfig config = base_config();
  config.execution_log = log.path();
  HostUnderTest host(std::move(config));

  Request named = host.request(http::verb::post, "/function/echo", "a");
  named.set("X-Call-Id", "call-a");
  ASSERT_EQ(host.send(std::move(named)).result(), http::status::ok);
  const Response made = host.send(http::verb::post, "/function/echo", "b");
  ASSERT_EQ(made.result(), http::status::ok);
  Request unknown = host.request(http::verb::post, "/function/missing", "c");
  unknown.set("X-Call-Id", "call-missing");
  ASSERT_EQ(host.send(std::move(unknown)).result(), http::status::not_found);
  Request queued = host.request(http::verb::post, "/async-function/echo", "d");
  queued.set("X-Call-Id", "call-async");
  ASSERT_EQ(host.send(std::move(queued)).result(), http::status::accepted);

  std::promise<void> drained;  // the drain waits for the queued call to run
  host.host().drain(kRequestTimeout, [&] { drained.set_value(); });
  ASSERT_EQ(drained.get_future().wait_for(kRequestTimeout), std::future_status::ready);
  EXPECT_EQ(log.call_ids("echo"), (std::vector<std::string>{"call-a", header(made, "X-Call-Id"), "call-async"}));
}

// A call is recorded as it starts (a call still running is in the log) and only once
// the watchdog lets it in: the limiter's 429 ran nothing. One event-loop thread, so a
// call counted as started has taken its slot before anything else runs.
TEST(HostExecutionLog, RecordsACallAsItStartsAndNotOneRefusedAtMaxInflight) {
  const LogFile log("execution-log-held");
  HostConfig config = base_config();
  config.execution_log = log.path();
  config.metrics_listen = "127.0.0.1:0";
  config.functions.push_back(synthetic_function("hold", "deterministic(1h)"));
  config.functions.back().max_inflight = 1;
  config.functions.back().exec_timeout = Duration::zero();
  HostUnderTest host(std::move(config), 1);

  Request held_call = host.request(http::verb::post, "/function/hold");
  held_call.set("X-Call-Id", "call-held");
  std::future<Response> held = host.send_later(std::move(held_call));
  bool started = false;
  for (int attempt = 0; attempt < 200 && !started; ++attempt) {  // bounded: at most 200 polls
    started = host.metrics().body().find(
                  "gateway_function_invocation_started{function_name=\"hold.openfaas-fn\"} 1\n") != std::string::npos;
  }
  ASSERT_TRUE(started);
  Request refused_call = host.request(http::verb::post, "/function/hold");
  refused_call.set("X-Call-Id", "call-refused");
  ASSERT_EQ(host.send(std::move(refused_call)).result(), http::status::too_many_requests);
  EXPECT_EQ(held.wait_for(0s), std::future_status::timeout);
  EXPECT_EQ(log.call_ids("hold"), std::vector<std::string>{"call-held"});
}

TEST(HostExecutionLog, AFileThatCannotBeOpenedIsNamed) {
  HostConfig config = base_config();
  config.execution_log = std::filesystem::path("/nonexistent-fogsched-dir/runs.jsonl");
  Loop loop;
  try {
    FunctionHost host(loop.contexts(), std::move(config));
    FAIL() << "the host started without its execution log";
  } catch (const HostConfigError& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "/nonexistent-fogsched-dir/runs.jsonl: execution_log: cannot open for appending: No such file or directory");
  }
}

// --------------------------------------------------------------------------------
// latency: a WAN link in front of the gateway

TEST(HostLatency, CallsCrossTheLinkBothWays) {
  HostConfig config = base_config();
  config.latency = 100ms;
  config.functions.push_back(synthetic_function("noop", "deterministic(0s)"));
  HostUnderTest host(std::move(config));
  for (const char* target : {"/function/noop", "/async-function/noop"}) {
    Request call = host.request(http::verb::post, target);
    call.set(header_name(wire::kServiceSecondsHeader), "0");
    const auto began = std::chrono::steady_clock::now();
    const Response response = host.send(std::move(call));
    const auto elapsed = std::chrono::steady_clock::now() - began;
    EXPECT_LT(response.result_int(), 300u) << target;
    EXPECT_GE(elapsed, 200ms) << target;
    EXPECT_LT(elapsed, 2s) << target;
  }
}

TEST(HostLatency, SystemRoutesAndHealthzAreNotDelayed) {
  HostConfig config = base_config();
  config.latency = 5s;
  HostUnderTest host(std::move(config));
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(host.send(http::verb::get, "/healthz").result(), http::status::ok);
  EXPECT_EQ(host.send(http::verb::get, "/system/functions").result(), http::status::ok);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
}

// One slot, three calls at once: each holds the slot only while it runs (no time at
// all), not while it crosses the link, so none is refused. One event-loop thread, so
// executions cannot overlap.
TEST(HostLatency, MaxInflightCountsOnlyTheExecution) {
  HostConfig config = base_config();
  config.latency = 200ms;
  config.functions.push_back(synthetic_function("one", "deterministic(0s)"));
  config.functions.back().max_inflight = 1;
  HostUnderTest host(std::move(config), 1);
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::future<Response>> calls;
  calls.reserve(3);
  for (int i = 0; i < 3; ++i) calls.push_back(host.send_later(http::verb::post, "/function/one"));
  for (auto& call : calls) {
    ASSERT_EQ(call.wait_for(kRequestTimeout), std::future_status::ready);
    EXPECT_EQ(call.get().result(), http::status::ok);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - began, 400ms) << "the calls did not cross the link";
}

// --------------------------------------------------------------------------------
// /system/*

TEST(HostSystem, BasicAuthGuardsSystemRoutesOnly) {
  HostConfig config = base_config();
  config.basic_auth = BasicAuthCredentials{"admin", "s3cret"};
  HostUnderTest host(std::move(config));

  const Response none = host.send(http::verb::get, "/system/functions");
  EXPECT_EQ(none.result(), http::status::unauthorized);
  EXPECT_EQ(none.body(), "invalid credentials");
  EXPECT_EQ(header(none, "WWW-Authenticate"), R"(Basic realm="Restricted")");

  Request wrong = host.request(http::verb::get, "/system/info");
  wrong.set(http::field::authorization, basic_auth_header({"admin", "wrong"}));
  EXPECT_EQ(host.send(std::move(wrong)).result(), http::status::unauthorized);

  Request right = host.request(http::verb::get, "/system/info");
  right.set(http::field::authorization, basic_auth_header({"admin", "s3cret"}));
  EXPECT_EQ(host.send(std::move(right)).result(), http::status::ok);

  EXPECT_EQ(host.send(http::verb::post, "/function/echo", "open").body(), "open");
  EXPECT_EQ(host.send(http::verb::get, "/healthz").result(), http::status::ok);
}

TEST(HostSystem, ListsFunctionStatusesWithTheApiFieldNames) {
  HostConfig config = base_config();
  config.functions.front().max_inflight = 8;
  config.functions.front().labels["com.fogsched.slots"] = "4";
  HostUnderTest host(std::move(config));
  const auto before = std::chrono::system_clock::now();

  Response list = host.send(http::verb::get, "/system/functions");
  EXPECT_EQ(list.result(), http::status::ok);
  EXPECT_EQ(header(list, "Content-Type"), "application/json");
  json functions = json::parse(list.body());
  ASSERT_TRUE(functions.is_array());
  ASSERT_EQ(functions.size(), 1u);
  const json& echo = functions[0];
  EXPECT_EQ(echo["name"], "echo");
  EXPECT_EQ(echo["image"], "fogsched/command");
  EXPECT_EQ(echo["namespace"], "openfaas-fn");
  EXPECT_EQ(echo["envProcess"], "cat");
  EXPECT_EQ(echo["envVars"]["max_inflight"], "8");
  EXPECT_EQ(echo["labels"]["com.fogsched.slots"], "4");
  EXPECT_EQ(echo["replicas"], 1);
  EXPECT_EQ(echo["availableReplicas"], 1);
  EXPECT_LE(parse_rfc3339(echo["createdAt"].get<std::string>()), before);
  EXPECT_FALSE(echo.contains("invocationCount")) << "omitted while zero";
  EXPECT_FALSE(echo.contains("annotations")) << "omitted while empty";

  host.send(http::verb::post, "/function/echo", "a");
  host.send(http::verb::post, "/function/echo", "b");
  const json one = json::parse(host.send(http::verb::get, "/system/function/echo").body());
  EXPECT_EQ(one["invocationCount"].dump(), "2");
  EXPECT_EQ(one["createdAt"], echo["createdAt"]);

  const Response missing = host.send(http::verb::get, "/system/function/nope");
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(missing.body(), "");
}

TEST(HostSystem, DeployByPostThenInvoke) {
  HostUnderTest host(base_config());
  const Response deployed =
      host.send(http::verb::post, "/system/functions", R"({"service":"rev","image":"classic","envProcess":"rev"})");
  EXPECT_EQ(deployed.result(), http::status::accepted);
  EXPECT_EQ(deployed.body(), "");
  EXPECT_EQ(host.send(http::verb::post, "/function/rev", "abc\n").body(), "cba\n");

  const Response synthetic = host.send(
      http::verb::post, "/system/functions",
      R"json({"service":"plate","image":"x","annotations":{"com.fogsched.synthetic":"deterministic(0s)"},"envVars":{"max_inflight":"4"}})json");
  EXPECT_EQ(synthetic.result(), http::status::accepted);
  EXPECT_EQ(host.send(http::verb::post, "/function/plate").result(), http::status::ok);
  const json status = json::parse(host.send(http::verb::get, "/system/function/plate").body());
  EXPECT_EQ(status["envVars"]["max_inflight"], "4");
  EXPECT_EQ(status["image"], "x");
}

TEST(HostSystem, BadDeploymentsAre400) {
  HostUnderTest host(base_config());
  const Response truncated = host.send(http::verb::post, "/system/functions", R"({"bad json)");
  EXPECT_EQ(truncated.result(), http::status::bad_request);
  EXPECT_EQ(truncated.body(), "unexpected end of JSON input\n");
  for (const char* body :
       {R"({"service":"x","image":"i"})", R"({"service":"a b","envProcess":"cat"})",
        R"({"service":"x","envProcess":"cat","namespace":"other"})",
        R"json({"service":"x","annotations":{"com.fogsched.synthetic":"gamma(1s)"}})json",
        R"({"service":"x","envProcess":"cat","envVars":{"max_inflight":"-1"}})", R"({"service":3})"}) {
    EXPECT_EQ(host.send(http::verb::post, "/system/functions", body).result(), http::status::bad_request) << body;
  }
}

TEST(HostSystem, UpdateByPutKeepsCreationTimeAndMissingIs404) {
  HostUnderTest host(base_config());
  const Response missing =
      host.send(http::verb::put, "/system/functions", R"({"service":"nope","image":"x","envProcess":"cat"})");
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(missing.body(), "function nope.openfaas-fn not found\n");

  const std::string created = json::parse(host.send(http::verb::get, "/system/function/echo").body())["createdAt"];
  EXPECT_EQ(
      host.send(http::verb::put, "/system/functions", R"({"service":"echo","image":"x","envProcess":"rev"})").result(),
      http::status::accepted);
  EXPECT_EQ(host.send(http::verb::post, "/function/echo", "updated to rev").body(), "ver ot detadpu");
  const json after = json::parse(host.send(http::verb::get, "/system/function/echo").body());
  EXPECT_EQ(after["createdAt"], created);
  EXPECT_EQ(after["envProcess"], "rev");
}

TEST(HostSystem, DeleteThenDeleteAgainIs404) {
  HostUnderTest host(base_config());
  EXPECT_EQ(host.send(http::verb::delete_, "/system/functions", R"({"functionName":"echo"})").result(),
            http::status::accepted);
  const Response again = host.send(http::verb::delete_, "/system/functions", R"({"functionName":"echo"})");
  EXPECT_EQ(again.result(), http::status::not_found);
  EXPECT_EQ(again.body(), "function echo.openfaas-fn not found\n");
  EXPECT_EQ(host.send(http::verb::post, "/function/echo").result(), http::status::not_found);
  EXPECT_EQ(host.send(http::verb::delete_, "/system/functions", "{}").result(), http::status::bad_request);
}

TEST(HostSystem, ScaleToZeroThenInvokeScalesFromZero) {
  HostUnderTest host(base_config());
  const Response missing =
      host.send(http::verb::post, "/system/scale-function/nope", R"({"serviceName":"nope","replicas":1})");
  EXPECT_EQ(missing.result(), http::status::not_found);
  EXPECT_EQ(missing.body(), "function: nope.openfaas-fn not found\n");

  EXPECT_EQ(
      host.send(http::verb::post, "/system/scale-function/echo", R"({"serviceName":"echo","replicas":0})").result(),
      http::status::accepted);
  EXPECT_FALSE(json::parse(host.send(http::verb::get, "/system/function/echo").body()).contains("replicas"));
  EXPECT_EQ(host.send(http::verb::post, "/function/echo", "woke up").body(), "woke up");
  EXPECT_EQ(json::parse(host.send(http::verb::get, "/system/function/echo").body())["replicas"], 1);
}

TEST(HostSystem, ScaledToZeroWithoutScaleFromZeroIs503) {
  HostConfig config = base_config();
  config.scale_from_zero = false;
  HostUnderTest host(std::move(config));
  host.send(http::verb::post, "/system/scale-function/echo", R"({"replicas":0})");
  const Response response = host.send(http::verb::post, "/function/echo", "x");
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(response.body(), "No endpoints available for: echo.\n");
}

TEST(HostSystem, InfoNamespacesAndWrongMethods) {
  HostUnderTest host(base_config());
  const json info = json::parse(host.send(http::verb::get, "/system/info").body());
  EXPECT_TRUE(info["provider"]["provider"].is_string());
  EXPECT_TRUE(info["provider"]["orchestration"].is_string());
  EXPECT_TRUE(info["provider"]["version"]["release"].is_string());
  for (const char* key : {"commit_message", "sha", "release"}) EXPECT_TRUE(info["version"][key].is_string()) << key;
  EXPECT_TRUE(info["arch"].is_string());

  const Response namespaces = host.send(http::verb::get, "/system/namespaces");
  EXPECT_EQ(namespaces.body(), R"(["openfaas-fn"])");
  EXPECT_EQ(header(namespaces, "Content-Type"), "application/json");
  EXPECT_EQ(host.send(http::verb::delete_, "/system/info").result(), http::status::method_not_allowed);
  EXPECT_EQ(host.send(http::verb::get, "/system/logs?name=echo").result(), http::status::not_implemented);
}

TEST(HostMetrics, CountsInvocationsByCodeWithHistogramAndReplicas) {
  HostConfig config = base_config();
  config.metrics_listen = "127.0.0.1:0";
  config.functions.push_back(command_function("fail", {"false"}));
  HostUnderTest host(std::move(config));
  host.send(http::verb::post, "/function/echo", "1");
  host.send(http::verb::post, "/function/echo", "2");
  host.send(http::verb::post, "/function/fail", "3");
  const Response metrics = host.metrics();
  EXPECT_EQ(metrics.result(), http::status::ok);
  const std::string& text = metrics.body();
  for (const char* line : {
           "gateway_function_invocation_started{function_name=\"echo.openfaas-fn\"} 2\n",
           "gateway_function_invocation_total{code=\"200\",function_name=\"echo.openfaas-fn\"} 2\n",
           "gateway_function_invocation_total{code=\"500\",function_name=\"fail.openfaas-fn\"} 1\n",
           "gateway_functions_seconds_bucket{code=\"200\",function_name=\"echo.openfaas-fn\",le=\"+Inf\"} 2\n",
           "gateway_functions_seconds_count{code=\"200\",function_name=\"echo.openfaas-fn\"} 2\n",
           "gateway_service_count{function_name=\"echo.openfaas-fn\"} 1\n",
           "# TYPE gateway_functions_seconds histogram\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin\n" << text;
  }
}

// --------------------------------------------------------------------------------
// The functions file

// The error a functions file named host.yaml gives, or "no error".
std::string host_error_of(const std::string& yaml) {
  try {
    parse_host_config(yaml, "host.yaml");
  } catch (const HostConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(HostConfigFile, ReadsTheDocumentedExample) {
  const HostConfig config = parse_host_config(R"(
listen: 127.0.0.1:8080
metrics_listen: 127.0.0.1:8082
scale_from_zero: false
functions:
  - name: echo
    command: [cat]
    max_inflight: 8
    exec_timeout: 10s
  - name: plate-recognition
    synthetic: {dist: exponential, mean: 1s}
    max_inflight: 4
    seed: 7
  - name: upstream
    http: http://127.0.0.1:9000
  - name: noop
    synthetic: deterministic(0s)
)",
                                              "host.yaml");
  EXPECT_EQ(config.listen, "127.0.0.1:8080");
  EXPECT_EQ(config.metrics_listen, "127.0.0.1:8082");
  EXPECT_FALSE(config.scale_from_zero);
  EXPECT_FALSE(config.basic_auth);
  ASSERT_EQ(config.functions.size(), 4u);
  EXPECT_EQ(std::get<CommandFunction>(config.functions[0].kind).argv, std::vector<std::string>{"cat"});
  EXPECT_EQ(config.functions[0].max_inflight, 8u);
  const auto& plate = std::get<SyntheticFunction>(config.functions[1].kind);
  EXPECT_EQ(plate.service_time.dist, ServiceDist::exponential);
  EXPECT_EQ(plate.service_time.mean, 1s);
  EXPECT_EQ(plate.seed, 7u);
  EXPECT_EQ(std::get<HttpFunction>(config.functions[2].kind).upstream.port, 9000);
  EXPECT_EQ(std::get<SyntheticFunction>(config.functions[3].kind).service_time.mean, Duration::zero());
}

TEST(HostConfigFile, ReadsLatencyAndTheQueue) {
  const HostConfig defaults = parse_host_config("", "host.yaml");
  EXPECT_EQ(defaults.latency, Duration::zero());
  EXPECT_EQ(defaults.queue.capacity, 1024u);
  EXPECT_EQ(defaults.queue.callback_timeout, 10s);
  const HostConfig config =
      parse_host_config("latency: 80ms\nqueue: {capacity: 16, callback_timeout: 2s}\n", "host.yaml");
  EXPECT_EQ(config.latency, 80ms);
  EXPECT_EQ(config.queue.capacity, 16u);
  EXPECT_EQ(config.queue.callback_timeout, 2s);
  EXPECT_EQ(parse_host_config("queue: {capacity: 0}\n", "host.yaml").queue.capacity, 0u);
  EXPECT_NE(host_error_of("latency: -1s\n").find("host.yaml:1: latency: "), std::string::npos);
  EXPECT_NE(host_error_of("queue: {colour: red}\n").find("host.yaml:1: queue.colour: unknown key"), std::string::npos);
  EXPECT_NE(host_error_of("queue:\n  callback_timeout: 0s\n").find("host.yaml:2: queue.callback_timeout: "),
            std::string::npos);
  EXPECT_NE(host_error_of("queue:\n  capacity: 2000000\n").find("host.yaml:2: queue.capacity: "), std::string::npos);
}

TEST(HostConfigFile, ReadsTheServerLimits) {
  const HostConfig defaults = parse_host_config("", "host.yaml");
  EXPECT_EQ(defaults.limits.max_connections, 10000u);
  EXPECT_EQ(defaults.limits.max_buffered_bytes, 256u * 1024 * 1024);
  const HostConfig config = parse_host_config("limits: {max_connections: 64, max_buffered: 8MiB}\n", "host.yaml");
  EXPECT_EQ(config.limits.max_connections, 64u);
  EXPECT_EQ(config.limits.max_buffered_bytes, 8u * 1024 * 1024);
  EXPECT_NE(host_error_of("limits:\n  max_connections: 0\n").find("host.yaml:2: limits.max_connections: "),
            std::string::npos);
  EXPECT_NE(host_error_of("limits: {max_body: 1MiB}\n").find("host.yaml:1: limits.max_body: unknown key"),
            std::string::npos);
}

TEST(HostConfigFile, ExecutionLogIsTakenFromTheFilesDirectory) {
  EXPECT_FALSE(parse_host_config("", "host.yaml").execution_log);
  EXPECT_EQ(parse_host_config("execution_log: runs.jsonl\n", "host.yaml", "/srv/host").execution_log,
            std::filesystem::path("/srv/host/runs.jsonl"));
  EXPECT_EQ(parse_host_config("execution_log: /tmp/runs.jsonl\n", "host.yaml", "/srv/host").execution_log,
            std::filesystem::path("/tmp/runs.jsonl"));
  EXPECT_NE(host_error_of("execution_log: ''\n").find("host.yaml:1: execution_log: "), std::string::npos);
}

TEST(HostConfigFile, ErrorsNameFileLineAndKey) {
  EXPECT_EQ(
      host_error_of("functions:\n  - name: a\n    command: [cat]\n  - name: b\n    colour: red\n    command: [cat]\n")
          .substr(0, 35),
      "host.yaml:5: functions.1.colour: un");
  EXPECT_EQ(host_error_of("functions:\n  - name: a\n    command: cat\n    max_inflight: -1\n"),
            "host.yaml:4: functions.0.max_inflight: expected a non-negative integer, got '-1'");
  EXPECT_NE(host_error_of("functions:\n  - name: a\n    synthetic: {dist: gamma, mean: 1s}\n")
                .find("host.yaml:3: functions.0.synthetic.dist: expected one of exponential, deterministic, uniform, "
                      "lognormal, got 'gamma'"),
            std::string::npos);
  EXPECT_NE(host_error_of("functions:\n  - name: a\n    synthetic: {dist: uniform, mean: 1s, max: 2s}\n")
                .find("functions.0.synthetic.mean: not used with dist: uniform"),
            std::string::npos);
  EXPECT_NE(host_error_of("functions:\n  - name: a\n").find("host.yaml:2: functions.0: set exactly one of"),
            std::string::npos);
  EXPECT_NE(host_error_of("functions:\n  - name: a b\n    command: cat\n").find("host.yaml:2: functions.0.name"),
            std::string::npos);
  EXPECT_NE(host_error_of("listen: nowhere\n").find("host.yaml:1: listen: "), std::string::npos);
  EXPECT_NE(host_error_of("functions:\n  - name: a\n    command: cat\n  - name: a\n    command: cat\n")
                .find("host.yaml:4: functions.1.name: 'a' is defined twice"),
            std::string::npos);
  EXPECT_NE(host_error_of("functions: [\n").find("host.yaml:"), std::string::npos);
  EXPECT_NE(host_error_of("secrets: /nonexistent/secrets\n").find("host.yaml:1: secrets: "), std::string::npos);
}

// The host reads service times with the scenario's grammar: the map form, the word
// form, and the scenario's messages; a no-op function (mean 0) is allowed, samples
// files are not.
TEST(HostConfigFile, ServiceTimesUseTheScenarioGrammar) {
  const HostConfig config = parse_host_config(R"(
functions:
  - {name: a, synthetic: lognormal(1s)}
  - {name: b, synthetic: {dist: lognormal, mean: 1s}}
  - {name: c, synthetic: {dist: uniform, min: 0s, max: 0s}}
)",
                                              "host.yaml");
  const auto spec = [&](std::size_t i) { return std::get<SyntheticFunction>(config.functions[i].kind).service_time; };
  EXPECT_EQ(format_service_time(spec(0)), "lognormal(1s,1)");
  EXPECT_EQ(format_service_time(spec(1)), "lognormal(1s,1)");
  EXPECT_EQ(format_service_time(spec(2)), "uniform(0,0)");
  EXPECT_EQ(host_error_of("functions:\n  - name: a\n    synthetic: {dist: uniform, min: 2s, max: 1s}\n"),
            "host.yaml:3: functions.0.synthetic.max: must not be less than min (2s)");
  EXPECT_EQ(host_error_of("functions:\n  - name: a\n    synthetic: empirical(times.csv)\n"),
            "host.yaml:3: functions.0.synthetic: 'empirical(times.csv)': dist: expected one of exponential, "
            "deterministic, uniform, lognormal, got 'empirical'");
  EXPECT_EQ(host_error_of("functions:\n  - name: a\n    synthetic: {file: times.csv}\n"),
            "host.yaml:3: functions.0.synthetic.file: unknown key (expected one of: dist, mean, cv, min, max)");
}

TEST(HostConfigFile, ServiceTimeWordsRoundTrip) {
  for (const char* word : {"exponential(1s)", "deterministic(250ms)", "uniform(1s,2s)", "lognormal(1s,0.5)"}) {
    EXPECT_EQ(format_service_time(parse_service_time(word)), word);
  }
  for (const char* bad : {"exponential", "exponential()", "uniform(2s,1s)", "lognormal(1s,0)", "gamma(1s)",
                          "exponential(-1s)", "exponential(1 parsec)"}) {
    EXPECT_THROW(parse_service_time(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace fogsched::live
