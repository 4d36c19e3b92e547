#include "oracle.hpp"

#include <gmp.h>
#include <mpfr.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace oracle {
namespace {

using fpx::bigint;
using fpx::pow2;

int compare(const rational& v, const rational& x) { return v < x ? -1 : (x < v ? 1 : 0); }

// --- the textbook decoder --------------------------------------------------------------

struct mf {  // minifloat fields, re-derived from the spec
  const fpx::minifloat_spec& s;
  std::uint64_t exp_ones() const { return (std::uint64_t{1} << s.exponent_bits) - 1; }
  std::uint64_t man_ones() const { return (std::uint64_t{1} << s.mantissa_bits) - 1; }
  bool sign(code_t c) const { return s.has_sign && ((c >> (s.exponent_bits + s.mantissa_bits)) & 1); }
  std::uint64_t e(code_t c) const { return (c >> s.mantissa_bits) & exp_ones(); }
  std::uint64_t m(code_t c) const { return c & man_ones(); }
};

bool minifloat_is_nan(const fpx::minifloat_spec& s, code_t c) {
  mf f{s};
  switch (s.specials) {
    case fpx::special_values::ieee: return f.e(c) == f.exp_ones() && f.m(c) != 0;
    case fpx::special_values::fn: return f.e(c) == f.exp_ones() && f.m(c) == f.man_ones();
    case fpx::special_values::fnuz: return f.sign(c) && f.e(c) == 0 && f.m(c) == 0;
    default: return false;
  }
}

bool minifloat_is_inf(const fpx::minifloat_spec& s, code_t c) {
  mf f{s};
  return s.specials == fpx::special_values::ieee && f.e(c) == f.exp_ones() && f.m(c) == 0;
}

std::optional<rational> minifloat_value(const fpx::minifloat_spec& s, code_t c) {
  if (minifloat_is_nan(s, c) || minifloat_is_inf(s, c)) return std::nullopt;
  mf f{s};
  rational v;
  const long long e = static_cast<long long>(f.e(c));
  if (s.has_zero && e == 0) {
    if (!s.subnormals && f.m(c) != 0) return std::nullopt;  // unused pattern
    v = rational(f.m(c)) * pow2(1 - s.bias - s.mantissa_bits);
  } else {
    v = (1 + rational(f.m(c)) / pow2(s.mantissa_bits).convert_to<bigint>()) * pow2(e - s.bias);
  }
  return f.sign(c) ? rational(-v) : v;
}

std::optional<long long> grid_level(const fpx::grid_spec& g, code_t c) {
  long long k;
  if (g.binary) k = c == 0 ? -1 : 1;
  else if (g.twos_complement) k = c >= (code_t{1} << (g.bits - 1)) ? static_cast<long long>(c) - (1ll << g.bits) : static_cast<long long>(c);
  else k = static_cast<long long>(c) - g.zero_point;
  if (k < g.kmin || k > g.kmax) return std::nullopt;
  return k;
}

code_t level_code(const fpx::grid_spec& g, long long k) {
  if (g.binary) return k > 0 ? 1 : 0;
  if (g.twos_complement) return static_cast<code_t>(k) & ((g.bits == 64 ? ~code_t{0} : (code_t{1} << g.bits) - 1));
  return static_cast<code_t>(k + g.zero_point);
}

// --- neighbours ------------------------------------------------------------------------

// Candidates around x: lo <= x <= hi, with codes (nullopt = outside the format's range).
struct bracket {
  rational lo, hi;
  std::optional<code_t> lo_code, hi_code;
};

// Largest index i in [first, last] with value(i) <= bound, by binary search (value monotone).
template <class Value>
std::optional<long long> last_at_most(long long first, long long last, Value value,
                                      const real& x) {
  if (x.compare(value(first)) > 0) return std::nullopt;  // value(first) > x
  while (first < last) {
    const long long mid = first + (last - first + 1) / 2;
    if (x.compare(value(mid)) <= 0) first = mid;
    else last = mid - 1;
  }
  return first;
}

code_t minifloat_code(const fpx::minifloat_spec& s, bool negative, code_t magnitude_code) {
  return magnitude_code | (code_t{negative} << (s.exponent_bits + s.mantissa_bits));
}

// The values of the nonnegative codes 0..max (unused, flushed patterns read as 0), computed
// once per format; the binary search below reads this table instead of decoding.
const std::vector<rational>& magnitudes(const fpx::minifloat_spec& s) {
  static std::mutex guard;
  static std::map<std::tuple<int, int, int, int, bool, bool, bool>, std::vector<rational>> cache;
  const auto key = std::make_tuple(s.exponent_bits, s.mantissa_bits, s.bias,
                                   static_cast<int>(s.specials), s.subnormals, s.has_sign, s.has_zero);
  std::lock_guard lock(guard);
  auto& table = cache[key];
  if (table.empty()) {
    code_t top = (code_t{1} << (s.exponent_bits + s.mantissa_bits)) - 1;
    while (!minifloat_value(s, top) && top > 0) --top;  // the largest finite pattern
    for (code_t c = 0; c <= top; ++c) {
      auto v = minifloat_value(s, c);
      table.push_back(v ? *v : rational(0));
    }
  }
  return table;
}

code_t minifloat_max_code(const fpx::minifloat_spec& s) { return magnitudes(s).size() - 1; }

// Neighbours of |x| among a minifloat's nonnegative values, mirrored for negative x.
bracket minifloat_bracket(const fpx::minifloat_spec& s, const real& x, bool negative) {
  const auto& table = magnitudes(s);
  const code_t top = table.size() - 1;
  auto value = [&](long long c) -> const rational& { return table[static_cast<std::size_t>(c)]; };
  // Work on |x| via a mirrored comparison.
  real mag = x;
  if (negative) mag.compare = [&x](const rational& v) { return -x.compare(-v); };
  const auto i = last_at_most(0, static_cast<long long>(top), value, mag);
  bracket b;
  if (!i) {  // below the smallest value of a zero-less format: the gap (0, min)
    b.lo = 0;
    b.hi = value(0);
    b.hi_code = 0;
  } else {
    code_t c = static_cast<code_t>(*i);
    while (c > 0 && table[c] == 0) --c;  // a flushed pattern stands for zero, code 0
    b.lo = value(static_cast<long long>(c));
    b.lo_code = c;
    if (c == top) {
      // One quantum beyond the maximum, continuing its binade.
      const long long e = static_cast<long long>(c >> s.mantissa_bits);
      b.hi = b.lo + pow2(e - s.bias - s.mantissa_bits);
    } else {
      code_t n = c + 1;
      while (table[n] == table[c]) ++n;  // skip flushed patterns
      b.hi = value(static_cast<long long>(n));
      b.hi_code = n;
    }
  }
  if (negative) {
    bracket m;
    m.lo = -b.hi;
    m.hi = -b.lo;
    if (b.hi_code) m.lo_code = minifloat_code(s, true, *b.hi_code);
    if (b.lo_code) m.hi_code = minifloat_code(s, true, *b.lo_code);
    return m;
  }
  return b;
}

bracket grid_bracket(const fpx::grid_spec& g, const real& x) {
  auto value = [&](long long k) { return g.scale * k; };
  const auto k = last_at_most(g.kmin, g.kmax, value, x);
  bracket b;
  if (!k) {
    b.hi = value(g.kmin);
    b.hi_code = level_code(g, g.kmin);
    b.lo = value(g.kmin) - g.scale;
  } else {
    b.lo = value(*k);
    b.lo_code = level_code(g, *k);
    b.hi = value(*k) + g.scale;
    if (*k < g.kmax) b.hi_code = level_code(g, *k + 1);
  }
  return b;
}

// --- special results ------------------------------------------------------------------

expected nan_result(const fpx::format& f) {
  if (!f.has_nan()) return {true, 0};
  const auto& s = *f.minifloat();
  mf m{s};
  switch (s.specials) {
    case fpx::special_values::ieee:
      return {false, (m.exp_ones() << s.mantissa_bits) | (code_t{1} << (s.mantissa_bits - 1))};
    case fpx::special_values::fn: return {false, (m.exp_ones() << s.mantissa_bits) | m.man_ones()};
    default: return {false, code_t{1} << (s.exponent_bits + s.mantissa_bits)};
  }
}

expected max_result(const fpx::format& f, bool negative) {
  if (const auto* g = f.grid()) return {false, level_code(*g, negative ? g->kmin : g->kmax)};
  const auto& s = *f.minifloat();
  if (negative && !s.has_sign) return {false, 0};  // lowest value: code 0 (zero or min)
  return {false, minifloat_code(s, negative, minifloat_max_code(s))};
}

expected overflow(const fpx::format& f, bool negative, fpx::round_mode mode) {
  using fpx::overflow_policy;
  using fpx::round_mode;
  switch (f.overflow()) {
    case overflow_policy::saturate: return max_result(f, negative);
    case overflow_policy::error: return {true, 0};
    case overflow_policy::nan: return nan_result(f);
    case overflow_policy::inf: {
      const bool toward_zero = mode == round_mode::rtz || mode == round_mode::rto ||
                               (mode == round_mode::up && negative) ||
                               (mode == round_mode::down && !negative);
      if (toward_zero) return max_result(f, negative);
      const auto& s = *f.minifloat();
      return {false, minifloat_code(s, negative, mf{s}.exp_ones() << s.mantissa_bits)};
    }
  }
  return {true, 0};
}

expected below_range(const fpx::format& f) {
  if (f.overflow() == fpx::overflow_policy::saturate) return max_result(f, true);
  if (f.overflow() == fpx::overflow_policy::error) return {true, 0};
  return nan_result(f);
}

expected zero_result(const fpx::format& f, bool negative) {
  if (const auto* g = f.grid()) return {false, level_code(*g, 0)};
  const auto& s = *f.minifloat();
  if (!s.has_zero) return below_range(f);
  const bool keep_sign = negative && s.has_sign && s.specials != fpx::special_values::fnuz;
  return {false, minifloat_code(s, keep_sign, 0)};
}

// --- the decision between two neighbours ----------------------------------------------

// Stochastic rounding of x between T (the neighbour the draw measures from) and A, by the
// definitions in rounding.hpp, with u the site's 32 random bits read as u / 2^32 in [0, 1):
// exact rule, A iff the point T + (A - T) u / 2^32 lies strictly before x as seen from T;
// K random bits, only the top K bits uK of u are read, and A iff T + (A - T) (uK + 1) / 2^K lies
// at or before x (that is uK < floor(2^K f) for the fraction f of the step from T to x).
bool stochastic_chooses_A(const rational& T, const rational& A, const real& x, const fpx::rounding& r,
                          std::uint64_t site) {
  const std::uint32_t u = fpx::stochastic_bits(r.seed, site);
  const int k = static_cast<int>(r.random_bits);
  const rational w = k == 0 ? T + (A - T) * rational(u) / pow2(32)
                            : T + (A - T) * rational((u >> (32 - k)) + std::uint64_t{1}) / pow2(k);
  const int c = x.compare(w);  // sign(w - x)
  if (k == 0) return A > T ? c < 0 : c > 0;
  return A > T ? c <= 0 : c >= 0;
}

// Picks lo or hi for x in [lo, hi] (true = hi), following the definitions of each mode.
bool choose_hi(const bracket& b, const real& x, const fpx::rounding& r, std::uint64_t site) {
  using fpx::round_mode;
  // T: the neighbour of smaller magnitude; A: the other one.
  const bool hi_is_toward_zero = b.hi <= 0;
  const rational& T = hi_is_toward_zero ? b.hi : b.lo;
  const rational& A = hi_is_toward_zero ? b.lo : b.hi;
  const rational step = abs(A - T);
  const rational nT = abs(T) / step;  // T's significand at the common quantum
  if (denominator(nT) != 1) throw std::logic_error("oracle: neighbours off the quantum grid");
  const bool T_even = (numerator(nT) & 1) == 0;
  const int at_mid = x.compare((b.lo + b.hi) / 2);  // sign(mid - x)
  const bool x_below_mid = at_mid > 0;
  switch (r.mode) {
    case round_mode::rne:
      if (at_mid == 0) return (T_even ? T : A) == b.hi;
      return !x_below_mid;
    case round_mode::rna:
      if (at_mid == 0) return A == b.hi;
      return !x_below_mid;
    case round_mode::rtz: return T == b.hi;
    case round_mode::up: return true;
    case round_mode::down: return false;
    case round_mode::rto: return (T_even ? A : T) == b.hi;
    case round_mode::stochastic: return stochastic_chooses_A(T, A, x, r, site) ? A == b.hi : T == b.hi;
  }
  return false;
}

expected round_binary(const fpx::format& f, const real& x, const fpx::rounding& r,
                      std::uint64_t site) {
  // Definition: v = (x/s + 1)/2 rounded to a code in {0, 1} with ties to 1; beyond, overflow.
  const auto& g = *f.grid();
  const rational s = g.scale;
  if (x.compare(-3 * s) >= 0) return overflow(f, true, r.mode);  // -3s >= x: v <= -1/2 side
  if (x.compare(3 * s) <= 0) return overflow(f, false, r.mode);
  bracket b;
  if (x.compare(-s) >= 0) {  // x <= -s
    b = {-3 * s, -s, std::nullopt, 0};
  } else if (x.compare(s) > 0) {  // -s < x < s
    b = {-s, s, 0, 1};
  } else {
    b = {s, 3 * s, 1, std::nullopt};
  }
  if (x.compare(b.lo) == 0) return {false, *b.lo_code};
  if (x.compare(b.hi) == 0) return {false, *b.hi_code};
  bool hi;
  if (r.mode == fpx::round_mode::rne || r.mode == fpx::round_mode::rna) {
    const int at_mid = x.compare((b.lo + b.hi) / 2);
    hi = at_mid <= 0;  // ties go up (to +s at 0; toward the overflow side beyond)
    if (at_mid == 0 && b.lo < 0 && b.hi < 0) hi = false;  // tie at -2s goes away from zero
  } else if (r.mode == fpx::round_mode::stochastic) {
    // v = (x/s + 1)/2 is rounded by magnitude: from the neighbour nearer v = 0, that is -s
    // (b.hi below -s, b.lo from -s up).
    const bool from_hi = b.hi < 0;
    const bool away = stochastic_chooses_A(from_hi ? b.hi : b.lo, from_hi ? b.lo : b.hi, x, r, site);
    hi = from_hi != away;
  } else {
    hi = r.mode == fpx::round_mode::up;
  }
  const auto& code = hi ? b.hi_code : b.lo_code;
  if (!code) return overflow(f, !hi, r.mode);
  return {false, *code};
}

}  // namespace

