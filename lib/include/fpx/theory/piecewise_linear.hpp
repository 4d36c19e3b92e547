#pragma once
/// Exact functions of one variable that are linear between knots, and the exact function a
/// one-input ReLU network computes on an interval.
///
/// A ReLU network of one input is piecewise linear; finding its pieces exactly turns "the sup
/// error on [a, b]" into a maximum over finitely many knots, with no sampling anywhere.

#include <functional>
#include <vector>

#include "fpx/model/network.hpp"
#include "fpx/exact/rational.hpp"

namespace fpx {

struct piecewise_linear {
  std::vector<rational> knots;   ///< strictly increasing; the first and last bound the domain
  std::vector<rational> values;  ///< the value at each knot; linear in between

  const rational& lower() const { return knots.front(); }
  const rational& upper() const { return knots.back(); }
  /// The value at x; throws std::domain_error outside [lower, upper].
  rational operator()(const rational& x) const;
};

/// The linear interpolant of f at the given knots (strictly increasing, at least two).
piecewise_linear interpolate(const std::function<rational(const rational&)>& f,
                             std::vector<rational> knots);

/// a - b on their common domain (which must be the same interval), with the union of the knots.
piecewise_linear operator-(const piecewise_linear& a, const piecewise_linear& b);

/// max |p(x)| over the domain: attained at a knot, so this is exact.
rational sup_abs(const piecewise_linear& p);

/// The function a network with one input and one output computes on [lower, upper], exactly
/// (weights and biases as given, no rounding). Activations identity, relu and clipped_relu;
/// step and sign are not continuous and throw std::invalid_argument, as do other shapes.
piecewise_linear network_function(const mlp& model, const rational& lower, const rational& upper);

}  // namespace fpx
