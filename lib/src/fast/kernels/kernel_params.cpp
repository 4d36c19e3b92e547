#include "kernel_params.hpp"

#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <string>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/arith/detail/minifloat_layout.hpp"

namespace fpx::kernels {
namespace {

bool minifloat_covered(const minifloat_spec& m) {
  const detail::minifloat_layout l(m);
  return m.has_sign && m.has_zero && m.subnormals && m.mantissa_bits <= 52 && l.emin >= -1022 &&
         l.ef_max - m.bias <= 1023;
}

// log2 of a grid's scale, when it is a power of two of modest size.
std::optional<std::int64_t> scale_exponent(const format& f) {
  if (!f.is_dyadic()) return std::nullopt;
  const rational& s = f.grid()->scale;
  const auto e = static_cast<std::int64_t>(msb(numerator(s))) - static_cast<std::int64_t>(msb(denominator(s)));
  if (e < -900 || e > 900) return std::nullopt;
  return e;
}

bool grid_covered(const format& f) { return f.grid()->bits <= 50 && scale_exponent(f).has_value(); }

// What the reference path makes of an input: a code, or (nullopt) an exception.
template <class Call>
std::optional<code_t> outcome(Call call) {
  try {
    return call();
  } catch (const std::domain_error&) {
  } catch (const std::overflow_error&) {
  }
  return std::nullopt;
}

// The plain kernels' parameters, where they apply: the FPU's modes, no exception on overflow,
// and for minifloats a -0 that is the sign bit (not fnuz), for grids overflow that saturates.
void set_plain(const format& f, encoder& e) {
  const bool hardware_mode = e.mode == round_mode::rne || e.mode == round_mode::rtz ||
                             e.mode == round_mode::up || e.mode == round_mode::down;
  if (!hardware_mode || !e.hardware_rounding || e.overflow_throws) return;
  if (e.grid) {
    const auto& g = *f.grid();
    const auto code_of = [&](std::int64_t level) {
      return g.twos_complement ? static_cast<code_t>(level) & e.level_mask : static_cast<code_t>(level + g.zero_point);
    };
    e.plain = e.overflow[0] == code_of(g.kmax) && e.overflow[1] == code_of(g.kmin);
    e.level_low = static_cast<double>(g.kmin);
    e.level_high = static_cast<double>(g.kmax);
    e.code_offset = 0x4338000000000000 - static_cast<std::uint64_t>(g.zero_point);
    e.scale = std::ldexp(1.0, static_cast<int>(e.scale_exp));
    return;
  }
  e.plain = e.negative_zero == e.sign_bit;
  const std::uint64_t cut = 52 - e.mantissa_bits, below_cut = (std::uint64_t{1} << cut) - 1;
  switch (e.mode) {
    case round_mode::rne: e.round_increment[0] = e.round_increment[1] = below_cut >> 1; break;  // + the kept last bit
    case round_mode::up: e.round_increment[0] = below_cut; break;
    case round_mode::down: e.round_increment[1] = below_cut; break;
    default: break;
  }
  const detail::minifloat_layout l(*f.minifloat());
  e.rebias = static_cast<std::uint64_t>(1023 - static_cast<std::int64_t>(f.minifloat()->bias)) << e.mantissa_bits;
  e.min_normal_bits = e.emin_biased << 52;
  e.subnormal_units = std::ldexp(1.0, static_cast<int>(l.M - l.emin));
  e.subnormal_quantum = std::ldexp(1.0, static_cast<int>(l.emin - l.M));
  // Values exactly as the decoder reads the codes (a NaN's bits included).
  const decoder d = *make_decoder(f);
  std::uint64_t unused = 0;
  e.max_value_bits = std::bit_cast<std::uint64_t>(decode<false>(d, e.max_magnitude, unused));
  for (int negative = 0; negative < 2; ++negative) e.overflow_value[negative] = decode<false>(d, e.overflow[negative], unused);
}

}  // namespace

std::optional<encoder> make_encoder(const format& f, const rounding& r) {
  check_rule(r);
  encoder e;
  e.mode = r.mode;
  e.seed = r.seed;
  e.random_bits = r.mode == round_mode::stochastic ? r.random_bits : 0;
  if (const auto* m = f.minifloat()) {
    if (!minifloat_covered(*m)) return std::nullopt;
    const detail::minifloat_layout l(*m);
    e.mantissa_bits = static_cast<std::uint64_t>(l.M);
    e.emin_biased = static_cast<std::uint64_t>(l.emin + 1023);
    e.exponent_offset = static_cast<std::uint64_t>(static_cast<std::int64_t>(m->bias) - 1024);
    e.max_magnitude = max_code(f, false);
    e.sign_bit = code_t{1} << l.sign_shift;
    e.negative_zero = zero_code(f, true);
    e.target_cap = static_cast<std::uint64_t>(l.ef_max - m->bias + 1023 + 1);
    // The FPU path needs rounded magnitudes n <= 2^(M+1) below 2^51 (small_double_to_integer)
    // and quanta that are normal powers of two.
    e.hardware_rounding = l.M <= 49 && l.emin - l.M >= -1000 && l.ef_max - m->bias <= 1000;
  } else {
    if (!grid_covered(f)) return std::nullopt;
    const auto& g = *f.grid();
    e.grid = true;
    e.scale_exp = *scale_exponent(f);
    e.kmin = g.kmin;
    e.kmax = g.kmax;
    e.twos_complement = g.twos_complement;
    e.level_mask = (code_t{1} << g.bits) - 1;
    e.zero_point = g.zero_point;
    // Scales 2^-F, F >= 0 (fixed point, integer grids): x * 2^F is exact.
    e.hardware_rounding = e.scale_exp <= 0;
    e.inverse_scale = std::ldexp(1.0, static_cast<int>(-e.scale_exp));
  }
  // Far beyond the range, every mode overflows.
  const rational beyond = 4 * (abs(max_value(f)) + abs(lowest_value(f))) + 1;
  constexpr double inf = std::numeric_limits<double>::infinity();
  for (int negative = 0; negative < 2; ++negative) {
    const auto over = outcome([&] { return from_rational(f, negative ? rational(-beyond) : beyond, r); });
    e.overflow_throws = e.overflow_throws || !over;
    e.overflow[negative] = over.value_or(0);
    const auto infinity = outcome([&] { return from_double(f, negative ? -inf : inf, r); });
    e.infinity_throws[negative] = !infinity;
    e.infinity[negative] = infinity.value_or(0);
  }
  const auto nan = outcome([&] { return from_double(f, std::numeric_limits<double>::quiet_NaN(), r); });
  e.nan_throws = !nan;
  e.nan = nan.value_or(0);
  set_plain(f, e);
  return e;
}

std::optional<decoder> make_decoder(const format& f) {
  decoder d;
  d.code_bits = static_cast<std::uint64_t>(f.bits());
  if (const auto* m = f.minifloat()) {
    if (!minifloat_covered(*m)) return std::nullopt;
    const detail::minifloat_layout l(*m);
    d.mantissa_bits = static_cast<std::uint64_t>(l.M);
    d.sign_bit = code_t{1} << l.sign_shift;
    d.exponent_shift = static_cast<std::uint64_t>(1023 - static_cast<std::int64_t>(m->bias));
    d.subnormal_quantum = std::ldexp(1.0, static_cast<int>(l.emin - l.M));
    d.max_magnitude = max_code(f, false);
    if (f.has_inf()) d.infinity_magnitude = inf_code(f, false);
    if (m->specials == special_values::fnuz) d.nan_code = d.sign_bit;
    // Values are multiples of 2^(emin - M) below 2^(emax + 1); their sums lie below 2^(emax + 2).
    // Exponents stay inside double's normal range (double_arithmetic_is_exact).
    d.exact_sums = (l.ef_max - m->bias + 2) - (l.emin - l.M) <= 53;
    d.exact_products = 2 * (l.M + 1) <= 53;
    if (m->exponent_bits == 8 && m->bias == 127 && m->specials == special_values::ieee && m->subnormals &&
        m->has_sign && m->has_zero && l.M < 23)
      d.float_shift = static_cast<std::uint64_t>(23 - l.M);
    return d;
  }
  if (!grid_covered(f)) return std::nullopt;
  const auto& g = *f.grid();
  d.grid = true;
  d.scale = std::ldexp(1.0, static_cast<int>(*scale_exponent(f)));
  d.kmin = g.kmin;
  d.kmax = g.kmax;
  d.twos_complement = g.twos_complement;
  d.sign_extend = std::uint64_t{1} << (g.bits - 1);
  d.zero_point = g.zero_point;
  // Levels below 2^bits in magnitude, bits <= 50 (grid_covered).
  d.exact_sums = true;
  d.exact_products = 2 * g.bits <= 53;
  return d;
}

namespace {

std::string cache_key(const format& f, std::string_view mode) {
  return f.name() + "|" + std::string(to_string(f.overflow())) + "|" + std::string(mode);
}

}  // namespace

std::shared_ptr<const encoder> shared_encoder(const format& f, const rounding& r) {
  check_rule(r);  // before the cache: a rule no name gives has no key
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const encoder>> cache;  // null: not covered
  std::shared_ptr<const encoder> e;
  {
    const std::lock_guard lock(mutex);
    const auto [it, added] = cache.try_emplace(cache_key(f, rounding_name(r)));
    if (added)
      if (auto made = make_encoder(f, {r.mode, 0, r.random_bits})) it->second = std::make_shared<const encoder>(*made);
    e = it->second;
  }
  if (!e || e->seed == r.seed) return e;
  auto seeded = std::make_shared<encoder>(*e);
  seeded->seed = r.seed;
  return seeded;
}

std::shared_ptr<const decoder> shared_decoder(const format& f) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const decoder>> cache;
  const std::lock_guard lock(mutex);
  const auto [it, added] = cache.try_emplace(cache_key(f, ""));
  if (added)
    if (auto made = make_decoder(f)) it->second = std::make_shared<const decoder>(*made);
  return it->second;
}

bool double_arithmetic_is_exact(const format& f) {
  if (const auto* m = f.minifloat()) {
    if (!minifloat_covered(*m)) return false;
    const detail::minifloat_layout l(*m);
    return l.M <= 49 && l.emin - l.M >= -500 && l.ef_max - m->bias <= 499;
  }
  if (!grid_covered(f)) return false;
  const std::int64_t e = *scale_exponent(f);
  return e >= -240 && e <= 240;
}

}  // namespace fpx::kernels
