#pragma once
// Labels that separate the random streams derived from one seed (derive_seed).
// Changing a value changes every result for a seed: append, never renumber.
#include <cstdint>

#include "fogsched/core/azure_trace.h"

namespace fogsched::sim::stream {

inline constexpr std::uint64_t kLayout = 1;        // random camera positions (scenario seed)
inline constexpr std::uint64_t kHotspots = 2;      // hot-spot cameras (scenario seed)
inline constexpr std::uint64_t kArrivals = 3;      // per arrival stream (replication seed)
inline constexpr std::uint64_t kNodePolicy = 4;    // per node, the policy's Rng (replication seed)
inline constexpr std::uint64_t kReplication = 5;   // replication seeds from the run seed
inline constexpr std::uint64_t kCameraValues = 6;  // per-camera slots / speed spreads (scenario seed)
inline constexpr std::uint64_t kOutages = 7;       // cameras of a drawn outage (scenario seed)
inline constexpr std::uint64_t kFailures = 8;      // per camera failure/repair times (replication seed)
inline constexpr std::uint64_t kTraffic = 9;       // per traffic workload (replication seed)
inline constexpr std::uint64_t kTraceWork = 10;    // service demands of trace arrivals (replication seed)
inline constexpr std::uint64_t kUplink = 11;       // per camera uplink losses (replication seed)
inline constexpr std::uint64_t kEpisode = 12;      // training episodes' run seeds from the run seed
inline constexpr std::uint64_t kAzureSample = kAzureSampleStream;  // 13: functions sampled from an Azure trace
                                                                   // (scenario seed; drawn when it is loaded)
inline constexpr std::uint64_t kAzure = 14;  // per Azure workload: arrival times, service demands, cameras
                                             // (replication seed)

}  // namespace fogsched::sim::stream
