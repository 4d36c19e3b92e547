#pragma once
/// Bit patterns to values and back: decoding, classification and enumeration.

#include <vector>

#include "fpx/arith/format.hpp"

namespace fpx {

enum class number_class { zero, subnormal, normal, infinite, nan };

/// False for patterns a format does not use (ternary's 0b10, INT4's -8, codes wider than the
/// format). Every other function here throws std::invalid_argument for such a code.
bool is_valid_code(const format& f, code_t code);
number_class classify(const format& f, code_t code);
/// The sign of the pattern (true for -0 and for negative NaN patterns).
bool is_negative(const format& f, code_t code);
/// The exact value; throws std::domain_error for infinities and NaN.
rational to_rational(const format& f, code_t code);
/// The value as a double: exact whenever the double can hold it, else rounded to nearest-even.
double to_double(const format& f, code_t code);

/// Canonical special patterns; throw std::domain_error where the format has no such value.
code_t nan_code(const format& f);
code_t inf_code(const format& f, bool negative);
/// Largest finite value of the given sign (the most negative one for negative = true;
/// for unsigned formats negative = true gives the smallest value).
code_t max_code(const format& f, bool negative);
code_t zero_code(const format& f, bool negative);

/// One code for each distinct finite value, in increasing order of value (+0 only, never -0).
/// For formats of at most 24 bits; throws std::invalid_argument beyond.
std::vector<code_t> finite_codes(const format& f);

}  // namespace fpx
