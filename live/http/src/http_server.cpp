// The HTTP server: one coroutine per connection on the context the connection was
// handed to, in the manner of Beast's async examples, with a registry of
// connections so that drain() can close idle ones and wait for busy ones. Also the
// pool of single-threaded io_contexts the server spreads its connections over.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffer_traits.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "http_stream.h"

namespace fogsched::live {

// --------------------------------------------------------------------------------
// IoContextPool

// An io_context whose services can be shut down ahead of its destruction: every
// context of a pool is shut down before any is destroyed, because a pending
// operation on one (an accept) may own an I/O object of another (the socket).
struct IoContextPool::Context : asio::io_context {
  // Concurrency hint 1: one thread runs it, so work posted from that thread goes on a
  // private queue without the scheduler's lock (posts from other threads still work).
  Context() : asio::io_context(1) {}
  using asio::io_context::shutdown;
  asio::executor_work_guard<asio::io_context::executor_type> work{get_executor()};
};

IoContextPool::IoContextPool(std::size_t size) {
  if (size == 0) throw std::invalid_argument("an io_context pool needs at least one context");
  for (std::size_t i = 0; i < size; ++i) contexts_.push_back(std::make_unique<Context>());
}

IoContextPool::~IoContextPool() {
  stop();
  join();
  for (auto& context : contexts_) context->shutdown();
  contexts_.clear();
}

asio::io_context& IoContextPool::at(std::size_t index) { return *contexts_.at(index); }

asio::io_context& IoContextPool::next() noexcept {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void IoContextPool::start() {
  if (!threads_.empty()) throw std::logic_error("IoContextPool::start: already started");
  for (auto& context : contexts_) threads_.emplace_back([&io = *context] { io.run(); });
}

void IoContextPool::stop() noexcept {
  for (auto& context : contexts_) context->stop();
}

void IoContextPool::join() {
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

// --------------------------------------------------------------------------------
// HttpServer

namespace {

using asio::use_awaitable;

// One accepted connection. Its coroutine owns the stream; other threads reach it
// only by dispatching to the stream's context.
struct Connection {
  explicit Connection(TcpStream::socket_type socket) : stream(std::move(socket)) {}
  TcpStream stream;
  bool idle = true;  // between requests (read on the stream's context only)
};

// A string body that grows with the bytes that arrive. Beast's string_body reserves a
// declared Content-Length before any byte of it is here, so announcing bodies and
// sending nothing would take memory for free.
struct ArrivingStringBody {
  using value_type = std::string;

  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
      announced_ = length.value_or(0);
      ec = {};
    }
    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      // Doubling as it arrives, but never past an announced length.
      const std::size_t needed = body_.size() + beast::buffer_bytes(buffers);
      if (needed > body_.capacity()) {
        std::size_t grown = std::max(needed, 2 * body_.capacity());
        if (announced_ >= needed) grown = std::min<std::uint64_t>(grown, announced_);
        body_.reserve(grown);
      }
      std::size_t taken = 0;
      for (const asio::const_buffer buffer : beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(buffer.data()), buffer.size());
        taken += buffer.size();
      }
      ec = {};
      return taken;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
    std::uint64_t announced_ = 0;  // Content-Length; 0 when chunked or absent
  };
};

// The share of the server's max_buffered_bytes one request holds; given back when
// the request is done.
class BufferedShare {
 public:
  BufferedShare(std::atomic<std::size_t>& total, std::size_t cap) : total_(total), cap_(cap) {}
  ~BufferedShare() { total_.fetch_sub(held_); }
  BufferedShare(const BufferedShare&) = delete;
  BufferedShare& operator=(const BufferedShare&) = delete;

  // Holds `bytes` in all; false when that takes the server beyond its cap.
  bool hold(std::size_t bytes) {
    if (bytes <= held_) return true;
    const std::size_t more = bytes - held_;
    held_ = bytes;
    return total_.fetch_add(more) + more <= cap_;
  }

