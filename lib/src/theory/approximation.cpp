#include "fpx/theory/approximation.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
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
    t.polynomial = std::array<rational, 3>{0, 0, 1};
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
    t.curvature = 48;        // |f_xx| <= 2 u_x^2 + 2 |u u_xx| <= 2 * 16 + 16
    t.mixed_curvature = 16;  // |f_xy| = 2 |u_x u_y| = 128 |(x - 1/2)(y - 1/2)| <= 128 / 8 where u > 0
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

namespace {

// Double arithmetic that refuses to round: every result is checked to be exact.
[[noreturn]] void inexact(const std::string& what) {
  throw std::domain_error("certify_interpolant: " + what + " is not exact in double");
}
double exact_add(double a, double b) {
  const double s = a + b, bb = s - a;
  if (!std::isfinite(s) || (a - (s - bb)) + (b - bb) != 0) inexact("a sum");
  return s;
}
// Below 2^-969 an fma residual can itself underflow to 0, so results that small (and a 0 from
// nonzero operands) are refused rather than trusted.
constexpr double smallest_trusted = 0x1p-969;
double exact_mul(double a, double b) {
  const double p = a * b;
  if (!std::isfinite(p) || std::fma(a, b, -p) != 0 || (p != 0 && std::abs(p) < smallest_trusted) ||
      (p == 0 && a != 0 && b != 0))
    inexact("a product");
  return p;
}
double exact_div(double a, double b) {
  const double q = a / b;
  if (!std::isfinite(q) || std::fma(q, b, -a) != 0 || (q != 0 && std::abs(q) < smallest_trusted) ||
      (q == 0 && a != 0))
    inexact("a quotient");
  return q;
}

struct point {
  double x, y;
};
// c + a x + b y
struct affine {
  double c = 0, a = 0, b = 0;
  bool zero() const { return c == 0 && a == 0 && b == 0; }
  double at(const point& p) const { return exact_add(exact_add(c, exact_mul(a, p.x)), exact_mul(b, p.y)); }
};

struct sparse_layer {
  std::vector<std::vector<std::pair<Index, double>>> rows;  // nonzero weights per output
  std::vector<double> bias;
  bool relu = false;
};

class interpolant_checker {
 public:
  interpolant_checker(const mlp& model, int pieces, std::vector<double> vertex_values)
      : n_(pieces), g_(std::move(vertex_values)) {
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
      const dense_layer& d = model.layers[l];
      if (d.act != activation::relu && d.act != activation::identity)
        throw std::invalid_argument("certify_interpolant: ReLU networks only (layer " + std::to_string(l) +
                                    " is " + std::string(to_string(d.act)) + ")");
      sparse_layer s;
      s.relu = d.act == activation::relu;
      s.rows.resize(static_cast<std::size_t>(d.map.outputs()));
      for (Index r = 0; r < d.map.outputs(); ++r) {
        for (Index c = 0; c < d.map.inputs(); ++c)
          if (d.map.weight(r, c) != 0) s.rows[static_cast<std::size_t>(r)].push_back({c, to_double_exactly(d.map.weight(r, c))});
        s.bias.push_back(d.map.bias.size() ? to_double_exactly(d.map.bias(r)) : 0.0);
      }
      layers_.push_back(std::move(s));
    }
  }

  // Proves that on triangle `corners` (of grid square (i, j)) the network is the interpolant.
  std::size_t check(const std::array<point, 3>& corners, const affine& interpolant, const std::string& name) {
    std::size_t leaves = 0;
    walk({corners.begin(), corners.end()}, interpolant, name, leaves, 0);
    return leaves;
  }

  double vertex(int i, int j) const { return g_[static_cast<std::size_t>(i) * (n_ + 1) + j]; }

 private:
  static double to_double_exactly(const rational& r) {
    const double d = static_cast<double>(r);
    if (!std::isfinite(d) || rational(d) != r) inexact("the parameter " + to_fraction_string(r));
    return d;
  }

