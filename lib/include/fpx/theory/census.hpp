#pragma once
/// An exact census of what tiny networks can compute, per weight grid.
///
/// Architecture: k Boolean inputs, one hidden layer of `width` ReLU units, a linear output read
/// as 1[y > 0]. Every weight (hidden and output) is a level of the grid (the scale is fixed:
/// thresholded outputs do not care about a common scale, and the biases set the rest); every
/// bias is on `biases`. The census enumerates all of them and counts the distinct Boolean
/// functions of {0,1}^k they realise.
///
/// Enumeration: a hidden unit is only seen through its values on the 2^k points, so the units
/// are reduced to their distinct value vectors ("features") first, and the hidden layer to a
/// multiset of features (unit order does not matter). Permuting the inputs permutes the features
/// and the functions alike, so of each orbit of multisets under the input permutations only the
/// least is read out, and every function found brings its orbit (about 1/k! of the multisets
/// for k inputs). The index space is the first feature of
/// the multiset, walked in ranges with the function sets merged by union, so the count does not
/// depend on the thread count. The walk stops early once every function has been seen.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fpx/exact/rational.hpp"

namespace fpx {

/// The weight levels of a grid given as a format name of at most 8 bits: its distinct finite
/// values, ascending. "u1" {0, 1}; "s1" {-1, 1}; "ternary" {-1, 0, 1}; "fixed:s:0:F" all 2^(F+1)
/// two's-complement levels {-1, -1 + 2^-F, ..., 1 - 2^-F}; "int4" the 15 symmetric levels
/// {-7, ..., 7}; any minifloat such as "e2m1". (The census's old names int2..int8 for the
/// two's-complement grids are refused, naming the fixed-point format they meant.)
std::vector<rational> census_levels(std::string_view grid);

struct census_result {
  std::uint64_t functions = 0;  ///< distinct Boolean functions realised
  std::uint64_t possible = 0;   ///< 2^(2^k)
  std::uint64_t features = 0;   ///< distinct hidden-unit value vectors
  /// The size of the reduced space: multisets of features x output weights x output biases.
  double reduced_networks = 0;
  double networks = 0;          ///< the unreduced count of weight/bias settings
  std::vector<std::uint64_t> truth_tables;  ///< the functions, bit p = value at point p
};

/// Counts the functions; inputs 1..4, width 1..4, at least one level and one bias, each a
/// dyadic with at most 8 fractional bits below 2^8 in magnitude (so the counting is exact in
/// double); std::invalid_argument otherwise.
census_result census(int inputs, int width, const std::vector<rational>& levels,
                     const std::vector<rational>& biases, unsigned threads = 0);

/// The size of the reduced space without enumerating it (for budgeting).
double census_size(int inputs, int width, const std::vector<rational>& levels,
                   const std::vector<rational>& biases);

}  // namespace fpx
