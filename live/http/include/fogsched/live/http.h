#pragma once
// HTTP/1.1 for live mode: a server and a keep-alive client pool on Boost.Beast,
// written as C++20 coroutines on Asio executors.
//
// Every operation has a deadline; bodies and header blocks are bounded; the server
// drains gracefully. Handlers are coroutines, so a handler that calls out (to a
// gateway, to peers) holds no thread while it waits.
//
// Threading: one io_context per thread (IoContextPool). A connection, its timers and
// the coroutine serving it stay on one context, hence on one thread, so nothing needs
// a strand, and executors are plain io_context executors, which Asio's type-erased
// any_io_executor holds without allocating. HttpServer and HttpClient require that
// every context they run on is run by exactly one thread.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>  // boost/asio/awaitable.hpp (1.74) uses std::exchange without it
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace fogsched::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using SteadyDuration = std::chrono::steady_clock::duration;

// --------------------------------------------------------------------------------
// Threads

// N io_contexts, each run by exactly one thread. Work is spread over them round
// robin (next()); whatever runs on one context is serialised by its thread.
class IoContextPool {
 public:
  // At least one context; throws std::invalid_argument for 0.
  explicit IoContextPool(std::size_t size);
  // Stops and joins the threads, then destroys the contexts (all shut down first, so
  // a pending operation of one may hold an I/O object of another).
  ~IoContextPool();
  IoContextPool(const IoContextPool&) = delete;
  IoContextPool& operator=(const IoContextPool&) = delete;

  std::size_t size() const noexcept { return contexts_.size(); }
  asio::io_context& at(std::size_t index);
  // The contexts in turn; thread-safe.
  asio::io_context& next() noexcept;

  // Starts one thread per context (once). Each runs until stop(), idle or not.
  void start();
  // Makes every context's run() return; thread-safe, callable from a pool thread.
  void stop() noexcept;
  // Waits for the threads; not from a pool thread.
  void join();

 private:
  struct Context;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

// --------------------------------------------------------------------------------
// Addresses

// `http://host[:port][/prefix]`. Only plain http: live mode runs inside the
// orchestrator's network, as OpenFaaS's own gateway-to-function traffic does.
struct Url {
  std::string host;
  std::uint16_t port = 80;
  std::string prefix;  // path prefix without a trailing slash; empty for "/"

