#pragma once
/// MX block quantization (arith/mx.hpp) at kernel speed: the scales, element codes, values and
/// exceptions of quantize_mx and dequantize_mx, bit for bit.

#include <span>

#include "fpx/arith/mx.hpp"
#include "fpx/fast/rounder.hpp"

namespace fpx {

/// fast_quantize_mx for one format and rule, its kernels' parameters built once: for many
/// tensors (the rows of a matrix, each with its own seed).
class fast_mx_quantizer {
 public:
  fast_mx_quantizer(const mx_format& f, const rounding& r = {});
  /// fast_quantize_mx(f, values, r) with r's seed replaced by `seed`.
  mx_tensor operator()(std::span<const double> values, std::uint64_t seed) const;
  mx_tensor operator()(std::span<const double> values) const { return (*this)(values, rule_.seed); }

 private:
  mx_format format_;
  rounding rule_;
  int emax_;
  fast_rounder rounder_;
};

/// quantize_mx(f, values, r): each block's scale by mx_shared_exponent, its elements divided
/// by the scale (exact in double: a power of two) and rounded by a fast_rounder of the
/// element format, stochastic site = the element's index. An element whose quotient a double
/// cannot hold exactly (far below its block's maximum, in double's subnormal range) is rounded
/// from its exact quotient, as quantize_mx rounds every element.
mx_tensor fast_quantize_mx(const mx_format& f, std::span<const double> values, const rounding& r = {});

/// dequantize_mx(t) into `out` (NaN for NaN blocks); throws std::invalid_argument when the sizes
/// differ.
void fast_dequantize_mx(const mx_tensor& t, std::span<double> out);

}  // namespace fpx
