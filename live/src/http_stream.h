#pragma once
// What HttpServer and HttpClient share: the stream type and how a message is written.
#include <string>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include "fogsched/live/http.h"

namespace fogsched::live {

// A TCP stream with Beast's timeouts on a plain io_context executor: its operations
// copy that executor, not a type-erased one, and it belongs to one context's thread.
using TcpStream = beast::basic_stream<tcp, asio::io_context::executor_type>;

// Messages whose body is at most this size go out as one buffer, written with one
// plain async_write instead of Beast's incremental serialiser.
inline constexpr std::size_t kFlatWriteBodyBytes = 16 * 1024;

// The message's header and body as they go on the wire.
template <bool isRequest>
std::string serialize(const http::message<isRequest, http::string_body>& message) {
  http::serializer<isRequest, http::string_body> serializer{message};
  std::string wire;
  wire.reserve(message.body().size() + 256);
  beast::error_code ec;
  while (!ec && !serializer.is_done()) {
    serializer.next(ec, [&](beast::error_code&, const auto& buffers) {
      for (const auto buffer : beast::buffers_range_ref(buffers)) {
        wire.append(static_cast<const char*>(buffer.data()), buffer.size());
      }
      serializer.consume(beast::buffer_bytes(buffers));
    });
  }
  return wire;
}

// Writes a whole message; the stream's own expiry bounds it.
template <bool isRequest>
asio::awaitable<beast::error_code> async_write_message(TcpStream& stream,
                                                       const http::message<isRequest, http::string_body>& message) {
  beast::error_code ec;
  if (message.body().size() <= kFlatWriteBodyBytes) {
    const std::string wire = serialize(message);
    co_await asio::async_write(stream, asio::buffer(wire), asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await http::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return ec;
}

}  // namespace fogsched::live