std::optional<rational> decode(const fpx::format& f, code_t code) {
  if (f.bits() < 64 && (code >> f.bits()) != 0) return std::nullopt;
  if (const auto* g = f.grid()) {
    auto k = grid_level(*g, code);
    if (!k) return std::nullopt;
    return g->scale * *k;
  }
  return minifloat_value(*f.minifloat(), code);
}

bool decode_is_nan(const fpx::format& f, code_t code) {
  return f.minifloat() && minifloat_is_nan(*f.minifloat(), code);
}

real from_rational(const rational& x) {
  real r;
  r.is_zero = x == 0;
  r.negative = x < 0;
  r.compare = [x](const rational& v) { return compare(v, x); };
  return r;
}

real nan() {
  real r;
  r.kind = real::nan;
  return r;
}

real infinity(bool negative) {
  real r;
  r.kind = real::inf;
  r.negative = negative;
  return r;
}

expected round(const fpx::format& f, const real& x, const fpx::rounding& r, std::uint64_t site) {
  if (x.kind == real::nan) return nan_result(f);
  if (x.kind == real::inf) {
    if (f.has_inf()) return overflow(f.with_overflow(fpx::overflow_policy::inf), x.negative, fpx::round_mode::rne);
    if (x.negative && !f.is_signed()) return below_range(f);
    return overflow(f, x.negative, fpx::round_mode::rne);
  }
  const auto* g = f.grid();
  if (g && g->binary) {  // no zero: 0 is the tie between -s and +s
    if (r.mode == fpx::round_mode::rtz || r.mode == fpx::round_mode::rto) return {true, 0};
    return round_binary(f, x, r, site);
  }
  if (x.is_zero) return zero_result(f, x.negative);
  const bool negative = x.compare(0) > 0;
  bracket b;
  if (g) {
    b = grid_bracket(*g, x);
  } else {
    // Unsigned minifloats round as if signed; a negative nonzero result is below the range.
    b = minifloat_bracket(*f.minifloat(), x, negative);
  }
  rational v;
  std::optional<code_t> code;
  if (x.compare(b.lo) == 0) {
    v = b.lo;
    code = b.lo_code;
  } else if (x.compare(b.hi) == 0) {
    v = b.hi;
    code = b.hi_code;
  } else if (x.compare(b.hi) < 0 || x.compare(b.lo) > 0) {
    // At least one quantum past the extreme value: overflow in every mode.
    v = x.compare(b.hi) < 0 ? b.hi : b.lo;
  } else {
    const bool hi = choose_hi(b, x, r, site);
    v = hi ? b.hi : b.lo;
    code = hi ? b.hi_code : b.lo_code;
  }
  if (v == 0) return zero_result(f, negative);
  if (!g && negative && !f.minifloat()->has_sign) return below_range(f);
  if (!code) return overflow(f, v < 0, r.mode);
  return {false, *code};
}

