// The HTTP layer of live mode on loopback: round trips, keep-alive reuse, limits,
// deadlines, refused and black-holed connections, stale pooled connections, requests
// never sent twice, a client's Connection: close, graceful drain, and the bounds on
// connections and buffered bytes.
#include "fogsched/live/http.h"

#include <malloc.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/write.hpp>

#include "live_raw_socket.h"
#include "live_wire.h"
#include "sanitizers.h"

namespace fogsched::live {
namespace {

using namespace std::chrono_literals;

// Two single-threaded io_contexts, as in the services.
class Loop {
 public:
  Loop() : contexts_(2) { contexts_.start(); }
  IoContextPool& contexts() { return contexts_; }
  asio::any_io_executor executor() { return contexts_.at(0).get_executor(); }

  // Runs a coroutine to its end on the first context (a client's idle connections
  // are per context, so sequential calls from one context share one); fails the test
  // if it takes more than 10 s.
  template <class T>
  T run(asio::awaitable<T> coroutine) {
    auto future = asio::co_spawn(executor(), std::move(coroutine), asio::use_future);
    if (future.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "coroutine did not finish within 10 s";
      std::abort();
    }
    return future.get();
  }

 private:
  IoContextPool contexts_;
};

// Holds handlers until opened. Each waiter waits on a timer of its own context, which
// open() cancels there, so no timer is touched from two threads.
class Gate {
 public:
  asio::awaitable<void> wait() {
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(executor, std::chrono::steady_clock::time_point::max());
    {
      std::lock_guard lock(mutex_);
      if (open_) co_return;
      waiting_.push_back(timer);
    }
    // A cancel posted by open() runs on this thread, so after this wait has begun.
    boost::system::error_code ignored;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    for (auto& timer : waiting_) asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    waiting_.clear();
  }

 private:
  std::mutex mutex_;
  bool open_ = false;
  std::vector<std::shared_ptr<asio::steady_timer>> waiting_;
};

Url url_of(const HttpServer& server) {
  return Url{.host = "127.0.0.1", .port = server.local_endpoint().port(), .prefix = ""};
}

Request make_request(http::verb verb, std::string target, std::string body = {}) {
  Request request{verb, target, 11};
  request.body() = std::move(body);
  return request;
}

// Echoes method, target and body; remembers which client ports it saw.
struct EchoService {
  std::mutex mutex;
  std::set<unsigned short> client_ports;

  Handler handler() {
    return [this](Request request, ClientInfo client) -> asio::awaitable<Response> {
      {
        std::lock_guard lock(mutex);
        client_ports.insert(client.remote.port());
      }
      Response response{http::status::ok, request.version()};
      response.set("X-Method", std::string(request.method_string()));
      response.set("X-Target", std::string(request.target()));
      response.body() = request.body();
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      co_return response;
    };
  }
};

TEST(Url, ParsesHostPortAndPrefix) {
  EXPECT_EQ(parse_url("http://gateway:8080"), (Url{"gateway", 8080, ""}));
  EXPECT_EQ(parse_url("http://10.0.0.2"), (Url{"10.0.0.2", 80, ""}));
  EXPECT_EQ(parse_url("http://h:1/base/"), (Url{"h", 1, "/base"}));
  EXPECT_EQ(parse_url("http://[::1]:18080"), (Url{"::1", 18080, ""}));
  EXPECT_EQ(parse_url("http://h:1/base").to_string(), "http://h:1/base");
  EXPECT_EQ(parse_url("http://[::1]:18080").to_string(), "http://[::1]:18080");
  EXPECT_EQ(parse_url("http://[::1]:18080").origin(), "[::1]:18080");
}

TEST(Url, RefusesWhatItCannotUse) {
  for (const char* bad :
       {"https://h:1", "h:1", "http://:80", "http://h:99999", "http://h:x", "http://u:p@h:1", "http://h:1/a?b=c"}) {
    EXPECT_THROW(parse_url(bad), std::invalid_argument) << bad;
  }
  try {
    parse_url("http://h:70000");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("70000"), std::string::npos) << e.what();
  }
}

TEST(ListenAddress, ParsesAndRefuses) {
  EXPECT_EQ(parse_listen_address("127.0.0.1:18080"), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 18080));
  EXPECT_EQ(parse_listen_address(":9"), tcp::endpoint(tcp::v4(), 9));
  EXPECT_THROW(parse_listen_address("gateway:8080"), std::invalid_argument);
  EXPECT_THROW(parse_listen_address("18080"), std::invalid_argument);
}

