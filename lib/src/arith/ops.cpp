#include "fpx/arith/ops.hpp"

#include <stdexcept>
#include <vector>

#include "fpx/arith/detail/operand.hpp"
#include "fpx/arith/detail/mpfr.hpp"

namespace fpx::detail {
namespace {

code_t invalid_operation(const format& f, const char* what) {
  return nan_or_throw(f, (std::string("invalid operation ") + what).c_str());
}

// The IEEE 754 sign of an exact zero sum of two terms with the given signs.
bool zero_sum_is_negative(bool a_negative, bool b_negative, round_mode mode) {
  return a_negative == b_negative ? a_negative : mode == round_mode::down;
}

// f(x) rounded toward zero to the precision `out` needs, as a sticky dyadic: the MPFR
// ternary value tells whether the result was exact, which is all round-to-odd needs.
template <class Function>
dyadic mpfr_evaluate(const dyadic& x, const format& out, Function function) {
  mpz_number z;
  to_mpz(x.mag, z.z);
  mpfr_number in(std::max<long>(2, static_cast<long>(mpz_sizeinbase(z.z, 2))));
  mpfr_set_z_2exp(in.x, z.z, x.exp, MPFR_RNDN);  // exact: the precision holds every bit
  if (x.negative) mpfr_neg(in.x, in.x, MPFR_RNDN);
  mpfr_number result(required_precision(out));
  const int ternary = function(result.x, in.x, MPFR_RNDZ);
  if (mpfr_zero_p(result.x)) return dyadic{};  // log(1): exact (f(x) = 0 is never inexact here)
  dyadic d;
  d.negative = mpfr_sgn(result.x) < 0;
  d.exp = mpfr_get_z_2exp(z.z, result.x);
  mpz_abs(z.z, z.z);
  d.mag = from_mpz(z.z);
  d.sticky = ternary != 0;
  return d;
}

void require_dyadic(const format& f) {
  if (!f.is_dyadic())
    throw std::invalid_argument("arithmetic is defined on dyadic formats (minifloat, fixed point, "
                                "power-of-two grids); " + f.name() + " is a quantization target");
}

}  // namespace

operand load(const format& f, code_t code) {
  require_dyadic(f);
  const number_class cls = classify(f, code);
  operand o{cls, {}};
  if (cls == number_class::nan || cls == number_class::infinite) o.v.negative = is_negative(f, code);
  else o.v = decode_dyadic(f, code);
  return o;
}

dyadic exact_sum(const dyadic& a, const dyadic& b) {
  const std::int64_t e = std::min(a.exp, b.exp);
  const bigint sa = (a.negative ? bigint(-a.mag) : a.mag) << static_cast<unsigned>(a.exp - e);
  const bigint sb = (b.negative ? bigint(-b.mag) : b.mag) << static_cast<unsigned>(b.exp - e);
  const bigint s = sa + sb;
  return {s < 0, abs(s), e, false};
}

int compare(const operand& x, const operand& y) {
  if (x.is_nan() || y.is_nan()) throw std::domain_error("comparison with NaN");
  auto infinity_rank = [](const operand& s) { return s.is_inf() ? (s.v.negative ? -1 : 1) : 0; };
  const int rx = infinity_rank(x), ry = infinity_rank(y);
  if (rx != 0 || ry != 0) return rx < ry ? -1 : (rx > ry ? 1 : 0);
  dyadic neg_y = y.v;
  neg_y.negative = !neg_y.negative;
  const dyadic d = exact_sum(x.v, neg_y);
  return d.mag == 0 ? 0 : (d.negative ? -1 : 1);
}

dyadic exact_product(const dyadic& a, const dyadic& b) {
  return {a.negative != b.negative, a.mag * b.mag, a.exp + b.exp, false};
}

code_t add(const operand& a, const operand& b, const format& out, const rounding& r,
           std::uint64_t site) {
  if (a.is_nan() || b.is_nan()) return nan_or_throw(out, "NaN operand");
  if (a.is_inf() || b.is_inf()) {
    if (a.is_inf() && b.is_inf() && a.v.negative != b.v.negative)
      return invalid_operation(out, "inf - inf");
    return round_infinity(out, a.is_inf() ? a.v.negative : b.v.negative);
  }
  dyadic s = exact_sum(a.v, b.v);
  if (s.mag == 0) s.negative = zero_sum_is_negative(a.v.negative, b.v.negative, r.mode);
  return round_dyadic(out, s, r, site);
}

code_t mul(const operand& a, const operand& b, const format& out, const rounding& r,
           std::uint64_t site) {
  if (a.is_nan() || b.is_nan()) return nan_or_throw(out, "NaN operand");
  const bool negative = a.v.negative != b.v.negative;
  if (a.is_inf() || b.is_inf()) {
    if (a.is_zero() || b.is_zero()) return invalid_operation(out, "0 * inf");
    return round_infinity(out, negative);
  }
  return round_dyadic(out, exact_product(a.v, b.v), r, site);
}

code_t fma(const operand& a, const operand& b, const operand& c, const format& out,
           const rounding& r, std::uint64_t site) {
  if (a.is_nan() || b.is_nan() || c.is_nan()) return nan_or_throw(out, "NaN operand");
  const bool product_negative = a.v.negative != b.v.negative;
  if (a.is_inf() || b.is_inf()) {
    if (a.is_zero() || b.is_zero()) return invalid_operation(out, "0 * inf");
    if (c.is_inf() && c.v.negative != product_negative) return invalid_operation(out, "inf - inf");
    return round_infinity(out, product_negative);
  }
  if (c.is_inf()) return round_infinity(out, c.v.negative);
  dyadic s = exact_sum(exact_product(a.v, b.v), c.v);
  if (s.mag == 0) s.negative = zero_sum_is_negative(product_negative, c.v.negative, r.mode);
  return round_dyadic(out, s, r, site);
}

namespace {

// x / y for finite nonzero y, rounded into f.
code_t finite_quotient(const format& f, const dyadic& x, const dyadic& y,
                       const rounding& r, std::uint64_t site) {
  const bool negative = x.negative != y.negative;
  if (x.mag == 0) return round_dyadic(f, dyadic{negative, 0, 0, false}, r, site);
  const std::int64_t shift = x.exp - y.exp;  // x / y = (x.mag / y.mag) * 2^shift
  const std::int64_t e_lower = static_cast<std::int64_t>(msb(x.mag)) -
                               static_cast<std::int64_t>(msb(y.mag)) - 1 + shift;
  const std::int64_t target = required_exponent(f, e_lower);
  dyadic q = quotient(negative, x.mag, y.mag, target - shift);
  q.exp = target;
  return round_dyadic(f, q, r, site);
}

}  // namespace

code_t div(const operand& x, const operand& y, const format& out, const rounding& r,
           std::uint64_t site) {
  const bool negative = x.v.negative != y.v.negative;
  if (x.is_nan() || y.is_nan()) return nan_or_throw(out, "NaN operand");
  if (x.is_inf() && y.is_inf()) return invalid_operation(out, "inf / inf");
  if (x.is_zero() && y.is_zero()) return invalid_operation(out, "0 / 0");
  if (x.is_inf() || y.is_zero()) return round_infinity(out, negative);
  if (y.is_inf()) return round_dyadic(out, dyadic{negative, 0, 0, false}, r, site);
  return finite_quotient(out, x.v, y.v, r, site);
}

code_t exp(const operand& x, const format& out, const rounding& r, std::uint64_t site) {
  if (x.is_nan()) return nan_or_throw(out, "NaN operand");
  if (x.is_inf()) {
    if (x.v.negative) return round_dyadic(out, dyadic{}, r, site);
    return round_infinity(out, false);
  }
  if (x.is_zero()) return round_dyadic(out, dyadic{false, 1, 0, false}, r, site);
  // Beyond |x| = 2^28 the result is outside every format's range (and MPFR's default one):
  // stand in a value far beyond the largest, or a positive value far below the smallest.
  if (floor_log2(x.v) >= 28) {
    const std::int64_t far = std::int64_t{1} << 40;
    return round_dyadic(
        out, x.v.negative ? dyadic{false, 0, -far, true} : dyadic{false, 1, far, true},
        r, site);
  }
  return round_dyadic(out, mpfr_evaluate(x.v, out, mpfr_exp), r, site);
}

}  // namespace fpx::detail

