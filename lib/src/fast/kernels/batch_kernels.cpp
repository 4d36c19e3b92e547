// Compiled twice: as part of the library (baseline ISA, namespace `baseline`) and with
// -mavx2 -mfma (namespace `avx2`). The loops are written so that GCC vectorises them: no
// branches on data, no calls, the parameters copied to locals so stores cannot alias them.
#include "batch_kernels.hpp"

#include <bit>
#include <type_traits>

#ifdef __AVX2__
#include <immintrin.h>
#endif

#ifndef FPX_KERNEL_ISA
#define FPX_KERNEL_ISA baseline
#endif
#define FPX_STRINGIFY_(x) #x
#define FPX_STRINGIFY(x) FPX_STRINGIFY_(x)

namespace fpx::kernels::FPX_KERNEL_ISA {
namespace {

// Calls body.template operator()<Mode>() with the mode as a compile-time constant.
template <class Body>
bool with_mode(round_mode mode, Body body) {
  switch (mode) {
    case round_mode::rne: return body.template operator()<round_mode::rne>();
    case round_mode::rna: return body.template operator()<round_mode::rna>();
    case round_mode::rtz: return body.template operator()<round_mode::rtz>();
    case round_mode::up: return body.template operator()<round_mode::up>();
    case round_mode::down: return body.template operator()<round_mode::down>();
    case round_mode::rto: return body.template operator()<round_mode::rto>();
    case round_mode::stochastic: return body.template operator()<round_mode::stochastic>();
  }
  return true;
}

template <class Body>
bool with_op(binary_op op, Body body) {
  switch (op) {
    case binary_op::add: return body.template operator()<binary_op::add>();
    case binary_op::sub: return body.template operator()<binary_op::sub>();
    case binary_op::mul: return body.template operator()<binary_op::mul>();
    case binary_op::div: return body.template operator()<binary_op::div>();
  }
  return true;
}

// x rounded by the plain kernels; false when every input was finite (otherwise the general
// loop redoes the batch).
template <round_mode Mode, bool Grid, class Input>
bool plain_encode_loop(const encoder& e, const Input* x, code_t* out, std::size_t n) {
  std::uint64_t special = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    if constexpr (Grid) out[i] = encode_grid_plain<Mode>(e, v, special);
    else out[i] = encode_minifloat_plain<Mode>(e, v, special);
  }
  return special != 0;
}

template <round_mode Mode, bool Grid, bool Hardware, class Input>
bool encode_loop(const encoder& params, const Input* x, code_t* out, std::size_t n,
                 std::uint64_t first_site) {
  const encoder e = params;
  if constexpr (hardware_mode<Mode> && Hardware)
    if (e.plain && !plain_encode_loop<Mode, Grid>(e, x, out, n)) return false;
  std::uint64_t reference = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t u = 0;
    if constexpr (Mode == round_mode::stochastic) u = stochastic_bits(e.seed, first_site + i);
    const double v = static_cast<double>(x[i]);
    if constexpr (Grid) out[i] = encode_grid<Mode, Hardware>(e, v, u, reference);
    else out[i] = encode_minifloat<Mode, Hardware>(e, v, u, reference);
  }
  return reference != 0;
}

// Calls body.template operator()<Grid, Hardware>() with e's kind as compile-time constants.
template <class Body>
bool with_kind(const encoder& e, Body body) {
  if (e.grid)
    return e.hardware_rounding ? body.template operator()<true, true>() : body.template operator()<true, false>();
  return e.hardware_rounding ? body.template operator()<false, true>() : body.template operator()<false, false>();
}

template <class Input>
bool encode_any(const encoder& e, const Input* x, code_t* out, std::size_t n, std::uint64_t first_site) {
  return with_mode(e.mode, [&]<round_mode Mode>() {
    return with_kind(e, [&]<bool Grid, bool Hardware>() {
      return encode_loop<Mode, Grid, Hardware>(e, x, out, n, first_site);
    });
  });
}

bool encode_doubles(const encoder& e, const double* x, code_t* out, std::size_t n, std::uint64_t first_site) {
  return encode_any(e, x, out, n, first_site);
}

