#pragma once
// The city as the simulator sees it: concrete nodes (positions, slots, speed),
// per-camera arrival rates and the network's delays, resolved once from a Scenario.
// Everything random here (random layouts, hot-spot cameras) is drawn from the
// scenario seed, so the city is the same in every replication and for every policy.
#include <cstdint>
#include <optional>
#include <vector>

#include "fogsched/core/ids.h"
#include "fogsched/core/scenario.h"

namespace fogsched::sim {

struct NodeSpec {
  Point position;
  std::uint32_t slots = 1;
  std::uint32_t queue = 0;
  double speed = 1.0;
};

// Piecewise-constant rate multiplier over time, optionally periodic.
class RateProfile {
 public:
  RateProfile() = default;
  RateProfile(std::vector<ProfileStep> steps, Duration period);

  double factor_at(Time t) const;
  // The first time after `t` at which the factor may change; Time::max() if never.
  Time next_change_after(Time t) const;

 private:
  std::vector<ProfileStep> steps_;  // sorted by `at`; empty = factor 1 forever
  Duration period_{};
};

// Poisson or MMPP arrivals of one workload entry at one camera.
struct ArrivalStream {
  std::uint32_t camera = 0;
  std::uint32_t workload = 0;  // index into Scenario::workload
  std::uint32_t function = 0;
  double base_rate_per_s = 0;  // poisson: before the profile's factor
  double rate_factor = 1;      // mmpp: multiplies every state's rate (hot spots)
};

class City {
 public:
  explicit City(const Scenario& scenario);

  std::uint32_t camera_count() const { return camera_count_; }
  std::uint32_t node_count() const { return static_cast<std::uint32_t>(nodes_.size()); }
  std::optional<NodeId> cloud() const { return cloud_; }
  const NodeSpec& node(std::uint32_t index) const { return nodes_[index]; }
  const std::vector<ArrivalStream>& streams() const { return streams_; }
  const RateProfile& profile(std::uint32_t workload) const { return profiles_[workload]; }
  std::vector<Point> camera_positions() const;
  // Columns of the cameras' grid (grid layout only).
  std::uint32_t grid_columns() const { return grid_columns_; }

  // Camera outages of the scenario's `faults.outages`, with drawn camera sets
  // resolved (the same in every replication).
  struct Outage {
    std::vector<std::uint32_t> cameras;
    Time start{};
    Time end{};
  };
  const std::vector<Outage>& outages() const { return outages_; }

  // Time for a message of `bytes` to go from `from` to `to`: latency plus transfer.
  Duration one_way(std::uint32_t from, std::uint32_t to, std::uint64_t bytes) const;

 private:
  std::vector<NodeSpec> nodes_;  // cameras, then the cloud if enabled
  std::uint32_t camera_count_ = 0;
  std::optional<NodeId> cloud_;
  std::vector<ArrivalStream> streams_;
  std::vector<RateProfile> profiles_;  // one per workload entry
  std::vector<Outage> outages_;
  std::uint32_t grid_columns_ = 0;
  NetworkSpec network_;
  CloudSpec cloud_spec_;
};

}  // namespace fogsched::sim