namespace fpx {

using detail::load;
using detail::operand;

code_t add(const format& f, code_t a, code_t b, const rounding& r, std::uint64_t site) {
  return detail::add(load(f, a), load(f, b), f, r, site);
}

code_t sub(const format& f, code_t a, code_t b, const rounding& r, std::uint64_t site) {
  operand nb = load(f, b);
  nb.v.negative = !nb.v.negative;
  return detail::add(load(f, a), nb, f, r, site);
}

code_t mul(const format& f, code_t a, code_t b, const rounding& r, std::uint64_t site) {
  return detail::mul(load(f, a), load(f, b), f, r, site);
}

code_t fma(const format& f, code_t a, code_t b, code_t c, const rounding& r, std::uint64_t site) {
  return detail::fma(load(f, a), load(f, b), load(f, c), f, r, site);
}

code_t div(const format& f, code_t a, code_t b, const rounding& r, std::uint64_t site) {
  return detail::div(load(f, a), load(f, b), f, r, site);
}

code_t reciprocal(const format& f, code_t a, const rounding& r, std::uint64_t site) {
  const operand x = load(f, a);
  if (x.is_nan()) return detail::nan_or_throw(f, "NaN operand");
  if (x.is_inf()) return detail::round_dyadic(f, detail::dyadic{x.v.negative, 0, 0, false}, r, site);
  if (x.is_zero()) return detail::round_infinity(f, x.v.negative);
  return detail::finite_quotient(f, detail::dyadic{false, 1, 0, false}, x.v, r, site);
}

code_t sqrt(const format& f, code_t a, const rounding& r, std::uint64_t site) {
  const operand x = load(f, a);
  if (x.is_nan()) return detail::nan_or_throw(f, "NaN operand");
  if (x.is_zero()) return detail::round_dyadic(f, x.v, r, site);  // sqrt(-0) = -0
  if (x.v.negative) return detail::invalid_operation(f, "sqrt of a negative number");
  if (x.is_inf()) return detail::round_infinity(f, false);
  // sqrt(mag * 2^exp) = sqrt(mag * 2^(exp - 2t)) * 2^t for any t with exp - 2t >= 0.
  const std::int64_t e = detail::floor_log2(x.v);
  const std::int64_t half_e = e >= 0 ? e / 2 : -((-e + 1) / 2);  // floor(e / 2)
  std::int64_t t = detail::required_exponent(f, half_e);
  const std::int64_t floor_half_exp = x.v.exp >= 0 ? x.v.exp / 2 : -((-x.v.exp + 1) / 2);
  t = std::min(t, floor_half_exp);
  const bigint n = x.v.mag << static_cast<unsigned>(x.v.exp - 2 * t);
  bigint rem;
  const bigint root = boost::multiprecision::sqrt(n, rem);
  return detail::round_dyadic(f, detail::dyadic{false, root, t, rem != 0}, r, site);
}

code_t exp(const format& f, code_t a, const rounding& r, std::uint64_t site) {
  return detail::exp(load(f, a), f, r, site);
}

code_t log(const format& f, code_t a, const rounding& r, std::uint64_t site) {
  const operand x = load(f, a);
  if (x.is_nan()) return detail::nan_or_throw(f, "NaN operand");
  if (x.is_zero()) return detail::round_infinity(f, true);
  if (x.v.negative) return detail::invalid_operation(f, "log of a negative number");
  if (x.is_inf()) return detail::round_infinity(f, false);
  return detail::round_dyadic(f, detail::mpfr_evaluate(x.v, f, mpfr_log), r, site);
}

code_t negate(const format& f, code_t a, const rounding& r, std::uint64_t site) {
  operand x = load(f, a);
  if (x.is_nan()) return a;
  x.v.negative = !x.v.negative;
  if (x.is_inf()) return detail::round_infinity(f, x.v.negative);
  return detail::round_dyadic(f, x.v, r, site);
}

}  // namespace fpx