  std::string origin() const;  // "host:port", the value of a Host header
  std::string to_string() const;
  friend bool operator==(const Url&, const Url&) = default;
};

// Throws std::invalid_argument naming the text and what is wrong with it.
Url parse_url(std::string_view text);

// `host:port` or `:port` (all interfaces) to an endpoint; the host must be an IP
// address. Throws std::invalid_argument naming the text.
tcp::endpoint parse_listen_address(std::string_view text);

// --------------------------------------------------------------------------------
// Messages

// A response with a text body, `Content-Type: text/plain`, and the request's
// version and keep-alive.
Response text_response(http::status status, std::string body, const Request& request);
Response json_response(http::status status, std::string body, const Request& request);

// Removes the hop-by-hop headers of RFC 9110 §7.6.1 (Connection, Keep-Alive,
// Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade and any header Connection names),
// which a proxy must not pass on.
void strip_hop_by_hop(http::fields& fields);

// The start line and header fields of a message as they go on the wire, through the
// blank line that ends them: byte for byte what Beast's serializer writes, in the
// fields' order, at a fraction of its cost. The body follows as it is, unless the
// message is chunked (then Beast's serializer must write it).
std::string wire_header(const Request& request);
std::string wire_header(const Response& response);

// --------------------------------------------------------------------------------
// Server

struct ServerLimits {
  std::size_t max_header_bytes = std::size_t{16} * 1024;       // 431 beyond
  std::size_t max_body_bytes = std::size_t{16} * 1024 * 1024;  // 413 beyond
  SteadyDuration read_timeout = std::chrono::seconds(60);      // waiting for, then reading, a request
  SteadyDuration write_timeout = std::chrono::seconds(30);     // writing a response
  // Open connections; one more is accepted and closed at once (and counted), so the
  // listen queue does not fill behind it.
  std::size_t max_connections = 10000;
  // Request body bytes held across all connections (those arrived, not those
  // announced); a request that would go beyond is answered 503 and closed.
  std::size_t max_buffered_bytes = std::size_t{256} * 1024 * 1024;
};

struct ClientInfo {
  tcp::endpoint remote;
};

// Answers one request. Exceptions become a 500 with a short body (and are counted).
using Handler = std::function<asio::awaitable<Response>(Request, ClientInfo)>;

// Accepts on one context of the pool and serves each connection, handler included,
// on the next context in turn, where it stays.
class HttpServer {
 public:
  // Binds at once (so a port in use is reported here, as std::system_error);
  // port 0 picks a free port.
  HttpServer(IoContextPool& contexts, const tcp::endpoint& listen, ServerLimits limits, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  tcp::endpoint local_endpoint() const;

  // Starts accepting.
  void start();

  // Stops accepting; idle keep-alive connections close now, busy ones after the
  // response in progress. `on_drained` runs (on a pool thread) once no connection is
  // left, or after `timeout`, when the rest are closed hard.
  void drain(SteadyDuration timeout, std::function<void()> on_drained);

  std::size_t open_connections() const;
  std::uint64_t handler_failures() const;
  // Connections closed unserved because max_connections were open.
  std::uint64_t refused_connections() const;
  // Request body bytes held now, across connections.
  std::size_t buffered_bytes() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// --------------------------------------------------------------------------------
// Client

struct ClientOptions {
  std::size_t max_idle_per_origin = 64;  // keep-alive connections kept per host:port
  std::size_t max_response_header_bytes = std::size_t{64} * 1024;
  std::size_t max_response_body_bytes = std::size_t{64} * 1024 * 1024;
  // Limit on opening a connection, within the exchange's own deadline: a host that
  // never answers costs this, not the whole timeout. max(): the deadline alone.
  SteadyDuration connect_timeout = SteadyDuration::max();
};

enum class ClientFailure : std::uint8_t {
  resolve,   // the host name did not resolve
  connect,   // refused, unreachable or not answering in time: the request was never sent
  timeout,   // the exchange took longer than allowed after connecting
  io,        // the connection broke mid-exchange
  protocol,  // the answer was not valid HTTP or exceeded the limits
};
const char* to_string(ClientFailure) noexcept;

struct ClientResult {
  std::optional<Response> response;
  ClientFailure failure = ClientFailure::io;  // meaningful when !response
  std::string message;                        // meaningful when !response
  // Every byte of the request went out, so the server may have acted on it; false
  // when a failure proves it did not (resolve, connect, or the write itself failed).
  bool request_written = false;

  explicit operator bool() const noexcept { return response.has_value(); }
};

// Keeps idle keep-alive connections per context and origin and reuses them. An idle
// connection is checked before reuse (closed by the server, or holding bytes nobody
// asked for: discarded). A request is sent again, once, on a new connection only when
// it provably never reached the server (writing it on a reused connection failed), or
// when its method is idempotent (GET, HEAD, OPTIONS) and a reused connection broke
// before any answer byte; never after a timeout, so a POST is never run twice by the
// pool. send() runs on the context of the coroutine awaiting
// it, which must be one of the client's contexts and run by one thread; the
// connection it uses belongs to that context. Thread-safe across contexts.
class HttpClient {
 public:
  explicit HttpClient(IoContextPool& contexts, ClientOptions options = {});
  explicit HttpClient(asio::io_context& context, ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` (target, method, headers, body as given; Host is set when
  // missing) to `to`'s host and port. The whole exchange, connecting included, takes
  // at most `timeout`. Arguments are taken by value: the coroutine may start after
  // the caller's temporaries are gone. Throws std::logic_error when awaited on a
  // context the client was not given.
  asio::awaitable<ClientResult> send(Url to, Request request, SteadyDuration timeout);

  // Closes every idle connection and keeps none from now on (for shutdown). Any
  // thread: each connection is closed on its own context.
  void close_idle();
  std::size_t idle_connections() const;

 private:
  struct Pool;
  std::vector<std::shared_ptr<Pool>> pools_;  // one per context
  ClientOptions options_;
};

}  // namespace fogsched::live
