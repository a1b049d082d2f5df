#pragma once
// Scheduler nodes in process, on loopback, against small fake OpenFaaS gateways: the
// fixtures of the live node tests and of the conformance suite's live driver path.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include "fogsched/live/http.h"
#include "fogsched/live/node.h"
#include "fogsched/live/openfaas.h"
#include "live_wire.h"

namespace fogsched::live::testing {

using namespace std::chrono_literals;
using json = nlohmann::json;

// Two single-threaded io_contexts, as in the services.
class Loop {
 public:
  Loop() : contexts_(2) { contexts_.start(); }
  IoContextPool& contexts() { return contexts_; }

  template <class T>
  T run(asio::awaitable<T> coroutine) {
    auto future = asio::co_spawn(contexts_.next(), std::move(coroutine), asio::use_future);
    if (future.wait_for(20s) != std::future_status::ready) {
      ADD_FAILURE() << "coroutine did not finish within 20 s";
      std::abort();
    }
    return future.get();
  }

 private:
  IoContextPool contexts_;
};

// A port that was free a moment ago (nodes must know each other's ports up front).
inline std::uint16_t free_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// A function the fake gateway has deployed: what its FunctionStatus says.
struct FakeFunction {
  std::string max_inflight;  // envVars.max_inflight; none when empty
  std::map<std::string, std::string> labels;
  http::status answer = http::status::created;  // the function's own status
};

inline FakeFunction limited_to(std::string max_inflight, std::map<std::string, std::string> labels = {}) {
  FakeFunction function;
  function.max_inflight = std::move(max_inflight);
  function.labels = std::move(labels);
  return function;
}

// A fake OpenFaaS gateway: /function/* echoes what the function saw, for deployed
// functions only (others: the gateway's 404); `hold` makes calls wait until
// release(); /system/* needs basic auth admin:secret and answers from the deployed
// functions (GET /system/function/NAME, GET /system/functions, both ?namespace=NS);
// /healthz is 200.
class FakeGateway {
 public:
  explicit FakeGateway(Loop& loop) : loop_(loop) {
    listen(parse_listen_address("127.0.0.1:0"));
    port_ = server_->local_endpoint().port();
  }
  // Answers in progress (a node's health checks run at any time) finish first: they
  // run on this object.
  ~FakeGateway() {
    release();
    if (server_) stop();
  }

