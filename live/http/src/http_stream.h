#pragma once
// What HttpServer and HttpClient share: the stream type and how a message is written.
#include <array>
#include <string>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/write.hpp>

#include "fogsched/live/http.h"

namespace fogsched::live {

// A TCP stream with Beast's timeouts on a plain io_context executor: its operations
// copy that executor, not a type-erased one, and it belongs to one context's thread.
using TcpStream = beast::basic_stream<tcp, asio::io_context::executor_type>;

// Writes a whole message; the stream's own expiry bounds it. Unless the body is
// chunked, the header (wire_header) and the body go out in one gather write, with no
// copy of the body and none of Beast's incremental serialiser.
template <bool isRequest>
asio::awaitable<beast::error_code> async_write_message(TcpStream& stream,
                                                       const http::message<isRequest, http::string_body>& message) {
  beast::error_code ec;
  if (!message.chunked()) {
    const std::string header = wire_header(message);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(header), asio::buffer(message.body())};
    co_await asio::async_write(stream, buffers, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await http::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return ec;
}

}  // namespace fogsched::live
