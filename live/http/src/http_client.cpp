// The client pool: idle keep-alive connections per context and origin, checked before
// reuse, a deadline over each whole exchange (and a shorter one over connecting), and
// one retry only where the request provably did not run or may safely run again. Each
// exchange runs inline in the awaiting coroutine, on its context.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "http_stream.h"

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

namespace {

// A connection with the buffer its answers are read into, kept with it so that
// reading needs no new allocation each time.
struct ClientConnection {
  explicit ClientConnection(asio::io_context& context) : stream(context.get_executor()) {}
  TcpStream stream;
  beast::flat_buffer buffer;
};

}  // namespace

// The idle connections of one context. take() and give_back() run on the context's
// thread; the mutex is for close_idle() and idle_connections() from elsewhere.
struct HttpClient::Pool {
  explicit Pool(asio::io_context& io) : context(io) {}

  asio::io_context& context;
  mutable std::mutex mutex;
  std::unordered_map<std::string, std::vector<std::unique_ptr<ClientConnection>>> idle;  // by origin
  bool closed = false;

  // The most recently used idle connection that is still open; those found closed
  // or holding bytes are dropped on the way.
  std::unique_ptr<ClientConnection> take(const std::string& origin) {
    std::lock_guard lock(mutex);
    auto it = idle.find(origin);
    if (it == idle.end()) return nullptr;
    while (!it->second.empty()) {
      auto connection = std::move(it->second.back());
      it->second.pop_back();
      if (still_open(*connection)) return connection;
    }
    return nullptr;
  }

  // A non-blocking peek: an idle connection must have nothing to read. EOF means the
  // server closed it; bytes would be read as the next request's answer.
  static bool still_open(ClientConnection& connection) {
    char byte = 0;
    const auto n = ::recv(connection.stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  void give_back(const std::string& origin, std::unique_ptr<ClientConnection> connection, std::size_t max_idle) {
    std::lock_guard lock(mutex);
    auto& connections = idle[origin];
    if (closed || connections.size() >= max_idle) return;  // closes as it goes
    connections.push_back(std::move(connection));
  }
};

namespace {

struct Exchange {
  std::optional<Response> response;
  beast::error_code error;
  bool written = false;         // the whole request went out
  bool reached_server = false;  // some bytes of an answer arrived
  bool keep_alive = false;
};

// Methods RFC 9110 lets a client send again after a connection broke without an answer.
bool may_resend(http::verb method) {
  return method == http::verb::get || method == http::verb::head || method == http::verb::options;
}

ClientFailure classify(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return ClientFailure::timeout;
  // Parser errors (limits included) share the Beast HTTP error category.
  if (ec.category() == make_error_code(http::error::bad_version).category()) return ClientFailure::protocol;
  return ClientFailure::io;
}

asio::awaitable<Exchange> exchange(ClientConnection& connection, Request& request, const ClientOptions& options,
                                   std::chrono::steady_clock::time_point deadline) {
  Exchange result;
  TcpStream& stream = connection.stream;
  beast::flat_buffer& buffer = connection.buffer;
  stream.expires_at(deadline);
  result.error = co_await async_write_message(stream, request);
  if (result.error) co_return result;
  result.written = true;
  http::response_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(options.max_response_header_bytes));
  parser.body_limit(options.max_response_body_bytes);
  if (request.method() == http::verb::head) parser.skip(true);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, result.error));
  result.reached_server = parser.got_some();
  if (result.error) co_return result;
  // Bytes beyond the answer would be read as the next one: such a connection is not reused.
  result.keep_alive = parser.get().keep_alive() && buffer.size() == 0;
  result.response = parser.release();
  stream.expires_never();
  co_return result;
}

asio::awaitable<beast::error_code> connect(TcpStream& stream, const tcp::resolver::results_type& endpoints,
                                           std::chrono::steady_clock::time_point deadline,
                                           SteadyDuration connect_timeout) {
  beast::error_code ec;
  const auto now = std::chrono::steady_clock::now();
  stream.expires_at(connect_timeout < deadline - now ? now + connect_timeout : deadline);
  co_await stream.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
  if (!ec) stream.socket().set_option(tcp::no_delay(true), ec);
  co_return ec;
}

}  // namespace

