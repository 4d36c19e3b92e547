#pragma once
// Branch-free rounding of a double into a format and decoding back, on 64-bit integers only,
// so that loops over them vectorise. Everything from_double decides per format and mode (the
// field layout, the overflow and special-value codes) is precomputed into an `encoder`; what
// the kernel cannot produce (an exception: NaN into a format without NaN, overflow under the
// `error` policy, an unused code) it reports through a flag, and the caller redoes that work on
// the reference path, which throws. Results equal from_double's bit for bit; the exhaustive
// and random tests check that.

#include <bit>
#include <cstdint>

#include "fpx/fast/detail/branchless.hpp"
#include "fpx/arith/format.hpp"

namespace fpx::kernels {

__extension__ using uint128 = unsigned __int128;
/// How one format is written from a double under one rounding rule.
struct encoder {
  bool grid = false;
  round_mode mode = round_mode::rne;
  std::uint64_t seed = 0;
  std::uint64_t random_bits = 0;  ///< stochastic: K of "stochastic:bits=K", 0 for the exact rule
  // Minifloats (sign, zero and subnormals present; 0 <= M <= 52; emin >= -1022).
  std::uint64_t mantissa_bits = 0;
  std::uint64_t emin_biased = 0;        ///< emin + 1023: double's biased exponent of min normal
  std::uint64_t exponent_offset = 0;    ///< bias - 1024 (mod 2^64): magnitude code offset
  std::uint64_t max_magnitude = 0;      ///< the largest finite magnitude code
  std::uint64_t sign_bit = 0;
  std::uint64_t negative_zero = 0;      ///< the code of -0 (+0's for fnuz)
  std::uint64_t target_cap = 0;         ///< biased binade just above the largest value
  bool hardware_rounding = false;       ///< the FPU may round (see make_encoder)
  // Grids (power-of-two scale 2^scale_exp, bits <= 50, not the binary grid).
  std::int64_t scale_exp = 0;
  std::int64_t kmin = 0, kmax = 0;
  bool twos_complement = true;
  std::uint64_t level_mask = 0;
  std::int64_t zero_point = 0;
  double inverse_scale = 1;             ///< 2^-scale_exp, used when scale_exp <= 0
  // What overflow, infinities and NaN become, per sign (index 1: negative).
  code_t overflow[2] = {0, 0};
  code_t infinity[2] = {0, 0};
  code_t nan = 0;
  // 1 where the reference path throws instead (0/1 words, for branch-free selection).
  std::uint64_t overflow_throws = 0;
  std::uint64_t infinity_throws[2] = {0, 0};
  std::uint64_t nan_throws = 0;
  // The plain kernels (encode_*_plain): set when they apply to this format and mode.
  bool plain = false;
  std::uint64_t round_increment[2] = {0, 0};  ///< minifloats: added before 52 - M bits are cut, per sign
  std::uint64_t rebias = 0;                   ///< (1023 - bias) << M: double's exponent to the format's
  std::uint64_t min_normal_bits = 0;          ///< the bits of 2^emin
  double subnormal_units = 0;                 ///< 2^(M - emin): 1 / the subnormal quantum
  double level_low = 0, level_high = 0;       ///< grids: kmin and kmax
  std::uint64_t code_offset = 0;              ///< grids: 1.5 * 2^52's bits - zero_point
  // The plain kernels that give values rather than codes (round_*_plain), as decode reads them.
  double subnormal_quantum = 0;               ///< 2^(emin - M)
  std::uint64_t max_value_bits = 0;           ///< the largest finite value's bits
  double overflow_value[2] = {0, 0};          ///< the values of overflow[0] and overflow[1]
  double scale = 1;                           ///< grids: 2^scale_exp
};

/// How codes of one format are read into doubles (every value is exactly a double).
struct decoder {
  bool grid = false;
  std::uint64_t code_bits = 0;
  // A double holds every sum (difference, product) of two values exactly: no error term.
  bool exact_sums = false, exact_products = false;
  // Minifloats whose codes, shifted left by this, are float's bit patterns (E = 8, bias 127,
  // IEEE specials, subnormals, M < 23: bf16, tf32); 0 for the others. fp32 itself would shift
  // by 0, which means none here, and keeps the general plain decoder.
  std::uint64_t float_shift = 0;
  // Minifloats.
  std::uint64_t mantissa_bits = 0;
  std::uint64_t sign_bit = 0;
  std::uint64_t exponent_shift = 0;     ///< 1023 - bias, added to the exponent field
  double subnormal_quantum = 0;         ///< 2^(emin - M)
  std::uint64_t max_magnitude = 0;      ///< larger magnitudes are Inf or NaN
  std::uint64_t infinity_magnitude = ~std::uint64_t{0};  ///< the Inf pattern's magnitude, if any
  std::uint64_t nan_code = ~std::uint64_t{0};  ///< fnuz's NaN is the -0 pattern
  // Grids.
  double scale = 1;
  std::int64_t kmin = 0, kmax = 0;
  bool twos_complement = true;
  std::uint64_t sign_extend = 0;        ///< 2^(bits-1): (code ^ s) - s sign-extends
  std::int64_t zero_point = 0;
};

/// n = sig / 2^s rounded to an integer under Mode (|x| = sig / 2^s, sig < 2^63, s >= 0); u is
/// the site's 32 random bits for stochastic rounding and k how many of them it reads (0: the
/// exact comparison), the same rule as round_to_quantum.
template <round_mode Mode>
FPX_KERNEL_INLINE std::uint64_t round_right_shift(std::uint64_t sig, std::uint64_t s, std::uint64_t negative,
                                       std::uint32_t u, std::uint64_t k) {
  // Beyond 63 the quotient is 0 and the remainder below half, as at 63.
  const std::uint64_t sc = pick(s < 63, s, 63);
  const std::uint64_t n = sig >> sc;
  const std::uint64_t rem = sig - (n << sc);
  // Twice the input against twice the midpoint (2n + 1) 2^(sc-1). No constant is shifted by a
  // variable amount: GCC 12 cannot vectorise that.
  const std::uint64_t twice = sig << 1, midpoint = ((n << 1) | 1) << sc;
  const std::uint64_t above = twice > midpoint, tie = twice == midpoint;
  const std::uint64_t inexact = rem != 0;
  if constexpr (Mode == round_mode::rne)
    return n + (above | (tie & n & 1));
  else if constexpr (Mode == round_mode::rna)
    return n + (above | tie);
  else if constexpr (Mode == round_mode::rtz)
    return n;
  else if constexpr (Mode == round_mode::up)
    return n + (inexact & (negative ^ 1));
  else if constexpr (Mode == round_mode::down)
    return n + (inexact & negative);
  else if constexpr (Mode == round_mode::rto)
    return n | inexact;
  else {
    if (!inexact) return n;
    bool up;
    if (k != 0) {
      // Up iff the top k bits of u are below F = floor(2^k sig / 2^s) - n 2^k, the k bits of the
      // fraction below the quantum (rem < 2^s, so F < 2^k).
      const std::uint64_t f = s >= k ? (s - k >= 64 ? 0 : rem >> (s - k)) : rem << (k - s);
      return n + ((u >> (32 - k)) < f);
    }
    // Up iff u / 2^32 < rem / 2^s, compared exactly.
    if (s <= 32) up = u < (rem << (32 - s));
    else if (s - 32 >= 53) up = u == 0;  // u * 2^(s-32) >= 2^53 > rem unless u = 0
    else up = (static_cast<uint128>(u) << (s - 32)) < rem;
    return n + up;
  }
}

/// Modes the FPU's rounding instructions implement (vroundpd with AVX).
template <round_mode Mode>
constexpr bool hardware_mode = Mode == round_mode::rne || Mode == round_mode::rtz ||
                               Mode == round_mode::up || Mode == round_mode::down;

// rne uses rint, which follows the FPU's current mode: the fast paths assume the default,
// round to nearest even (the error-free transformations need it too). GCC vectorises it, and
// trunc, ceil and floor, given -fno-trapping-math; it does not vectorise roundeven. Not
// nearbyint: it differs only in leaving the inexact flag alone, which nothing here reads, and
// without SSE4.1 GCC makes it a libm call where rint is a few inline instructions.

/// The integer nearest y (an exact double, y >= 0) in Mode, where `negative` is the sign of
/// the value whose magnitude y measures.
template <round_mode Mode>
FPX_KERNEL_INLINE double hardware_round_magnitude(double y, std::uint64_t negative) {
  if constexpr (Mode == round_mode::rne) return __builtin_rint(y);
  else if constexpr (Mode == round_mode::rtz) return __builtin_trunc(y);
  else if constexpr (Mode == round_mode::up) return pick(negative, __builtin_trunc(y), __builtin_ceil(y));
  else return pick(negative, __builtin_ceil(y), __builtin_trunc(y));
}

/// The integer nearest y (an exact double of either sign) in Mode.
template <round_mode Mode>
FPX_KERNEL_INLINE double hardware_round_signed(double y) {
  if constexpr (Mode == round_mode::rne) return __builtin_rint(y);
  else if constexpr (Mode == round_mode::rtz) return __builtin_trunc(y);
  else if constexpr (Mode == round_mode::up) return __builtin_ceil(y);
  else return __builtin_floor(y);
}

/// A double holding an integer below 2^51 in magnitude, as an integer (AVX2 has no conversion
/// instruction for 64-bit integers): added to 1.5 * 2^52, whose ulp is 1, it is the mantissa.
FPX_KERNEL_INLINE std::int64_t small_double_to_integer(double v) {
  return static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(v + 0x1.8p52) - 0x4338000000000000);
}

