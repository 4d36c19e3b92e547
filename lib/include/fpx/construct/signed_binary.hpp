#pragma once
/// Signed one-bit weights (S1 = {-s, +s}) lose nothing against ternary ones in a plain MLP:
/// a ternary weight t in {-1, 0, 1} is (A + B) / 2 with A, B in {-1, +1} (0 = (1 - 1) / 2), so
/// a layer that reads every input twice, once with A and once with B at half the scale,
/// computes exactly the ternary layer. Reading every input twice is fan-in duplication:
/// every hidden unit is computed twice, doubling the width.

#include "fpx/model/network.hpp"

namespace fpx {

struct signed_binary_emulation {
  mlp model;  ///< every layer on S1 (weight_grid.hpp)
  /// The first layer needed zero weights, so the emulation reads its input twice: feed it
  /// (x, x) instead of x.
  bool duplicated_input = false;
};

/// The exact S1 emulation of a network whose layers are all on the ternary grid; throws
/// std::invalid_argument otherwise.
signed_binary_emulation emulate_with_signed_binary(const mlp& ternary);

}  // namespace fpx
