#pragma once
/// The best sup error that every network of a tiny class on a weight grid reaches on a target,
/// found by exhaustive enumeration and exact arithmetic.
///
/// Class N(levels, biases, scales, width): one input x in [0, 1], `width` hidden ReLU units and
/// one linear output,
///     g(x) = d + S * sum_k v_k * ReLU(a_k x + c_k),
/// with hidden weights a_k and output weights v_k levels of the weight grid, hidden biases c_k on
/// the bias grid, S one of the output scales, and d any real number (for each setting the best d
/// is taken, (max (f - g) + min (f - g)) / 2, so the error of a setting is (max - min) / 2 of
/// f - g over [0, 1]). The hidden layer has scale 1. That is a restriction of the class, not an
/// equivalence: relu(s a x + c) = s relu(a x + c/s), so a hidden scale s would divide the bias
/// grid by s (finer knots) and multiply the output scale by s.
///
/// Enumeration: a unit times its output weight is only seen through the function
/// v ReLU(a x + c) it computes on [0, 1], so those products are reduced to their distinct
/// functions ("features") and the hidden layer to a multiset of features; every multiset is
/// walked with every scale. Screening is in double, on the target's exact form read in double:
/// with B bounding every magnitude involved, each double error is within 2^-44 B of the exact
/// one (about 40 operations, each rounding by 2^-53 relative), and every setting within
/// 2^-39 B of the best double error is recomputed exactly in rationals; the exact minimum over
/// them is the class's best error. The sup over [0, 1] is exact: f - g is evaluated at 0, 1, every
/// knot of g and of f, and (quadratic targets) at the vertex of each piece.
/// The ranges of the walk are fixed and merged in order: the same result and witness at any
/// thread count.

#include <cstdint>
#include <string>
#include <vector>

#include "fpx/exact/rational.hpp"
#include "fpx/theory/approximation.hpp"

namespace fpx {

struct best_error_result {
  rational error;                ///< the class's best sup error, exactly
  std::uint64_t features = 0;    ///< distinct v ReLU(a x + c) on [0, 1], the zero function included
  double multisets = 0;          ///< multisets of `width` features walked (each with every scale)
  double settings = 0;           ///< the unreduced count: (levels^2 biases)^width scales
  std::uint64_t rechecked = 0;   ///< settings recomputed exactly (within the margin of the best)
  std::uint64_t optimal = 0;     ///< of those, settings (multiset, scale) at the best error
  /// A setting at the best error (the first in the walk's order): per unit a, c, v; the scale
  /// and the output bias d (exact, possibly not dyadic).
  std::vector<rational> a, c, v;
  rational scale, bias;
};

/// Walks N(levels, biases, scales, width) against `f`, which must be exact: one input, with a
/// polynomial form of degree <= 2 (`polynomial`, coefficients at most 16 in magnitude) or a
/// piecewise-linear form (`exact`) on exactly [0, 1] with at most 8 knots inside and values at
/// most 16 in magnitude; `value` is not used.
/// Levels, biases and scales are dyadic with at most 16 fractional bits and magnitude at most
/// 16 (scales positive, at least 2^-16); width 1..4. Refuses a walk of more than `budget`
/// (multiset, scale) pairs (a finite positive number) or of more than 10^7 units (levels^2
/// biases). Throws std::invalid_argument for any of these.
best_error_result best_grid_error(const target_function& f, int width, const std::vector<rational>& levels,
                                  const std::vector<rational>& biases, const std::vector<rational>& scales,
                                  double budget = 3e8, unsigned threads = 0);

/// The number of (multiset, scale) pairs best_grid_error would walk (for budgeting), without
/// walking them.
double best_grid_error_size(int width, const std::vector<rational>& levels, const std::vector<rational>& biases,
                            const std::vector<rational>& scales);

/// The counting lower bound. A class of at most 2^B functions (up to an additive constant)
/// cannot approximate every 1-Lipschitz function on [0, 1] better than 1 / (2 (floor(B) + 1)):
/// the 2^m zigzags with slopes +-1 on m equal pieces are pairwise at distance >= 1/m even after
/// the best constant shift, so one network serves at most one of them within eps < 1 / (2m).
/// Returns that bound for B = `bits`; it concerns the worst target of the class, not any one.
double lipschitz_counting_bound(double bits);

}  // namespace fpx
