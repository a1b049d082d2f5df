#pragma once
// Scheduler nodes in process, on loopback, against small fake OpenFaaS gateways: the
// fixtures of the live node tests and of the conformance suite's live driver path.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

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

// A fake OpenFaaS gateway: /function/* echoes what the function saw; `hold` makes
// calls wait until release(); /system/* needs basic auth admin:secret; /healthz is 200.
class FakeGateway {
 public:
  explicit FakeGateway(Loop& loop, std::string max_inflight = "")
      : loop_(loop), max_inflight_(std::move(max_inflight)) {
    listen(parse_listen_address("127.0.0.1:0"));
    port_ = server_->local_endpoint().port();
  }
  ~FakeGateway() { release(); }

  Url url() const { return Url{"127.0.0.1", port_, ""}; }
  // Stops listening (connections are refused) until restart() listens on the same port.
  void stop() {
    std::promise<void> drained;
    server_->drain(5s, [&] { drained.set_value(); });
    if (drained.get_future().wait_for(10s) != std::future_status::ready) ADD_FAILURE() << "gateway did not stop";
    server_.reset();
  }
  void restart() { listen(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_)); }
  void hold(bool on) {
    std::lock_guard lock(mutex_);
    hold_ = on;
  }
  // Answer every function call with the watchdog's limiter refusal (at max_inflight).
  void refuse(bool on) { refuse_ = on; }
  // Every function answers 429 itself, with its own body and header (it ran).
  void function_answers_429(bool on) { own_429_ = on; }
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
  int calls() const { return calls_.load(); }

 private:
  asio::awaitable<Response> handle(Request request) {
    const std::string target(request.target());
    if (target == "/healthz") co_return text_response(http::status::ok, "OK", request);
    if (target.starts_with("/system/")) {
      if (!basic_auth_matches(request, BasicAuthCredentials{"admin", "secret"})) co_return unauthorized(request);
      if (target.starts_with("/system/function/")) {
        json status{{"name", target.substr(17)}, {"image", "x"}, {"createdAt", "2026-01-01T00:00:00Z"}};
        if (!max_inflight_.empty()) status["envVars"] = json{{"max_inflight", max_inflight_}};
        co_return json_response(http::status::ok, status.dump(), request);
      }
      co_return json_response(http::status::ok, "[]", request);
    }
    ++calls_;
    if (refuse_) {
      Response refusal = text_response(http::status::too_many_requests,
                                       "Concurrent request limit exceeded. Max concurrent requests: 1\n", request);
      refusal.set(std::string(kInternalHeader), std::string(kInternalByLimiter));
      co_return refusal;
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
    Response response{http::status::created, request.version()};
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
  std::string max_inflight_;
  std::atomic<bool> refuse_{false};
  std::atomic<bool> own_429_{false};
  std::atomic<int> calls_{0};
  std::mutex mutex_;
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
  Cluster(Loop& cluster_loop, std::size_t size, const PolicySpec& spec, std::uint32_t slots,
          const std::function<void(NodeConfig&)>& adjust = {})
      : loop(cluster_loop) {
    secrets.write("basic-auth-user", "admin\n");
    secrets.write("basic-auth-password", " secret \n");
    secrets.write("fogsched-peer-token", "peer-token-1234\n");
    std::vector<std::uint16_t> ports;
    for (std::size_t i = 0; i < size; ++i) ports.push_back(free_port());
    for (std::size_t i = 0; i < size; ++i) {
      gateways.push_back(std::make_unique<FakeGateway>(loop));
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
