#pragma once
// Reading and copying headers as the node does: fogsched's own (wire.h) found by a
// cheap scan, counts read strictly, and a client's end-to-end headers passed on.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fogsched/live/http.h"

namespace fogsched::live {

inline beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

// Whether `field` is the fogsched header `name` (one Beast does not know).
bool is_own_header(const http::fields::value_type& field, std::string_view name);

// The value of a fogsched header; none when it is missing.
std::optional<std::string_view> own_header(const http::fields& fields, std::string_view name);
// The same, empty when it is missing.
std::string own_header_text(const http::fields& fields, std::string_view name);

// A header holding a count; none when it is missing or not a number.
std::optional<std::uint32_t> header_value(const http::fields& fields, std::string_view name);
// A count of at most 10^6, else `fallback`.
std::uint32_t header_number(const http::fields& fields, std::string_view name, std::uint32_t fallback);

// The client's headers, minus hop-by-hop ones and fogsched's own.
void copy_end_to_end_headers(const Request& from, Request& to);
// What a proxy tells the next hop about the original call: X-Forwarded-For with the
// caller's address appended (so after a forward the gateway sees "client, origin"),
// and X-Forwarded-Host, the host the client called, kept when already there.
void set_forwarding_headers(const Request& from, const ClientInfo& client, Request& to);

}  // namespace fogsched::live
