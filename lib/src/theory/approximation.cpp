#include "fpx/theory/approximation.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace fpx {
namespace {

using Eigen::Index;

// Covers the target's own evaluation in double (an argument rounded to a double, sin within an
// ulp) and the final conversion of exact network values to double.
constexpr double target_slack = 1e-12;

// log2 of the denominator of a dyadic rational; nullopt when it is not dyadic.
std::optional<long> fraction_bits(const rational& r) {
  const bigint& d = denominator(r);
  if ((d & (d - 1)) != 0) return std::nullopt;
  return static_cast<long>(msb(d));
}

// Every value is a multiple of 2^-bits and at most `bound` in magnitude.
struct value_range {
  long bits = 0;
  rational bound = 0;
  bool fits_double() const { return bound * pow2(bits) < pow2(53); }
};

[[noreturn]] void not_exact(const std::string& why) {
  throw std::invalid_argument("evaluate_exactly_in_double: " + why);
}

long dyadic_bits(const rational& r, const std::string& what) {
  const auto b = fraction_bits(r);
  if (!b) not_exact(what + " " + to_fraction_string(r) + " is not dyadic");
  return *b;
}

}  // namespace

std::vector<std::string> target_names() { return {"abs", "descending", "square", "sine", "bump"}; }

target_function target(std::string_view name) {
  target_function t;
  t.name = std::string(name);
  if (name == "abs") {
    t.value = [](double x, double) { return std::abs(x - 0.5); };
    t.exact = interpolate([](const rational& x) { return rational(abs(x - rational(1, 2))); },
                          {0, rational(1, 2), 1});
    t.lipschitz = 1;
  } else if (name == "descending") {
    t.value = [](double x, double) { return 1 - x; };
    t.exact = interpolate([](const rational& x) { return 1 - x; }, {0, 1});
    t.lipschitz = 1;
  } else if (name == "square") {
    t.value = [](double x, double) { return x * x; };
    t.curvature = 2;
    t.lipschitz = 2;  // |2x| on [0, 1]
  } else if (name == "sine") {
    t.value = [](double x, double) { return std::sin(2 * std::numbers::pi * x); };
    t.curvature = 4 * std::numbers::pi * std::numbers::pi;
    t.lipschitz = 2 * std::numbers::pi;
  } else if (name == "bump") {
    t.inputs = 2;
    t.value = [](double x, double y) {
      const double u = 1 - 4 * ((x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5));
      return u > 0 ? u * u : 0.0;
    };
    t.curvature = 48;  // |f_xx| <= 2 u_x^2 + 2 |u u_xx| <= 2 * 16 + 16
    t.lipschitz = 8;   // |grad f| = 2 u |grad u| <= 2 * 1 * 4 where u > 0
  } else {
    std::string names;
    for (const auto& n : target_names()) names += (names.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown target '" + std::string(name) + "' (" + names + ")");
  }
  return t;
}

Eigen::VectorXd evaluate_exactly_in_double(const mlp& model, const Eigen::MatrixXd& inputs) {
  validate(model);
  if (inputs.cols() != model.inputs())
    not_exact("inputs have " + std::to_string(inputs.cols()) + " columns, the network takes " +
              std::to_string(model.inputs()));
  value_range range;
  for (Index i = 0; i < inputs.size(); ++i) {
    const double v = inputs.data()[i];
    if (!std::isfinite(v)) not_exact("an input is not finite");
    range.bits = std::max(range.bits, dyadic_bits(rational(v), "input"));
    range.bound = std::max(range.bound, rational(std::abs(v)));
  }
  Eigen::MatrixXd x = inputs.transpose();  // one column per point
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const linear& map = model.layers[l].map;
    const std::string where = "layers[" + std::to_string(l) + "]";
    Eigen::MatrixXd w(map.outputs(), map.inputs());
    Eigen::VectorXd b = Eigen::VectorXd::Zero(map.outputs());
    value_range next;
    for (Index o = 0; o < map.outputs(); ++o) {
      rational sum = 0;
      for (Index i = 0; i < map.inputs(); ++i) {
        const rational& v = map.weight(o, i);
        w(o, i) = 0;
        if (v == 0) continue;
        w(o, i) = static_cast<double>(v);
        if (rational(w(o, i)) != v) not_exact(where + " weight " + to_fraction_string(v) + " is not a double");
        next.bits = std::max(next.bits, range.bits + dyadic_bits(v, where + " weight"));
        sum += abs(v);
      }
      sum *= range.bound;
      if (map.bias.size() && map.bias(o) != 0) {
        const rational& v = map.bias(o);
        b(o) = static_cast<double>(v);
        if (rational(b(o)) != v) not_exact(where + " bias " + to_fraction_string(v) + " is not a double");
        next.bits = std::max(next.bits, dyadic_bits(v, where + " bias"));
        sum += abs(v);
      }
      next.bound = std::max(next.bound, sum);
    }
    if (!next.fits_double())
      not_exact(where + " sums need more than 53 significant bits");
    x = (w * x).colwise() + b;
    switch (model.layers[l].act) {
      case activation::identity: break;
      case activation::relu: x = x.cwiseMax(0.0); break;
      case activation::clipped_relu:
        x = x.cwiseMax(0.0).cwiseMin(1.0);
        next.bound = std::min(next.bound, rational(1));
        break;
      case activation::step: x = (x.array() >= 0).cast<double>(); next = {0, 1}; break;
      case activation::sign: x = (x.array() >= 0).cast<double>() * 2 - 1; next = {0, 1}; break;
    }
    range = next;
  }
  return x.transpose().col(0);
}

