#include "fpx/theory/degradation.hpp"

#include <cmath>
#include <stdexcept>

#include "fpx/theory/piecewise_linear.hpp"
#include "fpx/quant/quantize.hpp"
#include "fpx/exact/random_stream.hpp"

namespace fpx {
namespace {

using Eigen::Index;

rational infinity_norm(const rmatrix& m) {
  rational best = 0;
  for (Index r = 0; r < m.rows(); ++r) {
    rational row = 0;
    for (Index c = 0; c < m.cols(); ++c) row += abs(m(r, c));
    best = std::max(best, row);
  }
  return best;
}

rational infinity_norm(const rvector& v) {
  rational best = 0;
  for (Index i = 0; i < v.size(); ++i) best = std::max(best, rational(abs(v(i))));
  return best;
}

rmatrix difference(const rmatrix& a, const rmatrix& b) {
  rmatrix d(a.rows(), a.cols());
  for (Index i = 0; i < a.size(); ++i) d.data()[i] = a.data()[i] - b.data()[i];
  return d;
}

rvector bias_or_zero(const linear& map) {
  return map.bias.size() ? map.bias : rvector(rvector::Zero(map.outputs()));
}

}  // namespace

mlp random_mlp(const std::vector<int>& hidden_widths, std::uint64_t seed) {
  random_stream r(seed, 0);
  mlp m;
  Index inputs = 1;
  for (std::size_t l = 0; l <= hidden_widths.size(); ++l) {
    const bool last = l == hidden_widths.size();
    const Index outputs = last ? 1 : hidden_widths[l];
    if (outputs < 1) throw std::invalid_argument("random_mlp: widths must be positive");
    dense_layer layer{{rmatrix(outputs, inputs), rvector(outputs)}, last ? activation::identity : activation::relu};
    const double he = std::sqrt(2.0 / static_cast<double>(inputs));
    for (Index o = 0; o < outputs; ++o) {
      for (Index i = 0; i < inputs; ++i) layer.map.weight(o, i) = rational(he * r.normal());
      layer.map.bias(o) = rational(r.uniform(-0.5, 0.5));
    }
    m.layers.push_back(std::move(layer));
    inputs = outputs;
  }
  return m;
}

mlp interpolant_network(const target_function& f, int pieces) {
  if (f.inputs != 1) throw std::invalid_argument("interpolant_network: the target has two inputs");
  if (pieces < 1) throw std::invalid_argument("interpolant_network: pieces must be positive");
  const Index n = pieces;
  dense_layer hidden{{rmatrix::Constant(n, 1, rational(1)), rvector(n)}, activation::relu};
  dense_layer out{{rmatrix(1, n), rvector::Constant(1, rational(f.value(0, 0)))}, activation::identity};
  double previous_slope = 0;
  for (int k = 0; k < pieces; ++k) {
    const double slope = (f.value(static_cast<double>(k + 1) / pieces, 0) - f.value(static_cast<double>(k) / pieces, 0)) * pieces;
    hidden.map.bias(k) = -rational(k, pieces);
    out.map.weight(0, k) = rational(slope - previous_slope);
    previous_slope = slope;
  }
  return mlp{{hidden, out}};
}

mlp quantize_weights(const mlp& model, std::string_view quantizer, double* bits, double* information_bits) {
  mlp out = model;
  double weights = 0, storage = 0, information = 0;
  for (std::size_t l = 0; l < out.layers.size(); ++l) {
    rmatrix& w = out.layers[l].map.weight;
    Eigen::MatrixXd d(w.rows(), w.cols());
    for (Index i = 0; i < w.size(); ++i) {
      d.data()[i] = static_cast<double>(w.data()[i]);
      if (rational(d.data()[i]) != w.data()[i])
        throw std::invalid_argument("quantize_weights: layers[" + std::to_string(l) + "] has a weight that is not a double");
    }
    const quantized_weights q = quantize(d, quantizer);
    for (Index i = 0; i < w.size(); ++i) w.data()[i] = rational(q.values.data()[i]);
    const double n = static_cast<double>(w.size());
    weights += n;
    storage += n * q.bits_per_parameter;
    information += n * q.information_bits_per_parameter;
  }
  if (bits) *bits = storage / weights;
  if (information_bits) *information_bits = information / weights;
  return out;
}

rational perturbation_bound(const mlp& reference, const mlp& perturbed, const rational& input_radius) {
  validate(reference);
  validate(perturbed);
  if (reference.layers.size() != perturbed.layers.size())
    throw std::invalid_argument("perturbation_bound: the networks have different depths");
  rational activations = input_radius, distance = 0;
  for (std::size_t l = 0; l < reference.layers.size(); ++l) {
    const linear& a = reference.layers[l].map;
    const linear& b = perturbed.layers[l].map;
    if (a.weight.rows() != b.weight.rows() || a.weight.cols() != b.weight.cols())
      throw std::invalid_argument("perturbation_bound: layers[" + std::to_string(l) + "] shapes differ");
    const activation act = reference.layers[l].act;
    if (act == activation::step || act == activation::sign || perturbed.layers[l].act != act)
      throw std::invalid_argument("perturbation_bound: layers[" + std::to_string(l) +
                                  "] needs the same Lipschitz activation in both networks");
    const rvector bias_a = bias_or_zero(a), bias_b = bias_or_zero(b);
    rvector bias_change(bias_a.size());
    for (Index i = 0; i < bias_a.size(); ++i) bias_change(i) = bias_b(i) - bias_a(i);
    distance = infinity_norm(b.weight) * distance + infinity_norm(difference(b.weight, a.weight)) * activations +
               infinity_norm(bias_change);
    activations = infinity_norm(a.weight) * activations + infinity_norm(bias_a);
    if (act == activation::clipped_relu) activations = std::min(activations, rational(1));
  }
  return distance;
}

deviation measure_deviation(const mlp& a, const mlp& b) {
  const piecewise_linear d = network_function(a, 0, 1) - network_function(b, 0, 1);
  rational mean_square = 0;
  for (std::size_t i = 0; i + 1 < d.knots.size(); ++i) {
    const rational &u = d.values[i], &v = d.values[i + 1];
    mean_square += (d.knots[i + 1] - d.knots[i]) * (u * u + u * v + v * v) / 3;
  }
  return {sup_abs(d), std::sqrt(static_cast<double>(mean_square))};
}

}  // namespace fpx
