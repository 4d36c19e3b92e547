#pragma once
/// Universal approximation with ternary weights, by construction (proofs/ternary_floor.md).
///
/// One input: the linear interpolant at N pieces, g = b + q * sum_k c_k ReLU(x - k/N), where
/// every hidden unit has input weight 1 and every output weight is +q or -q. A slope that is
/// not a multiple of q is out of reach, so the slopes are chosen greedily piece by piece to land
/// each knot value within q/(2N) of the target's (no drift), and an integer slope change c is
/// paid for with |c| copies of the same unit: fan-in duplication.
///
/// Two inputs: the interpolant on the triangulation of the N x N grid cut along the (1,1)
/// diagonals, sum_v f(v) phi_v, with each hat written with weights +-1 per layer:
///   phi = ReLU(1 - |a-b| - ReLU(|a+b| - |a-b|)/2),  a = Nx - i, b = Ny - j,
/// (three hidden layers; the 1/2 is removed by computing 2 phi from duplicated units) and f(v)
/// rounded to a multiple of 2q paid for by copies of the last unit.
///
/// Biases are on dyadic grids (multiples of 1/N inside, of q/N at the output), so the networks
/// are exactly representable and evaluate exactly in double.

#include "fpx/theory/approximation.hpp"
#include "fpx/model/network.hpp"

namespace fpx {

/// The ternary network above for `pieces` intervals per axis (a power of two for two inputs)
/// and output quantum q > 0.
mlp ternary_interpolant(const target_function& f, int pieces, const rational& quantum);

/// The grid a construction at `pieces` is certified on: 4096 intervals for one input (the
/// network's knots are added), 4 per piece and at least 64 for two (a power of two).
int certificate_grid(const target_function& f, int pieces);

struct construction {
  mlp model;
  int pieces = 0;
  rational quantum;
  certificate proof;
  bool met = false;  ///< proof.sup_error <= the requested error
};

/// Doubles the pieces from 1 until the certificate is at most `epsilon` (one input: certify's
/// exact or curvature bound; two: certify_interpolant's bound, never a grid maximum); at each, tries the
/// power-of-two quanta from the one that covers the largest slope (one input) or half the
/// largest value (two) in a single step down to q0, the largest power of two that holds the
/// quantisation share of the error to a quarter of epsilon: coarse first, since a coarser
/// quantum needs fewer copies. Stops with met = false after `max_pieces`.
construction construct_ternary(const target_function& f, double epsilon, int max_pieces = 4096);

}  // namespace fpx
