#pragma once
// The exact oracle the tests compare the library against. It shares nothing with the library
// but the format descriptors: it decodes codes with the textbook formulas, describes every
// exact result by a comparison function (sign of v - x for rational v, so square roots and
// MPFR enclosures of exp/log fit too), finds the two neighbours by binary search over the
// monotone code space, and decides between them with rational arithmetic only.

#include <cstdint>
#include <functional>
#include <optional>

#include "fpx/arith/format.hpp"

namespace oracle {

using fpx::code_t;
using fpx::rational;

/// An exact real result: NaN, +-inf, or a finite value known through `compare`.
struct real {
  enum kind_t { finite, inf, nan } kind = finite;
  bool negative = false;                          // sign of an infinity or of a zero
  bool is_zero = false;                           // the exact value is (signed) zero
  std::function<int(const rational&)> compare;    // sign(v - x), exact
};

real from_rational(const rational& x);
real nan();
real infinity(bool negative);

/// What the rounding should produce: a code, or an error.
struct expected {
  bool error = false;
  code_t code = 0;
};

/// Decodes with the textbook formulas: finite value (nullopt for inf/NaN/unused codes).
std::optional<rational> decode(const fpx::format& f, code_t code);
bool decode_is_nan(const fpx::format& f, code_t code);

/// Rounds an exact real into f under r, at stochastic site `site`.
expected round(const fpx::format& f, const real& x, const fpx::rounding& r, std::uint64_t site);

/// Exact operation results under IEEE 754 rules, for operands given as codes of f.
real op_add(const fpx::format& f, code_t a, code_t b, fpx::round_mode mode);
real op_sub(const fpx::format& f, code_t a, code_t b, fpx::round_mode mode);
real op_mul(const fpx::format& f, code_t a, code_t b);
real op_div(const fpx::format& f, code_t a, code_t b);
real op_fma(const fpx::format& f, code_t a, code_t b, code_t c, fpx::round_mode mode);
real op_sqrt(const fpx::format& f, code_t a);
real op_exp(const fpx::format& f, code_t a);
real op_log(const fpx::format& f, code_t a);
real op_reciprocal(const fpx::format& f, code_t a);

}  // namespace oracle
