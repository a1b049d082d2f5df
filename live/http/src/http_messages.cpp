// Addresses and small message helpers shared by the node and the local host.
#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/split.hpp>
#include <boost/algorithm/string/trim.hpp>

#include "fogsched/live/http.h"

namespace fogsched::live {
namespace {

std::uint16_t parse_port(std::string_view digits, std::string_view whole) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc{} || end != digits.data() + digits.size() || value > 65535) {
    throw std::invalid_argument(fmt::format("'{}': the port '{}' is not a number from 0 to 65535", whole, digits));
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::string Url::origin() const {
  // An IPv6 literal keeps its brackets, as in a Host header. Built by hand: every
  // request the client sends asks for it.
  const bool ipv6 = host.find(':') != std::string::npos;
  char digits[8];
  const auto end = std::to_chars(digits, digits + sizeof digits, port).ptr;
  std::string origin;  // short enough, as a rule, to stay in the string itself
  if (ipv6) origin.push_back('[');
  origin.append(host);
  if (ipv6) origin.push_back(']');
  origin.push_back(':');
  origin.append(digits, end);
  return origin;
}

std::string Url::to_string() const { return fmt::format("http://{}{}", origin(), prefix); }

Url parse_url(std::string_view text) {
  constexpr std::string_view scheme = "http://";
  if (!text.starts_with(scheme)) {
    throw std::invalid_argument(fmt::format("'{}' is not an http:// URL", text));
  }
  std::string_view rest = text.substr(scheme.size());
  Url url;
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (path.ends_with('/')) path.remove_suffix(1);
    if (path.find_first_of("?#") != std::string_view::npos) {
      throw std::invalid_argument(fmt::format("'{}': a base URL takes no query or fragment", text));
    }
    url.prefix = std::string(path);
  }
  if (authority.find('@') != std::string_view::npos) {
    throw std::invalid_argument(fmt::format("'{}': credentials do not belong in the URL", text));
  }
  std::string_view host = authority;
  if (authority.starts_with('[')) {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument(fmt::format("'{}': unclosed '['", text));
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw std::invalid_argument(fmt::format("'{}': bad address", text));
      url.port = parse_port(authority.substr(close + 2), text);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    url.port = parse_port(authority.substr(colon + 1), text);
  }
  if (host.empty()) throw std::invalid_argument(fmt::format("'{}' has no host", text));
  url.host = std::string(host);
  return url;
}

tcp::endpoint parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    throw std::invalid_argument(fmt::format("'{}' is not an address of the form host:port", text));
  }
  std::string_view host = text.substr(0, colon);
  const std::uint16_t port = parse_port(text.substr(colon + 1), text);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  if (host.empty()) return tcp::endpoint(tcp::v4(), port);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) throw std::invalid_argument(fmt::format("'{}': '{}' is not an IP address", text, host));
  return tcp::endpoint(address, port);
}

namespace {

Response body_response(http::status status, std::string body, const Request& request, std::string_view type) {
  Response response{status, request.version()};
  response.set(http::field::content_type, beast::string_view(type.data(), type.size()));
  response.body() = std::move(body);
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

}  // namespace

Response text_response(http::status status, std::string body, const Request& request) {
  return body_response(status, std::move(body), request, "text/plain; charset=utf-8");
}

Response json_response(http::status status, std::string body, const Request& request) {
  return body_response(status, std::move(body), request, "application/json");
}

void strip_hop_by_hop(http::fields& fields) {
  // Headers named by Connection are hop-by-hop too.
  std::vector<std::string> named;
  for (const auto& field : fields) {
    if (field.name() != http::field::connection) continue;
    std::vector<std::string> tokens;
    const std::string value(field.value());
    boost::algorithm::split(tokens, value, [](char c) { return c == ','; });
    for (auto& token : tokens) {
      boost::algorithm::trim(token);
      if (!token.empty()) named.push_back(std::move(token));
    }
  }
  static constexpr std::array hop_by_hop{
      http::field::connection,
      http::field::keep_alive,
      http::field::proxy_authenticate,
      http::field::proxy_authorization,
      http::field::proxy_connection,
      http::field::te,
      http::field::trailer,
      http::field::transfer_encoding,
      http::field::upgrade,
  };
  // One pass over the fields (a handful), not a tree search per name.
  for (auto it = fields.begin(); it != fields.end();) {
    const bool hop = std::find(hop_by_hop.begin(), hop_by_hop.end(), it->name()) != hop_by_hop.end() ||
                     std::any_of(named.begin(), named.end(),
                                 [&](const std::string& name) { return beast::iequals(it->name_string(), name); });
    it = hop ? fields.erase(it) : std::next(it);
  }
}

namespace {

// Every field as "name: value\r\n", then the blank line.
void append_fields(std::string& wire, const http::fields& fields) {
  for (const auto& field : fields) {
    const auto name = field.name_string();
    const auto value = field.value();
    wire.append(name.data(), name.size());
    wire.append(": ", 2);
    wire.append(value.data(), value.size());
    wire.append("\r\n", 2);
  }
  wire.append("\r\n", 2);
}

std::size_t fields_bytes(const http::fields& fields) {
  std::size_t bytes = 2;
  for (const auto& field : fields) bytes += field.name_string().size() + field.value().size() + 4;
  return bytes;
}

// "HTTP/1.1", as Beast writes the version: one digit each side of the dot.
void append_version(std::string& wire, unsigned version) {
  const char text[] = {
      'H', 'T', 'T', 'P', '/', static_cast<char>('0' + version / 10), '.', static_cast<char>('0' + version % 10)};
  wire.append(text, sizeof text);
}

}  // namespace

std::string wire_header(const Request& request) {
  const auto method = request.method_string();
  const auto target = request.target();
  std::string wire;
  wire.reserve(method.size() + target.size() + 12 + fields_bytes(request));
  wire.append(method.data(), method.size());
  wire.push_back(' ');
  wire.append(target.data(), target.size());
  wire.push_back(' ');
  append_version(wire, request.version());
  wire.append("\r\n", 2);
  append_fields(wire, request);
  return wire;
}

std::string wire_header(const Response& response) {
  // reason() is the message's own reason phrase, else the standard one for the code.
  const auto reason = response.reason();
  const unsigned code = response.result_int();
  std::string wire;
  wire.reserve(reason.size() + 16 + fields_bytes(response));
  append_version(wire, response.version());
  const char status[] = {' ', static_cast<char>('0' + code / 100 % 10), static_cast<char>('0' + code / 10 % 10),
                         static_cast<char>('0' + code % 10), ' '};
  wire.append(status, sizeof status);
  wire.append(reason.data(), reason.size());
  wire.append("\r\n", 2);
  append_fields(wire, response);
  return wire;
}

}  // namespace fogsched::live
