#pragma once
// Bare sockets for what HttpServer and HttpClient never do themselves: a server that
// reads a request whole and then closes or stays silent, or writes bytes nobody asked
// for; a listener that never completes a handshake; a client that reads an answer
// until the server closes the connection.
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "fogsched/live/http.h"

namespace fogsched::live::testing {

// Answers every request 200 with keep-alive, except the first `drops` requests for
// `drop_target`: each is read whole and then the connection is closed without an
// answer (`hold` false) or left open and silent until the server goes (`hold` true).
// Everything runs on one io_context; the destructor waits for it to close up.
class RawServer {
 public:
  struct Options {
    std::string drop_target;
    int drops = 1;
    bool hold = false;
  };

  RawServer(asio::io_context& io, Options options) : state_(std::make_shared<State>(io, std::move(options))) {
    asio::co_spawn(io, accept_loop(state_), asio::detached);
  }
  ~RawServer() {
    std::promise<void> closed;
    asio::post(state_->io, [state = state_, &closed] {
      beast::error_code ignored;
      state->acceptor.close(ignored);
      for (auto& socket : state->sockets) socket->close(ignored);
      closed.set_value();
    });
    closed.get_future().wait();
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  Url url() const { return Url{"127.0.0.1", state_->port, ""}; }
  // Requests read for `target` so far.
  int seen(const std::string& target) const {
    std::lock_guard lock(state_->mutex);
    const auto found = state_->seen.find(target);
    return found == state_->seen.end() ? 0 : found->second;
  }
  // Writes `bytes` on every open connection, unasked; returns once written.
  void write_unasked(std::string bytes) {
    std::promise<void> written;
    asio::post(state_->io, [state = state_, &bytes, &written] {
      for (auto& socket : state->sockets) {
        beast::error_code ignored;
        asio::write(*socket, asio::buffer(bytes), ignored);
      }
      written.set_value();
    });
    written.get_future().wait();
  }

 private:
  struct State {
    State(asio::io_context& context, Options opts)
        : io(context),
          acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          options(std::move(opts)) {
      port = acceptor.local_endpoint().port();
    }
    asio::io_context& io;
    tcp::acceptor acceptor;
    Options options;
    std::uint16_t port = 0;
    std::vector<std::shared_ptr<tcp::socket>> sockets;  // on the io thread only
    mutable std::mutex mutex;
    std::map<std::string, int> seen;  // under mutex
  };

  static asio::awaitable<void> accept_loop(std::shared_ptr<State> state) {
    for (;;) {
      beast::error_code ec;
      auto socket = std::make_shared<tcp::socket>(
          co_await state->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec)));
      if (ec) co_return;
      socket->set_option(tcp::no_delay(true), ec);
      state->sockets.push_back(socket);
      asio::co_spawn(state->io, serve(state, socket), asio::detached);
    }
  }

  static asio::awaitable<void> serve(std::shared_ptr<State> state, std::shared_ptr<tcp::socket> socket) {
    beast::flat_buffer buffer;
    for (;;) {
      beast::error_code ec;
      Request request;
      co_await http::async_read(*socket, buffer, request, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const std::string target(request.target());
      bool drop = false;
      {
        std::lock_guard lock(state->mutex);
        const int count = ++state->seen[target];
        drop = target == state->options.drop_target && count <= state->options.drops;
      }
      if (drop) {
        if (!state->options.hold) socket->close(ec);
        co_return;  // a held socket stays in `sockets` until the server goes
      }
      Response response{http::status::ok, 11};
      response.body() = "fresh";
      response.keep_alive(true);
      response.prepare_payload();
      co_await http::async_write(*socket, response, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
    }
  }

  std::shared_ptr<State> state_;
};

// A listener with a backlog of 0 and its one queue place taken: Linux drops the SYNs
// of further connections, as a black-holed host would. Nothing runs its io_context.
class BlackHole {
 public:
  BlackHole() : acceptor_(io_), queued_(io_), waiting_(io_) {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen(0);
    queued_.connect(acceptor_.local_endpoint());
    waiting_.async_connect(acceptor_.local_endpoint(), [](const beast::error_code&) {});
  }
  Url url() const { return Url{"127.0.0.1", acceptor_.local_endpoint().port(), ""}; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  tcp::socket queued_;
  tcp::socket waiting_;
};

// What a client does once its request is written: keep sending open, or shut it down
// (the server reads end of stream after the request).
enum class AfterRequest : std::uint8_t { keep_open, half_close };

// Sends `request_text` on a new connection and reads until the server closes it
// (or resets it: a server that closes with bytes unread does): everything read, or
// none when the server kept it open longer than `limit`.
inline std::optional<std::string> read_until_closed(asio::io_context& io, const Url& to, std::string request_text,
                                                    SteadyDuration limit,
                                                    AfterRequest after = AfterRequest::keep_open) {
  auto exchange = [](Url url, std::string text, SteadyDuration deadline,
                     AfterRequest then) -> asio::awaitable<std::optional<std::string>> {
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    stream.expires_after(deadline);
    beast::error_code ec;
    co_await stream.async_connect(tcp::endpoint(asio::ip::make_address(url.host), url.port),
                                  asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return std::nullopt;
    co_await asio::async_write(stream, asio::buffer(text), asio::redirect_error(asio::use_awaitable, ec));
    const auto closed = [](const beast::error_code& error) {
      return error == asio::error::eof || error == asio::error::connection_reset || error == asio::error::broken_pipe;
    };
    if (ec && !closed(ec)) co_return std::nullopt;
    if (!ec && then == AfterRequest::half_close) stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::string received;
    char chunk[4096];
    for (;;) {
      const std::size_t n =
          co_await stream.async_read_some(asio::buffer(chunk), asio::redirect_error(asio::use_awaitable, ec));
      received.append(chunk, n);
      if (closed(ec)) co_return received;
      if (ec) co_return std::nullopt;  // timed out: the server held the connection
    }
  };
  auto future = asio::co_spawn(io, exchange(to, std::move(request_text), limit, after), asio::use_future);
  if (future.wait_for(limit + std::chrono::seconds(5)) != std::future_status::ready) {
    ADD_FAILURE() << "read_until_closed did not finish";
    return std::nullopt;
  }
  return future.get();
}

}  // namespace fogsched::live::testing
