// The OpenFaaS vocabulary: names, targets, basic auth and the provider's JSON.
#include "fogsched/live/openfaas.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <nlohmann/json.hpp>

namespace fogsched::live {

bool is_limiter_refusal(const Response& response) {
  if (response.result() != http::status::too_many_requests) return false;
  const auto internal = response.find(beast::string_view(kInternalHeader.data(), kInternalHeader.size()));
  return internal != response.end() &&
         std::string_view(internal->value().data(), internal->value().size()) == kInternalByLimiter;
}

// --------------------------------------------------------------------------------
// Names and targets

bool is_valid_function_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

QualifiedFunctionName split_function_namespace(std::string_view qualified) {
  const auto dot = qualified.rfind('.');
  if (dot == std::string_view::npos) return {std::string(qualified), {}};
  return {std::string(qualified.substr(0, dot)), std::string(qualified.substr(dot + 1))};
}

std::optional<FunctionTarget> split_function_target(std::string_view target, std::string_view prefix) {
  if (!target.starts_with(prefix)) return std::nullopt;
  const std::string_view rest = target.substr(prefix.size());
  const auto name_end = rest.find_first_of("/?");
  const std::string_view name = rest.substr(0, name_end);
  if (name.empty()) return std::nullopt;
  std::string path(name_end == std::string_view::npos ? std::string_view{} : rest.substr(name_end));
  if (path.empty() || path.front() == '?') path.insert(path.begin(), '/');
  return FunctionTarget{std::string(name), std::move(path)};
}

// --------------------------------------------------------------------------------
// Basic auth

namespace {

std::optional<std::string> read_trimmed(const std::filesystem::path& file) {
  std::error_code error;
  if (!std::filesystem::exists(file, error)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", file.string()));
  return boost::algorithm::trim_copy(content.str());
}

std::string base64(std::string_view bytes) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      group = (group << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out.push_back(k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 0x3f] : '=');
    }
  }
  return out;
}

// Compares every byte of the longer text, so the time taken says nothing about
// where the texts differ (only, at most, about the expected length).
bool constant_time_equal(std::string_view a, std::string_view b) {
  const std::size_t length = std::max(a.size(), b.size());
  unsigned difference = a.size() == b.size() ? 0u : 1u;
  for (std::size_t i = 0; i < length; ++i) {
    const auto x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0u;
    const auto y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0u;
    difference |= x ^ y;
  }
  return difference == 0;
}

}  // namespace

std::optional<BasicAuthCredentials> read_basic_auth_secrets(const std::filesystem::path& dir) {
  std::optional<std::string> user = read_trimmed(dir / "basic-auth-user");
  std::optional<std::string> password = read_trimmed(dir / "basic-auth-password");
  if (!user || !password) return std::nullopt;
  return BasicAuthCredentials{std::move(*user), std::move(*password)};
}

std::string basic_auth_header(const BasicAuthCredentials& credentials) {
  return "Basic " + base64(credentials.user + ":" + credentials.password);
}

bool basic_auth_matches(const Request& request, const BasicAuthCredentials& credentials) {
  const auto field = request.find(http::field::authorization);
  if (field == request.end()) return false;
  const std::string_view value(field->value().data(), field->value().size());
  constexpr std::string_view kScheme = "Basic ";
  if (value.size() < kScheme.size() || !boost::algorithm::iequals(value.substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  const std::string expected = base64(credentials.user + ":" + credentials.password);
  return constant_time_equal(value.substr(kScheme.size()), expected);
}

Response unauthorized(const Request& request) {
  Response response = text_response(http::status::unauthorized, "invalid credentials", request);
  response.set(http::field::www_authenticate, R"(Basic realm="Restricted")");
  return response;
}

// --------------------------------------------------------------------------------
// Time

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto since_epoch = duration_cast<nanoseconds>(time.time_since_epoch());
  const sys_days day = floor<days>(sys_time<nanoseconds>(since_epoch));
  const year_month_day date(day);
  const hh_mm_ss clock(since_epoch - day.time_since_epoch());
  std::string text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(date.year()),
                                 static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                                 clock.hours().count(), clock.minutes().count(), clock.seconds().count());
  if (const auto fraction = clock.subseconds().count(); fraction != 0) {
    std::string digits = fmt::format("{:09}", fraction);
    while (digits.back() == '0') digits.pop_back();
    text += "." + digits;
  }
  return text + "Z";
}