TEST(HopByHop, RemovesConnectionHeadersAndWhatTheyName) {
  http::fields fields;
  fields.set(http::field::connection, "keep-alive, X-Private");
  fields.set("X-Private", "1");
  fields.insert("x-private", "again");                // named in another case, and twice
  fields.insert(http::field::connection, "X-Other");  // a second Connection header
  fields.set("X-Other", "2");
  fields.set(http::field::keep_alive, "timeout=5");
  fields.set(http::field::transfer_encoding, "chunked");
  fields.set(http::field::upgrade, "websocket");
  fields.set("X-Call-Id", "abc");
  fields.set(http::field::content_type, "image/jpeg");
  strip_hop_by_hop(fields);
  EXPECT_EQ(fields.count("X-Private"), 0u);
  EXPECT_EQ(fields.count("X-Other"), 0u);
  EXPECT_EQ(fields.count(http::field::connection), 0u);
  EXPECT_EQ(fields.count(http::field::keep_alive), 0u);
  EXPECT_EQ(fields.count(http::field::transfer_encoding), 0u);
  EXPECT_EQ(fields.count(http::field::upgrade), 0u);
  EXPECT_EQ(fields["X-Call-Id"], "abc");
  EXPECT_EQ(fields[http::field::content_type], "image/jpeg");
}

// What Beast's own serializer writes for the message: the reference wire_header
// must match byte for byte.
template <bool isRequest>
std::string beast_wire(const http::message<isRequest, http::string_body>& message) {
  std::ostringstream out;
  out << message;
  return out.str();
}

TEST(WireHeader, RequestsAreWhatBeastsSerializerWrites) {
  Request get{http::verb::get, probe_target("noop"), 11};
  get.set(http::field::host, "127.0.0.1:8080");
  get.set(header_name(wire::kTokenHeader), "secret");
  get.insert("X-Repeated", "one");
  get.insert("X-Repeated", "two");
  get.insert("x-lower-case", "");  // an empty value, a name as the client spelt it

  Request post{http::verb::post, "/function/plates?camera=7", 10};
  post.set(http::field::content_type, "application/octet-stream");
  post.body() = std::string("\0\x01plate\r\n\xff", 10);
  post.prepare_payload();

  Request unknown_method{http::verb::unknown, "*", 11};
  unknown_method.method_string("PURGE");

  for (const Request* request : {&get, &post, &unknown_method}) {
    SCOPED_TRACE(std::string(request->method_string()) + " " + std::string(request->target()));
    EXPECT_EQ(wire_header(*request) + request->body(), beast_wire(*request));
  }
}

TEST(WireHeader, ResponsesAreWhatBeastsSerializerWrites) {
  Response ok{http::status::ok, 11};
  ok.set(http::field::content_type, "text/plain");
  ok.set("X-Duration-Seconds", "0.000123");
  ok.body() = "done\n";
  ok.prepare_payload();

  Response too_many{http::status::too_many_requests, 10};
  too_many.prepare_payload();

  Response own_reason{http::status::bad_gateway, 11};
  own_reason.reason("Gateway Gone Fishing");

  Response unknown_code{static_cast<http::status>(299), 11};  // no standard reason phrase

  for (const Response* response : {&ok, &too_many, &own_reason, &unknown_code}) {
    SCOPED_TRACE(response->result_int());
    EXPECT_EQ(wire_header(*response) + response->body(), beast_wire(*response));
  }
  EXPECT_TRUE(wire_header(ok).starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(wire_header(ok).ends_with("\r\n\r\n"));
}

TEST(HttpServerClient, RoundTripReusesOneKeepAliveConnection) {
  Loop loop;
  EchoService echo;
  HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), {}, echo.handler());
  server.start();
  HttpClient client(loop.contexts());

  std::string binary_body(256, '\0');
  for (std::size_t i = 0; i < binary_body.size(); ++i) binary_body[i] = static_cast<char>(i);
  for (int i = 0; i < 5; ++i) {
    ClientResult result =
        loop.run(client.send(url_of(server), make_request(http::verb::put, "/a/b?x=1", binary_body), 2s));
    ASSERT_TRUE(result) << result.message;
    EXPECT_EQ(result.response->result(), http::status::ok);
    EXPECT_EQ((*result.response)["X-Method"], "PUT");
    EXPECT_EQ((*result.response)["X-Target"], "/a/b?x=1");
    EXPECT_EQ(result.response->body(), binary_body);
  }
  EXPECT_EQ(client.idle_connections(), 1u);
  std::lock_guard lock(echo.mutex);
  EXPECT_EQ(echo.client_ports.size(), 1u) << "five sequential requests should share one connection";
}

