#pragma once
/// Block-scaled formats of the OCP Microscaling (MX) specification v1.0: blocks of k elements
/// share one E8M0 scale X = 2^(floor(log2 max|v|) - emax_elem), where emax_elem is the exponent
/// of the element format's largest normal; each element is v / X rounded into the element
/// format (nearest-even unless asked otherwise) and clamped to its largest normal. The scale
/// rule may be changed by name (":scale_rule=ceil", see mx_scale_rule).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fpx/arith/format.hpp"

namespace fpx {

/// How a block's shared exponent is chosen from its largest magnitude amax > 0 (finite), with
/// e = the element's emax (mx_emax_element), M = its largest value, m = its fraction bits:
///   floor  floor(log2 amax) - e: OCP MX v1.0 (the default). amax / X may exceed M, and the
///          block maximum is then clamped to M (mxfp4: amax = 7 gives X = 1 and 7 -> 6).
///   ceil   ceil(log2 amax) - e: never clips; one binade coarser than floor unless amax is a
///          power of two.
///   even   floor(log2 a) - e with a = amax rounded to m fraction bits, halves away from zero
///          (torchao's EVEN): floor, except that an amax within half an element ulp of the next
///          power of two takes ceil's exponent. Floating-point elements only.
///   rceil  ceil(log2 q) with q = amax / M rounded once to fp32 (nearest even): NVIDIA's
///          round-up, the smallest power of two X with q <= 1 x X, so amax / X <= M up to q's
///          rounding.
/// Every rule gives -127 for amax = 0 and is clamped below at -127.
enum class mx_scale_rule { floor, ceil, even, rceil };
std::string_view to_string(mx_scale_rule r);

struct mx_format {
  std::string name;
  format element;
  int block_size = 32;
  mx_scale_rule scale_rule = mx_scale_rule::floor;
};

/// Parses an MX name (mx_grammar(): the presets of the table in mx.cpp, and mxintN for N = 2..8
/// with elements fixed:s:1:N-2, values in [-2, 2), as MXINT8 extended to fewer bits). The block
/// size is 32 unless a "_K" or ":block=K" suffix names another (e.g. "mxint3_128" as in the
/// post-training quantization literature, "mxfp4:block=16"); ":scale_rule=floor|ceil|even|rceil"
/// picks the scale rule (floor by default). Throws std::invalid_argument otherwise, listing the
/// grammar.
mx_format parse_mx_format(std::string_view name);
/// The MX presets, in listing order.
const std::vector<std::string>& mx_preset_names();
/// The grammar of MX names, from the same table parse_mx_format reads (help texts use it).
std::string mx_grammar();

/// exponent of the largest normal value of the element format (8 for E4M3, 0 for MXINT8).
int mx_emax_element(const mx_format& f);

/// The shared exponent of a block whose largest magnitude is amax (finite) under f's scale rule
/// (emax_element = mx_emax_element(f), passed so that callers compute it once), at least -127
/// (also for amax = 0). Throws std::overflow_error beyond 127, naming the block by its first
/// element `start`.
int mx_shared_exponent(const mx_format& f, int emax_element, double amax, std::size_t start = 0);

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