std::chrono::system_clock::time_point parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  const auto fail = [&]() -> std::invalid_argument {
    return std::invalid_argument(fmt::format("'{}' is not an RFC 3339 time", text));
  };
  const auto number = [&](std::size_t at, std::size_t width) {
    int value = 0;
    if (at + width > text.size()) throw fail();
    const auto [end, error] = std::from_chars(text.data() + at, text.data() + at + width, value);
    if (error != std::errc{} || end != text.data() + at + width) throw fail();
    return value;
  };
  // YYYY-MM-DDTHH:MM:SS
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':') {
    throw fail();
  }
  const year_month_day date{year(number(0, 4)), month(static_cast<unsigned>(number(5, 2))),
                            day(static_cast<unsigned>(number(8, 2)))};
  if (!date.ok()) throw fail();
  nanoseconds since_midnight = hours(number(11, 2)) + minutes(number(14, 2)) + seconds(number(17, 2));
  std::size_t at = 19;
  if (text[at] == '.') {
    ++at;
    std::int64_t scale = 100'000'000;
    std::int64_t fraction = 0;
    const std::size_t digits_start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      fraction += (text[at] - '0') * scale;  // digits beyond nanoseconds are dropped
      scale /= 10;
      ++at;
    }
    if (at == digits_start) throw fail();
    since_midnight += nanoseconds(fraction);
  }
  if (at >= text.size()) throw fail();
  minutes offset{0};
  if (text[at] == 'Z' || text[at] == 'z') {
    ++at;
  } else if (text[at] == '+' || text[at] == '-') {
    if (at + 6 != text.size() || text[at + 3] != ':') throw fail();
    offset = hours(number(at + 1, 2)) + minutes(number(at + 4, 2));
    if (text[at] == '-') offset = -offset;
    at += 6;
  }
  if (at != text.size()) throw fail();
  const auto utc = sys_days(date).time_since_epoch() + since_midnight - offset;
  return system_clock::time_point(duration_cast<system_clock::duration>(utc));
}

// --------------------------------------------------------------------------------
// JSON