bool encode_floats(const encoder& e, const float* x, code_t* out, std::size_t n, std::uint64_t first_site) {
  return encode_any(e, x, out, n, first_site);
}

enum class operands { grid, minifloat, float_prefix };

// The same with the plain kernels' decoding (minifloats) and rounding, and with no error term
// where the double result is Exact; true when some element needs the general loop.
template <round_mode Mode, binary_op Op, operands Operands, bool Exact>
bool plain_arithmetic_loop(const decoder& d, const encoder& e, const code_t* a, const code_t* b,
                           code_t* out, std::size_t n) {
  constexpr bool Grid = Operands == operands::grid;
  std::uint64_t unusual = 0, special = 0;  // operands, results the general loop must redo
  const std::uint64_t sign_to_top = Grid ? 0 : 63 - static_cast<std::uint64_t>(std::countr_zero(d.sign_bit));
  for (std::size_t i = 0; i < n; ++i) {
    double x, y;
    if constexpr (Grid) {
      x = decode<true>(d, a[i], unusual);
      y = decode<true>(d, b[i], unusual);
    } else if constexpr (Operands == operands::float_prefix) {
      x = decode_float_prefix(d, a[i], unusual);
      y = decode_float_prefix(d, b[i], unusual);
    } else {
      x = decode_minifloat_plain(d, sign_to_top, a[i], unusual);
      y = decode_minifloat_plain(d, sign_to_top, b[i], unusual);
    }
    const double exact = exact_to_odd<Op, Mode, Exact>(x, y);
    if constexpr (Grid) out[i] = encode_grid_plain<Mode>(e, exact, special);
    else out[i] = encode_minifloat_plain<Mode>(e, exact, special);
  }
  return (unusual | special) != 0;
}

template <round_mode Mode, binary_op Op, bool Grid, bool Hardware>
bool arithmetic_loop(const decoder& in, const encoder& out_format, const code_t* a, const code_t* b,
                     code_t* out, std::size_t n) {
  const decoder d = in;
  const encoder e = out_format;
  if constexpr (hardware_mode<Mode> && Hardware)
    if (e.plain) {
      bool exact = false;
      if constexpr (Op == binary_op::add || Op == binary_op::sub) exact = d.exact_sums;
      if constexpr (Op == binary_op::mul) exact = d.exact_products;
      auto loop = [&]<operands Operands>() {
        return exact ? plain_arithmetic_loop<Mode, Op, Operands, true>(d, e, a, b, out, n)
                     : plain_arithmetic_loop<Mode, Op, Operands, false>(d, e, a, b, out, n);
      };
      if (!(Grid               ? loop.template operator()<operands::grid>()
            : d.float_shift != 0 ? loop.template operator()<operands::float_prefix>()
                               : loop.template operator()<operands::minifloat>()))
        return false;
    }
  std::uint64_t reference = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = decode<Grid>(d, a[i], reference);
    const double y = decode<Grid>(d, b[i], reference);
    const double exact = exact_to_odd<Op, Mode>(x, y);
    if constexpr (Grid) out[i] = encode_grid<Mode, Hardware>(e, exact, 0, reference);
    else out[i] = encode_minifloat<Mode, Hardware>(e, exact, 0, reference);
  }
  return reference != 0;
}

// Operands and result in one format (fast_arith's case).
bool arithmetic(binary_op op, const decoder& in, const encoder& out_format, const code_t* a,
                const code_t* b, code_t* out, std::size_t n) {
  if (out_format.mode == round_mode::stochastic || in.grid != out_format.grid) return true;
  return with_mode(out_format.mode, [&]<round_mode Mode>() {
    return with_op(op, [&]<binary_op Op>() {
      return with_kind(out_format, [&]<bool Grid, bool Hardware>() {
        return arithmetic_loop<Mode, Op, Grid, Hardware>(in, out_format, a, b, out, n);
      });
    });
  });
}

