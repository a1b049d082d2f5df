#include "gateway_answers.h"

#include <fmt/format.h>

namespace fogsched::live {

using json = nlohmann::json;

Response go_error(http::status status, std::string_view text, const Request& request) {
  Response response = text_response(status, std::string(text) + "\n", request);
  response.set("X-Content-Type-Options", "nosniff");
  return response;
}

Response empty_response(http::status status, const Request& request) {
  Response response{status, request.version()};
  response.keep_alive(request.keep_alive());
  response.content_length(0);
  return response;
}

Response page_not_found(const Request& request) {
  return go_error(http::status::not_found, "404 page not found", request);
}

std::string duration_seconds(SteadyDuration elapsed) {
  return fmt::format("{:.6f}", std::chrono::duration<double>(elapsed).count());
}

std::string json_error_text(const json::exception& error, std::string_view body) {
  if (const auto* parse = dynamic_cast<const json::parse_error*>(&error); parse && parse->byte >= body.size()) {
    return "unexpected end of JSON input";
  }
  std::string_view text = error.what();
  if (const auto bracket = text.find("] "); text.starts_with("[json.exception") && bracket != std::string_view::npos) {
    text.remove_prefix(bracket + 2);
  }
  return std::string(text);
}

}  // namespace fogsched::live
