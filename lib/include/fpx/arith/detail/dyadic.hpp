#pragma once
// The library's internal exact number and the one rounding primitive built on it.

#include <cstdint>

#include "fpx/arith/format.hpp"

namespace fpx::detail {

/// (-1)^negative * (mag + t) * 2^exp, where t = 0 if !sticky and 0 < t < 1 if sticky.
/// A sticky dyadic encloses an exact value that has no finite binary expansion at this length
/// (a quotient, a square root, exp, log): computed with guard_bits more bits than the target
/// quantum, every rounding decision about it is still exact (see round_to_quantum).
struct dyadic {
  bool negative = false;
  bigint mag;
  std::int64_t exp = 0;
  bool sticky = false;

  bool is_zero() const { return mag == 0 && !sticky; }
};

/// Extra bits below the target quantum that producers of sticky values must supply. At least
/// 33 so that stochastic rounding's 32 random bits compare exactly against the fraction.
inline constexpr int guard_bits = 40;

/// floor(log2 |x|) of a nonzero dyadic (the sticky part never crosses a power of two). For a
/// sticky value with mag == 0 it returns exp - 1, an upper bound.
std::int64_t floor_log2(const dyadic& x);

/// floor(|num| / den * 2^-exp) with sticky = inexact, as a dyadic with exponent exp.
dyadic quotient(bool negative, const bigint& num, const bigint& den, std::int64_t exp);

/// Rounds |x| to an integer multiple n of 2^q under the mode; the sign of x steers up/down.
/// Precondition: q - x.exp >= 1 when x.sticky (>= 33 for stochastic). Returns n and whether
/// the result differs from x.
struct rounded_integer {
  bigint n;
  bool inexact;
};
rounded_integer round_to_quantum(const dyadic& x, std::int64_t q, const rounding& r,
                                 std::uint64_t site);

/// The exponent a producer of a sticky result of magnitude >= 2^e_lower must reach so that
/// rounding into f is exact (the target quantum at that magnitude minus guard_bits).
std::int64_t required_exponent(const format& f, std::int64_t e_lower);

/// Relative precision in bits that meets required_exponent for every magnitude that does not
/// overflow f: what an MPFR evaluation must use.
long required_precision(const format& f);

/// A dyadic format value (the format must be dyadic); throws for inf/NaN codes.
dyadic decode_dyadic(const format& f, code_t code);

/// The one correct rounding of an exact (or sticky) value into f. Sticky inputs are allowed
/// only for formats with arithmetic (format::is_dyadic). Signed zeros keep their sign where
/// the format has -0.
code_t round_dyadic(const format& f, const dyadic& x, const rounding& r, std::uint64_t site);

/// An infinite exact result (overflowing operation, x/0, inf input) of the given sign.
code_t round_infinity(const format& f, bool negative);

/// The level of a grid code; throws std::invalid_argument for unused patterns.
std::int64_t checked_level(const format& f, code_t code);

/// The code of a grid level (no range check).
code_t grid_code(const grid_spec& g, std::int64_t level);

/// Rounds an exact rational into f (any kind of format).
code_t round_rational(const format& f, const rational& x, const rounding& r, std::uint64_t site);

/// NaN in f, or std::domain_error naming the cause when f has no NaN.
code_t nan_or_throw(const format& f, const char* cause);

}  // namespace fpx::detail
