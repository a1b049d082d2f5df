#pragma once
// Hints that a record will be read soon, so its cache misses overlap with other work
// instead of stalling the code that reads it (the simulator's look-ahead).
#include <cstddef>
#include <cstdint>

namespace fogsched::sim {

inline constexpr std::size_t kCacheLine = 64;

// Always inlined: GCC finds a function that only prefetches free of side effects
// and drops the calls to it.
[[gnu::always_inline]] inline void prefetch(const void* address) { __builtin_prefetch(address); }

// Every cache line `record` spans.
template <class T>
[[gnu::always_inline]] inline void prefetch_record(const T& record) {
  const auto first = reinterpret_cast<std::uintptr_t>(&record) & ~std::uintptr_t{kCacheLine - 1};
  const auto end = reinterpret_cast<std::uintptr_t>(&record) + sizeof(T);
  for (std::uintptr_t line = first; line < end; line += kCacheLine) prefetch(reinterpret_cast<const void*>(line));
}

}  // namespace fogsched::sim
