#pragma once
// Sources that replay arrivals a file decides: the project's own trace CSV and the
// public Azure Functions traces. Each yields its arrivals in time order with their
// origin camera and service demand; WorkloadSources drives them in workload order.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "fogsched/core/azure2021.h"
#include "fogsched/core/rng.h"
#include "fogsched/core/scenario.h"
#include "fogsched/core/service_time.h"
#include "fogsched/core/time.h"
#include "fogsched/sim/arrival_processes.h"

namespace fogsched::sim {

// One arrival as a replay source makes it.
struct ReplayedArrival {
  std::uint32_t camera = 0;
  std::uint32_t function = 0;                  // index into Scenario::functions
  double work_s = 0;                           // service demand on a node of speed 1
  std::optional<std::uint64_t> payload_bytes;  // empty = the function's
};

class ReplaySource {
 public:
  virtual ~ReplaySource() = default;
  // When the next arrival happens (since the start of the run); Time::max() when
  // there is none.
  virtual Time next_time() = 0;
  // The next arrival. Precondition: next_time() < Time::max().
  virtual ReplayedArrival take() = 0;
};

// The cameras an Azure trace's invocations arrive at (AzureSpec::placement):
// per_app: the apps, in order of first row, dealt in turn to the receiving cameras;
// spread: each invocation at a receiving camera drawn uniformly;
// weighted: each invocation at a receiving camera drawn with AzureSpec::weights.
class AzurePlacementRule {
 public:
  // `cameras`: the cameras receiving the workload, in order.
  AzurePlacementRule(const AzureSpec& spec, std::vector<std::uint32_t> cameras,
                     const std::vector<std::uint32_t>& function_app, Rng rng);
  std::uint32_t camera(std::uint32_t function);

 private:
  AzurePlacement placement_;
  std::vector<std::uint32_t> cameras_;
  const std::vector<std::uint32_t>* function_app_;
  std::vector<double> cumulative_weights_;
  Rng rng_;
};

// The random streams of one Azure workload in one replication.
struct AzureStreams {
  Rng times;    // azure2019 with within_minute: poisson
  Rng service;  // azure2019: service demands
  Rng cameras;  // placement spread and weighted
};

// The kept functions' per-minute counts turned into arrivals: a minute's count c
// (times `scale`) gives, for each function, c arrivals at the minute's start plus
// i/c of a minute (i = 0..c-1) with within_minute: even, or a Poisson process of
// rate c per minute with within_minute: poisson. With a scale the even rule carries
// the fraction left over to the function's next minute. Trace time t is replayed at
// (t - window start) / speedup.
class Azure2019Replay final : public ReplaySource {
 public:
  Azure2019Replay(const AzureSpec& spec, std::uint32_t function, std::vector<std::uint32_t> cameras,
                  AzureStreams streams);
  Time next_time() override;
  ReplayedArrival take() override;

 private:
  struct Pending {
    std::int64_t at_ns;
    std::uint32_t function;
  };
  void fill_next_minute();

  const AzureSpec* spec_;
  std::uint32_t function_;
  AzurePlacementRule placement_;
  Rng time_rng_;
  Rng service_rng_;
  std::vector<double> carried_;            // even rule with a scale: per kept function
  std::vector<std::uint64_t> next_count_;  // per kept function: its next entry of AzureInvocations2019::counts
  std::vector<Pending> minute_;            // the current minute's arrivals in time order
  std::size_t taken_ = 0;
  std::uint32_t next_minute_ = 0;
};

// The 2021 trace's kept invocations at their recorded starts, (start - window
// start) / speedup, with their recorded durations as service demands.
class Azure2021Replay final : public ReplaySource {
 public:
  Azure2021Replay(const AzureSpec& spec, std::uint32_t function, std::vector<std::uint32_t> cameras,
                  AzureStreams streams);
  Time next_time() override;
  ReplayedArrival take() override;

 private:
  const AzureSpec* spec_;
  std::uint32_t function_;
  AzurePlacementRule placement_;
  AzureReplay2021 reader_;
  std::optional<AzureCall2021> next_;
};

// The project's trace CSV: each row's camera and function, service demands drawn
// from the function's model.
class TraceReplay final : public ReplaySource {
 public:
  TraceReplay(const ArrivalSpec& arrivals, const std::vector<FunctionSpec>& functions, Rng rng);
  Time next_time() override { return cursor_.next_time(); }
  ReplayedArrival take() override;

 private:
  TraceArrivals cursor_;
  const std::vector<std::uint32_t>* functions_;   // trace function -> scenario function
  std::vector<ServiceTimeDistribution> service_;  // per scenario function
  Rng rng_;
};

}  // namespace fogsched::sim