// --- exact operations -----------------------------------------------------------------

namespace {

struct operand {
  real::kind_t kind;
  bool negative;
  rational v;
};

operand read(const fpx::format& f, code_t c) {
  if (decode_is_nan(f, c)) return {real::nan, false, 0};
  if (auto v = decode(f, c)) {
    const bool neg = *v < 0 || (*v == 0 && f.minifloat() && mf{*f.minifloat()}.sign(c));
    return {real::finite, neg, *v};
  }
  return {real::inf, mf{*f.minifloat()}.sign(c), 0};
}

real exact_sum(const operand& a, const operand& b, fpx::round_mode mode) {
  if (a.kind == real::nan || b.kind == real::nan) return nan();
  if (a.kind == real::inf && b.kind == real::inf) return a.negative == b.negative ? infinity(a.negative) : nan();
  if (a.kind == real::inf) return infinity(a.negative);
  if (b.kind == real::inf) return infinity(b.negative);
  real r = from_rational(a.v + b.v);
  if (r.is_zero)
    r.negative = (a.negative == b.negative) ? a.negative : mode == fpx::round_mode::down;
  return r;
}

operand product(const operand& a, const operand& b) {
  const bool neg = a.negative != b.negative;
  if (a.kind == real::nan || b.kind == real::nan) return {real::nan, false, 0};
  if (a.kind == real::inf || b.kind == real::inf) {
    if ((a.kind == real::finite && a.v == 0) || (b.kind == real::finite && b.v == 0))
      return {real::nan, false, 0};
    return {real::inf, neg, 0};
  }
  return {real::finite, neg, a.v * b.v};
}

real as_real(const operand& o) {
  if (o.kind == real::nan) return nan();
  if (o.kind == real::inf) return infinity(o.negative);
  real r = from_rational(o.v);
  r.negative = o.negative;
  return r;
}

rational mpfr_to_rational(mpfr_t x) {
  mpz_t z;
  mpz_init(z);
  const long e = mpfr_get_z_2exp(z, x);
  std::vector<char> text(mpz_sizeinbase(z, 10) + 2);
  mpz_get_str(text.data(), 10, z);
  mpz_clear(z);
  return rational(bigint(text.data())) * pow2(e);
}

// A transcendental f(x) known through ever tighter MPFR enclosures [down, up].
real enclosed(const rational& x, int (*fn)(mpfr_ptr, mpfr_srcptr, mpfr_rnd_t)) {
  real r;
  r.compare = [x, fn](const rational& v) {
    for (long precision = 64; precision <= 1 << 16; precision *= 2) {
      mpfr_t in, lo, hi;
      mpfr_inits2(precision, lo, hi, static_cast<mpfr_ptr>(nullptr));
      // x is dyadic: set it exactly with enough precision.
      const bigint den = denominator(x);
      const long shift = static_cast<long>(msb(den));
      mpfr_init2(in, std::max<long>(2, static_cast<long>(msb(bigint(abs(numerator(x)) | 1))) + 2));
      mpfr_set_str(in, numerator(x).str().c_str(), 10, MPFR_RNDN);
      mpfr_div_2si(in, in, shift, MPFR_RNDN);
      fn(lo, in, MPFR_RNDD);
      fn(hi, in, MPFR_RNDU);
      const rational a = mpfr_to_rational(lo), b = mpfr_to_rational(hi);
      mpfr_clears(in, lo, hi, static_cast<mpfr_ptr>(nullptr));
      if (v < a) return -1;
      if (v > b) return 1;
    }
    throw std::logic_error("oracle: enclosure did not separate (is the result rational?)");
  };
  return r;
}

}  // namespace

