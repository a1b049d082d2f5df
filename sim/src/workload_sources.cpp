#include "fogsched/sim/workload_sources.h"

#include <numeric>
#include <utility>

#include "stream_labels.h"
#include "workload_models.h"

namespace fogsched::sim {

WorkloadSources::WorkloadSources(const Scenario& scenario, const City& city, std::uint64_t replication_seed)
    : city_(&city), end_(time_at(scenario.duration)) {
  static_assert(sizeof(Stream) == kCacheLine, "see Stream: an arrival touches one line");
  for (const FunctionSpec& f : scenario.functions) {
    demands_.push_back({.service = ServiceTimeDistribution(f.service_time), .payload_bytes = f.payload_bytes});
  }
  for (const ArrivalStream& s : city.streams()) {
    Stream stream{.rng = Rng(derive_seed(replication_seed, {stream::kArrivals, s.workload, s.camera})),
                  .mmpp = nullptr,
                  .base_rate_per_s = s.base_rate_per_s,
                  .camera = s.camera,
                  .workload = s.workload,
                  .function = s.function};
    const ArrivalSpec& arrivals = scenario.workload[s.workload].arrivals;
    if (arrivals.process == ArrivalProcess::mmpp) {
      Rng state_rng(derive_seed(replication_seed, {stream::kArrivals, s.workload, s.camera, 1}));
      stream.mmpp = std::make_unique<MmppArrivals>(make_mmpp_config(arrivals, s.rate_factor), state_rng,
                                                   city.profile(s.workload));
    }
    streams_.push_back(std::move(stream));
  }
  for (std::uint32_t w = 0; w < scenario.workload.size(); ++w) {
    const ArrivalSpec& arrivals = scenario.workload[w].arrivals;
    if (arrivals.process == ArrivalProcess::trace) {
      traces_.push_back(std::make_unique<TraceReplay>(arrivals, scenario.functions,
                                                      Rng(derive_seed(replication_seed, {stream::kTraceWork, w}))));
    } else if (arrivals.process == ArrivalProcess::azure2019 || arrivals.process == ArrivalProcess::azure2021) {
      std::vector<std::uint32_t> cameras = scenario.workload[w].cameras;
      if (cameras.empty()) {
        cameras.resize(scenario.cameras.count);
        std::iota(cameras.begin(), cameras.end(), 0u);
      }
      AzureStreams streams{.times = Rng(derive_seed(replication_seed, {stream::kAzure, w, 0})),
                           .service = Rng(derive_seed(replication_seed, {stream::kAzure, w, 1})),
                           .cameras = Rng(derive_seed(replication_seed, {stream::kAzure, w, 2}))};
      const std::uint32_t function = scenario.workload[w].function_index;
      if (arrivals.process == ArrivalProcess::azure2019) {
        traces_.push_back(std::make_unique<Azure2019Replay>(arrivals.azure, function, std::move(cameras), streams));
      } else {
        traces_.push_back(std::make_unique<Azure2021Replay>(arrivals.azure, function, std::move(cameras), streams));
      }
    } else if (arrivals.process == ArrivalProcess::traffic) {
      traffic_.push_back({TrafficModel(make_traffic_config(scenario, city, w), city.camera_positions(),
                                       derive_seed(replication_seed, {stream::kTraffic, w}), end_),
                          scenario.workload[w].function_index, arrivals.traffic.alert_bytes,
                          Rng(derive_seed(replication_seed, {stream::kArrivals, w, 0xffffffffu}))});
    }
  }
}

WorkloadSources::WorkloadSources(WorkloadSources&&) noexcept = default;
WorkloadSources& WorkloadSources::operator=(WorkloadSources&&) noexcept = default;
WorkloadSources::~WorkloadSources() = default;

std::optional<Time> WorkloadSources::next_stream_arrival(std::uint32_t stream, Time from) {
  Stream& s = streams_[stream];
  if (s.mmpp) {
    const Time t = s.mmpp->next(from);
    if (t < end_) return t;
    return std::nullopt;
  }
  const RateProfile& profile = city_->profile(s.workload);
  Time t = from;
  // Exact for a piecewise-constant rate: a draw that crosses a rate change is
  // discarded and drawn again from the change (the process is memoryless).
  while (t < end_) {
    const double rate = s.base_rate_per_s * profile.factor_at(t);
    const Time change = profile.next_change_after(t);
    if (rate <= 0) {
      if (change == Time::max()) return std::nullopt;
      t = change;
      continue;
    }
    const Time candidate = t + from_seconds(s.rng.exponential(1.0 / rate));
    if (candidate >= change) {
      t = change;
      continue;
    }
    if (candidate < end_) return candidate;
    return std::nullopt;
  }
  return std::nullopt;
}

SourcedInvocation WorkloadSources::take_trace_arrival(std::uint32_t trace) {
  const ReplayedArrival arrival = traces_[trace]->take();
  return {.camera = arrival.camera,
          .function = arrival.function,
          .work_s = arrival.work_s,
          .payload_bytes = arrival.payload_bytes.value_or(demands_[arrival.function].payload_bytes)};
}

SourcedInvocation WorkloadSources::triggered(std::uint32_t traffic, const Trigger& trigger) {
  TrafficSource& src = traffic_[traffic];
  const Demand& d = demands_[src.function];
  return {.camera = trigger.camera,
          .function = src.function,
          .work_s = d.service.sample_s(src.rng),
          .payload_bytes = d.payload_bytes};
}

ArrivalSequence::ArrivalSequence(const Scenario& scenario, const City& city, std::uint64_t replication_seed)
    : sources_(scenario, city, replication_seed), end_ns_(scenario.duration.count()) {
  // The simulator schedules the first arrivals in this order.
  for (std::uint32_t s = 0; s < sources_.stream_count(); ++s) {
    if (const auto t = sources_.first_stream_arrival(s)) pending_.push(t->time_since_epoch().count(), kStream, 0, s);
  }
  for (std::uint32_t t = 0; t < sources_.trace_count(); ++t) {
    if (const auto at = sources_.next_trace_arrival(t)) pending_.push(at->time_since_epoch().count(), kTrace, 0, t);
  }
  for (std::uint32_t t = 0; t < sources_.traffic_count(); ++t) {
    if (const auto at = sources_.next_traffic_event(t)) pending_.push(at->time_since_epoch().count(), kTraffic, 0, t);
  }
}

std::optional<ClientArrival> ArrivalSequence::next() {
  // Each source's next event is drawn as its current one is taken, as in the
  // simulator, so ties at one time fall in the simulator's order.
  while (!pending_.empty() && pending_.top().time_ns <= end_ns_) {
    const Event e = pending_.pop();
    const Time now{Duration{e.time_ns}};
    switch (e.kind) {
      case kStream: {
        std::optional<Time> next;
        const SourcedInvocation invocation = sources_.take_stream_arrival(e.a, now, next);
        if (next) pending_.push(next->time_since_epoch().count(), kStream, 0, e.a);
        return ClientArrival{.id = next_id_++, .at = now, .invocation = invocation, .vehicle = std::nullopt};
      }
      case kTrace: {
        const SourcedInvocation invocation = sources_.take_trace_arrival(e.a);
        if (const auto at = sources_.next_trace_arrival(e.a)) {
          pending_.push(at->time_since_epoch().count(), kTrace, 0, e.a);
        }
        return ClientArrival{.id = next_id_++, .at = now, .invocation = invocation, .vehicle = std::nullopt};
      }
      case kTraffic: {
        const TrafficEvent event = sources_.take_traffic_event(e.a);
        if (const auto at = sources_.next_traffic_event(e.a)) {
          pending_.push(at->time_since_epoch().count(), kTraffic, 0, e.a);
        }
        const auto* trigger = std::get_if<Trigger>(&event);
        if (!trigger) continue;  // vehicles entering and leaving are no invocations
        return ClientArrival{.id = next_id_++,
                             .at = now,
                             .invocation = sources_.triggered(e.a, *trigger),
                             .vehicle = VehicleSighting{.source = e.a,
                                                        .vehicle = trigger->vehicle,
                                                        .blacklisted = trigger->blacklisted,
                                                        .view_enter = trigger->view_enter,
                                                        .view_leave = trigger->view_leave}};
      }
    }
  }
  return std::nullopt;
}

std::vector<ClientArrival> enumerate_arrivals(const Scenario& scenario, const City& city,
                                              std::uint64_t replication_seed) {
  ArrivalSequence sequence(scenario, city, replication_seed);
  std::vector<ClientArrival> arrivals;
  while (std::optional<ClientArrival> arrival = sequence.next()) arrivals.push_back(*arrival);
  return arrivals;
}

}  // namespace fogsched::sim