// The integer loop for saturating grids under the FPU's modes (encoder::plain). A product is
// one widening 32 x 32-bit multiply, offset by 2^62 so that it is non-negative, and rounded by
// adding an increment below the cut before shifting it out. True when some operand is an
// unused code (the general loop then redoes the batch): beyond the width, or below kmin where
// the grid is symmetric (CheckLow).
template <round_mode Mode, binary_op Op, bool CheckLow>
bool plain_integer_loop(const decoder& d, const encoder& e, const code_t* a, const code_t* b,
                        code_t* out, std::size_t n) {
  static_assert(hardware_mode<Mode>);
  const std::uint64_t cut = static_cast<std::uint64_t>(-e.scale_exp);
  const std::uint64_t below_cut = (std::uint64_t{1} << cut) - 1;
  const std::uint64_t half = below_cut >> 1, last_bit = cut != 0;  // rne: half, + the kept last bit
  constexpr std::uint64_t offset = std::uint64_t{1} << 62;
  const std::int64_t offset_levels = static_cast<std::int64_t>(offset >> cut);
  const std::int64_t low = e.kmin, high = e.kmax;
  const std::uint64_t s = d.sign_extend;
  std::uint64_t codes = 0, unused_level = 0;
  std::size_t i = 0;
#ifdef __AVX2__
  // GCC vectorises the multiply below with a dozen shuffles around vpmuldq; written out, the
  // loop runs on the sign-extended 64-bit lanes as they are.
  if constexpr (Op == binary_op::mul) {
    const __m256i sign = _mm256_set1_epi64x(static_cast<std::int64_t>(s));
    const __m256i low_level = _mm256_set1_epi64x(low), high_level = _mm256_set1_epi64x(high);
    const __m256i offset_v = _mm256_set1_epi64x(static_cast<std::int64_t>(offset));
    const __m256i offset_levels_v = _mm256_set1_epi64x(offset_levels);
    const __m256i below_cut_v = _mm256_set1_epi64x(static_cast<std::int64_t>(below_cut));
    const __m256i half_v = _mm256_set1_epi64x(static_cast<std::int64_t>(half));
    const __m256i last_bit_v = _mm256_set1_epi64x(static_cast<std::int64_t>(last_bit));
    const __m256i mask = _mm256_set1_epi64x(static_cast<std::int64_t>(e.level_mask));
    const __m128i shift = _mm_cvtsi64_si128(static_cast<std::int64_t>(cut));
    __m256i codes_v = _mm256_setzero_si256(), unused_v = _mm256_setzero_si256();
    for (; i + 4 <= n; i += 4) {
      const __m256i ca = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
      const __m256i cb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i));
      codes_v = _mm256_or_si256(codes_v, _mm256_or_si256(ca, cb));
      const __m256i x = _mm256_sub_epi64(_mm256_xor_si256(ca, sign), sign);
      const __m256i y = _mm256_sub_epi64(_mm256_xor_si256(cb, sign), sign);
      if constexpr (CheckLow)
        unused_v = _mm256_or_si256(unused_v, _mm256_or_si256(_mm256_cmpgt_epi64(low_level, x),
                                                             _mm256_cmpgt_epi64(low_level, y)));
      const __m256i p = _mm256_mul_epi32(x, y);  // the low 32 bits of each lane, signed
      const __m256i shifted = _mm256_add_epi64(p, offset_v);
      __m256i increment;
      if constexpr (Mode == round_mode::rne)
        increment = _mm256_add_epi64(half_v, _mm256_and_si256(_mm256_srl_epi64(shifted, shift), last_bit_v));
      else if constexpr (Mode == round_mode::rtz)
        increment = _mm256_and_si256(_mm256_cmpgt_epi64(_mm256_setzero_si256(), p), below_cut_v);
      else if constexpr (Mode == round_mode::up)
        increment = below_cut_v;
      else
        increment = _mm256_setzero_si256();
      __m256i k = _mm256_sub_epi64(_mm256_srl_epi64(_mm256_add_epi64(shifted, increment), shift), offset_levels_v);
      k = _mm256_blendv_epi8(k, low_level, _mm256_cmpgt_epi64(low_level, k));
      k = _mm256_blendv_epi8(k, high_level, _mm256_cmpgt_epi64(k, high_level));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_and_si256(k, mask));
    }
    alignas(32) std::uint64_t lanes[2][4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[0]), codes_v);
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes[1]), unused_v);
    for (int l = 0; l < 4; ++l) {
      codes |= lanes[0][l];
      unused_level |= lanes[1][l];
    }
  }
