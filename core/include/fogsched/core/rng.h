#pragma once
// Seeded random-number streams.
//
// The generator (xoshiro256++) and the distributions are written out here rather
// than taken from <random>: the standard leaves distribution algorithms to each
// library, and results must be byte-identical for a seed on any toolchain.
// Streams are derived from (seed, labels...) with SplitMix64, so each replication,
// node and purpose gets an independent stream that does not shift when another
// stream draws more or fewer numbers.
#include <array>
#include <cstdint>
#include <initializer_list>

namespace fogsched {

// SplitMix64 finaliser: a strong 64-bit mix used for seeding and stream derivation.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Derives a stream seed from a base seed and labels (replication, node, purpose, ...).
std::uint64_t derive_seed(std::uint64_t base, std::initializer_list<std::uint64_t> labels);

class Rng {
 public:
  using result_type = std::uint64_t;

  explicit Rng(std::uint64_t seed = 0);

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }

  result_type operator()() {
    const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the logarithm of.
  double uniform01_open_low() { return (static_cast<double>((*this)() >> 11) + 1.0) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
  // Uniform integer in [0, n), n > 0, without modulo bias (Lemire's method).
  std::uint64_t uniform_index(std::uint64_t n);
  bool bernoulli(double p) { return uniform01() < p; }
  double exponential(double mean);
  double standard_normal();

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> s_{};
};

}  // namespace fogsched