  Url url() const { return Url{"127.0.0.1", port_, ""}; }
  // Stops listening (connections are refused) until restart() listens on the same port.
  void stop() {
    std::promise<void> drained;
    server_->drain(5s, [&] { drained.set_value(); });
    if (drained.get_future().wait_for(10s) != std::future_status::ready) ADD_FAILURE() << "gateway did not stop";
    server_.reset();
  }
  void restart() { listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_)); }
  // Deploys `name` in `namespace_name`, or updates it when it is there.
  void deploy(const std::string& name, FakeFunction function = {},
              const std::string& namespace_name = std::string(kDefaultFunctionNamespace)) {
    std::lock_guard lock(mutex_);
    deployed_[{namespace_name, name}] = std::move(function);
  }
  void remove(const std::string& name, const std::string& namespace_name = std::string(kDefaultFunctionNamespace)) {
    std::lock_guard lock(mutex_);
    deployed_.erase({namespace_name, name});
  }
  // Answer /system/* with this status and a body no JSON reader accepts (0: normally).
  void break_system(http::status status) { broken_system_ = static_cast<unsigned>(status); }
  void hold(bool on) {
    std::lock_guard lock(mutex_);
    hold_ = on;
  }
  // Answer every function call with the watchdog's limiter refusal (at max_inflight).
  void refuse(bool on) { refuse_ = on; }
  // Every function answers 429 itself, with its own body and header (it ran).
  void function_answers_429(bool on) { own_429_ = on; }
  // Function calls get the gateway's own 502 with an empty body: its provider is down.
  void provider_down(bool on) { provider_down_ = on; }
  // Resolves when `count` held calls are waiting.
  std::future<void> when_holding(int count) {
    std::lock_guard lock(mutex_);
    holding_target_ = count;
    holding_promise_ = std::promise<void>();
    auto future = holding_promise_.get_future();
    if (holding_ >= count) holding_promise_.set_value();
    return future;
  }
  void release() {
    std::lock_guard lock(mutex_);
    hold_ = false;
    // Each held call waits on a timer of its own context, cancelled there.
    for (auto& timer : held_) asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    held_.clear();
  }
  // Calls that reached a function (or the other non-/system routes).
  int calls() const { return calls_.load(); }
  // The /async-function/ calls queued here, as they arrived.
  std::vector<Request> async_calls() const {
    std::lock_guard lock(mutex_);
    return async_calls_;
  }
  // GET /system/function/NAME calls; the targets they asked for.
  std::vector<std::string> lookups() const {
    std::lock_guard lock(mutex_);
    return lookups_;
  }
  int list_calls() const { return list_calls_.load(); }

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name

  static std::string namespace_of(std::string_view target) {
    const auto at = target.find(kNamespaceQuery);
    return at == std::string_view::npos ? std::string(kDefaultFunctionNamespace)
                                        : std::string(target.substr(at + kNamespaceQuery.size()));
  }
  json status_of(const Key& key, const FakeFunction& function) const {
    json status{{"name", key.second}, {"image", "x"}, {"namespace", key.first}, {"createdAt", "2026-01-01T00:00:00Z"}};
    if (!function.max_inflight.empty()) status["envVars"] = json{{"max_inflight", function.max_inflight}};
    if (!function.labels.empty()) status["labels"] = function.labels;
    return status;
  }
  Response system(const Request& request, const std::string& target) {
    if (!basic_auth_matches(request, BasicAuthCredentials{"admin", "secret"})) return unauthorized(request);
    if (const unsigned broken = broken_system_.load(); broken != 0) {
      return text_response(static_cast<http::status>(broken), "<html>not a FunctionStatus</html>", request);
    }
    std::lock_guard lock(mutex_);
    const std::string path = target.substr(0, target.find('?'));
    if (path.starts_with(kFunctionStatusPrefix)) {
      lookups_.push_back(target);
      const Key key{namespace_of(target), path.substr(kFunctionStatusPrefix.size())};
      const auto found = deployed_.find(key);
      if (found == deployed_.end()) {
        return text_response(http::status::not_found, fmt::format("function {}.{} not found\n", key.second, key.first),
                             request);
      }
      return json_response(http::status::ok, status_of(key, found->second).dump(), request);
    }
    ++list_calls_;
    json list = json::array();
    const std::string namespace_name = namespace_of(target);
    for (const auto& [key, function] : deployed_) {
      if (key.first == namespace_name) list.push_back(status_of(key, function));
    }
    return json_response(http::status::ok, list.dump(), request);
  }

  asio::awaitable<Response> handle(Request request) {
    const std::string target(request.target());
    if (target == "/healthz") co_return text_response(http::status::ok, "OK", request);
    if (target.starts_with(kSystemPrefix)) co_return system(request, target);
    http::status answer = http::status::created;
    const bool async = target.starts_with(kAsyncFunctionPrefix);
    if (const auto function = split_function_target(target, async ? kAsyncFunctionPrefix : kFunctionPrefix)) {
      const auto [name, namespace_name] = split_function_namespace(function->name);
      const Key key{namespace_name.empty() ? std::string(kDefaultFunctionNamespace) : namespace_name, name};
      std::lock_guard lock(mutex_);
      const auto found = deployed_.find(key);
      if (found != deployed_.end()) answer = found->second.answer;
      if (found == deployed_.end()) {
        // The real gateway's answer for a function its provider does not know.
        co_return text_response(
            http::status::not_found,
            fmt::format("{}{}.{}: server returned non-200 status code (404) for function, {}, body: ",
                        kFunctionNotFoundPrefix, key.second, key.first, key.second),
            request);
      }
    }
    if (async) {
      // The gateway queues the call and answers at once: 202 and the call's id.
      std::lock_guard lock(mutex_);
      async_calls_.push_back(request);
      Response accepted{http::status::accepted, request.version()};
      const auto call_id = request.find("X-Call-Id");
      accepted.set("X-Call-Id", call_id == request.end() ? "made-by-the-gateway" : std::string(call_id->value()));
      accepted.keep_alive(request.keep_alive());
      accepted.prepare_payload();
      co_return accepted;
    }
    ++calls_;
    if (refuse_) {
      Response refusal = text_response(http::status::too_many_requests,
                                       "Concurrent request limit exceeded. Max concurrent requests: 1\n", request);
      refusal.set(std::string(kInternalHeader), std::string(kInternalByLimiter));
      co_return refusal;
    }
    if (provider_down_) {
      Response unreachable{http::status::bad_gateway, request.version()};
      unreachable.keep_alive(request.keep_alive());
      unreachable.prepare_payload();
      co_return unreachable;
    }
    if (own_429_) {
      Response own = text_response(http::status::too_many_requests, "order book full, try later\n", request);
      own.set("X-Function-Reason", "order-book-full");
      co_return own;
    }
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    std::shared_ptr<asio::steady_timer> held;
    {
      std::lock_guard lock(mutex_);
      if (hold_) {
        held = std::make_shared<asio::steady_timer>(executor, std::chrono::steady_clock::time_point::max());
        held_.push_back(held);
        if (++holding_ == holding_target_) holding_promise_.set_value();
      }
    }
    if (held) {
      // release() posts the cancel to this thread: it runs once this wait has begun.
      boost::system::error_code ignored;
      co_await held->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    Response response{answer, request.version()};
    response.set("X-Seen-Method", std::string(request.method_string()));
    response.set("X-Seen-Target", target);
    response.set("X-Seen-Custom", std::string(request["X-Custom"]));
    response.set("X-Seen-Token", std::string(request[header_name(wire::kTokenHeader)]));
    response.set("X-Seen-Authorization", std::string(request[http::field::authorization]));
    response.set("X-Seen-Forwarded-For", std::string(request["X-Forwarded-For"]));
    response.set("X-Seen-Forwarded-Host", std::string(request["X-Forwarded-Host"]));
    response.set(http::field::content_type, "application/octet-stream");
    response.body() = request.body();
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    co_return response;
  }

  void listen(const tcp::endpoint& at) {
    server_ = std::make_unique<HttpServer>(loop_.contexts(), at, ServerLimits{},
                                           [this](Request request, ClientInfo) { return handle(std::move(request)); });
    server_->start();
  }

  Loop& loop_;
  std::atomic<bool> refuse_{false};
  std::atomic<bool> own_429_{false};
  std::atomic<bool> provider_down_{false};
  std::atomic<unsigned> broken_system_{0};
  std::atomic<int> calls_{0};
  std::atomic<int> list_calls_{0};
  mutable std::mutex mutex_;
  std::vector<Request> async_calls_;                       // under mutex_
  std::map<Key, FakeFunction> deployed_;                   // under mutex_
  std::vector<std::string> lookups_;                       // under mutex_
  bool hold_ = false;                                      // under mutex_
  std::vector<std::shared_ptr<asio::steady_timer>> held_;  // under mutex_
  int holding_ = 0;
  int holding_target_ = -1;
  std::promise<void> holding_promise_;
  std::uint16_t port_ = 0;
  std::unique_ptr<HttpServer> server_;
};