TEST(HttpServerClient, LargeAndChunkedBodiesArriveWhole) {
  Loop loop;
  // Answers with the request's body; chunked when the request asks for it.
  HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), {},
                    [](Request request, ClientInfo) -> asio::awaitable<Response> {
                      Response response{http::status::ok, request.version()};
                      response.body() = request.body();
                      response.keep_alive(request.keep_alive());
                      response.prepare_payload();
                      if (request.target() == "/chunked") response.chunked(true);
                      co_return response;
                    });
  server.start();
  HttpClient client(loop.contexts());

  // Larger than a socket buffer on loopback, so the gather write takes several sends.
  std::string large(std::size_t{3} * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<char>(i * 7 % 251);
  for (const char* target : {"/plain", "/chunked"}) {
    SCOPED_TRACE(target);
    ClientResult result = loop.run(client.send(url_of(server), make_request(http::verb::post, target, large), 5s));
    ASSERT_TRUE(result) << result.message;
    EXPECT_EQ(result.response->chunked(), std::string_view(target) == "/chunked");
    EXPECT_EQ(result.response->body(), large);
  }
}

TEST(HttpServerClient, OversizedBodyIs413AndOversizedHeaderIs431) {
  Loop loop;
  EchoService echo;
  ServerLimits limits;
  limits.max_body_bytes = 1000;
  limits.max_header_bytes = 2000;
  HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), limits, echo.handler());
  server.start();
  HttpClient client(loop.contexts());

  ClientResult fits =
      loop.run(client.send(url_of(server), make_request(http::verb::post, "/", std::string(1000, 'x')), 2s));
  ASSERT_TRUE(fits) << fits.message;
  EXPECT_EQ(fits.response->result(), http::status::ok);

  ClientResult too_big =
      loop.run(client.send(url_of(server), make_request(http::verb::post, "/", std::string(1001, 'x')), 2s));
  ASSERT_TRUE(too_big) << too_big.message;
  EXPECT_EQ(too_big.response->result(), http::status::payload_too_large);

  Request big_header = make_request(http::verb::get, "/");
  big_header.set("X-Padding", std::string(3000, 'p'));
  ClientResult too_long = loop.run(client.send(url_of(server), big_header, 2s));
  ASSERT_TRUE(too_long) << too_long.message;
  EXPECT_EQ(too_long.response->result(), http::status::request_header_fields_too_large);
}

TEST(HttpServerClient, HandlerExceptionIs500AndCounted) {
  Loop loop;
  HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), {},
                    [](Request, ClientInfo) -> asio::awaitable<Response> {
                      throw std::runtime_error("boom");
                      co_return Response{};
                    });
  server.start();
  HttpClient client(loop.contexts());
  ClientResult result = loop.run(client.send(url_of(server), make_request(http::verb::get, "/"), 2s));
  ASSERT_TRUE(result) << result.message;
  EXPECT_EQ(result.response->result(), http::status::internal_server_error);
  EXPECT_EQ(server.handler_failures(), 1u);
}