#endif
  for (; i < n; ++i) {
    codes |= a[i] | b[i];
    const auto x = static_cast<std::int64_t>((a[i] ^ s) - s), y = static_cast<std::int64_t>((b[i] ^ s) - s);
    if constexpr (CheckLow) unused_level |= (x < low) | (y < low);  // int8's -128
    std::int64_t k;
    if constexpr (Op == binary_op::add) {
      k = x + y;
    } else if constexpr (Op == binary_op::sub) {
      k = x - y;
    } else {
      const std::int64_t p = static_cast<std::int64_t>(static_cast<std::int32_t>(x)) * static_cast<std::int32_t>(y);
      const std::uint64_t shifted = static_cast<std::uint64_t>(p) + offset;
      std::uint64_t increment;
      if constexpr (Mode == round_mode::rne) increment = half + ((shifted >> cut) & last_bit);
      else if constexpr (Mode == round_mode::rtz) increment = p < 0 ? below_cut : 0;
      else if constexpr (Mode == round_mode::up) increment = below_cut;
      else increment = 0;
      k = static_cast<std::int64_t>((shifted + increment) >> cut) - offset_levels;
    }
    k = k < low ? low : k;
    k = k > high ? high : k;
    out[i] = static_cast<std::uint64_t>(k) & e.level_mask;
  }
  return ((codes >> d.code_bits) | unused_level) != 0;
}

template <round_mode Mode, binary_op Op>
bool integer_loop(const decoder& in, const encoder& out_format, const code_t* a, const code_t* b,
                  code_t* out, std::size_t n) {
  const decoder d = in;
  const encoder e = out_format;
  const std::uint64_t fraction_bits = static_cast<std::uint64_t>(-e.scale_exp);
  if constexpr (hardware_mode<Mode>)
    if (e.plain && fraction_bits <= 32) {
      const bool symmetric = e.kmin != -static_cast<std::int64_t>(d.sign_extend);
      if (!(symmetric ? plain_integer_loop<Mode, Op, true>(d, e, a, b, out, n)
                      : plain_integer_loop<Mode, Op, false>(d, e, a, b, out, n)))
        return false;
    }
  std::uint64_t reference = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t x = grid_level(d, a[i], reference);
    const std::int64_t y = grid_level(d, b[i], reference);
    std::int64_t k;
    if constexpr (Op == binary_op::add) {
      k = x + y;
    } else if constexpr (Op == binary_op::sub) {
      k = x - y;
    } else {
      // The product of two levels of 2^-F is a level of 2^-2F: shift F bits out, rounding.
      const std::int64_t p = x * y;
      const std::uint64_t negative = p < 0;
      const std::uint64_t m = round_right_shift<Mode>(
          static_cast<std::uint64_t>(negative ? -p : p), fraction_bits, negative, 0, 0);
      k = negative ? -static_cast<std::int64_t>(m) : static_cast<std::int64_t>(m);
    }
    const std::uint64_t high = k > e.kmax, low = k < e.kmin;
    const code_t code = static_cast<std::uint64_t>(k) & e.level_mask;
    out[i] = high ? e.overflow[0] : (low ? e.overflow[1] : code);
    reference |= (high | low) & e.overflow_throws;
  }
  return reference != 0;
}

bool integer(binary_op op, const decoder& in, const encoder& out_format, const code_t* a,
             const code_t* b, code_t* out, std::size_t n) {
  if (op == binary_op::div || out_format.mode == round_mode::stochastic) return true;
  return with_mode(out_format.mode, [&]<round_mode Mode>() {
    return with_op(op, [&]<binary_op Op>() {
      if constexpr (Op == binary_op::div) return true;
      else return integer_loop<Mode, Op>(in, out_format, a, b, out, n);
    });
  });
}

