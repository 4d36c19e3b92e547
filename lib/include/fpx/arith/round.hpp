#pragma once
/// Conversions into a format, each with exactly one rounding.

#include <cstdint>
#include <span>
#include <vector>

#include "fpx/arith/format.hpp"

namespace fpx {

/// Rounds a double (read exactly) into f. NaN into a format without NaN throws
/// std::domain_error; infinities follow the overflow policy where f has none.
/// `site` numbers this rounding for stochastic rounding (see stochastic_bits).
code_t from_double(const format& f, double x, const rounding& r = {}, std::uint64_t site = 0);

/// Rounds an exact rational into f.
code_t from_rational(const format& f, const rational& x, const rounding& r = {},
                     std::uint64_t site = 0);

/// Rounds a number read from text (parse_number): finite values exactly, a negative zero to the
/// format's negative zero where it has one, infinities and NaN as from_double rounds them.
code_t from_number(const format& f, const number& x, const rounding& r = {}, std::uint64_t site = 0);

/// Re-rounds a value of one format into another, once.
code_t convert(const format& from, code_t code, const format& to, const rounding& r = {},
               std::uint64_t site = 0);

/// The exact bias of stochastic rounding at x: E[rd(x)] - x over the site's random bits, for x
/// within f's finite range (else std::domain_error) and r stochastic (else std::invalid_argument).
/// With f the fraction of the ulp between x and its neighbour toward zero (see `rounding`),
/// E[rd(x)] - x = sign(x) (P - f) ulp where P = ceil(2^32 f) / 2^32 for the exact rule (away
/// from zero, below 2^-32 ulp) and F / 2^K = floor(2^K f) / 2^K for stochastic:bits=K (toward
/// zero, below 2^-K ulp); 0 where x is a value of f. On the binary grid {-s, s} f is measured
/// from -s, so the sign is that of +1 there, not of x.
rational stochastic_bias(const format& f, const rational& x, const rounding& r);

}  // namespace fpx
