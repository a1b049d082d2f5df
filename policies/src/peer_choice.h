#pragma once
// Building blocks the built-in policies share: the local fallback, uniform peer
// picks, sampling distinct peers without allocation, and the least loaded of a set
// with uniform tie breaking. Private to policies/.
#include <cstddef>
#include <cstdint>
#include <optional>

#include <boost/container/static_vector.hpp>

#include "fogsched/core/decision.h"
#include "fogsched/core/policy.h"

namespace fogsched::policies::detail {

// RunLocal when a slot or a queue place is free, else Reject{no_capacity}.
inline Decision run_here_or_reject(const NodeContext& ctx) {
  if (ctx.local_load().can_accept()) return RunLocal{};
  return Reject{RejectReason::no_capacity};
}

// Forward{peer}, or the local fallback should `peer` be this node: the runtime
// treats a self-forward as a contract violation, so a policy never emits one.
inline Decision forward_to(NodeId peer, const NodeContext& ctx) {
  if (peer == ctx.self()) return run_here_or_reject(ctx);
  return Forward{peer};
}

// A peer chosen uniformly at random; none when the node has no peers.
inline std::optional<NodeId> random_peer(NodeContext& ctx) {
  const std::size_t count = ctx.peer_count();
  if (count == 0) return std::nullopt;
  return ctx.peer(static_cast<std::size_t>(ctx.rng().uniform_index(count)));
}

// Fills `out` with min(wanted, peer_count, Capacity) distinct peers, each subset of
// that size equally likely, by Floyd's algorithm: one random draw per chosen peer
// and no allocation. A peer equal to self (never offered by a correct runtime) is
// dropped, leaving one fewer.
template <std::size_t Capacity>
void sample_distinct_peers(NodeContext& ctx, std::size_t wanted,
                           boost::container::static_vector<NodeId, Capacity>& out) {
  out.clear();
  const std::size_t count = ctx.peer_count();
  std::size_t take = wanted < count ? wanted : count;
  if (take > Capacity) take = Capacity;
  const auto contains = [&out](NodeId peer) {
    for (NodeId chosen : out) {
      if (chosen == peer) return true;
    }
    return false;
  };
  for (std::size_t j = count - take; j < count; ++j) {
    const NodeId candidate = ctx.peer(static_cast<std::size_t>(ctx.rng().uniform_index(j + 1)));
    out.push_back(contains(candidate) ? ctx.peer(j) : candidate);
  }
  for (auto it = out.begin(); it != out.end(); ++it) {
    if (*it == ctx.self()) {
      out.erase(it);
      break;
    }
  }
}

// The least loaded of the peers offered, ties broken uniformly at random among the
// tied (reservoir sampling: the k-th tied peer replaces the choice with
// probability 1/k), in one pass without storing the candidates.
class LeastLoadedPeer {
 public:
  void offer(NodeId peer, std::uint32_t load, Rng& rng) {
    if (!peer_ || load < load_) {
      peer_ = peer;
      load_ = load;
      tied_ = 1;
    } else if (load == load_) {
      ++tied_;
      if (rng.uniform_index(tied_) == 0) peer_ = peer;
    }
  }

  // The choice, or none when nothing was offered.
  std::optional<NodeId> peer() const { return peer_; }
  std::uint32_t load() const { return load_; }

 private:
  std::optional<NodeId> peer_;
  std::uint32_t load_ = 0;
  std::uint64_t tied_ = 0;
};

}  // namespace fogsched::policies::detail
