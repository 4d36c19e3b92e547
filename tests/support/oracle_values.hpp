#pragma once
// Doubles against the oracle's decoding of a code: how the tests check results that come back
// as values (fast/values.hpp, Python's float64 arrays) rather than codes.

#include <cmath>

#include "fpx/arith/codec.hpp"
#include "oracle.hpp"

namespace oracle {

/// Whether v is the value of code c of f as the oracle decodes it: NaN, an infinity of the
/// code's sign, or the exact value with the sign of a zero; for a grid with a non-dyadic
/// scale, the double nearest the exact value.
inline bool value_is(const fpx::format& f, fpx::code_t c, double v) {
  if (decode_is_nan(f, c)) return std::isnan(v);
  const auto exact = decode(f, c);
  if (!exact) return std::isinf(v) && std::signbit(v) == fpx::is_negative(f, c);
  if (!std::isfinite(v)) return false;
  if (v == 0) return *exact == 0 && std::signbit(v) == fpx::is_negative(f, c);
  const fpx::rational error = abs(fpx::rational(v) - *exact);
  if (error == 0) return true;
  if (f.is_dyadic()) return false;
  for (double n : {std::nextafter(v, -HUGE_VAL), std::nextafter(v, HUGE_VAL)})
    if (abs(fpx::rational(n) - *exact) < error) return false;
  return true;
}

/// The double holding the value of code c of f as the oracle decodes it (NaN and infinities
/// as such; for a grid with a non-dyadic scale, the nearest double).
inline double double_of(const fpx::format& f, fpx::code_t c) {
  if (decode_is_nan(f, c)) return NAN;
  const auto exact = decode(f, c);
  if (!exact) return fpx::is_negative(f, c) ? -HUGE_VAL : HUGE_VAL;
  if (*exact == 0) return fpx::is_negative(f, c) ? -0.0 : 0.0;
  double d = exact->convert_to<double>();
  for (double n : {std::nextafter(d, -HUGE_VAL), std::nextafter(d, HUGE_VAL)})
    if (abs(fpx::rational(n) - *exact) < abs(fpx::rational(d) - *exact)) d = n;
  return d;
}

}  // namespace oracle
