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
///
/// As practitioners run it (AutoGPTQ's options act_order and static_groups): act_order processes the columns in order of
/// decreasing H(j, j) (ties by index), so that the inputs with the most energy are rounded while
/// the most columns remain to absorb their error; static_groups fits every span's scales on the
/// original weights before any column is rounded. With act_order and neither static_groups nor a
/// per-tensor/per-channel quantizer, a span is a run of consecutive columns in the processing
/// order, so where such a run is not one of the original spans each input column's span index
/// must be stored (AutoGPTQ's g_idx): counted at ceil(log2(spans)) bits per input column in bits
/// per parameter. If H + lambda I (or its inverse) cannot be Cholesky-factored, the damping is
/// multiplied by 10 and tried again while it stays within max_damping (fpx's rule; GPTQModel
/// instead adds a fixed increment); the damping used is reported. A zero H is all damping
/// (lambda = 1: RTN); an H with a zero or negative mean diagonal that is not zero is refused,
/// as no 2 X X^T has one.

#include <Eigen/Core>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fpx/quant/quantize.hpp"

namespace fpx {

struct gptq_options {
  Eigen::Index block_size = 128;
  double damping = 0.01;      ///< lambda as a fraction of the mean of H's diagonal
  bool act_order = false;     ///< columns by decreasing H(j, j), ties by index
  bool static_groups = false; ///< every span's scales fitted on the original weights first
  /// Retries multiply damping by 10 while it stays within this; by default max(1, damping).
  std::optional<double> max_damping = std::nullopt;
};

struct gptq_result {
  quantized_weights weights;   ///< bits per parameter include the span indices act_order needs
  Eigen::MatrixXd rtn_values;  ///< round-to-nearest with the same quantizer, for comparison
  double objective = 0;        ///< ||(W - Q) X||^2 of the GPTQ weights (undamped H)
  double rtn_objective = 0;    ///< the same for rtn_values
  double damping = 0;          ///< the damping the factorisation succeeded with (a zero H: options.damping, lambda 1)
  std::vector<Eigen::Index> order;  ///< the input columns in the order they were rounded
};

/// H = 2 X X^T for calibration inputs X (features x samples).
Eigen::MatrixXd gptq_hessian(const Eigen::MatrixXd& inputs);

/// ||(W - Q) X||^2 = 1/2 tr((W - Q) H (W - Q)^T) for H = 2 X X^T.
double layer_objective(const Eigen::MatrixXd& w, const Eigen::MatrixXd& q, const Eigen::MatrixXd& hessian);

/// Quantizes w (out x in) with `quantizer` (a quantize() name) given H (in x in, symmetric,
/// finite). Throws std::invalid_argument for mismatched shapes, a non-finite or asymmetric H,
/// or options out of range (max_damping below damping), and std::domain_error naming the
/// dampings tried if H + lambda I is not positive definite for any of them.
gptq_result gptq(const Eigen::MatrixXd& w, const Eigen::MatrixXd& hessian, std::string_view quantizer,
                 const gptq_options& options = {});

}  // namespace fpx
