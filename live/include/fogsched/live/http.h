#pragma once
// HTTP/1.1 for live mode: a server and a keep-alive client pool on Boost.Beast,
// written as C++20 coroutines on Asio executors.
//
// Every operation has a deadline; bodies and header blocks are bounded; the server
// drains gracefully. Handlers are coroutines, so a handler that calls out (to a
// gateway, to peers) holds no thread while it waits.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // boost/asio/awaitable.hpp (1.74) uses std::exchange without it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
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

// --------------------------------------------------------------------------------
// Server

struct ServerLimits {
  std::size_t max_header_bytes = 16 * 1024;         // 431 beyond
  std::size_t max_body_bytes = 16 * 1024 * 1024;    // 413 beyond
  SteadyDuration read_timeout = std::chrono::seconds(60);   // waiting for, then reading, a request
  SteadyDuration write_timeout = std::chrono::seconds(30);  // writing a response
};

struct ClientInfo {
  tcp::endpoint remote;
};

// Answers one request. Exceptions become a 500 with a short body (and are counted).
using Handler = std::function<asio::awaitable<Response>(Request, ClientInfo)>;

class HttpServer {
 public:
  // Binds at once (so a port in use is reported here, as std::system_error);
  // port 0 picks a free port. Connections run on strands of `executor`.
  HttpServer(asio::any_io_executor executor, const tcp::endpoint& listen, ServerLimits limits, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  tcp::endpoint local_endpoint() const;

  // Starts accepting.
  void start();

  // Stops accepting; idle keep-alive connections close now, busy ones after the
  // response in progress. `on_drained` runs (on the executor) once no connection is
  // left, or after `timeout`, when the rest are closed hard.
  void drain(SteadyDuration timeout, std::function<void()> on_drained);

  std::size_t open_connections() const;
  std::uint64_t handler_failures() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

// --------------------------------------------------------------------------------
// Client

struct ClientOptions {
  std::size_t max_idle_per_origin = 64;  // keep-alive connections kept per host:port
  std::size_t max_response_header_bytes = 64 * 1024;
  std::size_t max_response_body_bytes = 64 * 1024 * 1024;
};

enum class ClientFailure : std::uint8_t {
  resolve,   // the host name did not resolve
  connect,   // refused or unreachable
  timeout,   // the whole exchange took longer than allowed
  io,        // the connection broke mid-exchange
  protocol,  // the answer was not valid HTTP or exceeded the limits
};
const char* to_string(ClientFailure) noexcept;

struct ClientResult {
  std::optional<Response> response;
  ClientFailure failure = ClientFailure::io;  // meaningful when !response
  std::string message;                        // meaningful when !response

  explicit operator bool() const noexcept { return response.has_value(); }
};

// Thread-safe. Keeps idle keep-alive connections per origin and reuses them; a reused
// connection that the server had closed is retried once on a new one (the request
// never reached the server).
class HttpClient {
 public:
  explicit HttpClient(asio::any_io_executor executor, ClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` (target, method, headers, body as given; Host is set when
  // missing) to `to`'s host and port. The whole exchange, connecting included, takes
  // at most `timeout`. Arguments are taken by value: the coroutine may start after
  // the caller's temporaries are gone.
  asio::awaitable<ClientResult> send(Url to, Request request, SteadyDuration timeout);

  // Closes every idle connection and keeps none from now on (for shutdown).
  void close_idle();
  std::size_t idle_connections() const;

 private:
  struct Pool;
  std::shared_ptr<Pool> pool_;
};

}  // namespace fogsched::live