 private:
  std::atomic<std::size_t>& total_;
  std::size_t cap_;
  std::size_t held_ = 0;
};

// accept() failing for want of descriptors or memory fails again at once while the
// connection waits in the queue: the loop waits before the next try instead.
bool is_resource_shortage(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space || ec == asio::error::no_memory ||
         ec == beast::error_code(ENFILE, boost::system::system_category());
}

constexpr SteadyDuration kFirstAcceptBackoff = std::chrono::milliseconds(10);
constexpr SteadyDuration kLongestAcceptBackoff = std::chrono::seconds(1);

}  // namespace

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  State(IoContextPool& pool, const tcp::endpoint& listen, ServerLimits lim, Handler h)
      : contexts(pool),
        executor(pool.next().get_executor()),
        acceptor(executor),
        limits(lim),
        handler(std::move(h)),
        drain_timer(executor) {
    acceptor.open(listen.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(listen);
    acceptor.listen(asio::socket_base::max_listen_connections);
  }

  IoContextPool& contexts;
  asio::io_context::executor_type executor;  // the acceptor's
  tcp::acceptor acceptor;
  ServerLimits limits;
  Handler handler;

  mutable std::mutex mutex;  // guards the members below
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  std::atomic<bool> draining{false};  // set under mutex; read without it per request
  std::function<void()> on_drained;
  asio::steady_timer drain_timer;
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::size_t> buffered{0};

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(std::shared_ptr<Connection> connection);
  asio::awaitable<Response> answer(Request request, ClientInfo client);
  void forget(Connection* connection);
  void finish_drain();
};

namespace {

bool is_limit_error(const beast::error_code& ec, http::status& status) {
  if (ec == http::error::header_limit) {
    status = http::status::request_header_fields_too_large;
    return true;
  }
  if (ec == http::error::body_limit) {
    status = http::status::payload_too_large;
    return true;
  }
  return false;
}

}  // namespace

asio::awaitable<void> HttpServer::State::accept_loop() {
  auto self = shared_from_this();
  asio::steady_timer backoff_timer(executor);
  SteadyDuration backoff = kFirstAcceptBackoff;
  for (;;) {
    beast::error_code ec;
    // Straight onto the connection's own context: it is served there from now on.
    asio::io_context& context = contexts.next();
    TcpStream::socket_type socket = co_await acceptor.async_accept(context, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Keep serving the connections we have; wait for some to close when short.
      if (is_resource_shortage(ec)) {
        backoff_timer.expires_after(backoff);
        co_await backoff_timer.async_wait(asio::redirect_error(use_awaitable, ec));
        backoff = std::min(backoff * 2, kLongestAcceptBackoff);
      }
      continue;
    }
    backoff = kFirstAcceptBackoff;
    auto connection = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(mutex);
      if (draining) continue;  // the socket closes as `connection` goes
      if (connections.size() >= limits.max_connections) {
        ++refused;
        continue;  // closed at once: a queue of waiting connections would only grow
      }
      connections.emplace(connection.get(), connection);
    }
    asio::co_spawn(context, serve(std::move(connection)), asio::detached);
  }
}

asio::awaitable<Response> HttpServer::State::answer(Request request, ClientInfo client) {
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();
  try {
    co_return co_await handler(std::move(request), client);
  } catch (const std::exception&) {
    ++failures;
  }
  Response response{http::status::internal_server_error, version};
  response.set(http::field::content_type, "text/plain");
  response.body() = "internal error\n";
  response.keep_alive(keep_alive);
  response.prepare_payload();
  co_return response;
}