/// A double's fields, as the encoders read them.
struct double_fields {
  std::uint64_t b;         ///< the bits
  std::uint64_t negative;  ///< the sign bit
  std::uint64_t field;     ///< the biased exponent field (0x7ff: Inf or NaN)
  std::uint64_t fraction;
  std::uint64_t sig;       ///< the significand with its hidden bit: |x| = sig 2^(field_eff - 1075)
};

FPX_KERNEL_INLINE double_fields split(double x) {
  const std::uint64_t b = std::bit_cast<std::uint64_t>(x);
  const std::uint64_t field = (b >> 52) & 0x7ff;
  const std::uint64_t fraction = b & ((std::uint64_t{1} << 52) - 1);
  return {b, b >> 63, field, fraction, fraction | (static_cast<std::uint64_t>(field != 0) << 52)};
}

/// `code` for finite x; what Inf and NaN become otherwise. Flags what must throw: Inf or NaN
/// where the format's policy throws, or an overflow (`over`) under the `error` policy.
FPX_KERNEL_INLINE code_t with_specials(const encoder& e, const double_fields& d, code_t code,
                                       std::uint64_t over, std::uint64_t& reference) {
  const std::uint64_t special = d.field == 0x7ff;
  const std::uint64_t is_inf = special & (d.fraction == 0);
  const std::uint64_t inf_throws = pick(d.negative, e.infinity_throws[1], e.infinity_throws[0]);
  reference |= pick(special, pick(is_inf, inf_throws, e.nan_throws), over & e.overflow_throws);
  return pick(special, pick(is_inf, pick(d.negative, e.infinity[1], e.infinity[0]), e.nan), code);
}

