#pragma once
/// llama.cpp's (ggml's) block quantization formats, byte for byte: q4_0, q8_0 and the k-quants
/// q2_K, q3_K, q4_K, q5_K, q6_K.
///
/// The block layout (ggml-common.h): a row of float32 weights is cut into blocks of 32 (q4_0,
/// q8_0) or super-blocks of 256 (k-quants), each stored as a fixed number of bytes, fp16 scales
/// little-endian:
///   q4_0  18 bytes: d (fp16), 16 bytes of 4-bit codes (weight j low nibble, j + 16 high)
///   q8_0  34 bytes: d (fp16), 32 signed bytes
///   q2_K  84 bytes: 16 bytes of (scale | min << 4), 64 bytes of 2-bit codes, d, dmin
///   q3_K 110 bytes: 32 bytes of high bits, 64 bytes of low 2 bits, 12 bytes of 6-bit scales, d
///   q4_K 144 bytes: d, dmin, 12 bytes of 6-bit scales and mins, 128 bytes of 4-bit codes
///   q5_K 176 bytes: d, dmin, 12 bytes of 6-bit scales and mins, 32 bytes of fifth bits, 128 of
///                   low 4 bits
///   q6_K 210 bytes: 128 bytes of low 4 bits, 64 of high 2 bits, 16 signed 8-bit scales, d
/// A weight decodes in float32 as ggml's dequantize_row_* computes it: (code - 8) d for q4_0,
/// code d for q8_0, (d sc) code - (dmin m) for q2_K, q4_K, q5_K (sc, m the sub-block's stored
/// scale and minimum), (d sc) (code - 4) for q3_K (sc stored minus 32) and (d sc) (code - 32)
/// for q6_K; every product and difference rounded to float32 as written.
///
/// The quantizers are ggml's reference quantizers (quantize_row_*_ref), written from their
/// description: q4_0 scales by the signed weight of largest magnitude over -8 and codes
/// trunc(x (1/d) + 8.5) with the unrounded d; q8_0 by amax / 127 with roundf; the k-quants search
/// each sub-block's scale (q3_K, q6_K: weighted least squares over candidate scales; q2_K, q4_K,
/// q5_K: a scale and minimum by weighted least squares over 16 to 21 candidate grids), quantize
/// the sub-block scales against the largest into 4, 6 or 8 bits, store d (and dmin) in fp16,
/// and round every weight once more against its stored scale, ties to even. All in float32.
/// Where ggml asserts or is undefined fpx defines: its rounding helper's argument is clamped
/// to ±2^22; k-quant weights of magnitude 2^62 or more (whose squares overflow the search) are
/// refused with std::range_error; a q4_0/q8_0 block too small for 1/d to be finite gets code 0,
/// as ggml does on x86. dequantize refuses a block whose fp16 scale is inf or NaN.
/// tests/quant/test_ggml.cpp checks every byte and every decoded value against rows quantized
/// by ggml itself.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace fpx::ggml {

enum class type { q4_0, q8_0, q2_K, q3_K, q4_K, q5_K, q6_K };

/// The shape of one type's blocks.
struct layout {
  std::string_view name;  ///< ggml's name: "q4_0", "q2_K", ...
  int block_weights;      ///< weights per block (32 or 256)
  int block_bytes;        ///< bytes per block
  int sub_block;          ///< weights sharing one scale (the block itself for q4_0, q8_0)
  int bits;               ///< bits of an element code
  int levels;             ///< distinct element values a code can give (255 for q8_0)
};

const layout& layout_of(type t);
/// The type a name denotes ("q4_0", "q8_0", "q2_K".."q6_K", the K in either case); nullopt
/// for any other name.
std::optional<type> type_named(std::string_view name);
/// The same, throwing std::invalid_argument that lists the types for any other name.
type type_of(std::string_view name);

/// ggml's blocks for a row of float32 weights. Throws std::invalid_argument when the length is
/// not a multiple of the block or a weight is not finite, std::range_error when a block's
/// scale rounds to infinity in fp16 (weights beyond about 65504 times the largest code) or a
/// k-quant weight is 2^62 or more.
std::vector<std::uint8_t> quantize(type t, std::span<const float> x);
/// The float32 weights that blocks decode to, as ggml's dequantize_row_* gives them. Throws
/// std::invalid_argument when the byte count is not a multiple of the block or a block's fp16
/// scale (d, or dmin) is inf or NaN.
std::vector<float> dequantize(type t, std::span<const std::uint8_t> blocks);

/// How ggml rounds one weight once its block's scales are stored (the last pass of its
/// quantizers): per sub-block, the float32 numbers it divides and offsets by.
struct sub_block_rule {
  float d = 0;   ///< the sub-block's scale as decoded (d x sc), or q4_0/q8_0's fp16 d
  float dm = 0;  ///< the sub-block's minimum as decoded (dmin x m), k-quants with minima
  float id = 0;  ///< q4_0 and q8_0: 1 / the unrounded d, by which ggml codes the weights
};

/// Quantizes one block (block_weights floats) into `bytes` (block_bytes) and returns each
/// sub-block's rule. Throws as quantize().
std::vector<sub_block_rule> quantize_block(type t, const float* x, std::uint8_t* bytes);
/// The code ggml's last pass gives weight x under rule r (unsigned, as stored).
int code_of(type t, const sub_block_rule& r, float x);
/// The float32 value code c decodes to under rule r, as ggml's dequantizer computes it.
float value_of(type t, const sub_block_rule& r, int c);

}  // namespace fpx::ggml
