#include "fpx/quant/rounding_methods.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "fpx/exact/random_stream.hpp"
#include "fpx/quant/gptq.hpp"
#include "fpx/quant/matrix_methods.hpp"
#include "quantizer.hpp"

namespace fpx {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// The two neighbours of every weight on the quantizer's grids, fitted on w as RTN fits them,
// and RTN's values.
struct neighbour_grid {
  MatrixXd lo, hi, rtn;
  quantized_weights rtn_weights;
};

neighbour_grid neighbours_of(const MatrixXd& w, std::string_view quantizer_name) {
  if (detail::is_matrix_method(quantizer_name))
    detail::bad_quantizer(quantizer_name, "it codes the whole matrix at once: no neighbour values to choose between");
  neighbour_grid g;
  g.rtn_weights = quantize(w, quantizer_name);
  g.rtn = g.rtn_weights.values;
  column_quantizer q(quantizer_name, w.rows(), w.cols());
  g.lo.resize(w.rows(), w.cols());
  g.hi.resize(w.rows(), w.cols());
  for (Index first = 0; first < w.cols(); first += q.span()) {
    q.fit(w, first);
    for (Index r = 0; r < w.rows(); ++r)
      for (Index c = first; c < std::min(w.cols(), first + q.span()); ++c)
        std::tie(g.lo(r, c), g.hi(r, c)) = q.neighbours(r, c, w(r, c));
  }
  return g;
}

layer_rounding_result finish(const MatrixXd& w, const MatrixXd& h, neighbour_grid& g, MatrixXd values) {
  layer_rounding_result out;
  out.weights = std::move(g.rtn_weights);
  out.weights.values = std::move(values);
  out.rtn_values = std::move(g.rtn);
  out.objective = layer_objective(w, out.weights.values, h);
  out.rtn_objective = layer_objective(w, out.rtn_values, h);
  return out;
}

// The fraction of the step from lo to hi at which w lies (0 where the neighbours coincide).
double fraction(double w, double lo, double hi) { return hi > lo ? std::clamp((w - lo) / (hi - lo), 0.0, 1.0) : 0.0; }

}  // namespace

layer_rounding_result discquant(const MatrixXd& w, const MatrixXd& hessian, std::string_view quantizer,
                                const discquant_options& options) {
  detail::check_layer(w, hessian, "discquant");
  if (options.subspace < 0) throw std::invalid_argument("discquant: subspace must be >= 0");
  neighbour_grid g = neighbours_of(w, quantizer);
  const Index cols = w.cols(), k = std::min(options.subspace, cols);
  // H's top k eigenvectors (SelfAdjointEigenSolver sorts eigenvalues increasingly).
  MatrixXd top(cols, 0);
  if (k > 0 && cols > 0) {
    const Eigen::SelfAdjointEigenSolver<MatrixXd> eigen(hessian);
    if (eigen.info() != Eigen::Success) throw std::domain_error("discquant: H's eigenvectors did not converge");
    top = eigen.eigenvectors().rightCols(k);
  }
  MatrixXd values(w.rows(), cols);
  for (Index r = 0; r < w.rows(); ++r) {
    random_stream random(options.seed, static_cast<std::uint64_t>(r));
    VectorXd x(cols), step(cols);
    std::vector<Index> free;
    for (Index c = 0; c < cols; ++c) {
      step(c) = g.hi(r, c) - g.lo(r, c);
      x(c) = fraction(w(r, c), g.lo(r, c), g.hi(r, c));
      if (x(c) > 0 && x(c) < 1) free.push_back(c);
    }
    // Each pass fixes at least one coordinate at 0 or 1, keeping topᵀ (step ⊙ (x - f)) = 0.
    while (static_cast<Index>(free.size()) > k) {
      const Index n = static_cast<Index>(free.size());
      VectorXd d(n);
      for (Index i = 0; i < n; ++i) d(i) = random.normal();
      if (k > 0) {  // project onto the null space of constraintᵀ (no rows of an empty `top` are read)
        MatrixXd constraint(n, k);
        for (Index i = 0; i < n; ++i) constraint.row(i) = step(free[i]) * top.row(free[i]);
        const Eigen::HouseholderQR<MatrixXd> qr(constraint);
        const MatrixXd basis = qr.householderQ() * MatrixXd::Identity(n, k);
        d -= basis * (basis.transpose() * d);
      }
      if (random.coin()) d = -d;
      // As far as the first coordinate reaching 0 or 1.
      double t = INFINITY;
      for (Index i = 0; i < n; ++i) {
        const double xi = x(free[i]);
        if (d(i) > 1e-14) t = std::min(t, (1 - xi) / d(i));
        if (d(i) < -1e-14) t = std::min(t, -xi / d(i));
      }
      if (!std::isfinite(t)) break;  // no movable direction left (numerically): round the rest
      std::vector<Index> still;
      for (Index i = 0; i < n; ++i) {
        double& xi = x(free[i]);
        xi += t * d(i);
        if (xi <= 1e-12) xi = 0;
        else if (xi >= 1 - 1e-12) xi = 1;
        else still.push_back(free[i]);
      }
      if (still.size() == free.size()) break;  // rounding kept every coordinate off its bound
      free = std::move(still);
    }
    for (Index c = 0; c < cols; ++c) values(r, c) = x(c) >= 0.5 ? g.hi(r, c) : g.lo(r, c);
  }
  return finish(w, hessian, g, std::move(values));
}

