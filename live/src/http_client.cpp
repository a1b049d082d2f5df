// The client pool: idle keep-alive connections per origin, a deadline over each
// whole exchange, and one retry when a reused connection turns out to be closed.
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "fogsched/live/http.h"

namespace fogsched::live {

using asio::use_awaitable;

const char* to_string(ClientFailure failure) noexcept {
  switch (failure) {
    case ClientFailure::resolve: return "resolve";
    case ClientFailure::connect: return "connect";
    case ClientFailure::timeout: return "timeout";
    case ClientFailure::io: return "io";
    case ClientFailure::protocol: return "protocol";
  }
  return "unknown";
}

struct HttpClient::Pool {
  Pool(asio::any_io_executor ex, ClientOptions opts) : executor(std::move(ex)), options(opts) {}

  asio::any_io_executor executor;
  ClientOptions options;
  mutable std::mutex mutex;
  std::unordered_map<std::string, std::vector<std::unique_ptr<beast::tcp_stream>>> idle;  // by origin
  bool closed = false;

  std::unique_ptr<beast::tcp_stream> take(const std::string& origin) {
    std::lock_guard lock(mutex);
    auto it = idle.find(origin);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto stream = std::move(it->second.back());
    it->second.pop_back();
    return stream;
  }

  void give_back(const std::string& origin, std::unique_ptr<beast::tcp_stream> stream) {
    std::lock_guard lock(mutex);
    auto& streams = idle[origin];
    if (closed || streams.size() >= options.max_idle_per_origin) return;  // closes as it goes
    streams.push_back(std::move(stream));
  }
};

namespace {

struct Exchange {
  std::optional<Response> response;
  beast::error_code error;
  bool reached_server = false;  // some bytes of an answer arrived
  bool keep_alive = false;
};

ClientFailure classify(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return ClientFailure::timeout;
  // Parser errors (limits included) share the Beast HTTP error category.
  if (ec.category() == make_error_code(http::error::bad_version).category()) return ClientFailure::protocol;
  return ClientFailure::io;
}

// exchange() and connect() run on the connection's own strand: Beast's stream timer
// must not race the socket operations it cancels.
asio::awaitable<Exchange> exchange(beast::tcp_stream& stream, Request& request, const ClientOptions& options,
                                   std::chrono::steady_clock::time_point deadline) {
  Exchange result;
  stream.expires_at(deadline);
  co_await http::async_write(stream, request, asio::redirect_error(use_awaitable, result.error));
  if (result.error) co_return result;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.max_response_header_bytes));
  parser.body_limit(options.max_response_body_bytes);
  if (request.method() == http::verb::head) parser.skip(true);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, result.error));
  result.reached_server = parser.got_some();
  if (result.error) co_return result;
  result.keep_alive = parser.get().keep_alive();
  result.response = parser.release();
  stream.expires_never();
  co_return result;
}

asio::awaitable<beast::error_code> connect(beast::tcp_stream& stream, const tcp::resolver::results_type& endpoints,
                                           std::chrono::steady_clock::time_point deadline) {
  beast::error_code ec;
  stream.expires_at(deadline);
  co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
  if (!ec) stream.socket().set_option(tcp::no_delay(true), ec);
  co_return ec;
}

}  // namespace

HttpClient::HttpClient(asio::any_io_executor executor, ClientOptions options)
    : pool_(std::make_shared<Pool>(std::move(executor), options)) {}

HttpClient::~HttpClient() { close_idle(); }

asio::awaitable<ClientResult> HttpClient::send(Url to, Request request, SteadyDuration timeout) {
  auto pool = pool_;
  const std::string origin = to.origin();
  if (request.find(http::field::host) == request.end()) request.set(http::field::host, origin);
  request.prepare_payload();
  const auto deadline = std::chrono::steady_clock::now() + timeout;

  ClientResult result;
  // A pooled connection may have been closed by the server while idle; the request
  // then fails before any answer arrives, and is retried once on a new connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<beast::tcp_stream> stream = attempt == 0 ? pool->take(origin) : nullptr;
    const bool reused = stream != nullptr;
    if (!stream) {
      tcp::resolver resolver(pool->executor);
      beast::error_code ec;
      auto endpoints = co_await resolver.async_resolve(to.host, std::to_string(to.port),
                                                       asio::redirect_error(use_awaitable, ec));
      if (ec) {
        result.failure = ClientFailure::resolve;
        result.message = "cannot resolve " + to.host + ": " + ec.message();
        co_return result;
      }
      stream = std::make_unique<beast::tcp_stream>(asio::make_strand(pool->executor));
      ec = co_await asio::co_spawn(stream->get_executor(), connect(*stream, endpoints, deadline), use_awaitable);
      if (ec) {
        result.failure = ec == beast::error::timeout ? ClientFailure::timeout : ClientFailure::connect;
        result.message = "cannot connect to " + origin + ": " + ec.message();
        co_return result;
      }
    }
    Exchange done = co_await asio::co_spawn(stream->get_executor(),
                                            exchange(*stream, request, pool->options, deadline), use_awaitable);
    if (done.response) {
      if (done.keep_alive) pool->give_back(origin, std::move(stream));
      result.response = std::move(done.response);
      co_return result;
    }
    if (reused && !done.reached_server && done.error != beast::error::timeout) continue;
    result.failure = classify(done.error);
    result.message = std::string(to_string(result.failure)) + " talking to " + origin + ": " + done.error.message();
    co_return result;
  }
  co_return result;
}

void HttpClient::close_idle() {
  std::lock_guard lock(pool_->mutex);
  pool_->closed = true;
  pool_->idle.clear();
}

std::size_t HttpClient::idle_connections() const {
  std::lock_guard lock(pool_->mutex);
  std::size_t count = 0;
  for (const auto& [origin, streams] : pool_->idle) count += streams.size();
  return count;
}

}  // namespace fogsched::live
