#pragma once
/// Data-dependent rounding on a fixed grid: each weight goes to one of its two grid neighbours
/// (column_quantizer::neighbours, the quantizer's scales fitted on the original weights as for
/// RTN), chosen to keep the layer objective ‖(W - Q) X‖² = ½ tr((W - Q) H (W - Q)ᵀ) small for
/// calibration inputs X, H = 2 X Xᵀ (gptq_hessian), as GPTQ takes them. Only the choice differs
/// from RTN: values, storage and names are the quantizer's.
///
/// discquant: DiscQuant-style discrepancy rounding, in its layer-wise form. Per row, start from
///   the fractional positions f (w = lo + f (hi - lo)) and walk: move the still-fractional
///   coordinates along a seeded random direction that leaves the error's projection on the top
///   `subspace` eigenvectors of H unchanged (0), as far as the first coordinate reaching 0 or 1,
///   fix it, repeat; when no more coordinates are fractional than constraints, round the rest
///   to nearest. The error then lies almost wholly outside the subspace where H is large.
///   (DiscQuant proper keeps the error orthogonal to the model's gradient subspace from
///   backpropagation; the layer-wise proxy uses H's.)
/// gsq: GSQ-style learned assignment. A logit per weight for "up", relaxed by the Gumbel-softmax
///   trick over the two neighbours (logistic noise, seeded), trained by Adam on the layer
///   objective while the temperature falls geometrically; each weight then takes its more
///   likely neighbour. (GSQ relaxes over the whole grid and learns the group scales too; here
///   the scales are the quantizer's and the choice is between the two neighbours.)

#include <Eigen/Core>
#include <cstdint>
#include <string_view>

#include "fpx/quant/quantize.hpp"

namespace fpx {

struct layer_rounding_result {
  quantized_weights weights;   ///< the chosen values, with the quantizer's name and storage
  Eigen::MatrixXd rtn_values;  ///< round to nearest on the same grids
  double objective = 0;        ///< ½ tr((W - Q) H (W - Q)ᵀ) of the chosen values (undamped H)
  double rtn_objective = 0;    ///< the same for RTN
};

struct discquant_options {
  Eigen::Index subspace = 16;  ///< eigenvectors of H whose error components are held at 0
  std::uint64_t seed = 0;      ///< the walk's random directions
};

struct gsq_options {
  int steps = 1000;
  double learning_rate = 0.2;  ///< Adam's step, in logit units
  double temperature_start = 3, temperature_end = 0.2;
  std::uint64_t seed = 0;       ///< the Gumbel (logistic) noise
};

/// Throw std::invalid_argument for mismatched shapes, a non-finite or asymmetric H, options out
/// of range, or a quantizer without neighbour values (ggml's formats, whole-matrix methods).
layer_rounding_result discquant(const Eigen::MatrixXd& w, const Eigen::MatrixXd& hessian, std::string_view quantizer,
                                const discquant_options& options = {});
layer_rounding_result gsq(const Eigen::MatrixXd& w, const Eigen::MatrixXd& hessian, std::string_view quantizer,
                          const gsq_options& options = {});

}  // namespace fpx
