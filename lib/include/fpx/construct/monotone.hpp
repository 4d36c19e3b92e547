#pragma once
/// Why unsigned one-bit weights (U1 = {0, s}) collapse, and how close they can get anyway.
///
/// Certificate: a network whose weights are all >= 0 and whose activations are non-decreasing
/// (every fpx activation is) is non-decreasing in each input, since it is a composition of
/// non-decreasing maps. Any non-decreasing g satisfies, for x <= y, f(x) - f(y) <=
/// (f(x) - g(x)) + (g(y) - f(y)) <= 2 sup |g - f|, so
///     sup |g - f| >= max_{x <= y} (f(x) - f(y)) / 2,
/// the monotone floor: 1/2 for 1 - x, 1/4 for |x - 1/2|, 1 for sin 2 pi x, whatever the width
/// or depth. (A signed scale per row, or a sign in any weight, breaks the argument: the class
/// is exactly "all weights >= 0".) The floor is attained in the limit by
/// (max_{t<=x} f + min_{t>=x} f) / 2, which U1 networks with clipped-ReLU units approximate.

#include <cstdint>
#include <string>

#include "fpx/theory/approximation.hpp"
#include "fpx/model/network.hpp"

namespace fpx {

/// Every weight >= 0 (all fpx activations are non-decreasing): the network is then
/// non-decreasing in each input.
bool in_monotone_class(const mlp& model);

/// max over x <= y (coordinatewise) of (f(x) - f(y)) / 2 on [0,1]^d: exact for piecewise-linear
/// targets (over their knots); otherwise over the grid with `grid` intervals per axis, which
/// can only underestimate the floor, so it stays a valid lower bound.
double monotone_floor(const target_function& f, int grid = 4096);

/// A U1 network (input weights N, output weights q, clipped-ReLU ramps clip(Nx - k, 0, 1)) for
/// the best monotone approximation of a one-input f, at `pieces` ramps and output quantum q.
mlp unsigned_interpolant(const target_function& f, int pieces, const rational& quantum);

struct unsigned_search {
  double best_error = 0;         ///< the smallest sup error found (after the best output shift)
  std::uint64_t networks = 0;    ///< networks examined
  std::uint64_t best_index = 0;  ///< where in the index space the best one is
  bool exact = false;  ///< errors computed exactly (piecewise-linear target), else on 256 intervals
};

/// Sup error of the best output shift of `model` against a one-input f: exact for a
/// piecewise-linear target, else the maximum over `grid` intervals (a lower estimate).
double shifted_error(const mlp& model, const target_function& f, int grid = 4096);

/// Random one-hidden-layer U1 networks of the given width (network i is drawn from its own
/// stream of `seed`, so the result does not depend on `threads`): scales in (0, 4], input and
/// output weights in {0, s}, hidden biases in [-4, 4], ReLU or clipped-ReLU hidden units.
unsigned_search search_unsigned_random(const target_function& f, int width, std::uint64_t count,
                                       std::uint64_t seed, unsigned threads = 0);

/// Every one-hidden-layer U1 network of the given width with scales in {1/2, 1, 2}, hidden
/// biases in {-2, -3/2, ..., 2} and ReLU or clipped-ReLU hidden units.
unsigned_search search_unsigned_exhaustive(const target_function& f, int width, unsigned threads = 0);

}  // namespace fpx