/// x rounded into the encoder's minifloat; sets `reference` when only the reference path can
/// give the answer (it throws). Hardware: e.hardware_rounding, fixed outside a loop (a branch
/// inside it stops vectorisation); the FPU then rounds in the modes it has.
template <round_mode Mode, bool Hardware>
FPX_KERNEL_INLINE code_t encode_minifloat(const encoder& e, double x, std::uint32_t u, std::uint64_t& reference) {
  const double_fields d = split(x);
  const std::uint64_t field_eff = d.field | (d.field == 0);  // double subnormals share binade 1
  const std::uint64_t target = pick(field_eff > e.emin_biased, field_eff, e.emin_biased);
  std::uint64_t n;
  if constexpr (hardware_mode<Mode> && Hardware) {
    // |x| in units of the target's quantum 2^(target - 1023 - M), scaled exactly by a power of
    // two; the FPU rounds it. Beyond target_cap every value overflows, whatever n is.
    const std::uint64_t capped = pick(target < e.target_cap, target, e.target_cap);
    const double scaled = std::bit_cast<double>(d.b & 0x7fffffffffffffff) *
                          std::bit_cast<double>((2046 + e.mantissa_bits - capped) << 52);
    const double units = pick(scaled < 0x1p51, scaled, 0x1p51);  // bounded where it overflows
    n = static_cast<std::uint64_t>(small_double_to_integer(hardware_round_magnitude<Mode>(units, d.negative)));
  } else {
    n = round_right_shift<Mode>(d.sig, 52 - e.mantissa_bits + (target - field_eff), d.negative, u, e.random_bits);
  }
  // Exponent and mantissa fields side by side count up with the value, so a carry out of the
  // mantissa moves to the next binade by itself.
  const std::uint64_t magnitude = ((target + e.exponent_offset) << e.mantissa_bits) + n;
  const std::uint64_t over = magnitude > e.max_magnitude;
  const std::uint64_t sign = pick(d.negative, pick(magnitude == 0, e.negative_zero, e.sign_bit), 0);
  const code_t code = pick(over, pick(d.negative, e.overflow[1], e.overflow[0]), magnitude | sign);
  return with_specials(e, d, code, over, reference);
}

