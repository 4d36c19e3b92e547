#pragma once
// Models and specs that several suites draw from.

#include <random>
#include <string>

#include "fpx/model/network.hpp"
#include "fpx/model/precision.hpp"

namespace fpx_test {

/// A float with precision p (p - 1 stored significand bits) and an 8-bit exponent.
inline fpx::precision_spec float_spec(int p, bool subtract_max = false) {
  fpx::precision_spec s = fpx::spec_preset("uniform(e8m" + std::to_string(p - 1) + ")");
  s.subtract_max = subtract_max;
  return s;
}

/// Random one-layer transformers over tokens {0, 1} and a query token 2, weights in quarters:
/// one or two heads of value dimension 1 or 2, an output projection, a residual and a readout.
inline fpx::transformer random_transformer(std::mt19937& rng) {
  using fpx::rational;
  std::uniform_int_distribution<int> q(-8, 8), heads(1, 2), dv(1, 2);
  auto matrix = [&](Eigen::Index r, Eigen::Index c) {
    fpx::rmatrix m(r, c);
    for (Eigen::Index i = 0; i < r; ++i)
      for (Eigen::Index k = 0; k < c; ++k) m(i, k) = rational(q(rng), 4);
    return m;
  };
  fpx::transformer t;
  t.token_embedding = matrix(3, 2);
  t.positional = matrix(8, 2);
  fpx::attention_layer att;
  Eigen::Index width = 0;
  for (int h = heads(rng); h > 0; --h) {
    const Eigen::Index d = dv(rng);
    att.heads.push_back({{matrix(2, 2), {}}, {matrix(2, 2), {}}, {matrix(d, 2), {}}});
    width += d;
  }
  att.output = {matrix(2, width), {}};
  t.blocks.push_back({att, true, {}, true});
  t.readout.layers.push_back({{matrix(1, 2), matrix(1, 1).col(0)}, fpx::activation::identity});
  return t;
}

}  // namespace fpx_test