TEST(HttpClient, RefusedConnectionIsAConnectFailure) {
  Loop loop;
  std::uint16_t closed_port = 0;
  {
    asio::io_context io;
    tcp::acceptor probe(io, parse_listen_address("127.0.0.1:0"));
    closed_port = probe.local_endpoint().port();
  }
  HttpClient client(loop.contexts());
  ClientResult result =
      loop.run(client.send(Url{"127.0.0.1", closed_port, ""}, make_request(http::verb::get, "/"), 2s));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.failure, ClientFailure::connect) << result.message;
}

TEST(HttpClient, SlowServerIsATimeoutWithinTheDeadline) {
  Loop loop;
  // The handler waits for a timer the test cancels; the client gives up first.
  auto release = std::make_shared<Gate>();
  HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), {},
                    [release](Request request, ClientInfo) -> asio::awaitable<Response> {
                      co_await release->wait();
                      co_return text_response(http::status::ok, "late\n", request);
                    });
  server.start();
  HttpClient client(loop.contexts());
  const auto started = std::chrono::steady_clock::now();
  ClientResult result = loop.run(client.send(url_of(server), make_request(http::verb::get, "/"), 200ms));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result);
  EXPECT_EQ(result.failure, ClientFailure::timeout) << result.message;
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 5s);
  release->open();
  std::promise<void> drained;
  server.drain(5s, [&] { drained.set_value(); });
  EXPECT_EQ(drained.get_future().wait_for(10s), std::future_status::ready);
}

TEST(HttpClient, StalePooledConnectionIsRetriedOnANewOne) {
  Loop loop;
  EchoService echo;
  auto server = std::make_unique<HttpServer>(loop.contexts(), parse_listen_address("127.0.0.1:0"), ServerLimits{},
                                             echo.handler());
  server->start();
  const Url url = url_of(*server);
  HttpClient client(loop.contexts());
  ASSERT_TRUE(loop.run(client.send(url, make_request(http::verb::get, "/first"), 2s)));
  ASSERT_EQ(client.idle_connections(), 1u);

  // The server goes away (closing the pooled connection) and another takes its port.
  std::promise<void> drained;
  server->drain(5s, [&] { drained.set_value(); });
  ASSERT_EQ(drained.get_future().wait_for(10s), std::future_status::ready);
  server.reset();
  HttpServer replacement(loop.contexts(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), url.port), {},
                         echo.handler());
  replacement.start();

  ClientResult result = loop.run(client.send(url, make_request(http::verb::post, "/second", "body"), 2s));
  ASSERT_TRUE(result) << result.message;
  EXPECT_EQ(result.response->body(), "body");
}

TEST(HttpClient, APostTheServerReadAndDroppedIsNeverSentAgain) {
  Loop loop;
  testing::RawServer server(loop.contexts().at(0), {.drop_target = "/order", .drops = 1, .hold = false});
  HttpClient client(loop.contexts());
  ASSERT_TRUE(loop.run(client.send(server.url(), make_request(http::verb::get, "/first"), 2s)));
  ASSERT_EQ(client.idle_connections(), 1u);

  // The kept-alive connection carries the POST; the server reads it whole and closes.
  ClientResult result = loop.run(client.send(server.url(), make_request(http::verb::post, "/order", "pay"), 2s));
  EXPECT_FALSE(result) << "the server may have run it: the client must not send it again";
  EXPECT_TRUE(result.request_written);
  EXPECT_EQ(server.seen("/order"), 1);
}

TEST(HttpClient, AGetTheServerDroppedIsSentAgainOnANewConnection) {
  Loop loop;
  testing::RawServer server(loop.contexts().at(0), {.drop_target = "/read", .drops = 1, .hold = false});
  HttpClient client(loop.contexts());
  ASSERT_TRUE(loop.run(client.send(server.url(), make_request(http::verb::get, "/first"), 2s)));
  ClientResult result = loop.run(client.send(server.url(), make_request(http::verb::get, "/read"), 2s));
  ASSERT_TRUE(result) << result.message;
  EXPECT_EQ(result.response->body(), "fresh");
  EXPECT_EQ(server.seen("/read"), 2);
}