  void walk(const std::vector<point>& polygon, const affine& interpolant, const std::string& name,
            std::size_t& leaves, int depth) {
    if (depth > 64) throw std::domain_error("certify_interpolant: more than 64 cuts in " + name);
    std::vector<affine> x{{0, 1, 0}, {0, 0, 1}}, next;
    for (const sparse_layer& layer : layers_) {
      next.assign(layer.rows.size(), {});
      for (std::size_t r = 0; r < layer.rows.size(); ++r) {
        affine f{layer.bias[r], 0, 0};
        for (const auto& [c, w] : layer.rows[r]) {
          const affine& in = x[static_cast<std::size_t>(c)];
          if (in.zero()) continue;
          f = {exact_add(f.c, exact_mul(w, in.c)), exact_add(f.a, exact_mul(w, in.a)),
               exact_add(f.b, exact_mul(w, in.b))};
        }
        if (layer.relu) {
          bool positive = false, negative = false;
          for (const point& p : polygon) {
            const double v = f.at(p);
            positive = positive || v > 0;
            negative = negative || v < 0;
          }
          if (positive && negative) {  // the unit bends inside: cut along its zero line
            std::vector<point> above, below;
            for (std::size_t k = 0; k < polygon.size(); ++k) {
              const point& p = polygon[k];
              const point& q = polygon[(k + 1) % polygon.size()];
              const double fp = f.at(p), fq = f.at(q);
              if (fp >= 0) above.push_back(p);
              if (fp <= 0) below.push_back(p);
              if ((fp > 0 && fq < 0) || (fp < 0 && fq > 0)) {
                const double t = exact_div(fp, exact_add(fp, -fq));
                const point cut{exact_add(p.x, exact_mul(t, exact_add(q.x, -p.x))),
                                exact_add(p.y, exact_mul(t, exact_add(q.y, -p.y)))};
                if (f.at(cut) != 0) inexact("a cut point");
                above.push_back(cut);
                below.push_back(cut);
              }
            }
            walk(above, interpolant, name, leaves, depth + 1);
            walk(below, interpolant, name, leaves, depth + 1);
            return;
          }
          if (!positive) f = {};
        }
        next[r] = f;
      }
      x.swap(next);
    }
    ++leaves;
    for (const point& p : polygon)
      if (x[0].at(p) != interpolant.at(p))
        throw std::domain_error("certify_interpolant: the network is not the linear interpolant of its vertex "
                                "values on " + name + " (at (" + std::to_string(p.x) + ", " +
                                std::to_string(p.y) + "))");
  }

  int n_;
  std::vector<double> g_;
  std::vector<sparse_layer> layers_;
};

}  // namespace

certificate certify_interpolant(const mlp& model, const target_function& f, int pieces) {
  if (model.inputs() != 2 || f.inputs != 2 || model.outputs() != 1)
    throw std::invalid_argument("certify_interpolant: a two-input, one-output network and a two-input target");
  if (pieces < 1 || pieces > 1024 || (pieces & (pieces - 1)) != 0)
    throw std::invalid_argument("certify_interpolant: pieces must be a power of two in 1..1024");
  const int n = pieces;
  const Index side = n + 1;
  Eigen::MatrixXd inputs(side * side, 2);
  for (Index i = 0; i < side; ++i)
    for (Index j = 0; j < side; ++j) inputs.row(i * side + j) << static_cast<double>(i) / n, static_cast<double>(j) / n;
  const Eigen::VectorXd g = evaluate_exactly_in_double(model, inputs);
  certificate c;
  c.kind = "interpolant";
  for (Index p = 0; p < inputs.rows(); ++p)
    c.grid_max = std::max(c.grid_max, std::abs(f.value(inputs(p, 0), inputs(p, 1)) - g(p)));
  interpolant_checker checker(model, n, {g.data(), g.data() + g.size()});
  const double h = 1.0 / n;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const point p00{i * h, j * h}, p10{(i + 1) * h, j * h}, p01{i * h, (j + 1) * h}, p11{(i + 1) * h, (j + 1) * h};
      const double g00 = checker.vertex(i, j), g10 = checker.vertex(i + 1, j), g01 = checker.vertex(i, j + 1),
                   g11 = checker.vertex(i + 1, j + 1);
      // I = g00 + (g10 - g00) (x - x_i) / h + (g11 - g10) (y - y_j) / h on the lower triangle,
      // g00 + (g11 - g01) (x - x_i) / h + (g01 - g00) (y - y_j) / h on the upper one.
      const auto plane = [&](double dx, double dy) {
        const double a = exact_mul(dx, n), b = exact_mul(dy, n);
        return affine{exact_add(exact_add(g00, -exact_mul(a, p00.x)), -exact_mul(b, p00.y)), a, b};
      };
      const std::string square = "the square (" + std::to_string(i) + ", " + std::to_string(j) + ")";
      c.points += checker.check({p00, p10, p11}, plane(exact_add(g10, -g00), exact_add(g11, -g10)),
                                "the lower triangle of " + square);
      c.points += checker.check({p00, p11, p01}, plane(exact_add(g11, -g01), exact_add(g01, -g00)),
                                "the upper triangle of " + square);
    }
  // Both bounds must be stated: a default curvature of 0 with no f_xy bound would certify the
  // vertex error alone (f = xy has f_xx = f_yy = 0 and misses its interpolant by 1/8).
  if (!f.mixed_curvature)
    throw std::invalid_argument("certify_interpolant: target '" + f.name +
                                "' states no bound on |f_xy| (mixed_curvature)");
  const double a = f.curvature, b = *f.mixed_curvature;
  if (!(a >= 0) || !(b >= 0))
    throw std::invalid_argument("certify_interpolant: curvature bounds must be non-negative numbers");
  c.sup_error = c.grid_max + (2 * a + 2 * b) * h * h / 8 + target_slack;
  return c;
}

}  // namespace fpx
