#pragma once
// Answers as the OpenFaaS gateway writes them (Go's net/http and encoding/json), so
// the host's refusals match a real gateway's byte for byte.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fogsched/live/http.h"

namespace fogsched::live {

// Go's http.Error: text, a newline, and nosniff.
Response go_error(http::status status, std::string_view text, const Request& request);
// A status with an empty body.
Response empty_response(http::status status, const Request& request);
// Go's 404 for a route it does not serve.
Response page_not_found(const Request& request);
// X-Duration-Seconds as the watchdog and the queue-worker write it: Go's "%f".
std::string duration_seconds(SteadyDuration elapsed);
// Go's text for a JSON body it cannot decode ("unexpected end of JSON input" when truncated).
std::string json_error_text(const nlohmann::json::exception& error, std::string_view body);

}  // namespace fogsched::live
