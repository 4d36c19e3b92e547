#include "fpx/construct/ternary.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "support.hpp"

namespace fpx {
namespace {

using Eigen::Index;

int sign_of(const rational& x) { return x > 0 ? 1 : (x < 0 ? -1 : 0); }

mlp one_input(const target_function& f, int pieces, const rational& q) {
  const rational h(1, pieces), step = q * h;
  auto at = [&](int k) { return rational(f.value(static_cast<double>(rational(k, pieces)), 0)); };
  const rational bias = step * detail::nearest_integer(at(0) / step);
  // units[k]: the signed number of copies of ReLU(x - k/N).
  std::vector<rational> units(static_cast<std::size_t>(pieces));
  rational value = bias, slope = 0;
  Index width = 0;
  for (int k = 0; k < pieces; ++k) {
    const rational next = detail::nearest_integer((at(k + 1) - value) / step);
    units[static_cast<std::size_t>(k)] = next - slope;
    width += static_cast<Index>(abs(next - slope));
    slope = next;
    value += next * step;
  }
  if (width == 0) return detail::constant_network(1, bias);
  dense_layer hidden{{rmatrix(width, 1), rvector(width)}, activation::relu};
  dense_layer out{{rmatrix(1, width), rvector::Constant(1, bias)}, activation::identity};
  Index u = 0;
  for (int k = 0; k < pieces; ++k)
    for (rational c = abs(units[static_cast<std::size_t>(k)]); c > 0; --c, ++u) {
      hidden.map.weight(u, 0) = 1;
      hidden.map.bias(u) = -rational(k) * h;
      out.map.weight(0, u) = sign_of(units[static_cast<std::size_t>(k)]) * q;
    }
  return mlp{{hidden, out}};
}

mlp two_inputs(const target_function& f, int pieces, const rational& q) {
  if (pieces & (pieces - 1))
    throw std::invalid_argument("ternary_interpolant: two inputs need a power-of-two grid");
  struct vertex { int i, j; rational copies; };
  std::vector<vertex> vertices;
  Index copies = 0;
  for (int i = 0; i <= pieces; ++i)
    for (int j = 0; j <= pieces; ++j) {
      const rational c = detail::nearest_integer(
          rational(f.value(static_cast<double>(rational(i, pieces)), static_cast<double>(rational(j, pieces)))) /
          (2 * q));
      if (c == 0) continue;
      vertices.push_back({i, j, c});
      copies += static_cast<Index>(abs(c));
    }
  if (vertices.empty()) return detail::constant_network(2, 0);
  const Index v = static_cast<Index>(vertices.size());
  const rational n = pieces;
  dense_layer first{{rmatrix::Zero(4 * v, 2), rvector(4 * v)}, activation::relu};
  dense_layer second{{rmatrix::Zero(5 * v, 4 * v), rvector::Zero(5 * v)}, activation::relu};
  dense_layer third{{rmatrix::Zero(copies, 5 * v), rvector::Constant(copies, rational(2))}, activation::relu};
  dense_layer out{{rmatrix::Zero(1, copies), rvector::Zero(1)}, activation::identity};
  Index unit = 0;
  for (Index k = 0; k < v; ++k) {
    const vertex& p = vertices[static_cast<std::size_t>(k)];
    // First layer: p+ = (a+b)+, p- = (-a-b)+, q+ = (a-b)+, q- = (b-a)+.
    const int sx[4] = {1, -1, 1, -1}, sy[4] = {1, -1, -1, 1};
    for (int r = 0; r < 4; ++r) {
      first.map.weight(4 * k + r, 0) = sx[r] * n;
      first.map.weight(4 * k + r, 1) = sy[r] * n;
      first.map.bias(4 * k + r) = -(sx[r] * p.i + sy[r] * p.j);
    }
    // Second layer: r = (|a+b| - |a-b|)+, then q+, q+, q-, q- passed through (they are >= 0).
    const Index p0 = 4 * k, s0 = 5 * k;
    second.map.weight(s0, p0) = second.map.weight(s0, p0 + 1) = 1;
    second.map.weight(s0, p0 + 2) = second.map.weight(s0, p0 + 3) = -1;
    second.map.weight(s0 + 1, p0 + 2) = second.map.weight(s0 + 2, p0 + 2) = 1;
    second.map.weight(s0 + 3, p0 + 3) = second.map.weight(s0 + 4, p0 + 3) = 1;
    // Third layer: 2 phi = (2 - 2|a-b| - r)+, once per copy.
    for (rational c = abs(p.copies); c > 0; --c, ++unit) {
      for (int r = 0; r < 5; ++r) third.map.weight(unit, s0 + r) = -1;
      out.map.weight(0, unit) = sign_of(p.copies) * q;
    }
  }
  return mlp{{first, second, third, out}};
}

rational power_of_two_at_most(double x) {
  return pow2(static_cast<long long>(std::floor(std::log2(x))));
}

// One input: the largest |slope| of the interpolant at N pieces; two inputs: max |f(v)| / 2.
double largest_step(const target_function& f, int pieces) {
  double largest = 0;
  for (int i = 0; i <= pieces; ++i) {
    const double x = static_cast<double>(i) / pieces;
    if (f.inputs == 1) {
      if (i < pieces) largest = std::max(largest, std::abs(f.value(x + 1.0 / pieces, 0) - f.value(x, 0)) * pieces);
      continue;
    }
    for (int j = 0; j <= pieces; ++j)
      largest = std::max(largest, std::abs(f.value(x, static_cast<double>(j) / pieces)) / 2);
  }
  return largest;
}

}  // namespace

int certificate_grid(const target_function& f, int pieces) {
  return f.inputs == 1 ? 4096 : std::max(64, 4 * pieces);
}

mlp ternary_interpolant(const target_function& f, int pieces, const rational& quantum) {
  if (pieces < 1) throw std::invalid_argument("ternary_interpolant: pieces must be positive");
  if (quantum <= 0) throw std::invalid_argument("ternary_interpolant: the quantum must be positive");
  return f.inputs == 1 ? one_input(f, pieces, quantum) : two_inputs(f, pieces, quantum);
}

construction construct_ternary(const target_function& f, double epsilon, int max_pieces) {
  if (!(epsilon > 0)) throw std::invalid_argument("construct_ternary: epsilon must be positive");
  construction c;
  for (int pieces = 1; pieces <= max_pieces; pieces *= 2) {
    // The finest quantum that is sure to be enough keeps the quantisation error at a quarter of
    // epsilon (one input: knots land within q/(2N); two: each f(v) within q of a multiple of 2q).
    // Coarser quanta need fewer copies, so they are tried first, from the first one that can
    // express the largest slope (one input) or half the largest value (two) in one step.
    const rational finest = f.inputs == 1 ? power_of_two_at_most(epsilon * pieces / 2)
                                          : power_of_two_at_most(epsilon / 4);
    const double largest = largest_step(f, pieces);
    rational quantum = largest > 0 ? std::max(finest, pow2(static_cast<long long>(std::ceil(std::log2(largest)))))
                                   : finest;
    for (; quantum >= finest; quantum /= 2) {
      c.quantum = quantum;
      c.pieces = pieces;
      c.model = ternary_interpolant(f, pieces, c.quantum);
      // Two inputs: the network proven to be the interpolant of its vertex values, and the
      // interpolation bound (certify's grid maximum would be a measurement only).
      c.proof = f.inputs == 1 ? certify(c.model, f, certificate_grid(f, pieces))
                              : certify_interpolant(c.model, f, pieces);
      c.met = c.proof.sup_error <= epsilon;
      if (c.met) return c;
    }
  }
  return c;
}

}  // namespace fpx
