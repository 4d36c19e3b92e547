#pragma once
// The loops behind fpx's fast paths, compiled once for the baseline instruction set and once
// more with AVX2 and FMA (batch_kernels.cpp twice); best_batch() picks the one the CPU runs.
// Every function returns true when some element needs the reference path: the caller then
// redoes the batch there, which gives the same codes and throws where an operation must.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fpx/fast/detail/codec_kernel.hpp"
#include "fpx/fast/detail/exact_double.hpp"

namespace fpx::kernels {

struct batch {
  std::string_view isa;
  /// out[i] = x[i] rounded into e's format (stochastic site first_site + i).
  bool (*encode_doubles)(const encoder& e, const double* x, code_t* out, std::size_t n,
                         std::uint64_t first_site);
  bool (*encode_floats)(const encoder& e, const float* x, code_t* out, std::size_t n,
                        std::uint64_t first_site);
  /// out[i] = op(a[i], b[i]) through doubles, in one format (deterministic modes only).
  bool (*arithmetic)(binary_op op, const decoder& in, const encoder& out_format, const code_t* a,
                     const code_t* b, code_t* out, std::size_t n);
  /// The same on levels of a two's complement grid of at most 32 bits and scale 2^-F, F >= 0
  /// (add, sub, mul).
  bool (*integer)(binary_op op, const decoder& in, const encoder& out_format, const code_t* a,
                  const code_t* b, code_t* out, std::size_t n);
  /// out[i] = table[a[i] << 8 | b[i]] (a 256 x 256 table); entries with bit 15 set, and
  /// codes of more than 8 bits, need the reference path.
  bool (*lookup)(const std::uint16_t* table, const code_t* a, const code_t* b, code_t* out,
                 std::size_t n);
  /// The same from a table of 8-bit entries none of which needs the reference path, where
  /// every code of code_bits bits is valid: only longer codes need it.
  bool (*lookup_unmarked)(const std::uint8_t* table, int code_bits, const code_t* a,
                          const code_t* b, code_t* out, std::size_t n);
  /// lookup and lookup_unmarked on codes stored in bytes.
  bool (*lookup_bytes)(const std::uint16_t* table, const std::uint8_t* a, const std::uint8_t* b,
                       std::uint8_t* out, std::size_t n);
  bool (*lookup_unmarked_bytes)(const std::uint8_t* table, int code_bits, const std::uint8_t* a,
                                const std::uint8_t* b, std::uint8_t* out, std::size_t n);
  /// out[i] = the value of code[i] (NaN and infinities as such); true when some code is not
  /// one the format uses.
  bool (*decode_codes)(const decoder& d, const code_t* codes, double* out, std::size_t n);
  /// out[i] = the value of x[i] rounded into e's format (d: the same format's decoder),
  /// stochastic site first_site + i: encode_doubles and decode_codes in one pass.
  bool (*round_values)(const encoder& e, const decoder& d, const double* x, double* out, std::size_t n,
                       std::uint64_t first_site);
  /// out[i] = the code of x[i], which must be a value of the format (e: its encoder toward
  /// zero, d: its decoder); true when some x[i] is not one (or is a special value the format
  /// rejects), so that the reference path can say which.
  bool (*exact_codes)(const encoder& e, const decoder& d, const double* x, code_t* out, std::size_t n);
  /// out[i] = op(a[i], b[i]) on values of e's format held in doubles, as values, on the plain
  /// kernels (d: the format's decoder, which says whether sums and products are exact in
  /// double). True when some operand is not a value or not finite, some result is not finite, or the
  /// rule has no plain kernels: the caller then takes the general path, which also decides
  /// what must throw.
  bool (*value_arithmetic)(binary_op op, const encoder& e, const decoder& d, const double* a, const double* b,
                           double* out, std::size_t n);
  /// The same for a * b + c (where products are exact in double) and for sqrt.
  bool (*value_fma)(const encoder& e, const decoder& d, const double* a, const double* b, const double* c,
                    double* out, std::size_t n);
  bool (*value_sqrt)(const encoder& e, const double* a, double* out, std::size_t n);
};

/// The kernels in use: AVX2 and FMA where the CPU has them, the baseline build otherwise,
/// unless FPX_KERNEL_ISA or use_fast_kernel_isa (fast/isa.hpp) chose another.
const batch& best_batch();

}  // namespace fpx::kernels