/// x rounded into the encoder's grid; Hardware as for minifloats.
template <round_mode Mode, bool Hardware>
FPX_KERNEL_INLINE code_t encode_grid(const encoder& e, double x, std::uint32_t u, std::uint64_t& reference) {
  const double_fields d = split(x);
  const std::int64_t field_eff = static_cast<std::int64_t>(d.field | (d.field == 0));
  std::int64_t level;
  std::uint64_t huge;
  if constexpr (hardware_mode<Mode> && Hardware) {
    // x / scale is exact (scale 2^-F, F >= 0); clamped just beyond the levels, it converts.
    const double y = hardware_round_signed<Mode>(x * e.inverse_scale);
    const double low = static_cast<double>(e.kmin - 1), high = static_cast<double>(e.kmax + 1);
    level = small_double_to_integer(pick(y < low, low, pick(y > high, high, y)));
    huge = 0;
  } else {
    // |x| / scale = sig * 2^-s. Below s = -10 the level is at least 2^62: beyond every grid.
    const std::int64_t s = e.scale_exp + 1075 - field_eff;
    huge = s < -10;
    const std::uint64_t left = pick((s < 0) & (huge ^ 1), static_cast<std::uint64_t>(-s), 0);
    const std::uint64_t right = pick(s > 0, static_cast<std::uint64_t>(s), 0);
    const std::uint64_t n = round_right_shift<Mode>(d.sig << left, right, d.negative, u, e.random_bits);
    level = static_cast<std::int64_t>(pick(d.negative, 0 - n, n));
  }
  const std::uint64_t over_high = (d.negative ^ 1) & (huge | (level > e.kmax));
  const std::uint64_t over_low = d.negative & (huge | (level < e.kmin));
  code_t code = pick(e.twos_complement, static_cast<std::uint64_t>(level) & e.level_mask,
                     static_cast<std::uint64_t>(level + e.zero_point));
  code = pick(over_high, e.overflow[0], pick(over_low, e.overflow[1], code));
  return with_specials(e, d, code, over_high | over_low, reference);
}

