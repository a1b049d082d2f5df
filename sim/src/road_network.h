#pragma once
// The street network as a vehicle meets it, built once per traffic model and only
// read while vehicles drive: directed roads, the turn options at each road's far end
// (cumulative probabilities), the entry options at each border exit, and the camera
// views along each road (distance intervals, found through a grid index of the
// cameras). Generating a vehicle is then one draw per intersection and a scan of
// the views of each road it drives.
#include <cstdint>
#include <span>
#include <vector>

#include "fogsched/sim/traffic.h"

namespace fogsched::sim {

// Throws TrafficConfigError naming the first field of `config` that is inconsistent
// with itself or with the number of cameras.
void validate(const TrafficConfig& config, std::size_t camera_count);

class RoadNetwork {
 public:
  // A turn option's `next` when the vehicle leaves the city there.
  static constexpr std::int32_t kLeave = -1;

  struct Direction {
    double x = 0;
    double y = 0;
  };
  // Road r of the graph is directed road 2r (from -> to) and 2r + 1 (back).
  struct DirectedRoad {
    std::uint32_t to = 0;
    double length_m = 0;
    Direction direction;  // unit vector
  };
  struct TurnOption {
    double cumulative = 0;  // probability of this option or an earlier one
    std::int32_t next = kLeave;
  };
  // Where a camera sees a vehicle driving along a directed road, in metres from its start.
  struct CameraView {
    std::uint32_t camera = 0;
    double enter_m = 0;
    double leave_m = 0;
    bool from_start = false;  // in view at the road's start: may continue a pass
    bool to_end = false;      // in view at the road's end: the pass may continue
  };

  // Validates `config` (validate() above), then precomputes everything.
  RoadNetwork(const TrafficConfig& config, const std::vector<Point>& cameras);

  const DirectedRoad& road(std::uint32_t directed) const { return roads_[directed]; }
  // Where a vehicle arriving by `directed` may go next.
  std::span<const TurnOption> turns_after(std::uint32_t directed) const { return slice(turns_, turn_begin_, directed); }
  std::span<const CameraView> views_along(std::uint32_t directed) const { return slice(views_, view_begin_, directed); }
  std::size_t border_count() const { return border_exit_begin_.size() - 1; }
  std::uint32_t exit_count(std::size_t border) const {
    return border_exit_begin_[border + 1] - border_exit_begin_[border];
  }
  // The roads a vehicle entering by exit `exit` of border intersection `border` may take.
  std::span<const TurnOption> entry_options(std::size_t border, std::uint32_t exit) const {
    return slice(entries_, entry_begin_, border_exit_begin_[border] + exit);
  }

 private:
  template <class T>
  static std::span<const T> slice(const std::vector<T>& items, const std::vector<std::uint32_t>& begin, std::size_t k) {
    return std::span(items).subspan(begin[k], begin[k + 1] - begin[k]);
  }

  void build_roads(const TrafficConfig& config);
  void build_views(const TrafficConfig& config, const std::vector<Point>& cameras);
  // Appends the options for a vehicle heading `heading` choosing among `candidates`.
  void append_turn_options(Direction heading, std::span<const std::pair<Direction, std::int32_t>> candidates,
                           bool by_turn, std::vector<TurnOption>& options) const;

  TurnWeights turn_weights_;
  std::vector<DirectedRoad> roads_;
  std::vector<std::uint32_t> turn_begin_;  // options on arriving by road d: turns_[turn_begin_[d], [d + 1])
  std::vector<TurnOption> turns_;
  std::vector<std::uint32_t> border_exit_begin_;  // exits of border k: entry tables [begin[k], begin[k + 1])
  std::vector<std::uint32_t> entry_begin_;        // options on entering by exit e: entries_[[e], [e + 1])
  std::vector<TurnOption> entries_;
  std::vector<std::uint32_t> view_begin_;  // views along road d: views_[view_begin_[d], [d + 1])
  std::vector<CameraView> views_;
};

}  // namespace fogsched::sim