class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("fogsched-node-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return path_ / name;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

inline NodeConfig node_config(const std::string& name, std::uint16_t port, const Url& gateway, const TempDir& secrets) {
  NodeConfig config;
  config.name = name;
  config.listen = "127.0.0.1:" + std::to_string(port);
  config.gateway = gateway;
  config.gateway_timeout = 5s;
  config.secrets_dir = secrets.path();
  config.peer_token_file = secrets.path() / "fogsched-peer-token";
  config.probe_timeout = 2s;
  config.forward_timeout = 5s;
  config.drain_timeout = 5s;
  return config;
}

inline PolicySpec policy(std::string name, std::vector<std::pair<std::string, std::string>> params = {}) {
  return PolicySpec{.name = std::move(name), .params = std::move(params), .where = {}};
}

inline Request call(http::verb verb, std::string target, std::string body = {}) {
  Request request{verb, target, 11};
  request.body() = std::move(body);
  return request;
}

inline std::string header(const Response& response, std::string_view name) {
  return std::string(response[beast::string_view(name.data(), name.size())]);
}

// A small cluster: node i has its own fake gateway; every node lists the others.
struct Cluster {
  // `functions` are deployed on every node's gateway (with no max_inflight: K is `slots`).
  Cluster(Loop& cluster_loop, std::size_t size, const PolicySpec& spec, std::uint32_t slots,
          const std::vector<std::string>& functions, const std::function<void(NodeConfig&)>& adjust = {})
      : loop(cluster_loop) {
    secrets.write("basic-auth-user", "admin\n");
    secrets.write("basic-auth-password", " secret \n");
    secrets.write("fogsched-peer-token", "peer-token-1234\n");
    std::vector<std::uint16_t> ports;
    for (std::size_t i = 0; i < size; ++i) ports.push_back(free_port());
    for (std::size_t i = 0; i < size; ++i) {
      gateways.push_back(std::make_unique<FakeGateway>(loop));
      for (const std::string& function : functions) gateways.back()->deploy(function);
      NodeConfig config = node_config("n" + std::to_string(i), ports[i], gateways.back()->url(), secrets);
      config.policy = spec;
      config.default_slots = slots;
      for (std::size_t j = 0; j < size; ++j) {
        if (j != i) config.static_peers.push_back(Url{"127.0.0.1", ports[j], ""});
      }
      if (adjust) adjust(config);
      nodes.push_back(std::make_unique<SchedulerNode>(loop.contexts(), config));
      nodes.back()->start();
    }
  }
  ~Cluster() {
    for (auto& gateway : gateways) gateway->release();
  }
  Url node_url(std::size_t i) const { return Url{"127.0.0.1", nodes[i]->local_endpoint().port(), ""}; }

  Response send(std::size_t node, Request request) {
    ClientResult result = loop.run(client.send(node_url(node), std::move(request), 10s));
    EXPECT_TRUE(result) << result.message;
    return result ? *result.response : Response{};
  }
  std::future<ClientResult> send_async(std::size_t node, Request request) {
    return asio::co_spawn(loop.contexts().next(), client.send(node_url(node), std::move(request), 20s),
                          asio::use_future);
  }

  Loop& loop;
  TempDir secrets;
  HttpClient client{loop.contexts()};
  std::vector<std::unique_ptr<FakeGateway>> gateways;
  std::vector<std::unique_ptr<SchedulerNode>> nodes;
};

inline double metric(Cluster& cluster, std::size_t node, const std::string& sample) {
  const Response response = cluster.send(node, call(http::verb::get, std::string(wire::kMetricsPath)));
  const std::string& text = response.body();
  const auto at = text.find("\n" + sample + " ");
  if (at == std::string::npos) {
    ADD_FAILURE() << "no sample " << sample << " in\n" << text;
    return -1;
  }
  return std::stod(text.substr(at + sample.size() + 2));
}

}  // namespace fogsched::live::testing