// The plain kernels: the common case in a third of the general kernels' operations. They
// apply (encoder::plain) under the FPU's modes to minifloats whose -0 and overflow codes need
// no special case, and to grids whose overflow saturates. Inputs are finite: they set
// `special` for Inf and NaN, and the caller then redoes the batch with the general kernels.

/// |x|'s bits a plus the increment below the cut (52 - M bits) that makes cutting them off
/// round in Mode (`negative`: x's sign).
template <round_mode Mode>
FPX_KERNEL_INLINE std::uint64_t with_round_increment(const encoder& e, std::uint64_t a, std::uint64_t negative) {
  if constexpr (Mode == round_mode::rne) return a + e.round_increment[0] + ((a >> (52 - e.mantissa_bits)) & 1);
  else if constexpr (Mode == round_mode::rtz) return a;
  else return a + (negative ? e.round_increment[1] : e.round_increment[0]);
}

/// What both plain minifloat kernels round: x's sign and magnitude bits, |x|'s bits with the
/// rounding increment added (normal results: cutting 52 - M bits off rounds, and a carry moves
/// into the exponent by itself), and the subnormal result in units of the subnormal quantum,
/// rounded on the FPU (|x| scaled exactly).
struct plain_minifloat_parts {
  std::uint64_t negative, a, incremented;
  double subnormal_units;
};

template <round_mode Mode>
FPX_KERNEL_INLINE plain_minifloat_parts plain_minifloat_rounding(const encoder& e, double x, std::uint64_t& special) {
  static_assert(hardware_mode<Mode>);
  const std::uint64_t b = std::bit_cast<std::uint64_t>(x);
  const std::uint64_t negative = b >> 63, a = b & 0x7fffffffffffffff;
  special |= a >= 0x7ff0000000000000;
  return {negative, a, with_round_increment<Mode>(e, a, negative),
          hardware_round_magnitude<Mode>(std::bit_cast<double>(a) * e.subnormal_units, negative)};
}

/// x rounded into a plain minifloat.
template <round_mode Mode>
FPX_KERNEL_INLINE code_t encode_minifloat_plain(const encoder& e, double x, std::uint64_t& special) {
  const auto r = plain_minifloat_rounding<Mode>(e, x, special);
  const std::uint64_t normal = (r.incremented >> (52 - e.mantissa_bits)) - e.rebias;
  const auto subnormal = static_cast<std::uint64_t>(small_double_to_integer(r.subnormal_units));
  const std::uint64_t magnitude = r.a < e.min_normal_bits ? subnormal : normal;
  const code_t overflow = r.negative ? e.overflow[1] : e.overflow[0];
  return magnitude > e.max_magnitude ? overflow : magnitude | (e.sign_bit & (0 - r.negative));
}

/// The value of encode_minifloat_plain's code as a double, without forming the code: |x| with
/// its mantissa rounded to M bits is already the value's bit pattern. One step shorter than
/// encoding and decoding, for the evaluator's chains of dependent operations.
template <round_mode Mode>
FPX_KERNEL_INLINE double round_minifloat_plain(const encoder& e, double x, std::uint64_t& special) {
  const auto r = plain_minifloat_rounding<Mode>(e, x, special);
  const std::uint64_t cut = 52 - e.mantissa_bits;
  const std::uint64_t normal = (r.incremented >> cut) << cut;
  const double subnormal = r.subnormal_units * e.subnormal_quantum;
  const std::uint64_t magnitude = r.a < e.min_normal_bits ? std::bit_cast<std::uint64_t>(subnormal) : normal;
  // pick, not overflow_value[r.negative]: an indexed load stops GCC vectorising the loops.
  return magnitude > e.max_value_bits ? pick(r.negative, e.overflow_value[1], e.overflow_value[0])
                                      : std::bit_cast<double>(magnitude | (r.negative << 63));
}