HttpClient::HttpClient(IoContextPool& contexts, ClientOptions options) : options_(options) {
  for (std::size_t i = 0; i < contexts.size(); ++i) pools_.push_back(std::make_shared<Pool>(contexts.at(i)));
}

HttpClient::HttpClient(asio::io_context& context, ClientOptions options) : options_(options) {
  pools_.push_back(std::make_shared<Pool>(context));
}

HttpClient::~HttpClient() { close_idle(); }

asio::awaitable<ClientResult> HttpClient::send(Url to, Request request, SteadyDuration timeout) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  const asio::execution_context& context = asio::query(executor, asio::execution::context);
  const auto found =
      std::find_if(pools_.begin(), pools_.end(), [&](const auto& pool) { return &pool->context == &context; });
  if (found == pools_.end()) throw std::logic_error("HttpClient::send awaited outside the client's io_contexts");
  // Shared, so that close_idle() from another thread cannot free it under us.
  const std::shared_ptr<Pool> pool = *found;

  const std::string origin = to.origin();
  if (request.find(http::field::host) == request.end()) request.set(http::field::host, origin);
  request.prepare_payload();
  const auto deadline = std::chrono::steady_clock::now() + timeout;

  ClientResult result;
  // A second attempt, on a new connection, only when the first one was a reused
  // connection and the request provably did not run or may run again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<ClientConnection> connection = attempt == 0 ? pool->take(origin) : nullptr;
    const bool reused = connection != nullptr;
    if (!connection) {
      tcp::resolver resolver(pool->context);
      beast::error_code ec;
      auto endpoints =
          co_await resolver.async_resolve(to.host, std::to_string(to.port), asio::redirect_error(use_awaitable, ec));
      if (ec) {
        result.failure = ClientFailure::resolve;
        result.message = "cannot resolve " + to.host + ": " + ec.message();
        co_return result;
      }
      connection = std::make_unique<ClientConnection>(pool->context);
      ec = co_await connect(connection->stream, endpoints, deadline, options_.connect_timeout);
      if (ec) {
        // Timed out or not, the request was never sent.
        result.failure = ClientFailure::connect;
        result.message = "cannot connect to " + origin + ": " +
                         (ec == beast::error::timeout ? std::string("no answer in time") : ec.message());
        co_return result;
      }
    }
    Exchange done = co_await exchange(*connection, request, options_, deadline);
    if (done.response) {
      if (done.keep_alive) pool->give_back(origin, std::move(connection), options_.max_idle_per_origin);
      result.response = std::move(done.response);
      result.request_written = true;
      co_return result;
    }
    const bool timed_out = done.error == beast::error::timeout;
    const bool never_sent = !done.written && !timed_out;
    const bool resendable = may_resend(request.method()) && !done.reached_server && !timed_out;
    if (reused && (never_sent || resendable)) continue;
    result.failure = classify(done.error);
    result.request_written = done.written;
    result.message = std::string(to_string(result.failure)) + " talking to " + origin + ": " + done.error.message();
    co_return result;
  }
  co_return result;
}

void HttpClient::close_idle() {
  for (const auto& pool : pools_) {
    std::vector<std::unique_ptr<ClientConnection>> connections;
    {
      std::lock_guard lock(pool->mutex);
      pool->closed = true;
      for (auto& [origin, idle] : pool->idle) {
        for (auto& connection : idle) connections.push_back(std::move(connection));
      }
      pool->idle.clear();
    }
    // A stream belongs to its context's thread (a cancelled timer's handler may still
    // be queued there); when that context has stopped, it closes as the context goes.
    if (!connections.empty()) asio::dispatch(pool->context, [closing = std::move(connections)] {});
  }
}

std::size_t HttpClient::idle_connections() const {
  std::size_t count = 0;
  for (const auto& pool : pools_) {
    std::lock_guard lock(pool->mutex);
    for (const auto& [origin, streams] : pool->idle) count += streams.size();
  }
  return count;
}

}  // namespace fogsched::live