certificate certify(const mlp& model, const target_function& f, int grid) {
  if (grid < 1) throw std::invalid_argument("certify: the grid needs at least one interval");
  if (model.inputs() != f.inputs || model.outputs() != 1)
    throw std::invalid_argument("certify: the network's shape does not match target '" + f.name + "'");
  certificate c;
  if (f.inputs == 1) {
    const piecewise_linear g = network_function(model, 0, 1);
    if (f.exact) {
      const piecewise_linear error = g - *f.exact;
      c.kind = "exact";
      c.sup_error = c.grid_max = static_cast<double>(sup_abs(error));
      c.points = error.knots.size();
      return c;
    }
    std::vector<rational> points = g.knots;
    for (int k = 0; k <= grid; ++k) points.push_back(rational(k, grid));
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    rational widest = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const double error = std::abs(f.value(static_cast<double>(points[i]), 0) - static_cast<double>(g(points[i])));
      c.grid_max = std::max(c.grid_max, error);
      if (i) widest = std::max(widest, rational(points[i] - points[i - 1]));
    }
    const double h = static_cast<double>(widest);
    c.kind = "curvature";
    c.points = points.size();
    c.sup_error = c.grid_max + f.curvature * h * h / 8 + target_slack;
    return c;
  }
  if (grid > 1024) throw std::invalid_argument("certify: a two-input grid is at most 1024 intervals per axis");
  const Index side = grid + 1;
  Eigen::MatrixXd inputs(side * side, 2);
  for (Index i = 0; i < side; ++i)
    for (Index j = 0; j < side; ++j) inputs.row(i * side + j) << static_cast<double>(i) / grid, static_cast<double>(j) / grid;
  const Eigen::VectorXd g = evaluate_exactly_in_double(model, inputs);
  for (Index p = 0; p < inputs.rows(); ++p)
    c.grid_max = std::max(c.grid_max, std::abs(f.value(inputs(p, 0), inputs(p, 1)) - g(p)));
  c.kind = "grid";
  c.sup_error = c.grid_max;
  c.points = static_cast<std::size_t>(inputs.rows());
  return c;
}

}  // namespace fpx
