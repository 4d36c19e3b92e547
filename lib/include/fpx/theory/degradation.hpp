#pragma once
/// How far a fixed network moves when its weights are quantized to n bits, against the
/// product-of-norms bound, and the fits of that distance against n and log K.
///
/// Bound (infinity norms, activations 1-Lipschitz with |act(z)| <= |z| or <= 1): with inputs
/// |x| <= r, B_0 = r, B_l = ||W_l|| B_(l-1) + ||b_l|| bounds every reference activation, and the
/// distance D_l between quantized and reference activations obeys
///     D_l <= ||W~_l|| D_(l-1) + ||W~_l - W_l|| B_(l-1) + ||b~_l - b_l||,   D_0 = 0,
/// so D_L bounds sup |g~ - g|. With a symmetric n-bit grid ||W~ - W|| <= fan-in * s / 2 and
/// s = max|w| / (2^(n-1) - 1): the bound falls like 2^-n, i.e. like 1/K for K = 2^n - 1 levels.

#include <cstdint>
#include <string_view>
#include <vector>

#include "fpx/theory/approximation.hpp"
#include "fpx/model/network.hpp"
#include "fpx/theory/statistics.hpp"  // the fits of deviation against bits

namespace fpx {

/// A one-input ReLU MLP with the given hidden widths and one output: He-scaled normal weights
/// and biases uniform in [-1/2, 1/2], from a counter-based stream of `seed`, read exactly.
mlp random_mlp(const std::vector<int>& hidden_widths, std::uint64_t seed);

/// The linear interpolant of a one-input target at `pieces` uniform pieces with real weights:
/// f(0) + sum_k c_k ReLU(x - k/N) (the network a trained one would approximate), each weight
/// rounded to the nearest double so that it can be quantized.
mlp interpolant_network(const target_function& f, int pieces);

/// Every layer's weights quantized with `quantizer` (quantize.hpp), biases kept. `bits` (if
/// given) receives the storage bits per weight over the whole network, `information_bits` the
/// same with log2(levels) per element.
mlp quantize_weights(const mlp& model, std::string_view quantizer, double* bits = nullptr,
                     double* information_bits = nullptr);

/// D_L above, exactly, for two networks of the same shape on |x| <= input_radius; throws
/// std::invalid_argument for step or sign activations (not Lipschitz).
rational perturbation_bound(const mlp& reference, const mlp& perturbed, const rational& input_radius);

/// sup and root-mean-square of |a - b| over [0, 1], exactly (both one-input networks are
/// piecewise linear; the mean square is integrated piece by piece).
struct deviation {
  rational sup;
  double rms = 0;
};
deviation measure_deviation(const mlp& a, const mlp& b);

}  // namespace fpx
