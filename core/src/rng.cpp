#include "fogsched/core/rng.h"

#include <cmath>

namespace fogsched {

namespace {
__extension__ using Uint128 = unsigned __int128;  // GCC/Clang extension; -Wpedantic otherwise
}  // namespace

std::uint64_t derive_seed(std::uint64_t base, std::initializer_list<std::uint64_t> labels) {
  std::uint64_t h = mix64(base);
  for (std::uint64_t label : labels) h = mix64(h ^ mix64(label + 0x632be59bd9b4e019ULL));
  return h;
}

Rng::Rng(std::uint64_t seed) {
  // Fill the state from SplitMix64 as xoshiro's authors recommend; never all zero.
  std::uint64_t x = seed;
  for (auto& word : s_) {
    x += 0x9e3779b97f4a7c15ULL;
    word = mix64(x - 0x9e3779b97f4a7c15ULL);
  }
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

std::uint64_t Rng::uniform_index(std::uint64_t n) {
  // Lemire, "Fast random integer generation in an interval" (2019).
  Uint128 m = static_cast<Uint128>((*this)()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<Uint128>((*this)()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double Rng::exponential(double mean) { return -mean * std::log(uniform01_open_low()); }

double Rng::standard_normal() {
  // Marsaglia's polar method; the spare value is dropped to keep the state simple.
  for (;;) {
    const double u = 2.0 * uniform01() - 1.0;
    const double v = 2.0 * uniform01() - 1.0;
    const double s = u * u + v * v;
    if (s > 0.0 && s < 1.0) return u * std::sqrt(-2.0 * std::log(s) / s);
  }
}

}  // namespace fogsched