struct lookup_bits {
  std::uint64_t operands = 0, entries = 0;  // every operand code and every entry, or-ed
};

// out[i] = table[a[i] << 8 | b[i]], the index masked so that any code stays inside the table;
// the caller tests the codes and entries once, after the loop. One pass: separate check passes
// cost more, as the three arrays do not fit in L1 together. The lookups themselves are scalar
// (AVX2's gathers are no faster); with AVX2, four code_t indices at a time come from vector
// loads and shifts, about 6 instructions an element instead of 11. Codes in bytes (Code =
// uint8_t) cannot leave the table and move 3 bytes an element instead of 24.
template <class Entry, class Code>
lookup_bits lookup_loop(const Entry* table, const Code* a, const Code* b, Code* out, std::size_t n) {
  lookup_bits seen;
  std::size_t i = 0;
#ifdef __AVX2__
  if constexpr (std::is_same_v<Code, code_t>) {
    __m256i operands = _mm256_setzero_si256();
    const __m256i index_mask = _mm256_set1_epi64x(0xffff);
    for (; i + 4 <= n; i += 4) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i));
      const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + i));
      operands = _mm256_or_si256(operands, _mm256_or_si256(x, y));
      const __m256i index = _mm256_and_si256(_mm256_or_si256(_mm256_slli_epi64(x, 8), y), index_mask);
      const __m128i low = _mm256_castsi256_si128(index), high = _mm256_extracti128_si256(index, 1);
      const Entry t0 = table[_mm_cvtsi128_si64(low)], t1 = table[_mm_extract_epi64(low, 1)];
      const Entry t2 = table[_mm_cvtsi128_si64(high)], t3 = table[_mm_extract_epi64(high, 1)];
      seen.entries |= (t0 | t1) | (t2 | t3);
      out[i] = t0;
      out[i + 1] = t1;
      out[i + 2] = t2;
      out[i + 3] = t3;
    }
    alignas(32) std::uint64_t lanes[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), operands);
    seen.operands = lanes[0] | lanes[1] | lanes[2] | lanes[3];
  }
#endif
#pragma GCC unroll 4  // the whole loop in the baseline build or for bytes, the last elements with AVX2
  for (; i < n; ++i) {
    const code_t x = a[i], y = b[i];
    seen.operands |= x | y;
    const Entry t = table[((x << 8) | y) & 0xffff];
    seen.entries |= t;
    out[i] = static_cast<Code>(t);  // a marked entry's bits are lost in a byte: the batch is redone
  }
  return seen;
}

bool lookup(const std::uint16_t* table, const code_t* a, const code_t* b, code_t* out, std::size_t n) {
  const lookup_bits seen = lookup_loop(table, a, b, out, n);
  return (seen.operands >> 8) != 0 || (seen.entries >> 15) != 0;
}

// Without marks to collect, and half the table's bytes in cache.
bool lookup_unmarked(const std::uint8_t* table, int code_bits, const code_t* a, const code_t* b,
                     code_t* out, std::size_t n) {
  return (lookup_loop(table, a, b, out, n).operands >> code_bits) != 0;
}

// Codes in bytes: every index is inside the table, so the codes are tested in a pass of their
// own (32 to a vector; the three arrays of a batch fit in L1), leaving the lookup loop only
// its loads and stores. 1.5-1.8 G/s against 1.15 G/s for one pass that does both.
std::uint8_t bytes_or(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) {
  std::uint8_t seen = 0;
  for (std::size_t i = 0; i < n; ++i) seen |= a[i] | b[i];
  return seen;
}

// A marked table marks every pair with a code the format lacks, so the entries' marks say all.
bool lookup_bytes(const std::uint16_t* table, const std::uint8_t* a, const std::uint8_t* b, std::uint8_t* out,
                  std::size_t n) {
  return (lookup_loop(table, a, b, out, n).entries >> 15) != 0;
}