/// x's level in a plain grid: rounded on the FPU, clamped to the range (saturation).
template <round_mode Mode>
FPX_KERNEL_INLINE double plain_level(const encoder& e, double x, std::uint64_t& special) {
  static_assert(hardware_mode<Mode>);
  special |= (std::bit_cast<std::uint64_t>(x) & 0x7fffffffffffffff) >= 0x7ff0000000000000;
  double level = hardware_round_signed<Mode>(x * e.inverse_scale);
  level = level < e.level_low ? e.level_low : level;
  return level > e.level_high ? e.level_high : level;
}

/// x rounded into a plain grid.
template <round_mode Mode>
FPX_KERNEL_INLINE code_t encode_grid_plain(const encoder& e, double x, std::uint64_t& special) {
  return (std::bit_cast<std::uint64_t>(plain_level<Mode>(e, x, special) + 0x1.8p52) - e.code_offset) & e.level_mask;
}

template <round_mode Mode>
FPX_KERNEL_INLINE code_t encode(const encoder& e, double x, std::uint32_t u, std::uint64_t& reference) {
  if (e.grid)
    return e.hardware_rounding ? encode_grid<Mode, true>(e, x, u, reference) : encode_grid<Mode, false>(e, x, u, reference);
  return e.hardware_rounding ? encode_minifloat<Mode, true>(e, x, u, reference)
                             : encode_minifloat<Mode, false>(e, x, u, reference);
}

/// The value of encode_grid_plain's code as a double (a zero level is +0, as decoded).
template <round_mode Mode>
FPX_KERNEL_INLINE double round_grid_plain(const encoder& e, double x, std::uint64_t& special) {
  return (plain_level<Mode>(e, x, special) + 0.0) * e.scale;
}

/// The same with the mode read at run time, by the general kernels only.
[[gnu::noinline]] inline code_t encode_general(const encoder& e, double x, std::uint32_t u, std::uint64_t& reference) {
  switch (e.mode) {
    case round_mode::rne: return encode<round_mode::rne>(e, x, u, reference);
    case round_mode::rna: return encode<round_mode::rna>(e, x, u, reference);
    case round_mode::rtz: return encode<round_mode::rtz>(e, x, u, reference);
    case round_mode::up: return encode<round_mode::up>(e, x, u, reference);
    case round_mode::down: return encode<round_mode::down>(e, x, u, reference);
    case round_mode::rto: return encode<round_mode::rto>(e, x, u, reference);
    case round_mode::stochastic: return encode<round_mode::stochastic>(e, x, u, reference);
  }
  return 0;
}

/// One element with the mode read at run time (scalar callers, such as the evaluator's
/// innermost operations): the plain kernel inline where it applies and x is finite, the
/// general one otherwise.
FPX_KERNEL_INLINE code_t encode(const encoder& e, double x, std::uint32_t u, std::uint64_t& reference) {
  if (e.plain) {
    std::uint64_t special = 0;
    code_t code = 0;
    switch (e.mode) {
      case round_mode::rne: code = e.grid ? encode_grid_plain<round_mode::rne>(e, x, special) : encode_minifloat_plain<round_mode::rne>(e, x, special); break;
      case round_mode::rtz: code = e.grid ? encode_grid_plain<round_mode::rtz>(e, x, special) : encode_minifloat_plain<round_mode::rtz>(e, x, special); break;
      case round_mode::up: code = e.grid ? encode_grid_plain<round_mode::up>(e, x, special) : encode_minifloat_plain<round_mode::up>(e, x, special); break;
      case round_mode::down: code = e.grid ? encode_grid_plain<round_mode::down>(e, x, special) : encode_minifloat_plain<round_mode::down>(e, x, special); break;
      default: special = 1;  // plain is set only for the modes above
    }
    if (!special) return code;
  }
  return encode_general(e, x, u, reference);
}

