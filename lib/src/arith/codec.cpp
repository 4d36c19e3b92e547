#include "fpx/arith/codec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <stdexcept>

#include "fpx/arith/detail/dyadic.hpp"
#include "fpx/arith/detail/minifloat_layout.hpp"

namespace fpx {
namespace {

struct fields {
  bool sign;
  std::int64_t ef;
  std::uint64_t mant;
};

fields split(const minifloat_spec& m, code_t code) {
  const detail::minifloat_layout l(m);
  return {m.has_sign && ((code >> l.sign_shift) & 1) != 0,
          static_cast<std::int64_t>((code >> m.mantissa_bits) & static_cast<std::uint64_t>(l.ef_all_ones)),
          code & l.mant_all_ones};
}

void check_width(const format& f, code_t code) {
  if (f.bits() < 64 && (code >> f.bits()) != 0)
    throw std::invalid_argument(fmt::format("code {:#x} is wider than format {} ({} bits)", code,
                                            f.name(), f.bits()));
}

// Level of a grid code, or nullopt for an unused pattern.
std::optional<std::int64_t> grid_level(const grid_spec& g, code_t code) {
  std::int64_t k;
  if (g.binary) {
    k = code ? 1 : -1;
  } else if (g.twos_complement) {
    const unsigned unused = 64 - g.bits;
    k = static_cast<std::int64_t>(code << unused) >> unused;  // sign-extend
  } else {
    k = static_cast<std::int64_t>(code) - g.zero_point;
  }
  if (k < g.kmin || k > g.kmax) return std::nullopt;
  return k;
}

}  // namespace

std::int64_t detail::checked_level(const format& f, code_t code) {
  check_width(f, code);
  auto k = grid_level(*f.grid(), code);
  if (!k) throw std::invalid_argument(fmt::format("code {:#x} is not used by format {}", code, f.name()));
  return *k;
}

bool is_valid_code(const format& f, code_t code) {
  if (f.bits() < 64 && (code >> f.bits()) != 0) return false;
  if (const auto* g = f.grid()) return grid_level(*g, code).has_value();
  const auto& m = *f.minifloat();
  const auto [sign, ef, mant] = split(m, code);
  // Patterns flushed to zero when subnormals are off are not produced by encoding.
  return !(m.has_zero && !m.subnormals && ef == 0 && mant != 0);
}

number_class classify(const format& f, code_t code) {
  check_width(f, code);
  if (f.grid()) return detail::checked_level(f, code) == 0 ? number_class::zero : number_class::normal;
  const auto& m = *f.minifloat();
  const detail::minifloat_layout l(m);
  const auto [sign, ef, mant] = split(m, code);
  switch (m.specials) {
    case special_values::ieee:
      if (ef == l.ef_all_ones) return mant == 0 ? number_class::infinite : number_class::nan;
      break;
    case special_values::fn:
      if (ef == l.ef_all_ones && mant == l.mant_all_ones) return number_class::nan;
      break;
    case special_values::fnuz:
      if (sign && ef == 0 && mant == 0) return number_class::nan;
      break;
    case special_values::finite:
      break;
  }
  if (ef == 0 && m.has_zero) {
    if (mant == 0 || !m.subnormals) return number_class::zero;
    return number_class::subnormal;
  }
  return number_class::normal;
}

bool is_negative(const format& f, code_t code) {
  check_width(f, code);
  if (f.grid()) return detail::checked_level(f, code) < 0;
  return split(*f.minifloat(), code).sign;
}

rational to_rational(const format& f, code_t code) {
  if (const auto* g = f.grid()) return g->scale * detail::checked_level(f, code);
  const auto d = detail::decode_dyadic(f, code);
  rational r = rational(d.mag) * pow2(d.exp);
  return d.negative ? -r : r;
}

double to_double(const format& f, code_t code) {
  static const format binary64 = preset("fp64");
  const number_class c = classify(f, code);
  code_t bits;
  if (c == number_class::nan) {
    bits = nan_code(binary64);
  } else if (c == number_class::infinite) {
    bits = inf_code(binary64, is_negative(f, code));
  } else if (f.is_dyadic()) {
    bits = detail::round_dyadic(binary64, detail::decode_dyadic(f, code), {}, 0);
  } else {
    bits = detail::round_rational(binary64, to_rational(f, code), {}, 0);
  }
  return std::bit_cast<double>(bits);
}

code_t nan_code(const format& f) {
  const auto* m = f.minifloat();
  if (!f.has_nan())
    throw std::domain_error("format " + f.name() + " has no NaN");
  const detail::minifloat_layout l(*m);
  switch (m->specials) {
    case special_values::ieee:  // quiet NaN: top mantissa bit set
      return (static_cast<code_t>(l.ef_all_ones) << l.M) | (code_t{1} << (l.M - 1));
    case special_values::fn:
      return (static_cast<code_t>(l.ef_all_ones) << l.M) | l.mant_all_ones;
    default:  // fnuz: the negative-zero pattern
      return code_t{1} << l.sign_shift;
  }
}

code_t inf_code(const format& f, bool negative) {
  if (!f.has_inf()) throw std::domain_error("format " + f.name() + " has no infinity");
  const detail::minifloat_layout l(*f.minifloat());
  return (code_t{negative} << l.sign_shift) | (static_cast<code_t>(l.ef_all_ones) << l.M);
}

code_t max_code(const format& f, bool negative) {
  if (const auto* g = f.grid()) return detail::grid_code(*g, negative ? g->kmin : g->kmax);
  const auto& m = *f.minifloat();
  const detail::minifloat_layout l(m);
  if (negative && !m.has_sign)
    return m.has_zero ? 0 : (static_cast<code_t>(l.ef_min_normal) << l.M);
  return (code_t{negative} << l.sign_shift) | (static_cast<code_t>(l.ef_max) << l.M) | l.mant_max;
}

code_t zero_code(const format& f, bool negative) {
  if (const auto* g = f.grid()) {
    if (g->kmin > 0 || g->kmax < 0 || g->binary)
      throw std::domain_error("format " + f.name() + " has no zero");
    return detail::grid_code(*g, 0);
  }
  const auto& m = *f.minifloat();
  if (!m.has_zero) throw std::domain_error("format " + f.name() + " has no zero");
  return f.has_negative_zero() && negative ? code_t{1} << detail::minifloat_layout(m).sign_shift : 0;
}

std::vector<code_t> finite_codes(const format& f) {
  if (f.bits() > 24)
    throw std::invalid_argument("finite_codes: format " + f.name() + " has more than 2^24 codes");
  std::vector<std::pair<rational, code_t>> values;
  for (code_t c = 0; c < (code_t{1} << f.bits()); ++c) {
    if (!is_valid_code(f, c)) continue;
    const auto cls = classify(f, c);
    if (cls == number_class::nan || cls == number_class::infinite) continue;
    if (cls == number_class::zero && is_negative(f, c)) continue;
    values.emplace_back(to_rational(f, c), c);
  }
  std::sort(values.begin(), values.end());
  std::vector<code_t> codes;
  codes.reserve(values.size());
  for (const auto& v : values) codes.push_back(v.second);
  return codes;
}

namespace detail {
code_t grid_code(const grid_spec& g, std::int64_t level) {
  if (g.binary) return level > 0 ? 1 : 0;
  if (g.twos_complement)
    return g.bits == 64 ? static_cast<code_t>(level)
                        : static_cast<code_t>(level) & ((code_t{1} << g.bits) - 1);
  return static_cast<code_t>(level + g.zero_point);
}
}  // namespace detail

}  // namespace fpx