asio::awaitable<void> HttpServer::State::serve(std::shared_ptr<Connection> connection) {
  auto self = shared_from_this();
  TcpStream& stream = connection->stream;
  beast::flat_buffer buffer;
  beast::error_code ec;
  ClientInfo client;
  client.remote = stream.socket().remote_endpoint(ec);

  for (;;) {
    if (draining) break;
    connection->idle = true;
    http::request_parser<ArrivingStringBody> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    stream.expires_after(limits.read_timeout);
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    connection->idle = false;
    // Held until the answer is written: the handler may keep the body till then.
    BufferedShare share(buffered, limits.max_buffered_bytes);
    bool over_budget = false;
    while (!ec && !parser.is_done()) {
      co_await http::async_read_some(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      if (!share.hold(parser.get().body().size())) {
        over_budget = true;
        break;
      }
    }

    Response response;
    bool close_after = false;
    http::status limit_status{};
    if (over_budget || (ec && is_limit_error(ec, limit_status))) {
      // The rest of the request cannot be skipped reliably: answer, then close.
      if (over_budget) limit_status = http::status::service_unavailable;
      response = Response{limit_status, parser.get().version() == 10 ? 10u : 11u};
      response.set(http::field::content_type, "text/plain");
      response.body() = limit_status == http::status::payload_too_large ? "request body too large\n"
                        : limit_status == http::status::service_unavailable
                            ? "server busy: too many request bytes held\n"
                            : "request header fields too large\n";
      close_after = true;
    } else if (ec == http::error::end_of_stream || ec) {
      break;  // closed by the client, timed out, or not HTTP
    } else {
      stream.expires_never();  // the handler bounds its own calls
      // A client that asked to close (Connection: close, or HTTP/1.0 without
      // keep-alive) is closed after its answer, whatever the handler's answer says.
      const bool client_keeps_alive = parser.get().keep_alive();
      http::request<ArrivingStringBody> arrived = parser.release();
      response = co_await answer(Request(std::move(arrived.base()), std::move(arrived.body())), client);
      close_after = !client_keeps_alive || !response.keep_alive();
    }

    if (draining) close_after = true;
    response.keep_alive(!close_after);
    if (!response.has_content_length() && !response.chunked()) response.prepare_payload();
    stream.expires_after(limits.write_timeout);
    ec = co_await async_write_message(stream, response);
    if (ec || close_after) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
  forget(connection.get());
}

void HttpServer::State::forget(Connection* connection) {
  std::lock_guard lock(mutex);
  connections.erase(connection);
  if (draining && connections.empty()) drain_timer.cancel();
}

void HttpServer::State::finish_drain() {
  std::function<void()> callback;
  {
    std::lock_guard lock(mutex);
    // Whatever is still open after the timeout is closed hard.
    for (auto& [raw, weak] : connections) {
      if (auto connection = weak.lock()) {
        asio::post(connection->stream.get_executor(), [connection] { connection->stream.close(); });
      }
    }
    callback = std::exchange(on_drained, nullptr);
  }
  if (callback) callback();
}

HttpServer::HttpServer(IoContextPool& contexts, const tcp::endpoint& listen, ServerLimits limits, Handler handler)
    : state_(std::make_shared<State>(contexts, listen, limits, std::move(handler))) {}

HttpServer::~HttpServer() {
  asio::post(state_->acceptor.get_executor(), [state = state_] {
    beast::error_code ignored;
    state->acceptor.close(ignored);
  });
}

tcp::endpoint HttpServer::local_endpoint() const { return state_->acceptor.local_endpoint(); }

void HttpServer::start() { asio::co_spawn(state_->executor, state_->accept_loop(), asio::detached); }

void HttpServer::drain(SteadyDuration timeout, std::function<void()> on_drained) {
  auto state = state_;
  asio::post(state->executor, [state, timeout, on_drained = std::move(on_drained)]() mutable {
    beast::error_code ignored;
    state->acceptor.close(ignored);
    bool already_empty = false;
    {
      std::lock_guard lock(state->mutex);
      state->draining = true;
      state->on_drained = std::move(on_drained);
      already_empty = state->connections.empty();
      if (!already_empty) {
        // Armed under the lock, so the last connection's forget() cannot miss it.
        state->drain_timer.expires_after(timeout);
        state->drain_timer.async_wait([state](const beast::error_code&) { state->finish_drain(); });
      }
      for (auto& [raw, weak] : state->connections) {
        if (auto connection = weak.lock()) {
          // An idle connection is waiting for a request that will not be served.
          asio::dispatch(connection->stream.get_executor(), [connection] {
            if (connection->idle) connection->stream.cancel();
          });
        }
      }
    }
    if (already_empty) state->finish_drain();
  });
}

std::size_t HttpServer::open_connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections.size();
}

std::uint64_t HttpServer::handler_failures() const { return state_->failures.load(); }

std::uint64_t HttpServer::refused_connections() const { return state_->refused.load(); }

std::size_t HttpServer::buffered_bytes() const { return state_->buffered.load(); }

}  // namespace fogsched::live