namespace {

using json = nlohmann::json;

template <class Json, class Value>
void put_if(Json& out, const char* key, const Value& value) {
  if (!value.empty()) out[key] = value;
}

// Go writes a float64 without a fraction when it has none (`"invocationCount":4`).
template <class Json>
Json go_float(double value) {
  constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
  if (std::abs(value) < kExactIntegers && value == std::trunc(value)) return static_cast<std::int64_t>(value);
  return value;
}

// Absent and null both leave the field as it is, as Go's decoder does.
template <class T>
void get_if(const json& in, const char* key, T& value) {
  if (const auto it = in.find(key); it != in.end() && !it->is_null()) it->get_to(value);
}

template <class Json>
Json resources_json(const FunctionResources& resources) {
  Json out = Json::object();
  put_if(out, "memory", resources.memory);
  put_if(out, "cpu", resources.cpu);
  return out;
}

void read_resources(const json& in, const char* key, std::optional<FunctionResources>& resources) {
  const auto it = in.find(key);
  if (it == in.end() || it->is_null()) return;
  FunctionResources read;
  get_if(*it, "memory", read.memory);
  get_if(*it, "cpu", read.cpu);
  resources = std::move(read);
}

template <class Json>
void write_deployment(Json& out, const FunctionDeployment& d) {
  out = Json::object();
  out["service"] = d.service;
  out["image"] = d.image;
  put_if(out, "namespace", d.namespace_name);
  put_if(out, "envProcess", d.env_process);
  put_if(out, "envVars", d.env_vars);
  put_if(out, "constraints", d.constraints);
  put_if(out, "secrets", d.secrets);
  put_if(out, "labels", d.labels);
  put_if(out, "annotations", d.annotations);
  if (d.limits) out["limits"] = resources_json<Json>(*d.limits);
  if (d.requests) out["requests"] = resources_json<Json>(*d.requests);
  if (d.read_only_root_filesystem) out["readOnlyRootFilesystem"] = true;
}

template <class Json>
void write_status(Json& out, const FunctionStatus& s) {
  out = Json::object();
  out["name"] = s.name;
  out["image"] = s.image;
  put_if(out, "namespace", s.namespace_name);
  put_if(out, "envProcess", s.env_process);
  put_if(out, "envVars", s.env_vars);
  put_if(out, "labels", s.labels);
  put_if(out, "annotations", s.annotations);
  if (s.invocation_count != 0) out["invocationCount"] = go_float<Json>(s.invocation_count);
  if (s.replicas != 0) out["replicas"] = s.replicas;
  if (s.available_replicas != 0) out["availableReplicas"] = s.available_replicas;
  out["createdAt"] = format_rfc3339(s.created_at);
  if (s.usage) {
    Json usage = Json::object();
    usage["cpu"] = go_float<Json>(s.usage->cpu);
    usage["totalMemoryBytes"] = go_float<Json>(s.usage->total_memory_bytes);
    out["usage"] = std::move(usage);
  }
}

}  // namespace

void to_json(json& out, const FunctionDeployment& deployment) { write_deployment(out, deployment); }
void to_json(nlohmann::ordered_json& out, const FunctionDeployment& deployment) { write_deployment(out, deployment); }
void to_json(json& out, const FunctionStatus& status) { write_status(out, status); }
void to_json(nlohmann::ordered_json& out, const FunctionStatus& status) { write_status(out, status); }

void from_json(const json& in, FunctionDeployment& deployment) {
  if (!in.is_object()) throw json::type_error::create(302, "a FunctionDeployment is a JSON object", &in);
  get_if(in, "service", deployment.service);
  get_if(in, "image", deployment.image);
  get_if(in, "namespace", deployment.namespace_name);
  get_if(in, "envProcess", deployment.env_process);
  get_if(in, "envVars", deployment.env_vars);
  get_if(in, "constraints", deployment.constraints);
  get_if(in, "secrets", deployment.secrets);
  get_if(in, "labels", deployment.labels);
  get_if(in, "annotations", deployment.annotations);
  read_resources(in, "limits", deployment.limits);
  read_resources(in, "requests", deployment.requests);
  get_if(in, "readOnlyRootFilesystem", deployment.read_only_root_filesystem);
}

void from_json(const json& in, FunctionStatus& status) {
  if (!in.is_object()) throw json::type_error::create(302, "a FunctionStatus is a JSON object", &in);
  get_if(in, "name", status.name);
  get_if(in, "image", status.image);
  get_if(in, "namespace", status.namespace_name);
  get_if(in, "envProcess", status.env_process);
  get_if(in, "envVars", status.env_vars);
  get_if(in, "labels", status.labels);
  get_if(in, "annotations", status.annotations);
  get_if(in, "invocationCount", status.invocation_count);
  get_if(in, "replicas", status.replicas);
  get_if(in, "availableReplicas", status.available_replicas);
  if (const auto it = in.find("createdAt"); it != in.end() && it->is_string()) {
    try {
      status.created_at = parse_rfc3339(it->get<std::string>());
    } catch (const std::invalid_argument& e) {
      throw json::other_error::create(501, e.what(), &in);
    }
  }
  if (const auto it = in.find("usage"); it != in.end() && it->is_object()) {
    FunctionUsage usage;
    get_if(*it, "cpu", usage.cpu);
    get_if(*it, "totalMemoryBytes", usage.total_memory_bytes);
    status.usage = usage;
  }
}

}  // namespace fogsched::live
