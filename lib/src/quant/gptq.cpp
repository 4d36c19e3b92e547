#include "fpx/quant/gptq.hpp"

#include <Eigen/Cholesky>
#include <cmath>
#include <stdexcept>

namespace fpx {

using Eigen::Index;
using Eigen::MatrixXd;

MatrixXd gptq_hessian(const MatrixXd& inputs) { return 2 * inputs * inputs.transpose(); }

double layer_objective(const MatrixXd& w, const MatrixXd& q, const MatrixXd& hessian) {
  const MatrixXd delta = w - q;
  return 0.5 * (delta * hessian).cwiseProduct(delta).sum();
}

namespace {

void check(const MatrixXd& w, const MatrixXd& h, const gptq_options& options) {
  const auto shape = [](const MatrixXd& m) { return std::to_string(m.rows()) + "x" + std::to_string(m.cols()); };
  if (h.rows() != w.cols() || h.cols() != w.cols())
    throw std::invalid_argument("gptq: H is " + shape(h) + ", weights " + shape(w) + " need " +
                                std::to_string(w.cols()) + "x" + std::to_string(w.cols()));
  if (!h.allFinite()) throw std::invalid_argument("gptq: H is not finite");
  if (!w.allFinite()) throw std::invalid_argument("gptq: a weight is not finite");
  // 2 X X^T computed in floating point is symmetric to rounding; anything more is a wrong H.
  const double tolerance = 1e-9 * std::max(1.0, h.cwiseAbs().maxCoeff());
  if ((h - h.transpose()).cwiseAbs().maxCoeff() > tolerance) throw std::invalid_argument("gptq: H is not symmetric");
  if (options.block_size < 1) throw std::invalid_argument("gptq: block_size must be positive");
  if (!(options.damping > 0 && std::isfinite(options.damping)))
    throw std::invalid_argument("gptq: damping must be a positive fraction of H's mean diagonal");
}

}  // namespace

gptq_result gptq(const MatrixXd& w, const MatrixXd& hessian, std::string_view quantizer_name,
                 const gptq_options& options) {
  check(w, hessian, options);
  gptq_result result;
  result.weights = quantize(w, quantizer_name);  // RTN, also the name and bits
  result.rtn_values = result.weights.values;
  result.rtn_objective = layer_objective(w, result.rtn_values, hessian);
  const Index rows = w.rows(), cols = w.cols();
  if (w.size() == 0) return result;

  MatrixXd weights = w, h = hessian;
  // An input that is zero on every calibration sample has a zero row in H: damping alone keeps
  // it, decoupled, so its weights are rounded to nearest (a zero H is all damping: RTN).
  const double lambda = options.damping * h.diagonal().mean();
  h.diagonal().array() += lambda > 0 ? lambda : 1.0;
  const Eigen::LLT<MatrixXd> factor(h);
  if (factor.info() != Eigen::Success) throw std::domain_error("gptq: the damped H is not positive definite");
  const MatrixXd inverse = factor.solve(MatrixXd::Identity(cols, cols));
  const Eigen::LLT<MatrixXd> inverse_factor(inverse);
  if (inverse_factor.info() != Eigen::Success) throw std::domain_error("gptq: H^-1 is not positive definite");
  const MatrixXd u = inverse_factor.matrixU();

  column_quantizer quantizer(quantizer_name, rows, cols);
  const Index span = quantizer.span();
  const bool fit_once = span >= cols;
  if (fit_once) quantizer.fit(weights, 0);
  const Index block = fit_once ? options.block_size : (options.block_size + span - 1) / span * span;
  MatrixXd& q = result.weights.values;
  for (Index first = 0; first < cols; first += block) {
    const Index count = std::min(block, cols - first);
    MatrixXd errors(rows, count);
    for (Index i = 0; i < count; ++i) {
      const Index j = first + i;
      if (!fit_once && j % span == 0) quantizer.fit(weights, j);
      for (Index r = 0; r < rows; ++r) {
        q(r, j) = quantizer.round(r, j, weights(r, j));
        errors(r, i) = (weights(r, j) - q(r, j)) / u(j, j);
      }
      const Index rest = first + count - j;
      weights.middleCols(j, rest).noalias() -= errors.col(i) * u.row(j).segment(j, rest);
    }
    const Index after = cols - first - count;
    if (after > 0) weights.rightCols(after).noalias() -= errors * u.block(first, first + count, count, after);
  }
  result.objective = layer_objective(w, q, hessian);
  return result;
}

}  // namespace fpx
