#include "fpx/quant/gptq.hpp"

#include "quantizer.hpp"

#include <Eigen/Cholesky>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace fpx {

using Eigen::Index;
using Eigen::MatrixXd;

MatrixXd gptq_hessian(const MatrixXd& inputs) { return 2 * inputs * inputs.transpose(); }

double layer_objective(const MatrixXd& w, const MatrixXd& q, const MatrixXd& hessian) {
  const MatrixXd delta = w - q;
  return 0.5 * (delta * hessian).cwiseProduct(delta).sum();
}

void detail::check_layer(const MatrixXd& w, const MatrixXd& h, std::string_view method) {
  const std::string m(method);
  const auto shape = [](const MatrixXd& x) { return std::to_string(x.rows()) + "x" + std::to_string(x.cols()); };
  if (h.rows() != w.cols() || h.cols() != w.cols())
    throw std::invalid_argument(m + ": H is " + shape(h) + ", weights " + shape(w) + " need " +
                                std::to_string(w.cols()) + "x" + std::to_string(w.cols()));
  if (!h.allFinite()) throw std::invalid_argument(m + ": H is not finite");
  if (!w.allFinite()) throw std::invalid_argument(m + ": a weight is not finite");
  // 2 X X^T computed in floating point is symmetric to rounding; anything more is a wrong H.
  if (h.size() == 0) return;  // no inputs: nothing to check (maxCoeff of nothing is undefined)
  const double tolerance = 1e-9 * std::max(1.0, h.cwiseAbs().maxCoeff());
  if ((h - h.transpose()).cwiseAbs().maxCoeff() > tolerance) throw std::invalid_argument(m + ": H is not symmetric");
}

namespace {

void check(const MatrixXd& w, const MatrixXd& h, const gptq_options& options) {
  detail::check_layer(w, h, "gptq");
  if (options.block_size < 1) throw std::invalid_argument("gptq: block_size must be positive");
  if (!(options.damping > 0 && std::isfinite(options.damping)))
    throw std::invalid_argument("gptq: damping must be a positive fraction of H's mean diagonal");
  if (options.max_damping && !(*options.max_damping >= options.damping && std::isfinite(*options.max_damping)))
    throw std::invalid_argument("gptq: max_damping must be finite and at least damping");
}

// The upper Cholesky factor of (H + lambda I)^-1, lambda = damping x mean diagonal (1 for a zero
// H: all damping, RTN); the damping goes up tenfold while either factorisation fails.
MatrixXd inverse_factor(const MatrixXd& hessian, const gptq_options& options, double& used) {
  const Index cols = hessian.cols();
  const double mean = hessian.diagonal().mean();
  const bool zero = hessian.isZero(0);
  if (!(mean > 0) && !zero)
    throw std::domain_error("gptq: H's diagonal has a zero or negative mean but H is not zero: "
                            "no H = 2 X X^T is like that");
  const double max_damping = options.max_damping.value_or(std::max(1.0, options.damping));
  std::string tried;
  // (max_damping 1 admits 0.01 x 10 x 10 however the products round.) A zero H is tried once,
  // all damping: lambda = 1.
  for (double damping = options.damping; damping <= max_damping * (1 + 1e-12); damping *= 10) {
    MatrixXd h = hessian;
    h.diagonal().array() += zero ? 1.0 : damping * mean;
    const Eigen::LLT<MatrixXd> factor(h);
    if (factor.info() == Eigen::Success) {
      const Eigen::LLT<MatrixXd> inverse(factor.solve(MatrixXd::Identity(cols, cols)));
      if (inverse.info() == Eigen::Success) {
        used = damping;
        return inverse.matrixU();
      }
    }
    tried += (tried.empty() ? "" : ", ") + fmt::format("{:g}", damping);
  }
  throw std::domain_error("gptq: H + lambda I is not positive definite for damping " + tried +
                          " (lambda = damping x H's mean diagonal, up to max_damping " +
                          fmt::format("{:g}", max_damping) +
                          "); H = 2 X X^T is positive semidefinite: check H, or allow more damping");
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
  result.order.resize(static_cast<std::size_t>(cols));
  std::iota(result.order.begin(), result.order.end(), Index{0});
  if (w.size() == 0) return result;
  const std::vector<Index>& order = result.order;
  if (options.act_order)
    std::stable_sort(result.order.begin(), result.order.end(),
                     [&](Index a, Index b) { return hessian(a, a) > hessian(b, b); });

  // Everything below is in processing order: column i is the input column order[i].
  auto original = [&](Index i) { return order[static_cast<std::size_t>(i)]; };
  MatrixXd weights(rows, cols), h(cols, cols);
  for (Index i = 0; i < cols; ++i) {
    weights.col(i) = w.col(original(i));
    for (Index k = 0; k < cols; ++k) h(i, k) = hessian(original(i), original(k));
  }
  const MatrixXd u = inverse_factor(h, options, result.damping);

  column_quantizer quantizer(quantizer_name, rows, cols);
  const Index span = quantizer.span();
  const bool fit_once = span >= cols;
  // Spans fitted before any rounding, on the original weights in their own column order; or,
  // fitted as they are reached, spans of consecutive columns in processing order.
  const bool fitted_first = fit_once || options.static_groups;
  if (fitted_first)
    for (Index first = 0; first < cols; first += span) quantizer.fit(w, first);
  const Index block = fit_once ? options.block_size : (options.block_size + span - 1) / span * span;
  MatrixXd q(rows, cols);
  for (Index first = 0; first < cols; first += block) {
    const Index count = std::min(block, cols - first);
    MatrixXd errors(rows, count);
    for (Index i = 0; i < count; ++i) {
      const Index j = first + i;
      if (!fitted_first && j % span == 0) quantizer.fit(weights, j);
      const Index column = fitted_first ? original(j) : j;
      for (Index r = 0; r < rows; ++r) {
        q(r, j) = quantizer.round(r, column, weights(r, j));
        errors(r, i) = (weights(r, j) - q(r, j)) / u(j, j);
      }
      const Index rest = first + count - j;
      weights.middleCols(j, rest).noalias() -= errors.col(i) * u.row(j).segment(j, rest);
    }
    const Index after = cols - first - count;
    if (after > 0) weights.rightCols(after).noalias() -= errors * u.block(first, first + count, count, after);
  }
  for (Index i = 0; i < cols; ++i) result.weights.values.col(original(i)) = q.col(i);
  // A run of the processing order that holds exactly one original span's columns is that span,
  // stored in its place; only runs that mix spans need each column's span index.
  bool mixed_spans = false;
  for (Index first = 0; !fitted_first && first < cols; first += span)
    for (Index j = first; j < std::min(first + span, cols); ++j)
      mixed_spans = mixed_spans || original(j) / span != original(first) / span;
  if (mixed_spans) {
    // Each input column's span index: ceil(log2(spans)) bits per column.
    const Index spans = (cols + span - 1) / span;
    const double index_bits = std::ceil(std::log2(static_cast<double>(spans))) * static_cast<double>(cols) /
                              static_cast<double>(rows * cols);
    result.weights.bits_per_parameter += index_bits;
    result.weights.information_bits_per_parameter += index_bits;
  }
  result.objective = layer_objective(w, result.weights.values, hessian);
  return result;
}

}  // namespace fpx
