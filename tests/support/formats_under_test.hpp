#pragma once
// The formats the exhaustive and random tests sweep.

#include <string>
#include <vector>

#include "fpx/arith/format.hpp"
#include "fpx/arith/rounding.hpp"

namespace fpx_test {

/// Every preset of 8 bits or fewer, plus grids and custom minifloats that exercise the other
/// code paths (unsigned, no subnormals, fixed point, power-of-two and other scales).
inline std::vector<fpx::format> small_formats() {
  std::vector<fpx::format> v;
  for (const char* name :
       {"e5m2", "e4m3", "e4m3_ieee", "e4m3fnuz", "e5m2fnuz", "e3m2", "e2m3", "e2m1", "e8m0",
        "e3m4", "e2m2:nosub", "e4m3:unsigned", "e3m2_fn:overflow=saturate", "e4m3_ieee:overflow=error",
        "fixed:s:3:4", "fixed:u:4:4", "int8", "int4:scale=0.25", "uint4:zero=3:scale=1/3",
        "ternary:scale=0.7", "s1:scale=3/4", "fixed:s:2:2:overflow=error"})
    v.push_back(fpx::parse_format(name));
  return v;
}

/// Every rounding mode (stochastic with `seed`), then stochastic:bits=K for K = 1 (one random
/// bit: only fractions of at least 1/2 can round away), 5 and 32 (differs from the exact rule
/// only where the fraction has bits beyond the 32nd).
inline std::vector<fpx::rounding> rules_under_test(std::uint64_t seed) {
  std::vector<fpx::rounding> v;
  for (fpx::round_mode mode : fpx::all_round_modes) v.push_back({mode, mode == fpx::round_mode::stochastic ? seed : 0});
  for (unsigned k : {1u, 5u, 32u}) v.push_back({fpx::round_mode::stochastic, seed, k});
  return v;
}

}  // namespace fpx_test