bool lookup_unmarked_bytes(const std::uint8_t* table, int code_bits, const std::uint8_t* a,
                           const std::uint8_t* b, std::uint8_t* out, std::size_t n) {
  if (code_bits < 8 && (bytes_or(a, b, n) >> code_bits) != 0) return true;
#pragma GCC unroll 8
  for (std::size_t i = 0; i < n; ++i) out[i] = table[(unsigned{a[i]} << 8) | b[i]];
  return false;
}

// Codes to values. Minifloats whose every code below the width is finite or an Inf/NaN pattern
// above the largest magnitude (not fnuz, whose NaN is the -0 pattern) take the plain decoder
// first; a batch with a special or unused code is redone by the general one, which flags what
// the format does not use.
template <bool Grid>
bool decode_loop(const decoder& params, const code_t* codes, double* out, std::size_t n) {
  const decoder d = params;
  if constexpr (!Grid) {
    if (d.nan_code == ~std::uint64_t{0}) {
      std::uint64_t unusual = 0;
      if (d.float_shift != 0) {
        for (std::size_t i = 0; i < n; ++i) out[i] = decode_float_prefix(d, codes[i], unusual);
      } else {
        const std::uint64_t sign_to_top = 63 - static_cast<std::uint64_t>(std::countr_zero(d.sign_bit));
        for (std::size_t i = 0; i < n; ++i) out[i] = decode_minifloat_plain(d, sign_to_top, codes[i], unusual);
      }
      if (unusual == 0) return false;
    }
  }
  std::uint64_t reference = 0;
  for (std::size_t i = 0; i < n; ++i) out[i] = decode<Grid>(d, codes[i], reference);
  return reference != 0;
}

bool decode_codes(const decoder& d, const code_t* codes, double* out, std::size_t n) {
  return d.grid ? decode_loop<true>(d, codes, out, n) : decode_loop<false>(d, codes, out, n);
}

// Doubles to the values they round to: the plain kernels' values where they apply (finite
// inputs), else encoding and decoding in one loop.
template <round_mode Mode, bool Grid, bool Hardware>
bool round_values_loop(const encoder& params, const decoder& decoder_params, const double* x, double* out,
                       std::size_t n, std::uint64_t first_site) {
  const encoder e = params;
  const decoder d = decoder_params;
  if constexpr (hardware_mode<Mode> && Hardware)
    if (e.plain) {
      std::uint64_t special = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if constexpr (Grid) out[i] = round_grid_plain<Mode>(e, x[i], special);
        else out[i] = round_minifloat_plain<Mode>(e, x[i], special);
      }
      if (special == 0) return false;
    }
  std::uint64_t reference = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t u = 0;
    if constexpr (Mode == round_mode::stochastic) u = stochastic_bits(e.seed, first_site + i);
    code_t code;
    if constexpr (Grid) code = encode_grid<Mode, Hardware>(e, x[i], u, reference);
    else code = encode_minifloat<Mode, Hardware>(e, x[i], u, reference);
    out[i] = decode<Grid>(d, code, reference);
  }
  return reference != 0;
}

bool round_values(const encoder& e, const decoder& d, const double* x, double* out, std::size_t n,
                  std::uint64_t first_site) {
  return with_mode(e.mode, [&]<round_mode Mode>() {
    return with_kind(e, [&]<bool Grid, bool Hardware>() {
      return round_values_loop<Mode, Grid, Hardware>(e, d, x, out, n, first_site);
    });
  });
}

