#include "fpx/arith/round.hpp"

#include <fmt/format.h>

#include <bit>
#include <limits>
#include <stdexcept>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/detail/dyadic.hpp"
#include "fpx/arith/detail/minifloat_layout.hpp"

namespace fpx::detail {
namespace {

std::int64_t bit_length_minus_one(const bigint& v) { return static_cast<std::int64_t>(msb(v)); }

// log2 of a power-of-two scale.
std::int64_t scale_exponent(const grid_spec& g) {
  return bit_length_minus_one(numerator(g.scale)) - bit_length_minus_one(denominator(g.scale));
}

[[noreturn]] void overflow_error(const format& f, bool negative) {
  throw std::overflow_error(fmt::format("value {} the range of format {} (overflow=error)",
                                        negative ? "below" : "beyond", f.name()));
}

// A rounded result beyond the largest finite value of its sign.
code_t overflow_code(const format& f, bool negative, round_mode mode) {
  switch (f.overflow()) {
    case overflow_policy::saturate: return max_code(f, negative);
    case overflow_policy::error: overflow_error(f, negative);
    case overflow_policy::nan: return nan_code(f);
    case overflow_policy::inf: {
      const bool toward_zero = mode == round_mode::rtz || mode == round_mode::rto ||
                               (mode == round_mode::up && negative) ||
                               (mode == round_mode::down && !negative);
      return toward_zero ? max_code(f, negative) : inf_code(f, negative);
    }
  }
  return 0;
}

// A result below the smallest value of a format that has no negatives (or no zero).
code_t below_range_code(const format& f) {
  switch (f.overflow()) {
    case overflow_policy::saturate: return max_code(f, true);
    case overflow_policy::error: overflow_error(f, true);
    default: return nan_or_throw(f, "value below the range of an unsigned format");
  }
}

code_t round_minifloat(const format& f, const dyadic& x, const rounding& r, std::uint64_t site) {
  const auto& m = *f.minifloat();
  const minifloat_layout l(m);
  if (x.is_zero()) return m.has_zero ? zero_code(f, x.negative) : below_range_code(f);
  const std::int64_t e = floor_log2(x);
  if (e > l.ef_max - l.bias + 1) return overflow_code(f, x.negative, r.mode);
  // Quantum at this magnitude; without subnormals the gap below 2^emin holds only 0 and 2^emin.
  std::int64_t q = (!m.subnormals && e < l.emin) ? l.emin : std::max(e, l.emin) - l.M;
  auto [n, inexact] = round_to_quantum(x, q, r, site);
  if (n == 0) return m.has_zero ? zero_code(f, x.negative) : below_range_code(f);
  if (x.negative && !m.has_sign) return below_range_code(f);
  const bigint hidden = bigint(1) << l.M;
  if (n == hidden << 1) {  // the increment carried into the next binade
    n >>= 1;
    ++q;
  }
  if (n < hidden && !m.subnormals) {  // 1 * 2^emin, written as a normal number
    n <<= l.M;
    q -= l.M;
  }
  std::int64_t ef = 0;
  std::uint64_t mant;
  if (n >= hidden) {
    ef = q + l.M + l.bias;
    mant = static_cast<std::uint64_t>(n - hidden);
  } else {
    mant = static_cast<std::uint64_t>(n);
  }
  if (ef > l.ef_max || (ef == l.ef_max && mant > l.mant_max))
    return overflow_code(f, x.negative, r.mode);
  return (code_t{x.negative} << l.sign_shift) | (static_cast<code_t>(ef) << l.M) | mant;
}

// Rounds u, a value in units of the grid's levels, to a level.
code_t round_grid_units(const format& f, const dyadic& u, const rounding& r, std::uint64_t site) {
  const auto& g = *f.grid();
  // Every level is below 2^bits in magnitude, so larger u overflows whatever the mode; the
  // check also keeps sticky inputs within their guard bits.
  if (!u.is_zero() && floor_log2(u) > g.bits) return overflow_code(f, u.negative, r.mode);
  const bigint n = round_to_quantum(u, 0, r, site).n;
  const bigint k = u.negative ? bigint(-n) : n;
  if (k > g.kmax) return overflow_code(f, false, r.mode);
  if (k < g.kmin) return overflow_code(f, true, r.mode);
  return grid_code(g, static_cast<std::int64_t>(k));
}

// The binary grid {-s, +s}: v = (x/s + 1) / 2 rounded to a code in {0, 1}. Ties at x = 0 go
// to +s, so rne behaves as rna; toward-zero modes have no meaning without a zero.
code_t round_binary(const format& f, const rational& x, const rounding& r, std::uint64_t site) {
  if (r.mode == round_mode::rtz || r.mode == round_mode::rto)
    throw std::invalid_argument("rounding mode " + std::string(to_string(r.mode)) +
                                " is undefined on the binary grid, which has no zero");
  const rational v = (x / f.grid()->scale + 1) / 2;
  rounding rr = r;
  if (r.mode == round_mode::rne) rr.mode = round_mode::rna;
  const auto n = round_to_quantum(quotient(v < 0, numerator(v), denominator(v), -guard_bits), 0,
                                  rr, site).n;
  const bool negative = v < 0;
  if (negative && n != 0) return overflow_code(f, true, r.mode);
  if (n > 1) return overflow_code(f, false, r.mode);
  return n == 0 ? 0 : 1;
}

}  // namespace

std::int64_t floor_log2(const dyadic& x) {
  return x.mag == 0 ? x.exp - 1 : x.exp + bit_length_minus_one(x.mag);
}

dyadic quotient(bool negative, const bigint& num, const bigint& den, std::int64_t exp) {
  bigint a = abs(num), b = abs(den);
  if (exp <= 0) a <<= static_cast<unsigned>(-exp);
  else b <<= static_cast<unsigned>(exp);
  dyadic d{negative, 0, exp, false};
  bigint rem;
  divide_qr(a, b, d.mag, rem);
  d.sticky = rem != 0;
  return d;
}

rounded_integer round_to_quantum(const dyadic& x, std::int64_t q, const rounding& r,
                                 std::uint64_t site) {
  if (r.random_bits != 0) check_rule(r);
  if (x.is_zero()) return {0, false};
  const std::int64_t shift = q - x.exp;
  if (shift <= 0) {
    if (x.sticky) throw std::logic_error("round_to_quantum: sticky value lacks guard bits");
    return {x.mag << static_cast<unsigned>(-shift), false};
  }
  if (x.sticky && r.mode == round_mode::stochastic && shift < 33)
    throw std::logic_error("round_to_quantum: stochastic rounding of a sticky value needs 33 guard bits");
  const std::int64_t top = x.mag == 0 ? -1 : bit_length_minus_one(x.mag);
  if (shift > top + 64) {
    // |x| is far below half a quantum: the truncation is 0 and every decision is one-sided
    // (for stochastic, 2^32 * fraction < 1, so only a draw of 0 rounds up, and with K random
    // bits F = floor(2^K * fraction) = 0, so none does).
    bool up = false;
    switch (r.mode) {
      case round_mode::up: up = !x.negative; break;
      case round_mode::down: up = x.negative; break;
      case round_mode::rto: up = true; break;
      case round_mode::stochastic: up = r.random_bits == 0 && stochastic_bits(r.seed, site) == 0; break;
      default: break;
    }
    return {up ? 1 : 0, true};
  }
  const unsigned s = static_cast<unsigned>(shift);
  bigint n = x.mag >> s;
  const bigint rem = x.mag - (n << s);
  const bool inexact = rem != 0 || x.sticky;
  if (!inexact) return {n, false};
  const bigint half = bigint(1) << (s - 1);
  bool up = false;
  switch (r.mode) {
    case round_mode::rne:
      up = rem > half || (rem == half && (x.sticky || bit_test(n, 0)));
      break;
    case round_mode::rna: up = rem >= half; break;
    case round_mode::rtz: break;
    case round_mode::up: up = !x.negative; break;
    case round_mode::down: up = x.negative; break;
    case round_mode::rto: n |= 1; break;
    case round_mode::stochastic: {
      const bigint u = stochastic_bits(r.seed, site);
      if (const unsigned k = r.random_bits; k != 0) {
        // Up iff the top K bits of u are below F = floor(2^K (rem + t) / 2^s), the K bits of the
        // fraction below the quantum (t < 1 is the sticky part; sticky values have s >= 33 > K).
        const bigint f = s >= k ? bigint(rem >> (s - k)) : bigint(rem << (k - s));
        up = (u >> (max_random_bits - k)) < f;
        break;
      }
      // Up iff u / 2^32 < (rem + t) / 2^s for the 32 random bits u.
      if (s >= 32) {
        const bigint a = u << (s - 32);
        up = x.sticky ? a <= rem : a < rem;
      } else {
        up = u < (rem << (32 - s));
      }
      break;
    }
  }
  if (up) ++n;
  return {n, true};
}

std::int64_t required_exponent(const format& f, std::int64_t e_lower) {
  if (const auto* m = f.minifloat()) {
    const minifloat_layout l(*m);
    return std::max(e_lower, l.emin) - l.M - guard_bits;
  }
  if (!f.is_dyadic()) throw std::logic_error("required_exponent: format is not dyadic");
  return scale_exponent(*f.grid()) - guard_bits;
}

long required_precision(const format& f) {
  if (const auto* m = f.minifloat()) return m->mantissa_bits + 1 + guard_bits;
  return f.grid()->bits + 2 + guard_bits;
}

dyadic decode_dyadic(const format& f, code_t code) {
  const number_class c = classify(f, code);
  if (c == number_class::nan || c == number_class::infinite)
    throw std::domain_error("decode: code is " + std::string(c == number_class::nan ? "NaN" : "infinite"));
  if (const auto* g = f.grid()) {
    if (!f.is_dyadic()) throw std::logic_error("decode_dyadic: grid scale is not a power of two");
    const std::int64_t k = checked_level(f, code);
    return {k < 0, abs(bigint(k)), scale_exponent(*g), false};
  }
  const auto& m = *f.minifloat();
  const minifloat_layout l(m);
  dyadic d;
  d.negative = is_negative(f, code);
  if (c == number_class::zero) return d;
  const std::int64_t ef = static_cast<std::int64_t>((code >> l.M) & static_cast<code_t>(l.ef_all_ones));
  const std::uint64_t mant = code & l.mant_all_ones;
  if (c == number_class::subnormal) {
    d.mag = mant;
    d.exp = l.emin - l.M;
  } else {
    d.mag = (bigint(1) << l.M) + mant;
    d.exp = ef - l.bias - l.M;
  }
  return d;
}

code_t round_dyadic(const format& f, const dyadic& x, const rounding& r, std::uint64_t site) {
  if (f.minifloat()) return round_minifloat(f, x, r, site);
  if (f.is_dyadic()) {
    dyadic units = x;
    units.exp -= scale_exponent(*f.grid());
    return round_grid_units(f, units, r, site);
  }
  if (x.sticky) throw std::logic_error("round_dyadic: inexact value into a non-dyadic grid");
  rational v = rational(x.mag) * pow2(x.exp);
  return round_rational(f, x.negative ? rational(-v) : v, r, site);
}

code_t round_rational(const format& f, const rational& x, const rounding& r, std::uint64_t site) {
  const bigint& num = numerator(x);
  const bigint& den = denominator(x);
  if (const auto* g = f.grid(); g && !f.is_dyadic()) {
    if (g->binary) return round_binary(f, x, r, site);
    const rational u = x / g->scale;
    return round_grid_units(f, quotient(u < 0, numerator(u), denominator(u), -guard_bits), r, site);
  }
  if (num == 0) return round_dyadic(f, dyadic{}, r, site);
  const std::int64_t e_lower = bit_length_minus_one(abs(num)) - bit_length_minus_one(den) - 1;
  return round_dyadic(f, quotient(x < 0, num, den, required_exponent(f, e_lower)), r, site);
}

code_t round_infinity(const format& f, bool negative) {
  if (f.has_inf()) return inf_code(f, negative);
  if (negative && !f.is_signed()) return below_range_code(f);
  return overflow_code(f, negative, round_mode::rne);
}

code_t nan_or_throw(const format& f, const char* cause) {
  if (f.has_nan()) return nan_code(f);
  throw std::domain_error(std::string(cause) + ": format " + f.name() + " has no NaN");
}

}  // namespace fpx::detail

