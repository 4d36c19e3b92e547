#pragma once
/// Block-scaled formats of the OCP Microscaling (MX) specification v1.0: blocks of k elements
/// share one E8M0 scale X = 2^(floor(log2 max|v|) - emax_elem), where emax_elem is the exponent
/// of the element format's largest normal; each element is v / X rounded into the element
/// format (nearest-even unless asked otherwise) and clamped to its largest normal.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fpx/arith/format.hpp"

namespace fpx {

struct mx_format {
  std::string name;
  format element;
  int block_size = 32;
};

/// Parses an MX name (mx_grammar(): the presets of the table in mx.cpp, and mxintN for N = 2..8
/// with elements fixed:s:1:N-2, values in [-2, 2), as MXINT8 extended to fewer bits). The block
/// size is 32 unless a "_K" or ":block=K" suffix names another (e.g. "mxint3_128" as in the
/// post-training quantization literature, "mxfp4:block=16"). Throws std::invalid_argument
/// otherwise, listing the grammar.
mx_format parse_mx_format(std::string_view name);
/// The MX presets, in listing order.
const std::vector<std::string>& mx_preset_names();
/// The grammar of MX names, from the same table parse_mx_format reads (help texts use it).
std::string mx_grammar();

/// exponent of the largest normal value of the element format (8 for E4M3, 0 for MXINT8).
int mx_emax_element(const mx_format& f);

/// The shared exponent of a block whose largest magnitude is amax (finite): floor(log2 amax)
/// - emax_element (mx_emax_element of the format), at least -127 (also for amax = 0). Throws
/// std::overflow_error beyond 127, naming the block by its first element `start`.
int mx_shared_exponent(int emax_element, double amax, std::size_t start = 0);

/// A quantized tensor: one E8M0 scale code per block, one element code per value.
struct mx_tensor {
  mx_format fmt;
  std::vector<code_t> scales;
  std::vector<code_t> elements;
};

/// Quantizes values block by block (the last block may be short). A block holding NaN or an
/// infinity gets the NaN scale, and all its values decode as NaN; a block whose scale exponent
/// would exceed E8M0's range throws std::overflow_error. Stochastic sites are element indices; a
/// zero keeps its sign (-0.0 becomes the element -0 where the format has one).
mx_tensor quantize_mx(const mx_format& f, std::span<const double> values, const rounding& r = {});
/// The exact value of element i (NaN blocks throw std::domain_error).
rational mx_value(const mx_tensor& t, std::size_t i);
/// Every element as a double (NaN for NaN blocks; an element -0 is -0.0).
std::vector<double> dequantize_mx(const mx_tensor& t);

}  // namespace fpx