// x is a value exactly when rounding it toward zero and reading the code back gives x (NaN
// for NaN). The plain kernels first, for finite inputs; the general loop otherwise.
template <bool Grid, bool Hardware>
bool exact_codes_loop(const encoder& params, const decoder& decoder_params, const double* x, code_t* out,
                      std::size_t n) {
  const encoder e = params;
  const decoder d = decoder_params;
  if constexpr (Hardware)
    if (e.plain) {
      std::uint64_t unusual = 0;
      const std::uint64_t sign_to_top = Grid ? 0 : 63 - static_cast<std::uint64_t>(std::countr_zero(d.sign_bit));
      for (std::size_t i = 0; i < n; ++i) {
        code_t code;
        double v;
        if constexpr (Grid) {
          code = encode_grid_plain<round_mode::rtz>(e, x[i], unusual);
          v = decode<true>(d, code, unusual);
        } else {
          code = encode_minifloat_plain<round_mode::rtz>(e, x[i], unusual);
          v = decode_minifloat_plain(d, sign_to_top, code, unusual);
        }
        unusual |= static_cast<std::uint64_t>(v != x[i]);
        out[i] = code;
      }
      if (unusual == 0) return false;
    }
  std::uint64_t reference = 0;
  for (std::size_t i = 0; i < n; ++i) {
    code_t code;
    if constexpr (Grid) code = encode_grid<round_mode::rtz, Hardware>(e, x[i], 0, reference);
    else code = encode_minifloat<round_mode::rtz, Hardware>(e, x[i], 0, reference);
    const double v = decode<Grid>(d, code, reference);
    reference |= static_cast<std::uint64_t>(v != x[i]) & static_cast<std::uint64_t>((v == v) | (x[i] == x[i]));
    out[i] = code;
  }
  return reference != 0;
}

bool exact_codes(const encoder& e, const decoder& d, const double* x, code_t* out, std::size_t n) {
  if (e.mode != round_mode::rtz) return true;
  return with_kind(e, [&]<bool Grid, bool Hardware>() { return exact_codes_loop<Grid, Hardware>(e, d, x, out, n); });
}

// Arithmetic on values held in doubles, on the plain kernels: each operand is checked to be a
// value (not_a_value), the exact result (rounded to odd where a double cannot hold it) is
// rounded once.
template <round_mode Mode, bool Grid>
FPX_KERNEL_INLINE double round_plain_value(const encoder& e, double x, std::uint64_t& special) {
  if constexpr (Grid) return round_grid_plain<Mode>(e, x, special);
  else return round_minifloat_plain<Mode>(e, x, special);
}

// 1 when x is not a finite value of a plain format (whose encoder `e` is), 0 when it is: for
// minifloats no bits below the quantum of x's binade (in the subnormal range, x a whole number
// of subnormal quanta) and |x| at most the largest value; for grids an integer level within the
// range. `below_cut` is 2^(52 - M) - 1 (minifloats), computed outside the loop. NaN and the
// infinities are not values here.
template <bool Grid>
FPX_KERNEL_INLINE std::uint64_t not_a_value(const encoder& e, double x, std::uint64_t below_cut) {
  if constexpr (Grid) {
    const double level = x * e.inverse_scale;  // exact: the scale is 2^-F, F >= 0 (hardware_rounding)
    return static_cast<std::uint64_t>(level != __builtin_rint(level)) |
           static_cast<std::uint64_t>(!(level >= e.level_low && level <= e.level_high));
  } else {
    const std::uint64_t magnitude = std::bit_cast<std::uint64_t>(x) & 0x7fffffffffffffff;
    const double units = std::bit_cast<double>(magnitude) * e.subnormal_units;  // exact below min normal
    const std::uint64_t subnormal_off = units != __builtin_rint(units);
    const std::uint64_t normal_off = (magnitude & below_cut) != 0;
    return pick(magnitude < e.min_normal_bits, subnormal_off, normal_off) |
           static_cast<std::uint64_t>(magnitude > e.max_value_bits);
  }
}

template <round_mode Mode, binary_op Op, bool Grid, bool Exact>
bool plain_value_loop(const encoder& params, const double* a, const double* b, double* out, std::size_t n) {
  const encoder e = params;
  const std::uint64_t below_cut = Grid ? 0 : (std::uint64_t{1} << (52 - e.mantissa_bits)) - 1;
  std::uint64_t special = 0, unequal = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = a[i], y = b[i];
    unequal |= not_a_value<Grid>(e, x, below_cut) | not_a_value<Grid>(e, y, below_cut);
    out[i] = round_plain_value<Mode, Grid>(e, exact_to_odd<Op, Mode, Exact>(x, y), special);
  }
  return (special | unequal) != 0;
}

