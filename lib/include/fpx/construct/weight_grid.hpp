#pragma once
/// The one- and 1.58-bit weight grids, and what a network built on them costs.
///
/// A layer is on a grid when every weight is s times a level of the grid for one scale s per
/// layer (per tensor): unsigned binary U1 = {0, 1}, signed binary S1 = {-1, +1}, ternary
/// {-1, 0, 1}. Biases are free (the constructions keep them on dyadic grids anyway).

#include <optional>
#include <string_view>
#include <vector>

#include "fpx/model/network.hpp"

namespace fpx {

enum class weight_grid { unsigned_binary, signed_binary, ternary };
std::string_view to_string(weight_grid g);  ///< "u1", "s1", "ternary"

/// Each layer's scale when every layer is on the grid (a layer of zeros gets scale 0 and is on
/// U1 and ternary only); nullopt otherwise.
std::optional<std::vector<rational>> grid_scales(const mlp& model, weight_grid grid);

struct network_size {
  Eigen::Index width = 0;       ///< hidden units, all layers together
  Eigen::Index depth = 0;       ///< hidden layers
  Eigen::Index parameters = 0;  ///< nonzero weights plus biases (zero weights need no wire)
};
network_size size_of(const mlp& model);

}  // namespace fpx
