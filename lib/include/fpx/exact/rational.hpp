#pragma once
/// The exact number types every oracle and exact evaluation uses.

#include <boost/multiprecision/cpp_int.hpp>
#include <string>
#include <string_view>

namespace fpx {

using bigint = boost::multiprecision::cpp_int;
using rational = boost::multiprecision::cpp_rational;

/// Reads a numeric literal exactly: decimal ("-0.1", "1e-30", "7/3") or C99 hex-float
/// ("0x1.0000001p-10"). Throws std::invalid_argument on anything else. (inf/nan are not rationals:
/// callers that accept them test for them first.)
rational parse_rational(std::string_view text);

/// A number read exactly from text: a rational, or infinity or NaN; the sign of a zero is kept
/// (formats with a negative zero round "-0" to it).
struct number {
  enum class kind { finite, infinity, nan };
  kind what = kind::finite;
  bool negative = false;  ///< the sign (of an infinity, or of a zero)
  rational value;         ///< when finite
};
/// Reads what parse_rational reads, and also "inf", "infinity" and "nan" (any case, with an
/// optional sign). The one reader of number text: the CLI, Python's exact inputs and the JSON
/// readers use it. Throws std::invalid_argument naming the text.
number parse_number(std::string_view text);

/// An exact, finite hex-float rendering such as "0x1.8p-3" or "-0x0p+0"; throws
/// std::invalid_argument when the value is not dyadic (its denominator is not a power of two).
std::string to_hexfloat(const rational& value, bool negative_zero = false);

/// "p/q" in lowest terms, or "p" for an integer: exact, and readable by parse_rational.
std::string to_fraction_string(const rational& value);

/// 2^e as an exact rational, for any integer e.
rational pow2(long long e);

/// The exact value of a finite double (throws std::domain_error on Inf or NaN). About twice as
/// fast as Boost's conversion, which builds the value bit by bit.
rational exact_rational(double x);

}  // namespace fpx
