#pragma once
/// Quantizers that code a whole weight matrix at once rather than weight by weight, so GPTQ
/// (which rounds one column at a time) cannot use them. fpx::quantize reads their names:
///
///   bitstack:blocks=K   BitStack-style residual decomposition (Wang et al. 2024): K blocks,
///                       block k = S_k ⊙ (u_k v_kᵀ) with S_k = sign(R_{k-1}) (+1 at 0), a sign
///                       matrix of 1 bit per weight, and u_k v_kᵀ the best rank-1 approximation of
///                       |R_{k-1}| (power iteration; v scaled to max 1, u = |R| v / ‖v‖², both
///                       stored in fp16); R_0 = W, R_k = W - V_k for the decoded values V_k after
///                       k blocks (what the next block must correct). The value of a weight
///                       is the blocks' sum in double, k = 1..K in order, as a decoder adds them.
///                       Storage K (rows cols + 16 (rows + cols)) bits: about K bits per weight.
///   ternary_ec[:threshold=D]  Ternary weights entropy-coded, the sub-1-bit format of QMoE's kind:
///                       the ternary-weight-network rule t = D mean|w| (D = 0.7 by default),
///                       weights with |w| <= t are 0, the others ±a with a = mean |w| over them
///                       (stored in fp32); the ternary digits, in row-major order in groups of 5
///                       (3^5 = 243 symbols; the last group padded with 0s), are coded by a Huffman
///                       code of those groups' counts. Storage: the code's exact length, the 243
///                       code lengths at 6 bits each, and the scale: below 1 bit per weight when
///                       most weights are 0 and the matrix is large enough to carry the table.

#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fpx/quant/quantize.hpp"

namespace fpx {

/// BitStack-style decomposition into `blocks` sign-and-rank-1 blocks (see above); throws
/// std::invalid_argument for blocks outside 1..32 or a non-finite weight, std::range_error when a
/// rank-1 factor leaves fp16's range.
quantized_weights bitstack(const Eigen::MatrixXd& w, int blocks);

/// Ternary weights with a Huffman code (see above); throws std::invalid_argument for a
/// threshold that is negative or not finite, or a non-finite weight, std::range_error when the
/// sum of |w| overflows.
quantized_weights ternary_entropy_coded(const Eigen::MatrixXd& w, double threshold = 0.7);

/// The total length in bits of a Huffman code for symbols with these counts (symbols with
/// count 0 take no code word; a single used symbol takes 1 bit per occurrence).
std::uint64_t huffman_bits(const std::vector<std::uint64_t>& counts);

namespace detail {
/// The whole-matrix method a quantizer name gives, applied to w; nullopt when the name's head
/// is not one (bitstack, ternary_ec). Throws std::invalid_argument for bad options.
std::optional<quantized_weights> matrix_method(const Eigen::MatrixXd& w, std::string_view name);
/// Whether a name's head is a whole-matrix method.
bool is_matrix_method(std::string_view name);
/// The grammar of the whole-matrix methods, for help texts.
std::string matrix_method_grammar();
}  // namespace detail

}  // namespace fpx
