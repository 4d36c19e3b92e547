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
///   s1       {-1, +1}, scale mean|w| (sign of w, sign(0) = +1): signed one-bit weights (the
///            name "binary" is retired)
///   u1       {0, 1}, scale max|w|: unsigned one-bit weights (negative weights become 0)
///   FORMAT   any minifloat preset (e4m3, e2m1, fp16, ...), scale max|w| / max_value
///   MX       mxfp8_e4m3, mxfp6_e3m2, mxfp4, mxint8, mxint3_128, ... (block scales along rows;
///            see mx.hpp)
///   nvfp4    NVIDIA's FP4: E2M1 elements in blocks of 16 along a row, an E4M3 scale per block
///            and an fp32 scale per tensor: s_tensor = fp32(amax|W| / (448 x 6)), s_b =
///            e4m3(amax_block / (6 s_tensor)) saturating at 448, elements e2m1(w / (s_b s_tensor))
///            saturating at ±6, round to nearest even; a block whose s_b rounds to 0 is zeros.
///            4 bits a weight + 8 a block + 32 a tensor (4.5 + 32 / weights). The tensor scale
///            is taken from the weights the first fit sees (GPTQ: before any update).
///   q4_0, q8_0, qN_k (N = 2..6): ggml's (llama.cpp's) block formats, byte for byte (see
///            ggml.hpp): fpx writes ggml's block layout and quantizes each block by ggml's
///            reference algorithm (quantize_row_*_ref: q4_0/q8_0 absmax scales; the k-quants'
///            searched sub-block scales and minima), checked against ggml's own output in
///            tests/data/ggml_quants.json. Weights are taken as float32 (range_error beyond);
///            a row is padded with zeros to whole blocks of 32 (q4_0, q8_0) or 256 (k-quants),
///            and the padding's storage is counted: 4.5, 8.5, 2.625, 3.4375, 4.5, 5.5, 6.5625
///            bits per weight on whole blocks. No scale options, :outliers or :stochastic.
///   options  :tensor (default) | :channel | :group=G,  :absmax | :absmean (override the scale
///            rule), :noscale (scale 1, no overhead; not for MX), :scale=FORMAT (default fp32;
///            e8m0 in MX), :stochastic=SEED (weights rounded stochastically; site = the
///            weight's row-major index; MX rounds row by row with seed + row and sites
///            numbered within the row), :stochastic_bits=K (with :stochastic: the rule
///            stochastic:bits=K, K random bits per rounding, see fpx/arith/rounding.hpp), :outliers=F (SpQR-style: in every scale span, the
///            ceil(F x weights) largest |w| are kept in fp16 and left out of the scale fit;
///            each costs 16 bits of value and 16 of column index, plus 32 bits per row)
/// Whole-matrix methods (fpx/quant/matrix_methods.hpp): bitstack:blocks=K, ternary_ec[:threshold=D];
/// quantize() reads them, column_quantizer (and so GPTQ) refuses them.
/// Example: "int4:group=32:scale=fp16", "ternary:channel", "e4m3:channel", "mxfp4".
/// Each kind of element is one file in lib/src/quant/kinds (see docs/architecture.md).

#include <Eigen/Core>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

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

/// The grammar above as one line, from the element kinds the parser knows (help texts use it).
std::string quantizer_grammar();

/// Quantizes w by rounding to nearest (RTN, or stochastically if asked); throws
/// std::invalid_argument for a bad name, a non-finite weight, or a group size that is not
/// positive; std::range_error for a cell whose scale is outside the scale format's range (it
/// would round to NaN or infinity), std::overflow_error for an MX block beyond E8M0's range.
quantized_weights quantize(const Eigen::MatrixXd& w, std::string_view quantizer);

/// A quantizer for one rows x cols weight matrix (out x in), as GPTQ needs it: its scales are
/// fitted one span of columns at a time over all rows, so that each span can be fitted on
/// weights that earlier columns' errors have already corrected. quantize() is fit-then-round
/// over every span of the original weights.
class column_quantizer {
 public:
  /// Throws std::invalid_argument like quantize() for a bad name.
  column_quantizer(std::string_view quantizer, Eigen::Index rows, Eigen::Index cols);
  ~column_quantizer();
  column_quantizer(column_quantizer&&) noexcept;
  column_quantizer& operator=(column_quantizer&&) noexcept;

  /// Columns whose scales are fitted together: the group, MX block or k-quant super-block;
  /// every column for :tensor and :channel.
  Eigen::Index span() const;
  /// Fits the scales of the span starting at column `first` (a multiple of span()) on w's
  /// values in those columns. Throws std::invalid_argument for a wrong shape, a misplaced span or a
  /// non-finite weight, std::range_error and std::overflow_error as quantize().
  void fit(const Eigen::MatrixXd& w, Eigen::Index first);
  /// `value` rounded onto the grid fitted for position (row, col), as a double (exact unless
  /// a k-quant's scale and minimum do not add up within 53 bits). Throws std::logic_error if
  /// that span was not fitted.
  double round(Eigen::Index row, Eigen::Index col, double value) const;
  /// The values of the fitted grid at (row, col) just below and just above `value` (equal
  /// when value is on the grid or beyond its ends; an outlier's fp16 value twice), for methods
  /// that choose between them. Throws std::invalid_argument for kinds that round by their own
  /// arithmetic (ggml's formats), like round() otherwise.
  std::pair<double, double> neighbours(Eigen::Index row, Eigen::Index col, double value) const;

  /// The matrix's storage per weight, as in quantized_weights.
  double bits_per_parameter() const;
  double information_bits_per_parameter() const;
  const std::string& name() const;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace fpx
