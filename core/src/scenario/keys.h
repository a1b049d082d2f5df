#pragma once
// The keys of each map of a scenario file: the loader accepts these and no others,
// and scenarios/schema.json must name exactly these (tests/scenario_schema_test.cpp).
#include <string_view>

#include "fogsched/core/service_time_grammar.h"

namespace fogsched::scenario_keys {

inline constexpr std::string_view kTop[] = {"name",      "seed",    "duration", "warmup",    "replications",
                                            "hop_limit", "cluster", "network",  "functions", "workload",
                                            "policies",  "faults",  "plugins"};
inline constexpr std::string_view kCluster[] = {"cameras", "cloud"};
inline constexpr std::string_view kCameras[] = {"count",     "layout", "spacing", "columns", "area",
                                                "positions", "slots",  "queue",   "speed",   "overrides"};
inline constexpr std::string_view kArea[] = {"width", "height"};
inline constexpr std::string_view kPosition[] = {"x", "y"};
// A per-camera value (slots, speed) drawn from options or from a uniform range.
inline constexpr std::string_view kValueChoice[] = {"choice", "weights"};
inline constexpr std::string_view kValueUniform[] = {"dist", "min", "max"};
inline constexpr std::string_view kCameraOverride[] = {"camera", "cameras", "slots", "queue", "speed"};
inline constexpr std::string_view kCloud[] = {"enabled", "slots", "queue", "speed", "latency", "bandwidth"};
inline constexpr std::string_view kNetwork[] = {"latency",       "bandwidth",     "probe_bytes", "gossip_bytes",
                                                "gossip_memory", "probe_timeout", "uplink"};
inline constexpr std::string_view kLatency[] = {"base", "per_km"};
inline constexpr std::string_view kUplink[] = {"bandwidth", "latency", "loss"};
inline constexpr std::string_view kFunction[] = {"service_time", "payload", "response", "deadline"};
inline constexpr std::string_view kWorkload[] = {"function", "cameras", "arrivals"};
inline constexpr std::string_view kArrivals[] = {
    "process", "rate",           "load",      "hotspots",   "rates",       "profile",   "profile_period",
    "states",  "transitions",    "file",      "entry_rate", "speed",       "turns",     "view_radius",
    "trigger", "frame_interval", "roads",     "blacklist",  "invocations", "durations", "within_minute",
    "scale",   "functions",      "placement", "weights",    "window",      "speedup"};
inline constexpr std::string_view kAzureFunctions[] = {"top", "sample"};
inline constexpr std::string_view kAzureWindow[] = {"from", "for"};
inline constexpr std::string_view kHotspots[] = {"count", "cameras", "factor"};
inline constexpr std::string_view kProfileStep[] = {"at", "factor"};
inline constexpr std::string_view kMmppState[] = {"rate", "sojourn"};
inline constexpr std::string_view kTurns[] = {"straight", "left", "right"};
inline constexpr std::string_view kVehicleSpeed[] = {"dist", "mean", "sd", "min", "max"};
inline constexpr std::string_view kRoadGraph[] = {"intersections", "roads", "border"};
inline constexpr std::string_view kBlacklist[] = {"fraction", "vehicles", "alert"};
inline constexpr std::string_view kFaults[] = {"timeout", "outages", "failures"};
inline constexpr std::string_view kOutage[] = {"cameras", "count", "fraction", "at", "for"};
inline constexpr std::string_view kFailures[] = {"mttf", "mttr", "cameras"};
// A policy map: `name`, then any parameter the policy declares.
inline constexpr std::string_view kPolicy[] = {"name"};

}  // namespace fogsched::scenario_keys