TEST(HttpClient, AnIdleConnectionHoldingUnaskedBytesIsNotReused) {
  Loop loop;
  testing::RawServer server(loop.contexts().at(0), {});
  HttpClient client(loop.contexts());
  ASSERT_TRUE(loop.run(client.send(server.url(), make_request(http::verb::get, "/first"), 2s)));
  ASSERT_EQ(client.idle_connections(), 1u);
  server.write_unasked("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale");
  ClientResult result = loop.run(client.send(server.url(), make_request(http::verb::post, "/second", "x"), 2s));
  ASSERT_TRUE(result) << result.message;
  EXPECT_EQ(result.response->body(), "fresh") << "bytes nobody asked for were read as the answer";
  EXPECT_EQ(server.seen("/second"), 1);
}

TEST(HttpClient, APeerThatNeverAnswersTheHandshakeCostsTheConnectTimeout) {
  Loop loop;
  testing::BlackHole black_hole;
  const Url url = black_hole.url();
  HttpClient client(loop.contexts(), ClientOptions{.connect_timeout = 300ms});
  const auto started = std::chrono::steady_clock::now();
  ClientResult result = loop.run(client.send(url, make_request(http::verb::post, "/f", "x"), 8s));
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result);
  EXPECT_EQ(result.failure, ClientFailure::connect) << result.message;
  EXPECT_FALSE(result.request_written);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
}

TEST(HttpServer, AClientAskingToCloseIsClosedAfterItsAnswer) {
  Loop loop;
  // The handler answers keep-alive whatever the request said, as a proxy passing on
  // its upstream's answer does.
  HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), {},
                    [](Request request, ClientInfo) -> asio::awaitable<Response> {
                      Response response = text_response(http::status::ok, "answer", request);
                      response.keep_alive(true);
                      co_return response;
                    });
  server.start();
  for (const char* request :
       {"GET /f HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET /f HTTP/1.0\r\nHost: a\r\n\r\n"}) {
    SCOPED_TRACE(request);
    const auto answer = testing::read_until_closed(loop.contexts().at(1), url_of(server), request, 3s);
    ASSERT_TRUE(answer) << "the server kept the connection open";
    EXPECT_NE(answer->find("answer"), std::string::npos) << *answer;
  }
}

TEST(HttpServer, DrainFinishesBusyRequestsAndClosesIdleConnections) {
  Loop loop;
  auto release = std::make_shared<Gate>();
  std::promise<void> slow_started;
  HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), {},
                    [&, release](Request request, ClientInfo) -> asio::awaitable<Response> {
                      if (request.target() == "/slow") {
                        slow_started.set_value();
                        co_await release->wait();
                      }
                      co_return text_response(http::status::ok, "done\n", request);
                    });
  server.start();
  const Url url = url_of(server);
  HttpClient idle_client(loop.contexts());
  ASSERT_TRUE(loop.run(idle_client.send(url, make_request(http::verb::get, "/fast"), 2s)));
  ASSERT_EQ(server.open_connections(), 1u);  // the idle keep-alive connection

  HttpClient busy_client(loop.contexts());
  auto slow = asio::co_spawn(loop.executor(), busy_client.send(url, make_request(http::verb::get, "/slow"), 10s),
                             asio::use_future);
  ASSERT_EQ(slow_started.get_future().wait_for(10s), std::future_status::ready);

  std::promise<void> drained;
  auto drained_future = drained.get_future();
  server.drain(10s, [&] { drained.set_value(); });
  // The busy request keeps the drain open until it is answered.
  EXPECT_EQ(drained_future.wait_for(50ms), std::future_status::timeout);
  release->open();
  ASSERT_EQ(slow.wait_for(10s), std::future_status::ready);
  ClientResult answer = slow.get();
  ASSERT_TRUE(answer) << answer.message;
  EXPECT_EQ(answer.response->body(), "done\n");
  EXPECT_FALSE(answer.response->keep_alive()) << "a draining server closes after the answer";
  ASSERT_EQ(drained_future.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(server.open_connections(), 0u);

  // No new connection is accepted.
  ClientResult refused = loop.run(HttpClient(loop.contexts()).send(url, make_request(http::verb::get, "/"), 1s));
  EXPECT_FALSE(refused);
}

