#pragma once
// Strongly typed identifiers: a NodeId cannot be passed where a FunctionId is meant.
#include <compare>
#include <cstdint>
#include <functional>

namespace fogsched {

template <class Tag, class Rep>
struct StrongId {
  Rep value{};
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : value(v) {}
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 takes the defaulted <=>'s implicit `0` for a null pointer
  friend constexpr auto operator<=>(StrongId, StrongId) = default;
};

// A node of the cluster: cameras are 0..N-1; the cloud, when present, is N.
using NodeId = StrongId<struct NodeIdTag, std::uint32_t>;
// Index of a function in the scenario's function list.
using FunctionId = StrongId<struct FunctionIdTag, std::uint32_t>;
// Unique within one replication of one policy.
using InvocationId = StrongId<struct InvocationIdTag, std::uint64_t>;

}  // namespace fogsched

template <class Tag, class Rep>
struct std::hash<fogsched::StrongId<Tag, Rep>> {
  std::size_t operator()(fogsched::StrongId<Tag, Rep> id) const noexcept { return std::hash<Rep>{}(id.value); }
};
