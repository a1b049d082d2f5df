#pragma once
// Every name fogsched itself puts on the wire: the peer protocol between nodes, the
// headers a node adds to its answers, the node's own routes, and the service demand
// the load generator names to the local host (docs/live.md describes them). The
// node, `fogsched load`, `fogsched host` and the tests all read them from here; the
// OpenFaaS gateway's own names are in openfaas.h.
#include <string_view>

namespace fogsched::live::wire {

// Every fogsched header starts with this; a node never passes one on to a gateway.
inline constexpr std::string_view kHeaderPrefix = "X-Fogsched-";

// --- the peer protocol (every peer request carries the cluster's shared token)

inline constexpr std::string_view kTokenHeader = "X-Fogsched-Token";
// Routes only peers may call (401 without the token).
inline constexpr std::string_view kPeerPrefix = "/peer/";
// GET: a probe, answered with the load headers below; PUT: gossip, a JSON body.
inline constexpr std::string_view kLoadPath = "/peer/load";
// A probe names the function whose load it asks for: /peer/load?function=NAME.
inline constexpr std::string_view kLoadFunctionQuery = "?function=";
// POST /peer/function/NAME[/sub/path][?query]: a forwarded invocation.
inline constexpr std::string_view kForwardPrefix = "/peer/function/";
// POST /peer/async-function/NAME...: a forwarded async invocation, queued there.
inline constexpr std::string_view kAsyncForwardPrefix = "/peer/async-function/";

// A forward's request headers.
inline constexpr std::string_view kMethodHeader = "X-Fogsched-Method";          // the client's method
inline constexpr std::string_view kHopsHeader = "X-Fogsched-Hops";              // forwards so far, this one included
inline constexpr std::string_view kPathHeader = "X-Fogsched-Path";              // nodes passed, comma-separated
inline constexpr std::string_view kOriginHeader = "X-Fogsched-Origin";          // the origin node's name
inline constexpr std::string_view kInvocationHeader = "X-Fogsched-Invocation";  // the origin's invocation id

// A probe's answer: the numbers travel in headers, read without a JSON parser.
inline constexpr std::string_view kRunningHeader = "X-Fogsched-Running";
inline constexpr std::string_view kQueuedHeader = "X-Fogsched-Queued";
inline constexpr std::string_view kSlotsHeader = "X-Fogsched-Slots";
inline constexpr std::string_view kQueueCapacityHeader = "X-Fogsched-Queue-Capacity";

// --- every answer of a node to /function/... (kHopsHeader too: forwards it took)

inline constexpr std::string_view kNodeHeader = "X-Fogsched-Node";          // whose gateway ran it, or who rejected it
inline constexpr std::string_view kProbesHeader = "X-Fogsched-Probes";      // probe messages sent, on all nodes
inline constexpr std::string_view kDecisionHeader = "X-Fogsched-Decision";  // the origin's decision
// kNodeHeader's value when the cloud gateway (the node's cloud.url) ran the call.
inline constexpr std::string_view kCloudNodeName = "cloud";

// --- failures a node makes itself (never on a function's own answer, 5xx included)

// Marks a 502, 503 or 504 the node made; its value says why and whether the function
// provably did not run (the caller may run it elsewhere) or may have run.
inline constexpr std::string_view kFailureHeader = "X-Fogsched-Failure";
// Did not run: the node's gateway is down or unreachable.
inline constexpr std::string_view kFailureGatewayUnavailable = "gateway-unavailable";
// May have run: the call was sent and then timed out, or the connection broke.
inline constexpr std::string_view kFailureGatewayTimeout = "gateway-timeout";
inline constexpr std::string_view kFailureGatewayBroken = "gateway-broken";
inline constexpr std::string_view kFailurePeerTimeout = "peer-timeout";
inline constexpr std::string_view kFailurePeerBroken = "peer-broken";
inline constexpr std::string_view kFailureCloudTimeout = "cloud-timeout";
inline constexpr std::string_view kFailureCloudBroken = "cloud-broken";

// Whether a failure value says the function provably did not run.
constexpr bool failure_means_not_run(std::string_view value) { return value == kFailureGatewayUnavailable; }

// --- the node's own routes beside the gateway's

inline constexpr std::string_view kHealthPath = "/healthz";  // 200; 503 while draining or the gateway is down
inline constexpr std::string_view kMetricsPath = "/metrics";
inline constexpr std::string_view kStatusPath = "/status";

// --- the load generator to the local host

// A synthetic function holds its slot for this many seconds when a call names them
// (`fogsched load` sends the simulator's service demand), instead of drawing.
inline constexpr std::string_view kServiceSecondsHeader = "X-Synthetic-Service-Seconds";

}  // namespace fogsched::live::wire
