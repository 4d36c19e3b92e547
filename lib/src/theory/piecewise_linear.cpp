#include "fpx/theory/piecewise_linear.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace fpx {
namespace {

using Eigen::Index;

rational slope(const piecewise_linear& p, std::size_t piece) {
  return (p.values[piece + 1] - p.values[piece]) / (p.knots[piece + 1] - p.knots[piece]);
}

void check_domain(const std::vector<rational>& knots) {
  if (knots.size() < 2) throw std::invalid_argument("piecewise_linear: needs at least two knots");
  for (std::size_t i = 1; i < knots.size(); ++i)
    if (!(knots[i - 1] < knots[i]))
      throw std::invalid_argument("piecewise_linear: knots must be strictly increasing");
}

// bias + sum_j weight_j * inputs_j, built from slope changes so that the cost grows with the
// number of knots, not with (inputs x knots).
piecewise_linear affine_combination(const std::vector<piecewise_linear>& inputs,
                                    const std::vector<rational>& weights, const rational& bias,
                                    const rational& lower, const rational& upper) {
  rational start = bias, first_slope = 0;
  std::map<rational, rational> slope_change;
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    if (weights[j] == 0) continue;
    const piecewise_linear& p = inputs[j];
    start += weights[j] * p.values.front();
    rational previous = slope(p, 0);
    first_slope += weights[j] * previous;
    for (std::size_t k = 1; k + 1 < p.knots.size(); ++k) {
      const rational next = slope(p, k);
      if (next != previous) slope_change[p.knots[k]] += weights[j] * (next - previous);
      previous = next;
    }
  }
  piecewise_linear out;
  out.knots.push_back(lower);
  out.values.push_back(start);
  rational s = first_slope;
  for (const auto& [knot, change] : slope_change) {
    if (change == 0) continue;
    out.values.push_back(out.values.back() + s * (knot - out.knots.back()));
    out.knots.push_back(knot);
    s += change;
  }
  out.values.push_back(out.values.back() + s * (upper - out.knots.back()));
  out.knots.push_back(upper);
  return out;
}

// Inserts the points where p crosses `level` between knots.
void add_crossings(piecewise_linear& p, const rational& level) {
  piecewise_linear out;
  for (std::size_t i = 0; i + 1 < p.knots.size(); ++i) {
    out.knots.push_back(p.knots[i]);
    out.values.push_back(p.values[i]);
    const rational& v0 = p.values[i];
    const rational& v1 = p.values[i + 1];
    if ((v0 < level && level < v1) || (v1 < level && level < v0)) {
      out.knots.push_back(p.knots[i] + (level - v0) * (p.knots[i + 1] - p.knots[i]) / (v1 - v0));
      out.values.push_back(level);
    }
  }
  out.knots.push_back(p.knots.back());
  out.values.push_back(p.values.back());
  p = std::move(out);
}

piecewise_linear activate(piecewise_linear p, activation act) {
  switch (act) {
    case activation::identity: return p;
    case activation::relu:
      add_crossings(p, 0);
      for (rational& v : p.values) v = std::max(v, rational(0));
      return p;
    case activation::clipped_relu:
      add_crossings(p, 0);
      add_crossings(p, 1);
      for (rational& v : p.values) v = std::clamp(v, rational(0), rational(1));
      return p;
    case activation::step:
    case activation::sign: break;
  }
  throw std::invalid_argument("network_function: activation '" + std::string(to_string(act)) +
                              "' is not continuous, so the network is not piecewise linear");
}

}  // namespace

rational piecewise_linear::operator()(const rational& x) const {
  if (x < lower() || x > upper())
    throw std::domain_error("piecewise_linear: x outside [" + to_fraction_string(lower()) + ", " +
                            to_fraction_string(upper()) + "]");
  const auto it = std::upper_bound(knots.begin(), knots.end(), x);
  if (it == knots.end()) return values.back();
  const std::size_t i = static_cast<std::size_t>(it - knots.begin()) - 1;
  return values[i] + slope(*this, i) * (x - knots[i]);
}

piecewise_linear interpolate(const std::function<rational(const rational&)>& f,
                             std::vector<rational> knots) {
  check_domain(knots);
  piecewise_linear p;
  p.values.reserve(knots.size());
  for (const rational& x : knots) p.values.push_back(f(x));
  p.knots = std::move(knots);
  return p;
}

piecewise_linear operator-(const piecewise_linear& a, const piecewise_linear& b) {
  if (a.lower() != b.lower() || a.upper() != b.upper())
    throw std::invalid_argument("piecewise_linear: the two functions have different domains");
  return affine_combination({a, b}, {1, -1}, 0, a.lower(), a.upper());
}

rational sup_abs(const piecewise_linear& p) {
  rational best = 0;
  for (const rational& v : p.values) best = std::max(best, rational(abs(v)));
  return best;
}

piecewise_linear network_function(const mlp& model, const rational& lower, const rational& upper) {
  validate(model);
  if (model.inputs() != 1 || model.outputs() != 1)
    throw std::invalid_argument("network_function: the network must have one input and one output");
  if (!(lower < upper)) throw std::invalid_argument("network_function: empty interval");
  std::vector<piecewise_linear> units{piecewise_linear{{lower, upper}, {lower, upper}}};
  for (const dense_layer& layer : model.layers) {
    std::vector<piecewise_linear> next;
    std::vector<rational> row(static_cast<std::size_t>(layer.map.inputs()));
    for (Index o = 0; o < layer.map.outputs(); ++o) {
      for (Index i = 0; i < layer.map.inputs(); ++i) row[static_cast<std::size_t>(i)] = layer.map.weight(o, i);
      const rational bias = layer.map.bias.size() ? layer.map.bias(o) : rational(0);
      next.push_back(activate(affine_combination(units, row, bias, lower, upper), layer.act));
    }
    units = std::move(next);
  }
  return units.front();
}

}  // namespace fpx