// Polls `done` until it holds or `limit` passes; true when it held.
template <class Predicate>
bool eventually(Predicate done, SteadyDuration limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Blocking client sockets on loopback, each with a receive deadline.
std::vector<tcp::socket> connect_raw(asio::io_context& io, const Url& to, std::size_t count) {
  std::vector<tcp::socket> sockets;
  for (std::size_t i = 0; i < count; ++i) {
    tcp::socket& socket = sockets.emplace_back(io);
    socket.connect(tcp::endpoint(asio::ip::make_address(to.host), to.port));
    const timeval receive_limit{5, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &receive_limit, sizeof receive_limit);
  }
  return sockets;
}

// VmSize of this process in KiB, from /proc/self/status.
// Bytes the process has taken from malloc and still holds (glibc: its arenas' chunks in
// use plus the large blocks it maps). A body reserved up front counts here at once,
// whether or not its pages were touched; thread arenas' address space does not.
std::size_t allocated_kib() {
  const struct mallinfo2 taken = ::mallinfo2();
  return (taken.uordblks + taken.hblkhd) / 1024;
}

TEST(HttpServer, ConnectionsBeyondTheCapAreClosedAtOnceAndCounted) {
  Loop loop;
  ServerLimits limits;
  limits.max_connections = 4;
  HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), limits,
                    [](Request request, ClientInfo) -> asio::awaitable<Response> {
                      co_return text_response(http::status::ok, "OK\n", request);
                    });
  server.start();
  asio::io_context io;
  std::vector<tcp::socket> idle = connect_raw(io, url_of(server), 10);
  ASSERT_TRUE(eventually([&] { return server.refused_connections() == 6; })) << server.refused_connections();
  EXPECT_EQ(server.open_connections(), 4u);
  // Accepted in the order they connected: the last six were closed unserved.
  for (std::size_t i = 4; i < idle.size(); ++i) {
    char byte = 0;
    beast::error_code ec;
    idle[i].read_some(asio::buffer(&byte, 1), ec);
    EXPECT_EQ(ec, asio::error::eof) << "connection " << i << ": " << ec.message();
  }
  for (std::size_t i = 0; i < 4; ++i) idle[i].close();
  ASSERT_TRUE(eventually([&] { return server.open_connections() == 0; }));

  HttpClient client(loop.contexts());
  ClientResult health = loop.run(client.send(url_of(server), make_request(http::verb::get, "/healthz"), 2s));
  ASSERT_TRUE(health) << health.message;
  EXPECT_EQ(health.response->result(), http::status::ok);
}

TEST(HttpServer, AnAcceptLoopOutOfDescriptorsWaitsInsteadOfSpinning) {
  if (kUnderSanitizers) {
    GTEST_SKIP() << "UBSan reads memory through a pipe of its own to check a call's object type: with the "
                    "descriptor table full it cannot, and reports every virtual call as one on a bad object";
  }
  // One pipe a direction and message, so neither side reads its own bytes back.
  int ready[2];
  int go_on[2];
  int measured[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(go_on), 0);
  ASSERT_EQ(::pipe(measured), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The test process runs no other thread now, so the child may start its own; it
    // reports through the pipe and leaves with _exit.
    Loop loop;
    HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), {},
                      [](Request request, ClientInfo) -> asio::awaitable<Response> {
                        co_return text_response(http::status::ok, "OK\n", request);
                      });
    server.start();
    // Two descriptors free beyond the lowest one unused now.
    const int lowest_free = ::dup(0);
    ::close(lowest_free);
    const rlimit tiny{static_cast<rlim_t>(lowest_free + 2), static_cast<rlim_t>(lowest_free + 2)};
    if (::setrlimit(RLIMIT_NOFILE, &tiny) != 0) ::_exit(3);
    const std::uint16_t port = server.local_endpoint().port();
    if (::write(ready[1], &port, sizeof port) != sizeof port) ::_exit(4);
    char go = 0;
    if (::read(go_on[0], &go, 1) != 1) ::_exit(5);  // the parent's connections are queued
    auto cpu_seconds = [] {
      rusage usage{};
      ::getrusage(RUSAGE_SELF, &usage);
      return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
             static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    };
    const double before = cpu_seconds();
    std::this_thread::sleep_for(1s);  // the window measured, not a wait for an event
    const double used = cpu_seconds() - before;
    if (::write(measured[1], &used, sizeof used) != sizeof used) ::_exit(6);
    ::_exit(0);
  }
  auto reap = [&] {
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
  };
  auto read_within = [](int fd, void* into, std::size_t size) {
    pollfd polled{fd, POLLIN, 0};
    return ::poll(&polled, 1, 10'000) == 1 && ::read(fd, into, size) == static_cast<ssize_t>(size);
  };
  std::uint16_t port = 0;
  if (!read_within(ready[0], &port, sizeof port)) {
    reap();
    FAIL() << "the child did not start its server";
  }
  asio::io_context io;
  std::vector<tcp::socket> queued = connect_raw(io, Url{"127.0.0.1", port, ""}, 20);
  const char go = 'g';
  ASSERT_EQ(::write(go_on[1], &go, 1), 1);
  double used = -1;
  const bool reported = read_within(measured[0], &used, sizeof used);
  reap();
  for (int fd : {ready[0], ready[1], go_on[0], go_on[1], measured[0], measured[1]}) ::close(fd);
  ASSERT_TRUE(reported) << "the child did not report its CPU time";
  EXPECT_LT(used, 0.25) << "CPU seconds in one second of a full descriptor table";
}

