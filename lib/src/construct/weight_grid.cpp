#include "fpx/construct/weight_grid.hpp"

namespace fpx {

std::string_view to_string(weight_grid g) {
  switch (g) {
    case weight_grid::unsigned_binary: return "u1";
    case weight_grid::signed_binary: return "s1";
    case weight_grid::ternary: return "ternary";
  }
  return "?";
}

std::optional<std::vector<rational>> grid_scales(const mlp& model, weight_grid grid) {
  std::vector<rational> scales;
  for (const dense_layer& layer : model.layers) {
    rational scale = 0;
    for (Eigen::Index i = 0; i < layer.map.weight.size(); ++i) {
      const rational& w = layer.map.weight.data()[i];
      if (w == 0) {
        if (grid == weight_grid::signed_binary) return std::nullopt;
        continue;
      }
      if (w < 0 && grid == weight_grid::unsigned_binary) return std::nullopt;
      if (scale == 0) scale = abs(w);
      if (abs(w) != scale) return std::nullopt;
    }
    scales.push_back(scale);
  }
  return scales;
}

network_size size_of(const mlp& model) {
  network_size s;
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const linear& map = model.layers[l].map;
    if (l + 1 < model.layers.size()) {
      s.width += map.outputs();
      ++s.depth;
    }
    for (Eigen::Index i = 0; i < map.weight.size(); ++i) s.parameters += map.weight.data()[i] != 0;
    s.parameters += map.bias.size();
  }
  return s;
}

}  // namespace fpx
