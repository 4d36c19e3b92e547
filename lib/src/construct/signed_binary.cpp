#include "fpx/construct/signed_binary.hpp"

#include <stdexcept>

#include "fpx/construct/weight_grid.hpp"

namespace fpx {
namespace {

using Eigen::Index;

// The two S1 weights (in units of the half scale) whose sum is 2t.
std::pair<int, int> split(int t) { return t == 0 ? std::pair{1, -1} : std::pair{t, t}; }

int level(const rational& w) { return w == 0 ? 0 : (w > 0 ? 1 : -1); }

}  // namespace

signed_binary_emulation emulate_with_signed_binary(const mlp& ternary) {
  validate(ternary);
  const auto scales = grid_scales(ternary, weight_grid::ternary);
  if (!scales) throw std::invalid_argument("emulate_with_signed_binary: a layer is not on the ternary grid");
  signed_binary_emulation out;
  const auto& layers = ternary.layers;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const linear& map = layers[l].map;
    bool has_zero = false;
    for (Index i = 0; i < map.weight.size(); ++i) has_zero |= map.weight.data()[i] == 0;
    // Hidden layers' inputs arrive twice already; the network's input only when we ask for it.
    const bool paired = l > 0 || has_zero;
    if (l == 0) out.duplicated_input = paired;
    const rational scale = (*scales)[l] == 0 ? rational(1) : (*scales)[l];
    const Index copies = l + 1 < layers.size() ? 2 : 1;  // duplicate hidden units, not the output
    const Index columns = paired ? 2 * map.inputs() : map.inputs();
    dense_layer layer{{rmatrix(copies * map.outputs(), columns), rvector(copies * map.outputs())}, layers[l].act};
    for (Index o = 0; o < map.outputs(); ++o)
      for (Index c = 0; c < copies; ++c) {
        const Index row = copies * o + c;
        layer.map.bias(row) = map.bias.size() ? map.bias(o) : rational(0);
        for (Index i = 0; i < map.inputs(); ++i) {
          const int t = level(map.weight(o, i));
          if (!paired) {
            layer.map.weight(row, i) = t * scale;
            continue;
          }
          const auto [a, b] = split(t);
          // Hidden units come as adjacent copies; a duplicated input as (x, x) halves.
          const Index first = l > 0 ? 2 * i : i, second = l > 0 ? 2 * i + 1 : map.inputs() + i;
          layer.map.weight(row, first) = a * scale / 2;
          layer.map.weight(row, second) = b * scale / 2;
        }
      }
    out.model.layers.push_back(std::move(layer));
  }
  return out;
}

}  // namespace fpx