TEST(HttpServer, AnnouncedBodiesTakeOnlyWhatArrived) {
  Loop loop;
  HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), {},
                    [](Request request, ClientInfo) -> asio::awaitable<Response> {
                      co_return text_response(http::status::ok, "OK\n", request);
                    });
  server.start();
  const std::size_t before_kib = allocated_kib();
  asio::io_context io;
  constexpr std::size_t kConnections = 50;
  std::vector<tcp::socket> senders = connect_raw(io, url_of(server), kConnections);
  const std::string announce = "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 16777216\r\n\r\nx";
  for (tcp::socket& socket : senders) asio::write(socket, asio::buffer(announce));
  ASSERT_TRUE(eventually([&] { return server.buffered_bytes() == kConnections; })) << server.buffered_bytes();
  const std::size_t after_kib = allocated_kib();
  const std::size_t grown_mib = (after_kib - std::min(before_kib, after_kib)) / 1024;
  EXPECT_LT(grown_mib, 100u) << "announced: " << kConnections * 16 << " MiB";
  senders.clear();
  EXPECT_TRUE(eventually([&] { return server.buffered_bytes() == 0; })) << server.buffered_bytes();
}

TEST(HttpServer, ARequestBeyondTheBufferedCapIs503) {
  Loop loop;
  ServerLimits limits;
  limits.max_buffered_bytes = 1000;
  EchoService echo;
  HttpServer server(loop.contexts(), parse_listen_address("127.0.0.1:0"), limits, echo.handler());
  server.start();
  const Url url = url_of(server);
  asio::io_context io;
  std::vector<tcp::socket> holder = connect_raw(io, url, 1);
  asio::write(holder[0],
              asio::buffer("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 900\r\n\r\n" + std::string(800, 'h')));
  ASSERT_TRUE(eventually([&] { return server.buffered_bytes() == 800; })) << server.buffered_bytes();

  const auto refused = testing::read_until_closed(
      loop.contexts().at(1), url, "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 500\r\n\r\n" + std::string(500, 'r'),
      3s);
  ASSERT_TRUE(refused) << "the server kept the connection open";
  EXPECT_EQ(refused->rfind("HTTP/1.1 503", 0), 0u) << *refused;

  // The held bytes are given back when their connection goes.
  holder.clear();
  ASSERT_TRUE(eventually([&] { return server.buffered_bytes() == 0; })) << server.buffered_bytes();
  HttpClient client(loop.contexts());
  ClientResult fits = loop.run(client.send(url, make_request(http::verb::post, "/f", std::string(500, 'f')), 2s));
  ASSERT_TRUE(fits) << fits.message;
  EXPECT_EQ(fits.response->result(), http::status::ok);
}

}  // namespace
}  // namespace fogsched::live
