#include "fpx/exact/rational.hpp"

#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace fpx {
namespace {

[[noreturn]] void bad_literal(std::string_view text, const char* why) {
  throw std::invalid_argument("not a number literal: '" + std::string(text) + "' (" + why + ")");
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Reads an optionally signed decimal integer exponent starting at s[i]; advances i.
constexpr long long max_decimal_exponent = 10'000;

long long read_exponent(std::string_view text, std::string_view s, std::size_t& i) {
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i])))
    bad_literal(text, "exponent has no digits");
  long long e = 0;
  for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
    e = e * 10 + (s[i] - '0');
    // Formats have at most 11 exponent bits (fp64's least value is about 4.9e-324), so a
    // literal beyond the bound is far outside every format; refusing it keeps the exact
    // value's size, and the time to normalise it, small (10^156123 took seconds).
    if (e > max_decimal_exponent) bad_literal(text, "exponent beyond 10000");
  }
  return negative ? -e : e;
}

// digits * 10^e in lowest terms, with one gcd at most (when e < 0).
rational scaled_decimal(const bigint& digits, long long e) {
  const bigint p = boost::multiprecision::pow(bigint(10), static_cast<unsigned>(e < 0 ? -e : e));
  return e < 0 ? rational(digits, p) : rational(bigint(digits * p));
}

}  // namespace

rational pow2(long long e) {
  bigint p = 1;
  p <<= static_cast<unsigned>(e < 0 ? -e : e);
  return e < 0 ? rational(1, p) : rational(p);
}

rational exact_rational(double x) {
  if (!std::isfinite(x)) throw std::domain_error("exact_rational: " + std::to_string(x) + " is not finite");
  if (x == 0) return rational(0);
  int e = 0;
  // x = m 2^e with m an integer of at most 53 bits, made odd (a short gcd when e < 0).
  auto m = static_cast<std::int64_t>(std::ldexp(std::frexp(x, &e), 53));
  e -= 53;
  const int zeros = std::countr_zero(static_cast<std::uint64_t>(m));
  m >>= zeros;
  e += zeros;
  if (e >= 0) return rational(bigint(m) << e);
  return rational(bigint(m), bigint(1) << -e);
}

rational parse_rational(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) bad_literal(text, "empty");
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (auto slash = s.find('/'); slash != std::string_view::npos) {
    // One p/q: a chain a/b/c/... of literals with exponents near the limit made numbers of
    // hundreds of thousands of digits, whose normalising and printing took seconds.
    if (s.find('/', slash + 1) != std::string_view::npos) bad_literal(text, "more than one '/'");
    rational num = parse_rational(s.substr(0, slash));
    rational den = parse_rational(s.substr(slash + 1));
    if (den == 0) bad_literal(text, "zero denominator");
    const rational q = num / den;
    return negative ? rational(-q) : q;
  }
  std::size_t i = 0;
  bigint digits = 0;
  long long scale_exp = 0;  // value = digits * base^scale_exp (base 16 digits count 4 bits)
  bool any_digit = false;
  rational value;
  if (s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    i = 2;
    long long frac_digits = 0;
    bool in_fraction = false;
    for (; i < s.size(); ++i) {
      if (s[i] == '.' && !in_fraction) {
        in_fraction = true;
        continue;
      }
      int d = hex_digit(s[i]);
      if (d < 0) break;
      digits = digits * 16 + d;
      any_digit = true;
      if (in_fraction) ++frac_digits;
    }
    if (!any_digit) bad_literal(text, "no hex digits");
    long long e = 0;
    if (i < s.size() && (s[i] == 'p' || s[i] == 'P')) e = read_exponent(text, s, ++i);
    scale_exp = e - 4 * frac_digits;
    value = rational(digits) * pow2(scale_exp);
  } else {
    long long frac_digits = 0;
    bool in_fraction = false;
    for (; i < s.size(); ++i) {
      if (s[i] == '.' && !in_fraction) {
        in_fraction = true;
        continue;
      }
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) break;
      digits = digits * 10 + (s[i] - '0');
      any_digit = true;
      if (in_fraction) ++frac_digits;
    }
    if (!any_digit) bad_literal(text, "no digits");
    long long e = 0;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) e = read_exponent(text, s, ++i);
    value = scaled_decimal(digits, e - frac_digits);
  }
  if (i != s.size()) bad_literal(text, "unexpected characters");
  return negative ? rational(-value) : value;
}

number parse_number(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  number n;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    n.negative = body[0] == '-';
    body.remove_prefix(1);
  }
  std::string lower(body);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "inf" || lower == "infinity") {
    n.what = number::kind::infinity;
  } else if (lower == "nan") {
    n.what = number::kind::nan;
  } else {
    n.value = parse_rational(text);
    if (n.value != 0) n.negative = n.value < 0;
  }
  return n;
}

std::string to_hexfloat(const rational& value, bool negative_zero) {
  if (value == 0) return negative_zero ? "-0x0p+0" : "0x0p+0";
  const bigint& den = denominator(value);
  if ((den & (den - 1)) != 0)
    throw std::invalid_argument("to_hexfloat: value is not dyadic");
  bigint m = abs(numerator(value));
  long long e = -static_cast<long long>(msb(den));
  // Strip trailing zero bits so the mantissa is odd.
  unsigned tz = lsb(m);
  m >>= tz;
  e += tz;
  const unsigned top = msb(m);  // value = (m / 2^top) * 2^(e + top), m / 2^top in [1, 2)
  bigint frac = m - (bigint(1) << top);
  unsigned hex_digits = (top + 3) / 4;
  frac <<= (4 * hex_digits - top);
  std::string out = value < 0 ? "-0x1" : "0x1";
  if (hex_digits > 0) {
    std::string h;
    for (unsigned k = 0; k < hex_digits; ++k) {
      h.insert(h.begin(), "0123456789abcdef"[static_cast<int>(frac & 15)]);
      frac >>= 4;
    }
    while (!h.empty() && h.back() == '0') h.pop_back();
    if (!h.empty()) out += "." + h;
  }
  long long exponent = e + static_cast<long long>(top);
  out += (exponent < 0 ? "p-" : "p+") + std::to_string(exponent < 0 ? -exponent : exponent);
  return out;
}

std::string to_fraction_string(const rational& value) {
  if (denominator(value) == 1) return numerator(value).str();
  return numerator(value).str() + "/" + denominator(value).str();
}

}  // namespace fpx
