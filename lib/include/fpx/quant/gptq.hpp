#pragma once
/// GPTQ (Frantar et al. 2023): post-training quantization of one linear layer that minimises
/// the layer's output error ||W X - Q X||^2 on calibration inputs X, column by column.
///
/// With H = 2 X X^T + lambda I (lambda = damping x mean diagonal) and U the upper Cholesky
/// factor of H^-1, column j is rounded onto the quantizer's grid and its error, divided by
/// U(j, j), is spread over the columns not yet rounded through row j of U. Updates to columns
/// beyond the current block (block_size columns, a multiple of the quantizer's span) are applied
/// once per block. The scales of a span (group, MX block, k-quant super-block) are fitted when
/// its first column is reached, on the weights as corrected so far; per-tensor and per-channel
/// scales are fitted once on the original weights. Inputs that are zero on every calibration
/// sample (H(j, j) = 0) keep their round-to-nearest weights: the reference implementation sets
/// them to 0, which costs nothing on the calibration data but may on other data (a ReLU unit
/// that happened to stay off).

#include <Eigen/Core>
#include <string>
#include <string_view>

#include "fpx/quant/quantize.hpp"

namespace fpx {

struct gptq_options {
  Eigen::Index block_size = 128;
  double damping = 0.01;  ///< lambda as a fraction of the mean of H's diagonal
};

struct gptq_result {
  quantized_weights weights;
  Eigen::MatrixXd rtn_values;  ///< round-to-nearest with the same quantizer, for comparison
  double objective = 0;        ///< ||(W - Q) X||^2 of the GPTQ weights (undamped H)
  double rtn_objective = 0;    ///< the same for rtn_values
};

/// H = 2 X X^T for calibration inputs X (features x samples).
Eigen::MatrixXd gptq_hessian(const Eigen::MatrixXd& inputs);

/// ||(W - Q) X||^2 = 1/2 tr((W - Q) H (W - Q)^T) for H = 2 X X^T.
double layer_objective(const Eigen::MatrixXd& w, const Eigen::MatrixXd& q, const Eigen::MatrixXd& hessian);

/// Quantizes w (out x in) with `quantizer` (a quantize() name) given H (in x in, symmetric,
/// finite). Throws std::invalid_argument for mismatched shapes, a non-finite or asymmetric H,
/// or options out of range, and std::domain_error if the damped H is not positive definite.
gptq_result gptq(const Eigen::MatrixXd& w, const Eigen::MatrixXd& hessian, std::string_view quantizer,
                 const gptq_options& options = {});

}  // namespace fpx
