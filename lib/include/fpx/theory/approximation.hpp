#pragma once
/// Targets on the unit box, and certificates of how far a network is from one.
///
/// A certificate is a proven upper bound on sup |network - target| over [0,1]^d:
/// - exact: a piecewise-linear target against a one-input network: both are linear between
///   finitely many knots, found exactly (piecewise_linear.hpp), so the sup is a maximum over knots;
/// - curvature: a smooth one-input target with |f''| <= M: the grid holds every knot of the
///   network, so between grid points f - g has second derivative at most M and exceeds the
///   larger end value by at most M h^2 / 8;
/// - grid: the maximum over a grid only (two-input targets); a measurement, not a bound.
/// Target values are doubles (sin to within an ulp); network values are exact.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fpx/model/network.hpp"
#include "fpx/theory/piecewise_linear.hpp"

namespace fpx {

struct target_function {
  std::string name;
  int inputs = 1;  ///< 1 or 2; the domain is [0,1]^inputs
  std::function<double(double, double)> value;  ///< y is ignored for one input
  /// Piecewise-linear one-input targets: exactly, with the knots it bends at.
  std::optional<piecewise_linear> exact;
  double curvature = 0;  ///< a bound on |f''| (one input) or on every second partial (two)
  double lipschitz = 0;  ///< a Lipschitz constant on [0,1]^inputs (Euclidean; 0: none known)
};

/// "abs" |x - 1/2|, "descending" 1 - x, "square" x^2, "sine" sin(2 pi x),
/// "bump" (1 - 4 |(x,y) - (1/2,1/2)|^2)_+^2. Throws std::invalid_argument for another name.
target_function target(std::string_view name);
std::vector<std::string> target_names();

struct certificate {
  double sup_error = 0;  ///< the bound (exact, curvature) or the grid maximum (grid)
  std::string kind;      ///< "exact", "curvature" or "grid"
  double grid_max = 0;   ///< the largest error seen at an evaluated point
  std::size_t points = 0;
};

/// Certifies `model` against `f` on [0,1]^d; `grid` is the number of grid intervals per axis
/// (the knots of a one-input network are added to it; at most 1024 for two inputs, a power of
/// two there so that the points are dyadic).
certificate certify(const mlp& model, const target_function& f, int grid = 4096);

/// The network's outputs at the rows of `inputs` (points x inputs), computed in double, and
/// exactly so: std::invalid_argument is thrown unless every weight, bias and input is dyadic
/// and small enough that no sum or product in the forward pass can round (checked layer by
/// layer from magnitude bounds and denominators before computing anything).
Eigen::VectorXd evaluate_exactly_in_double(const mlp& model, const Eigen::MatrixXd& inputs);

}  // namespace fpx
