#pragma once
// The OpenFaaS vocabulary live mode shares with real gateways (../shared/OPENFAAS_API.md):
// the function-name rule, `/function/` targets, the basic-auth secrets and check, and
// the FunctionDeployment / FunctionStatus JSON of faas-provider 0.25.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "fogsched/live/http.h"

namespace fogsched::live {

// The namespace functions live in when none is given, and the only one a local host has.
inline constexpr std::string_view kDefaultFunctionNamespace = "openfaas-fn";

// The gateway's invocation routes (`/function/NAME...`) and its API (`/system/...`).
inline constexpr std::string_view kFunctionPrefix = "/function/";
inline constexpr std::string_view kSystemPrefix = "/system/";
// The gateway's own health: 200 while it serves.
inline constexpr std::string_view kGatewayHealthPath = "/healthz";
// GET /system/function/NAME[?namespace=NS]: one FunctionStatus, or 404.
inline constexpr std::string_view kFunctionStatusPrefix = "/system/function/";
// GET /system/functions[?namespace=NS]: every FunctionStatus of a namespace.
inline constexpr std::string_view kFunctionListPath = "/system/functions";
// Selects a namespace on the two routes above: `?namespace=NS`.
inline constexpr std::string_view kNamespaceQuery = "?namespace=";
// How the gateway's 404 for a function its provider does not know begins
// (`error finding function NAME.NS: …`); a function's own 404 does not.
inline constexpr std::string_view kFunctionNotFoundPrefix = "error finding function ";

// Async invocations (the gateway with its queue-worker): POST /async-function/NAME...
// answers 202 and queues the call; the worker POSTs the result to the request's
// callback URL with the function's status, name and duration in these headers.
inline constexpr std::string_view kAsyncFunctionPrefix = "/async-function/";
inline constexpr std::string_view kCallbackUrlHeader = "X-Callback-Url";
inline constexpr std::string_view kFunctionStatusHeader = "X-Function-Status";
inline constexpr std::string_view kFunctionNameHeader = "X-Function-Name";

// Set by OpenFaaS on answers it makes itself rather than the function's: the value
// names which part made it.
inline constexpr std::string_view kInternalHeader = "X-OpenFaaS-Internal";
inline constexpr std::string_view kInternalByLimiter = "faas-middleware";  // the watchdog's max_inflight 429
inline constexpr std::string_view kInternalByProxy = "proxy";              // the gateway's proxy (no endpoints)

// Whether `response` is the watchdog's limiter refusal (429 with X-OpenFaaS-Internal:
// faas-middleware): the function did not run. Any other 429 is the function's own answer.
bool is_limiter_refusal(const Response& response);

// --------------------------------------------------------------------------------
// Names and targets

// The gateway's route pattern `[-a-zA-Z_0-9.]+` (which admits `name.namespace`).
bool is_valid_function_name(std::string_view name);

// `name.namespace` split at its last dot, as the gateway does; `namespace_name` is
// empty when the name has no dot.
struct QualifiedFunctionName {
  std::string name;
  std::string namespace_name;
};
QualifiedFunctionName split_function_namespace(std::string_view qualified);

// `/function/NAME[/sub/path][?query]` split into NAME and what the function sees:
// the sub-path with the query (`/sub/path?x=1`), "/" when there is no sub-path
// (`/?x=1` with a query). Empty optional when `target` does not start with `prefix`
// or names no function; the name is returned as written, unchecked, so that the
// caller can answer an invalid one as it sees fit.
struct FunctionTarget {
  std::string name;
  std::string path;
};
std::optional<FunctionTarget> split_function_target(std::string_view target, std::string_view prefix = kFunctionPrefix);

// --------------------------------------------------------------------------------
// Basic auth on /system/*

struct BasicAuthCredentials {
  std::string user;
  std::string password;
};

// Reads `basic-auth-user` and `basic-auth-password` under `dir`, each trimmed of
// surrounding whitespace as OpenFaaS trims them. Empty optional when either file is
// missing; throws std::runtime_error naming the file when one exists but cannot be read.
std::optional<BasicAuthCredentials> read_basic_auth_secrets(const std::filesystem::path& dir);

// The value of an Authorization header: `Basic base64(user:password)`.
std::string basic_auth_header(const BasicAuthCredentials& credentials);

// Whether the request's Authorization header carries exactly these credentials. The
// comparison takes the same time wherever the first difference lies.
bool basic_auth_matches(const Request& request, const BasicAuthCredentials& credentials);

// The gateway's refusal: 401, `WWW-Authenticate: Basic realm="Restricted"`, body
// `invalid credentials`.
Response unauthorized(const Request& request);

// --------------------------------------------------------------------------------
// JSON of faas-provider. Reading ignores unknown fields, as Go's decoder does, and
// throws nlohmann::json::exception on a field of the wrong type.

struct FunctionResources {
  std::string memory;  // "128Mi"
  std::string cpu;     // "100m"
  friend bool operator==(const FunctionResources&, const FunctionResources&) = default;
};

// The body of POST / PUT /system/functions.
struct FunctionDeployment {
  std::string service;
  std::string image;
  std::string namespace_name;  // JSON "namespace"
  std::string env_process;     // the classic watchdog's fprocess
  std::map<std::string, std::string> env_vars;
  std::vector<std::string> constraints;
  std::vector<std::string> secrets;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::optional<FunctionResources> limits;
  std::optional<FunctionResources> requests;
  bool read_only_root_filesystem = false;
  friend bool operator==(const FunctionDeployment&, const FunctionDeployment&) = default;
};

struct FunctionUsage {
  double cpu = 0;
  double total_memory_bytes = 0;
  friend bool operator==(const FunctionUsage&, const FunctionUsage&) = default;
};

// One element of GET /system/functions; the answer of GET /system/function/NAME.
struct FunctionStatus {
  std::string name;
  std::string image;
  std::string namespace_name;
  std::string env_process;
  std::map<std::string, std::string> env_vars;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  double invocation_count = 0;  // a float in the API
  std::uint64_t replicas = 0;
  std::uint64_t available_replicas = 0;
  std::chrono::system_clock::time_point created_at;
  std::optional<FunctionUsage> usage;
  friend bool operator==(const FunctionStatus&, const FunctionStatus&) = default;
};

// Empty fields are omitted except name/service, image and createdAt, as the API does.
// An ordered_json keeps the fields in the order the gateway writes them.
void to_json(nlohmann::json& out, const FunctionDeployment& deployment);
void to_json(nlohmann::ordered_json& out, const FunctionDeployment& deployment);
void from_json(const nlohmann::json& in, FunctionDeployment& deployment);
void to_json(nlohmann::json& out, const FunctionStatus& status);
void to_json(nlohmann::ordered_json& out, const FunctionStatus& status);
void from_json(const nlohmann::json& in, FunctionStatus& status);

// RFC 3339 in UTC with the fraction Go's RFC3339Nano writes (trailing zeros dropped):
// `2026-11-27T18:18:54.38293459Z`.
std::string format_rfc3339(std::chrono::system_clock::time_point time);
// Accepts `Z` or a `±hh:mm` offset and any fraction; throws std::invalid_argument.
std::chrono::system_clock::time_point parse_rfc3339(std::string_view text);

}  // namespace fogsched::live