real op_add(const fpx::format& f, code_t a, code_t b, fpx::round_mode mode) {
  return exact_sum(read(f, a), read(f, b), mode);
}

real op_sub(const fpx::format& f, code_t a, code_t b, fpx::round_mode mode) {
  operand nb = read(f, b);
  nb.negative = !nb.negative;
  nb.v = -nb.v;
  return exact_sum(read(f, a), nb, mode);
}

real op_mul(const fpx::format& f, code_t a, code_t b) { return as_real(product(read(f, a), read(f, b))); }

real op_fma(const fpx::format& f, code_t a, code_t b, code_t c, fpx::round_mode mode) {
  return exact_sum(product(read(f, a), read(f, b)), read(f, c), mode);
}

real op_div(const fpx::format& f, code_t a, code_t b) {
  const operand x = read(f, a), y = read(f, b);
  const bool neg = x.negative != y.negative;
  if (x.kind == real::nan || y.kind == real::nan) return nan();
  if (x.kind == real::inf) return y.kind == real::inf ? nan() : infinity(neg);
  if (y.kind == real::inf) {
    real z = from_rational(0);
    z.negative = neg;
    return z;
  }
  if (y.v == 0) return x.v == 0 ? nan() : infinity(neg);
  real r = from_rational(x.v / y.v);
  r.negative = neg;
  return r;
}