layer_rounding_result gsq(const MatrixXd& w, const MatrixXd& hessian, std::string_view quantizer,
                          const gsq_options& options) {
  detail::check_layer(w, hessian, "gsq");
  if (options.steps < 0 || !(options.learning_rate > 0) || !std::isfinite(options.learning_rate) ||
      !(options.temperature_start > 0) || !(options.temperature_end > 0) ||
      !std::isfinite(options.temperature_start) || !std::isfinite(options.temperature_end))
    throw std::invalid_argument("gsq: steps >= 0, and a positive finite learning rate and temperatures");
  neighbour_grid g = neighbours_of(w, quantizer);
  const Index rows = w.rows(), cols = w.cols();
  const MatrixXd step = g.hi - g.lo;
  // Logits start where the relaxation's mean is the weight itself: p = f at the first temperature.
  MatrixXd logit(rows, cols), m = MatrixXd::Zero(rows, cols), v = MatrixXd::Zero(rows, cols);
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < cols; ++c) {
      const double f = std::clamp(fraction(w(r, c), g.lo(r, c), g.hi(r, c)), 0.01, 0.99);
      logit(r, c) = options.temperature_start * std::log(f / (1 - f));
    }
  const double beta1 = 0.9, beta2 = 0.999;
  for (int s = 0; s < options.steps; ++s) {
    const double progress = options.steps > 1 ? static_cast<double>(s) / (options.steps - 1) : 1.0;
    const double temperature =
        options.temperature_start * std::pow(options.temperature_end / options.temperature_start, progress);
    random_stream noise(options.seed, static_cast<std::uint64_t>(s));
    MatrixXd p(rows, cols);
    for (Index c = 0; c < cols; ++c)  // column-major, the order of p's storage
      for (Index r = 0; r < rows; ++r) {
        const double u = std::clamp(noise.uniform(), 1e-12, 1 - 1e-12);
        p(r, c) = 1 / (1 + std::exp(-(logit(r, c) + std::log(u / (1 - u))) / temperature));
      }
    const MatrixXd error = w - g.lo - p.cwiseProduct(step);
    // d/dq of ½ tr(E H Eᵀ) is -E H; through q = lo + p step and p = σ((a + noise) / τ).
    const MatrixXd grad = (-(error * hessian)).cwiseProduct(step).cwiseProduct(p.cwiseProduct(MatrixXd::Ones(rows, cols) - p)) / temperature;
    m = beta1 * m + (1 - beta1) * grad;
    v = beta2 * v + (1 - beta2) * grad.cwiseProduct(grad);
    const double c1 = 1 - std::pow(beta1, s + 1), c2 = 1 - std::pow(beta2, s + 1);
    logit -= options.learning_rate * ((m / c1).array() / ((v / c2).array().sqrt() + 1e-12)).matrix();
  }
  MatrixXd values(rows, cols);
  for (Index r = 0; r < rows; ++r)
    for (Index c = 0; c < cols; ++c) values(r, c) = logit(r, c) > 0 ? g.hi(r, c) : g.lo(r, c);
  return finish(w, hessian, g, std::move(values));
}

}  // namespace fpx
