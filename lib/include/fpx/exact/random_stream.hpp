#pragma once
/// Counter-based random numbers: draw k of stream i under a seed is a pure function of
/// (seed, i, k), so a search or an experiment gives the same numbers whatever the thread count
/// or the order in which streams are visited.

#include <cmath>
#include <cstdint>
#include <numbers>

namespace fpx {

/// The SplitMix64 finaliser: a bijection of 64-bit words that scatters neighbouring inputs.
constexpr std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class random_stream {
 public:
  constexpr random_stream(std::uint64_t seed, std::uint64_t stream)
      : key_(splitmix64(splitmix64(seed) ^ stream)) {}

  constexpr std::uint64_t next() { return splitmix64(key_ ^ splitmix64(counter_++)); }
  /// Uniform on [0, 1) with 53 random bits: an exact double.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }
  /// Uniform on [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  bool coin() { return next() >> 63; }
  /// Standard normal by Box-Muller (std::normal_distribution differs between libraries).
  double normal() {
    const double u = 1 - uniform();  // (0, 1]
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * uniform());
  }

 private:
  std::uint64_t key_;
  std::uint64_t counter_ = 0;
};

}  // namespace fpx