real op_reciprocal(const fpx::format& f, code_t a) {
  const operand x = read(f, a);
  if (x.kind == real::nan) return nan();
  if (x.kind == real::inf) {
    real z = from_rational(0);
    z.negative = x.negative;
    return z;
  }
  if (x.v == 0) return infinity(x.negative);
  return from_rational(1 / x.v);
}

real op_sqrt(const fpx::format& f, code_t a) {
  const operand x = read(f, a);
  if (x.kind == real::nan || (x.negative && !(x.kind == real::finite && x.v == 0))) return nan();
  if (x.kind == real::inf) return infinity(false);
  if (x.v == 0) return as_real(x);
  real r;
  const rational v2 = x.v;
  r.compare = [v2](const rational& v) { return v < 0 ? -1 : compare(v * v, v2); };
  return r;
}

real op_exp(const fpx::format& f, code_t a) {
  const operand x = read(f, a);
  if (x.kind == real::nan) return nan();
  if (x.kind == real::inf) return x.negative ? from_rational(0) : infinity(false);
  if (x.v == 0) return from_rational(1);
  if (abs(x.v) >= pow2(28)) {  // far outside every format: beyond max, or a tiny positive
    real r;
    r.compare = [neg = x.negative](const rational& v) {
      if (neg) return v <= 0 ? -1 : 1;  // exp(x) is smaller than every positive candidate
      return -1;
    };
    return r;
  }
  return enclosed(x.v, mpfr_exp);
}

real op_log(const fpx::format& f, code_t a) {
  const operand x = read(f, a);
  if (x.kind == real::nan) return nan();
  if (x.kind == real::finite && x.v == 0) return infinity(true);
  if (x.negative) return nan();
  if (x.kind == real::inf) return infinity(false);
  if (x.v == 1) return from_rational(0);
  return enclosed(x.v, mpfr_log);
}

}  // namespace oracle