template <class Body>
bool with_plain_mode(round_mode mode, Body body) {
  switch (mode) {
    case round_mode::rne: return body.template operator()<round_mode::rne>();
    case round_mode::rtz: return body.template operator()<round_mode::rtz>();
    case round_mode::up: return body.template operator()<round_mode::up>();
    case round_mode::down: return body.template operator()<round_mode::down>();
    default: return true;  // no plain kernels
  }
}

bool value_arithmetic(binary_op op, const encoder& e, const decoder& d, const double* a, const double* b,
                      double* out, std::size_t n) {
  if (!e.plain || !e.hardware_rounding || e.grid != d.grid) return true;
  return with_plain_mode(e.mode, [&]<round_mode Mode>() {
    return with_op(op, [&]<binary_op Op>() {
      bool exact = false;
      if constexpr (Op == binary_op::add || Op == binary_op::sub) exact = d.exact_sums;
      if constexpr (Op == binary_op::mul) exact = d.exact_products;
      auto loop = [&]<bool Grid>() {
        return exact ? plain_value_loop<Mode, Op, Grid, true>(e, a, b, out, n)
                     : plain_value_loop<Mode, Op, Grid, false>(e, a, b, out, n);
      };
      return e.grid ? loop.template operator()<true>() : loop.template operator()<false>();
    });
  });
}

template <round_mode Mode, bool Grid>
bool plain_value_fma_loop(const encoder& params, const double* a, const double* b, const double* c, double* out,
                          std::size_t n) {
  const encoder e = params;
  const std::uint64_t below_cut = Grid ? 0 : (std::uint64_t{1} << (52 - e.mantissa_bits)) - 1;
  std::uint64_t special = 0, unequal = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = a[i], y = b[i], z = c[i];
    unequal |= not_a_value<Grid>(e, x, below_cut) | not_a_value<Grid>(e, y, below_cut) |
               not_a_value<Grid>(e, z, below_cut);
    out[i] = round_plain_value<Mode, Grid>(e, exact_to_odd<binary_op::add, Mode>(x * y, z), special);  // x * y exact
  }
  return (special | unequal) != 0;
}

bool value_fma(const encoder& e, const decoder& d, const double* a, const double* b, const double* c, double* out,
               std::size_t n) {
  if (!e.plain || !e.hardware_rounding || e.grid != d.grid || !d.exact_products) return true;
  return with_plain_mode(e.mode, [&]<round_mode Mode>() {
    return e.grid ? plain_value_fma_loop<Mode, true>(e, a, b, c, out, n)
                  : plain_value_fma_loop<Mode, false>(e, a, b, c, out, n);
  });
}

// sqrt of positive values only: a zero or negative operand sends the batch to the general path.
template <round_mode Mode, bool Grid>
bool plain_value_sqrt_loop(const encoder& params, const double* a, double* out, std::size_t n) {
  const encoder e = params;
  const std::uint64_t below_cut = Grid ? 0 : (std::uint64_t{1} << (52 - e.mantissa_bits)) - 1;
  std::uint64_t special = 0, unequal = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = a[i];
    unequal |= not_a_value<Grid>(e, x, below_cut) | static_cast<std::uint64_t>(!(x > 0));
    out[i] = round_plain_value<Mode, Grid>(e, sqrt_to_odd(pick(x > 0, x, 1.0)), special);
  }
  return (special | unequal) != 0;
}

bool value_sqrt(const encoder& e, const double* a, double* out, std::size_t n) {
  if (!e.plain || !e.hardware_rounding) return true;
  return with_plain_mode(e.mode, [&]<round_mode Mode>() {
    return e.grid ? plain_value_sqrt_loop<Mode, true>(e, a, out, n) : plain_value_sqrt_loop<Mode, false>(e, a, out, n);
  });
}

}  // namespace

extern const batch kernels;
const batch kernels{FPX_STRINGIFY(FPX_KERNEL_ISA), encode_doubles, encode_floats, arithmetic, integer, lookup,
                    lookup_unmarked, lookup_bytes, lookup_unmarked_bytes, decode_codes, round_values,
                    exact_codes, value_arithmetic, value_fma, value_sqrt};

}  // namespace fpx::kernels::FPX_KERNEL_ISA
