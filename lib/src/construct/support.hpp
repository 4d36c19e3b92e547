#pragma once
// Small pieces shared by the constructions (ternary_construction.cpp, monotone.cpp).

#include "fpx/model/network.hpp"

namespace fpx::detail {

// The integer nearest to x (halves go up).
inline rational nearest_integer(const rational& x) {
  const rational shifted = x + rational(1, 2);
  bigint q = numerator(shifted) / denominator(shifted);  // truncates toward zero
  if (q > shifted) --q;
  return rational(q);
}

// A network that computes a constant: one hidden unit with zero weights (validate() rejects
// layers without units), for targets that need no units at all.
inline mlp constant_network(Eigen::Index inputs, const rational& value) {
  dense_layer hidden{{rmatrix::Zero(1, inputs), rvector::Zero(1)}, activation::relu};
  dense_layer out{{rmatrix::Zero(1, 1), rvector::Constant(1, value)}, activation::identity};
  return mlp{{hidden, out}};
}

}  // namespace fpx::detail
