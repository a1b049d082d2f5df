#include "node_headers.h"

#include <charconv>

#include "fogsched/live/wire.h"

namespace fogsched::live {

// A linear scan: messages carry a handful of fields, and comparing lengths first is
// cheaper than Beast's case-insensitive tree search.
bool is_own_header(const http::fields::value_type& field, std::string_view name) {
  const auto field_name = field.name_string();
  return field.name() == http::field::unknown && field_name.size() == name.size() &&
         beast::iequals(field_name, bsv(name));
}

std::optional<std::string_view> own_header(const http::fields& fields, std::string_view name) {
  for (const auto& field : fields) {
    if (is_own_header(field, name)) return sv(field.value());
  }
  return std::nullopt;
}

std::string own_header_text(const http::fields& fields, std::string_view name) {
  return std::string(own_header(fields, name).value_or(std::string_view{}));
}

std::optional<std::uint32_t> header_value(const http::fields& fields, std::string_view name) {
  const auto text = own_header(fields, name);
  if (!text) return std::nullopt;
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return value;
}

std::uint32_t header_number(const http::fields& fields, std::string_view name, std::uint32_t fallback) {
  const auto value = header_value(fields, name);
  return value && *value <= 1'000'000 ? *value : fallback;
}

void copy_end_to_end_headers(const Request& from, Request& to) {
  constexpr std::string_view prefix = wire::kHeaderPrefix;
  for (const auto& field : from) {
    const http::field known = field.name();
    if (known == http::field::host || known == http::field::content_length) continue;
    const std::string_view name = sv(field.name_string());
    if (known == http::field::unknown && name.size() >= prefix.size() &&
        beast::iequals(bsv(name.substr(0, prefix.size())), bsv(prefix))) {
      continue;
    }
    to.insert(known, field.name_string(), field.value());  // the parser's name, not looked up again
  }
  strip_hop_by_hop(to);
}

void set_forwarding_headers(const Request& from, const ClientInfo& client, Request& to) {
  const std::string address = client.remote.address().to_string();
  const auto chain = from.find("X-Forwarded-For");
  to.set("X-Forwarded-For", chain == from.end() ? address : std::string(chain->value()) + ", " + address);
  if (from.find("X-Forwarded-Host") != from.end()) {
    to.set("X-Forwarded-Host", from["X-Forwarded-Host"]);
  } else if (const auto host = from.find(http::field::host); host != from.end()) {
    to.set("X-Forwarded-Host", host->value());
  }
}

}  // namespace fogsched::live
