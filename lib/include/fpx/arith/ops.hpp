#pragma once
/// Correctly rounded arithmetic on codes of one format: the exact result, rounded once.
///
/// Defined for dyadic formats (minifloats, fixed point, grids with a power-of-two scale);
/// other grids throw std::invalid_argument. Special values follow IEEE 754: NaN propagates;
/// inf - inf, 0 * inf, 0/0, inf/inf, sqrt(x < 0), log(x < 0) give NaN (std::domain_error in
/// formats without NaN); x/0 and log(0) are infinite results (the overflow policy applies in
/// formats without infinity); an exact zero sum is +0, or -0 when both terms are -0 or the mode
/// is `down`. `site` numbers the rounding for stochastic mode.

#include <cstdint>

#include "fpx/arith/format.hpp"

namespace fpx {

code_t add(const format& f, code_t a, code_t b, const rounding& r = {}, std::uint64_t site = 0);
code_t sub(const format& f, code_t a, code_t b, const rounding& r = {}, std::uint64_t site = 0);
code_t mul(const format& f, code_t a, code_t b, const rounding& r = {}, std::uint64_t site = 0);
code_t div(const format& f, code_t a, code_t b, const rounding& r = {}, std::uint64_t site = 0);
/// a * b + c with a single rounding.
code_t fma(const format& f, code_t a, code_t b, code_t c, const rounding& r = {},
           std::uint64_t site = 0);
code_t sqrt(const format& f, code_t a, const rounding& r = {}, std::uint64_t site = 0);
code_t exp(const format& f, code_t a, const rounding& r = {}, std::uint64_t site = 0);
code_t log(const format& f, code_t a, const rounding& r = {}, std::uint64_t site = 0);
code_t reciprocal(const format& f, code_t a, const rounding& r = {}, std::uint64_t site = 0);
/// -a: exact where the format holds it (a sign flip), else rounded like any result.
code_t negate(const format& f, code_t a, const rounding& r = {}, std::uint64_t site = 0);

}  // namespace fpx