/// An integer below 2^51 in magnitude as a double, without a conversion instruction (AVX2 has
/// none for 64-bit integers): placed in the mantissa of 1.5 * 2^52, whose ulp is 1.
FPX_KERNEL_INLINE double small_integer_to_double(std::int64_t v) {
  constexpr std::uint64_t magic = 0x4338000000000000;  // 1.5 * 2^52
  return std::bit_cast<double>(static_cast<std::uint64_t>(v) + magic) - 0x1.8p52;
}

/// The level of a grid code; sets `reference` for codes the format does not use.
FPX_KERNEL_INLINE std::int64_t grid_level(const decoder& d, code_t code, std::uint64_t& reference) {
  reference |= (code >> d.code_bits) != 0;
  const std::int64_t level = static_cast<std::int64_t>(
      pick(d.twos_complement, ((code & ((std::uint64_t{1} << d.code_bits) - 1)) ^ d.sign_extend) - d.sign_extend,
           code - static_cast<std::uint64_t>(d.zero_point)));
  reference |= (level < d.kmin) | (level > d.kmax);
  return level;
}

/// The value of a code as a double; sets `reference` for codes the format does not use.
/// Grid says whether d is a grid's: a loop fixes it outside, as a branch inside stops GCC.
template <bool Grid>
FPX_KERNEL_INLINE double decode(const decoder& d, code_t code, std::uint64_t& reference) {
  if constexpr (Grid) return small_integer_to_double(grid_level(d, code, reference)) * d.scale;
  reference |= (code >> d.code_bits) != 0;
  const std::uint64_t magnitude = code & (d.sign_bit - 1);
  const std::uint64_t field = magnitude >> d.mantissa_bits;
  const std::uint64_t mantissa = magnitude & ((std::uint64_t{1} << d.mantissa_bits) - 1);
  const double normal = std::bit_cast<double>(((field + d.exponent_shift) << 52) |
                                              (mantissa << (52 - d.mantissa_bits)));
  const double subnormal = small_integer_to_double(static_cast<std::int64_t>(mantissa)) * d.subnormal_quantum;
  const double special = pick(magnitude == d.infinity_magnitude, __builtin_inf(), __builtin_nan(""));
  const double v = pick((magnitude > d.max_magnitude) | (code == d.nan_code), special,
                        pick(field == 0, subnormal, normal));
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(v) | pick((code & d.sign_bit) != 0, 0x8000000000000000, 0));
}

/// decode for the plain loops: the value of a finite code of a minifloat in half the general
/// decoder's operations. Sets `unusual` (nonzero) for codes beyond the width and Inf or NaN
/// patterns; the caller then redoes the batch with the general loop. sign_to_top is 63 minus
/// the sign bit's position.
FPX_KERNEL_INLINE double decode_minifloat_plain(const decoder& d, std::uint64_t sign_to_top, code_t code,
                                                std::uint64_t& unusual) {
  const std::uint64_t magnitude = code & (d.sign_bit - 1);
  unusual |= (code >> d.code_bits) | static_cast<std::uint64_t>(magnitude > d.max_magnitude);
  // Exponent and mantissa fields side by side, moved into double's and rebiased.
  const double normal = std::bit_cast<double>((magnitude << (52 - d.mantissa_bits)) + (d.exponent_shift << 52));
  const double subnormal = small_integer_to_double(static_cast<std::int64_t>(magnitude)) * d.subnormal_quantum;
  const double v = magnitude >> d.mantissa_bits == 0 ? subnormal : normal;
  return std::bit_cast<double>(std::bit_cast<std::uint64_t>(v) | ((code & d.sign_bit) << sign_to_top));
}

/// decode_minifloat_plain for formats with a float_shift: the hardware converts the float.
FPX_KERNEL_INLINE double decode_float_prefix(const decoder& d, code_t code, std::uint64_t& unusual) {
  const auto bits = static_cast<std::uint32_t>(code << d.float_shift);
  unusual |= (code >> d.code_bits) | static_cast<std::uint64_t>((bits & 0x7f800000) == 0x7f800000);
  return static_cast<double>(std::bit_cast<float>(bits));
}

}  // namespace fpx::kernels
