#pragma once
/// Targets on the unit box, and certificates of how far a network is from one.
///
/// A certificate is a proven upper bound on sup |network - target| over [0,1]^d:
/// - exact: a piecewise-linear target against a one-input network: both are linear between
///   finitely many knots, found exactly (piecewise_linear.hpp), so the sup is a maximum over knots;
/// - curvature: a smooth one-input target with |f''| <= M: the grid holds every knot of the
///   network, so between grid points f - g has second derivative at most M and exceeds the
///   larger end value by at most M h^2 / 8;
/// - grid: the maximum over a grid only (two-input targets); a measurement, not a bound;
/// - interpolant: a two-input network proven, exactly, to be on every triangle of the N x N grid
///   (cut along the (1,1) diagonals) the linear interpolant of its own vertex values, so that
///   sup |g - f| <= max over vertices |g(v) - f(v)| + (A + 2B + C) h^2 / 8 (h = 1/N; A, C bound
///   |f_xx|, |f_yy| and B bounds |f_xy|; see certify_interpolant).
/// Target values are doubles (sin to within an ulp); network values are exact.

#include <array>
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
  /// Polynomial one-input targets: exactly, f(x) = p[0] + p[1] x + p[2] x^2 on [0, 1].
  std::optional<std::array<rational, 3>> polynomial;
  double curvature = 0;  ///< a bound on |f''| (one input) or on |f_xx| and |f_yy| (two)
  std::optional<double> mixed_curvature;  ///< two inputs: a bound on |f_xy| (certify_interpolant needs it)
  double lipschitz = 0;  ///< a Lipschitz constant on [0,1]^inputs (Euclidean; 0: none known)
};

/// "abs" |x - 1/2|, "descending" 1 - x, "square" x^2, "sine" sin(2 pi x),
/// "bump" (1 - 4 |(x,y) - (1/2,1/2)|^2)_+^2. Throws std::invalid_argument for another name.
target_function target(std::string_view name);
std::vector<std::string> target_names();

struct certificate {
  double sup_error = 0;  ///< the bound (exact, curvature) or the grid maximum (grid)
  std::string kind;      ///< "exact", "curvature", "grid" or "interpolant"
  double grid_max = 0;   ///< the largest error seen at an evaluated point
  std::size_t points = 0;
};

/// Certifies `model` against `f` on [0,1]^d; `grid` is the number of grid intervals per axis
/// (the knots of a one-input network are added to it; at most 1024 for two inputs, a power of
/// two there so that the points are dyadic).
certificate certify(const mlp& model, const target_function& f, int grid = 4096);

/// The certificate "interpolant" for a two-input ReLU network (every layer ReLU or identity,
/// one output) on the N x N grid (`pieces` = N). First, exactly: on each triangle (i, j),
/// (i+1, j), (i+1, j+1) and (i, j), (i, j+1), (i+1, j+1) (coordinates over N), every unit's
/// pre-activation is an affine form, computed layer by layer with the activation pattern fixed;
/// where a unit's form takes both signs at the vertices of the current polygon, the polygon is
/// cut along the form's zero line and each part is walked again, so each leaf polygon has one
/// pattern and the network is affine on it; that affine form must equal the triangle's linear
/// interpolant of the network's vertex values at every vertex of the leaf. Every operation
/// (forms, vertex values, cut points) is done in double and checked to be exact (a zero
/// rounding error by TwoSum or fma), so the check is exact or refuses. Then the bound
///   sup |g - f| <= max_v |g(v) - f(v)| + (A + 2B + C) h^2 / 8 + 1e-12,
/// with A = C = f.curvature, B = f.mixed_curvature (which must be set), h = 1/N: for x in a
/// triangle with barycentric weights l_i, I f(x) - f(x) = sum_i l_i R_i with Taylor remainders
/// |R_i| <= Q(v_i - x) / 2, Q(u, w) = A u^2 + 2B |u w| + C w^2, and sum_i l_i u_i^2 (a variance
/// of a variable in an interval of length h) <= h^2 / 4, likewise for w and |u w|.
/// Throws std::domain_error naming the triangle where the network is not its interpolant (or
/// an operation is not exact in double), std::invalid_argument for a wrong shape or activation.
/// `points` counts the leaf polygons.
certificate certify_interpolant(const mlp& model, const target_function& f, int pieces);

/// The network's outputs at the rows of `inputs` (points x inputs), computed in double, and
/// exactly so: std::invalid_argument is thrown unless every weight, bias and input is dyadic
/// and small enough that no sum or product in the forward pass can round (checked layer by
/// layer from magnitude bounds and denominators before computing anything).
Eigen::VectorXd evaluate_exactly_in_double(const mlp& model, const Eigen::MatrixXd& inputs);

}  // namespace fpx
