#pragma once
/// Weight quantizers: how a trained network's real weights get to n bits.
///
/// A quantizer splits a weight matrix (out x in) into groups that share a scale (the whole
/// tensor, each row = output channel, or runs of G consecutive weights within a row), picks
/// each group's scale, rounds the scale into `scale_format` (round to nearest even), then
/// rounds every weight divided by its rounded scale into the element grid. The dequantized
/// values are exactly level x rounded scale, so they come back as exact doubles.
///
/// Names (options after ':' in any order):
///   intN   symmetric, levels [-(2^(N-1)-1), 2^(N-1)-1], scale max|w| / (2^(N-1)-1); N = 2..16
///          (int2 has the ternary levels with the absmax scale)
///   uintN  asymmetric, levels [0, 2^N-1] with a zero point; scale (max-min) / (2^N-1)
///   ternary  {-1, 0, 1}, scale mean|w| (BitNet b1.58 absmean)
///   binary   {-1, +1}, scale mean|w| (sign of w, sign(0) = +1): signed one-bit weights, S1
///   u1       {0, 1}, scale max|w|: unsigned one-bit weights (negative weights become 0)
///   FORMAT   any minifloat preset (e4m3, e2m1, fp16, ...), scale max|w| / max_value
///   MX       mxfp8_e4m3, mxfp6_e3m2, mxfp4, mxint8, ... (block scales along rows; see mx.hpp)
///   options  :tensor (default) | :channel | :group=G,  :absmax | :absmean (override the scale
///            rule), :noscale (scale 1, no overhead; not for MX), :scale=FORMAT (default fp32;
///            e8m0 in MX), :stochastic=SEED (weights rounded stochastically; site = the
///            weight's row-major index; MX rounds row by row with seed + row and sites
///            numbered within the row)
/// Example: "int4:group=32:scale=fp16", "ternary:channel", "e4m3:channel", "mxfp4".

#include <Eigen/Core>
#include <string>
#include <string_view>

namespace fpx {

struct quantized_weights {
  Eigen::MatrixXd values;  ///< level x rounded scale, exactly
  /// Storage per weight: the element code's bits (2 for ternary) plus the scale bits (and the
  /// zero point's N bits for uintN) spread over the weights that share them.
  double bits_per_parameter = 0;
  /// The same with log2(number of levels) for the element (1.585 for ternary, 3.91 for int4).
  double information_bits_per_parameter = 0;
  std::string name;  ///< the canonical quantizer name
};

/// Quantizes w; throws std::invalid_argument for a bad name, a non-finite weight, or a group
/// size that is not positive.
quantized_weights quantize(const Eigen::MatrixXd& w, std::string_view quantizer);

}  // namespace fpx
