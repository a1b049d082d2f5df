#pragma once
// The client invocations of a scenario, drawn without the simulator: Poisson and
// MMPP arrival streams, replays of files (trace CSV, Azure Functions traces) and
// city traffic, each with the service demand of every invocation it produces.
//
// Each source draws from random streams of its own, derived from the replication
// seed (stream_labels.h). The simulator drives the sources from its event queue;
// ArrivalSequence drives the same sources from a heap of its own, in the same order
// (time, then the order in which the next arrivals were drawn), so it yields the
// simulator's invocations with the simulator's ids, without simulating a node.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "fogsched/core/rng.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/service_time.h"
#include "fogsched/core/time.h"
#include "fogsched/sim/arrival_processes.h"
#include "fogsched/sim/city.h"
#include "fogsched/sim/event_heap.h"
#include "fogsched/sim/huge_pages.h"
#include "fogsched/sim/prefetch.h"
#include "fogsched/sim/replay_sources.h"
#include "fogsched/sim/traffic.h"

namespace fogsched::sim {

// One client invocation as its source made it, before the simulator numbers it.
struct SourcedInvocation {
  std::uint32_t camera = 0;         // the origin
  std::uint32_t function = 0;       // index into Scenario::functions
  double work_s = 0;                // service demand on a node of speed 1
  std::uint64_t payload_bytes = 0;  // the function's, or the trace row's own
};

// The vehicle a traffic camera saw, behind a traffic-triggered invocation.
struct VehicleSighting {
  std::uint32_t source = 0;  // which traffic workload (WorkloadSources::traffic_count() order)
  VehicleId vehicle = 0;
  bool blacklisted = false;
  Time view_enter{};  // this pass of this camera
  Time view_leave{};  // may be after the run's end
};

// Every arrival source of one scenario for one replication. Times at or after
// `end` (the scenario's duration) are never produced by streams and traces; the
// traffic model stops before it too.
class WorkloadSources {
 public:
  WorkloadSources(const Scenario& scenario, const City& city, std::uint64_t replication_seed);
  WorkloadSources(WorkloadSources&&) noexcept;
  WorkloadSources& operator=(WorkloadSources&&) noexcept;
  ~WorkloadSources();

  // Poisson and MMPP streams, one per (workload entry, camera) as City::streams().
  std::uint32_t stream_count() const { return static_cast<std::uint32_t>(streams_.size()); }
  std::uint32_t stream_camera(std::uint32_t stream) const { return streams_[stream].camera; }
  // Where the streams' states are, for a look-ahead that starts loading one before
  // take_stream_arrival reads it.
  RecordArray stream_records() const { return RecordArray::of(streams_.data()); }  // one line each
  // The stream's first arrival, or nothing before the end. Call once, before any take.
  std::optional<Time> first_stream_arrival(std::uint32_t stream) { return next_stream_arrival(stream, Time{}); }
  // The arrival due now: draws its service demand, then the stream's next arrival
  // time (`next`, nothing when it falls at or after the end). The order of the two
  // draws is part of the stream's definition.
  SourcedInvocation take_stream_arrival(std::uint32_t stream, Time now, std::optional<Time>& next) {
    Stream& s = streams_[stream];
    const Demand& d = demands_[s.function];
    const SourcedInvocation invocation{.camera = s.camera,
                                       .function = s.function,
                                       .work_s = d.service.sample_s(s.rng),
                                       .payload_bytes = d.payload_bytes};
    next = next_stream_arrival(stream, now);
    return invocation;
  }

  // Replays of files (trace, azure2019, azure2021), one per such workload entry.
  std::uint32_t trace_count() const { return static_cast<std::uint32_t>(traces_.size()); }
  // The replay's next arrival, or nothing (exhausted, or at or after the end).
  std::optional<Time> next_trace_arrival(std::uint32_t trace) {
    const Time t = traces_[trace]->next_time();
    if (t >= end_) return std::nullopt;
    return t;
  }
  // The arrival due now, with its service demand drawn. Precondition: next_trace_arrival().
  SourcedInvocation take_trace_arrival(std::uint32_t trace);

  // City traffic, one model per traffic workload entry.
  std::uint32_t traffic_count() const { return static_cast<std::uint32_t>(traffic_.size()); }
  std::optional<Time> next_traffic_event(std::uint32_t traffic) { return traffic_[traffic].model.peek_time(); }
  // The event due now. Precondition: next_traffic_event().
  TrafficEvent take_traffic_event(std::uint32_t traffic) { return traffic_[traffic].model.pop(); }
  // The invocation a trigger of `traffic` asks for, with its service demand drawn.
  SourcedInvocation triggered(std::uint32_t traffic, const Trigger& trigger);
  std::uint32_t traffic_function(std::uint32_t traffic) const { return traffic_[traffic].function; }
  // Size of the alert a recognised blacklisted plate sends to the cloud.
  std::uint64_t alert_bytes(std::uint32_t traffic) const { return traffic_[traffic].alert_bytes; }

 private:
  struct Demand {
    ServiceTimeDistribution service;
    std::uint64_t payload_bytes = 0;
  };
  // One cache line, so an arrival touches one line: the MMPP state, large and rare,
  // lives apart (with the stream's rate factor, which only it reads).
  struct alignas(kCacheLine) Stream {
    Rng rng;                             // inter-arrival times (Poisson), service demands
    std::unique_ptr<MmppArrivals> mmpp;  // mmpp streams; Poisson otherwise
    double base_rate_per_s = 0;          // poisson: before the profile's factor
    std::uint32_t camera = 0;
    std::uint32_t workload = 0;
    std::uint32_t function = 0;
  };
  struct TrafficSource {
    TrafficModel model;
    std::uint32_t function = 0;
    std::uint64_t alert_bytes = 0;
    Rng rng;  // service demands
  };

  // The first arrival of the stream after `from`, or nothing before the end.
  std::optional<Time> next_stream_arrival(std::uint32_t stream, Time from);

  const City* city_;
  Time end_{};
  std::vector<Demand> demands_;  // per scenario function
  HugePageVector<Stream> streams_;
  std::vector<std::unique_ptr<ReplaySource>> traces_;
  std::vector<TrafficSource> traffic_;
};

// One client invocation of a replication as the simulator receives it.
struct ClientArrival {
  std::uint64_t id = 0;  // the simulator's invocation id: arrivals are numbered in order
  Time at{};
  SourcedInvocation invocation;
  std::optional<VehicleSighting> vehicle;  // traffic workloads
};

// The client invocations of one replication, in the simulator's order, drawn by
// the simulator's own sources and random streams: what `fogsched run` with this
// replication seed would see arrive, whatever the policy (common random numbers).
class ArrivalSequence {
 public:
  ArrivalSequence(const Scenario& scenario, const City& city, std::uint64_t replication_seed);

  // The next arrival, or nothing after the last one.
  std::optional<ClientArrival> next();

 private:
  enum SourceKind : std::uint32_t { kStream, kTrace, kTraffic };

  WorkloadSources sources_;
  EventHeap pending_;  // the next event of every source, ordered as the simulator orders them
  std::int64_t end_ns_ = 0;
  std::uint64_t next_id_ = 0;
};

// Every client invocation of one replication (ArrivalSequence to the end).
std::vector<ClientArrival> enumerate_arrivals(const Scenario& scenario, const City& city,
                                              std::uint64_t replication_seed);

}  // namespace fogsched::sim
