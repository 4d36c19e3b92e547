#pragma once
// Exact results of one operation on two doubles, collapsed into one double rounded to odd, so
// that a single further rounding into a narrower format is the correct rounding of the exact
// result. Valid when every operand and result lies well inside double's normal range and the
// target has at most 51 significant bits: the callers (fast_arith, the fast evaluator) admit
// only such formats.

#include <bit>
#include <cmath>
#include <cstdint>

#include "fpx/fast/detail/branchless.hpp"
#include "fpx/arith/rounding.hpp"

namespace fpx::kernels {

enum class binary_op { add, sub, mul, div };

/// The double nearest the exact value hi + lo, rounded to odd: truncated toward zero and its
/// last bit set when inexact. With at least two bits more than the target format, rounding it
/// once more gives the exact value's rounding in every deterministic mode (Boldo and
/// Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using rounding
/// to odd", IEEE TC 2008). `lo` is exact (error-free transformation) and |lo| <= ulp(hi) / 2.
/// Infinite or NaN hi passes through.
FPX_KERNEL_INLINE double round_to_odd(double hi, double lo) {
  const std::uint64_t h = std::bit_cast<std::uint64_t>(hi);
  const std::uint64_t finite = (h & 0x7ff0000000000000) != 0x7ff0000000000000;
  const std::uint64_t inexact = finite & (lo != 0);
  const std::uint64_t opposite = inexact & ((h ^ std::bit_cast<std::uint64_t>(lo)) >> 63);
  return std::bit_cast<double>((h - opposite) | inexact);
}

/// The square root of a positive double well inside the normal range, rounded to odd: the
/// remainder x - s^2 of the correctly rounded root s is exact (one fma), and its sign says on
/// which side of s the root lies.
FPX_KERNEL_INLINE double sqrt_to_odd(double x) {
  const double s = std::sqrt(x);
  const double r = std::fma(-s, s, x);
  return round_to_odd(s, pick(r != 0, pick(r < 0, -1.0, 1.0), 0.0));
}

/// op(x, y) exactly, rounded to odd. Exact zero sums follow IEEE 754: +0, or -0 when both
/// terms are -0 or the mode is `down` (the hardware runs to nearest, so `down` is fixed here).
/// Exact: the caller knows that the double result is exact (decoder::exact_sums and
/// exact_products), so there is no error term to compute.
template <binary_op Op, round_mode Mode, bool Exact = false>
FPX_KERNEL_INLINE double exact_to_odd(double x, double y) {
  if constexpr (Op == binary_op::sub) {
    return exact_to_odd<binary_op::add, Mode, Exact>(x, -y);
  } else if constexpr (Op == binary_op::add) {
    const double s = x + y;
    double v = s;
    if constexpr (!Exact) {
      // TwoSum (Knuth): s + err == x + y exactly.
      const double bb = s - x;
      const double err = (x - (s - bb)) + (y - bb);
      v = round_to_odd(s, err);
    }
    if constexpr (Mode == round_mode::down) {
      const std::uint64_t either_negative =
          (std::bit_cast<std::uint64_t>(x) | std::bit_cast<std::uint64_t>(y)) & 0x8000000000000000;
      return pick(s == 0, std::bit_cast<double>(either_negative), v);
    }
    return v;
  } else if constexpr (Op == binary_op::mul) {
    const double p = x * y;
    if constexpr (Exact) return p;
    else return round_to_odd(p, std::fma(x, y, -p));
  } else {
    // The remainder x - q y of a correctly rounded quotient is exact, and its sign (times
    // y's) says on which side of q the exact quotient lies.
    const double q = x / y;
    const double r = std::fma(-q, y, x);
    const std::uint64_t side = (std::bit_cast<std::uint64_t>(r) ^ std::bit_cast<std::uint64_t>(y)) &
                               0x8000000000000000;
    const double lo = pick((r != 0) & (q != 0), std::bit_cast<double>(side | std::bit_cast<std::uint64_t>(1.0)), 0.0);
    return round_to_odd(q, lo);
  }
}

}  // namespace fpx::kernels