namespace fpx {

code_t from_double(const format& f, double x, const rounding& r, std::uint64_t site) {
  static const format binary64 = preset("fp64");
  const code_t bits = std::bit_cast<code_t>(x);
  switch (classify(binary64, bits)) {
    case number_class::nan: return detail::nan_or_throw(f, "NaN input");
    case number_class::infinite: return detail::round_infinity(f, x < 0);
    default: return detail::round_dyadic(f, detail::decode_dyadic(binary64, bits), r, site);
  }
}

code_t from_rational(const format& f, const rational& x, const rounding& r, std::uint64_t site) {
  return detail::round_rational(f, x, r, site);
}

code_t from_number(const format& f, const number& x, const rounding& r, std::uint64_t site) {
  switch (x.what) {
    case number::kind::infinity:
      return from_double(f, x.negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity(), r, site);
    case number::kind::nan: return from_double(f, std::numeric_limits<double>::quiet_NaN(), r, site);
    case number::kind::finite: break;
  }
  if (x.value == 0 && x.negative) return from_double(f, -0.0, r, site);
  return from_rational(f, x.value, r, site);
}

code_t convert(const format& from, code_t code, const format& to, const rounding& r,
               std::uint64_t site) {
  switch (classify(from, code)) {
    case number_class::nan: return detail::nan_or_throw(to, "NaN input");
    case number_class::infinite: return detail::round_infinity(to, is_negative(from, code));
    default:
      if (from.is_dyadic()) return detail::round_dyadic(to, detail::decode_dyadic(from, code), r, site);
      return detail::round_rational(to, to_rational(from, code), r, site);
  }
}

rational stochastic_bias(const format& f, const rational& x, const rounding& r) {
  check_rule(r);
  if (r.mode != round_mode::stochastic)
    throw std::invalid_argument("stochastic_bias: rule " + rounding_name(r) + " is not stochastic");
  if (x > max_value(f) || x < lowest_value(f))
    throw std::domain_error("stochastic_bias: x lies beyond the finite values of " + f.name());
  const rational lo = to_rational(f, from_rational(f, x, {round_mode::down}));
  const rational hi = to_rational(f, from_rational(f, x, {round_mode::up}));
  if (lo == hi) return 0;
  // T, the neighbour the draw measures from: toward zero (the binary grid {-s, s} has no zero
  // and rounds v = (x/s + 1)/2 in [0, 1], whose neighbour toward zero is -s).
  const bool from_lo = x > 0 || (f.grid() && f.grid()->binary);
  const rational& T = from_lo ? lo : hi;
  const rational& A = from_lo ? hi : lo;
  const rational frac = abs(x - T) / (hi - lo);
  const unsigned k = r.random_bits == 0 ? max_random_bits : r.random_bits;
  const rational scaled = frac * pow2(k);
  bigint n = numerator(scaled) / denominator(scaled);  // floor: scaled > 0
  if (r.random_bits == 0 && n * denominator(scaled) != numerator(scaled)) ++n;  // ceil
  return (T - x) + (A - T) * rational(n) / pow2(k);
}

}  // namespace fpx
