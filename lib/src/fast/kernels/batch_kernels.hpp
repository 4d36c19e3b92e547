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
};

/// The kernels in use: AVX2 and FMA where the CPU has them, the baseline build otherwise,
/// unless FPX_KERNEL_ISA or use_fast_kernel_isa (fast/isa.hpp) chose another.
const batch& best_batch();

}  // namespace fpx::kernels
