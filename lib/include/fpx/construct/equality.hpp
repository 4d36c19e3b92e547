#pragma once
/// One-layer softmax transformers that compute equality EQ_n(x, y) = [x = y] of two n-bit
/// strings (proofs/every_bit_counts.md), ready for fpx::protocol.
///
/// Layout: x_1..x_n (Alice), y_1..y_n (Bob), then the query. The token at each position names
/// its position and bit (Alice's bit j is token 2j + x_j, Bob's 2n + 2j + y_j, the query 4n), so
/// the embedding table holds each bit's value; d_model = 1, one head, query and key weights 0:
/// every score is 0 and attention is uniform (the scores depend on position only, so the
/// denominator carries no information about the input). The value projection is 1, the query
/// embedding 0, and the readout decides whether the attention output o = rd(a / Z) is 0:
///   step        1[o >= 0] + 1[-o >= 0] - 1, exactly 1 or 0
///   relu        relu(1 - relu(K o) - relu(-K o)) with K = 2^k and 2^-k below the least nonzero |o|
///   difference  1[-o >= 0] - 1[-o - 2^-k >= 0] = [o = 0], with 2^-k at most the least nonzero
///               |o|: its partial sums stay in {-1, 0, 1}, so it is exact in any format holding
///               1, -1 and 2^-k (the step readout's 1 + 1 saturates where 2 is not a value)

#include <string>

#include "fpx/model/network.hpp"
#include "fpx/theory/class_search.hpp"
#include "fpx/theory/protocol.hpp"

namespace fpx {

enum class equality_readout { step, relu, difference };
std::string_view to_string(equality_readout r);

struct equality_construction {
  std::string name;
  transformer model;
  split_input split;
};

/// The dyadic construction: Alice's bit j (1-based) carries x_j 2^-j, Bob's -y_j 2^-j, so the
/// numerator is sum_j (x_j - y_j) 2^-j, zero iff x = y. Its partial sums are exact in a float
/// of precision p when n <= p (with exponent range to spare). In fixed point the division by
/// Z = 2n + 1 needs fraction bits beyond the n the sums use, unless Z saturates at a small
/// maximum.
equality_construction dyadic_equality(int n, equality_readout r = equality_readout::step);

/// Ours, for fixed point: the same with integer values x_j 2^(j-1) and -y_j 2^(j-1). The
/// numerator x - y and the denominator 2n + 1 share the integer bits, and o is nonzero iff
/// |x - y| >= 1 survives the division: fixed:s:I:F works with I = n and F = ceil(log2(2n+1)) - 1.
/// It beats the dyadic construction at 4..6 total bits; from 7 bits on the dyadic one does as
/// well or better, because a saturated Z only makes |o| larger (data/equality_threshold).
equality_construction integer_equality(int n, equality_readout r = equality_readout::step);

/// The saturating construction, for the b-bit signed fixed-point format fixed:s:1:(b-2)
/// (b >= 2, ulp u = 2^-(b-2), values k u for k in [-M, M - 1], M = 2^(b-1)) and any n <= b, in
/// particular n = b, the counting bound of the class (proofs/every_bit_counts.md has the proof):
///   Alice's position 1 carries -M u (x_1 = 0) or 0 (x_1 = 1), her position j >= 2 carries
///   x_j 2^(j-2) u, so her partial numerator is s_x = (-M + x_1 M + sum_{j>=2} x_j 2^(j-2)) u,
///   a different value of the format for each x (all 2^b of them at n = b), never saturating;
///   Bob's position 1 carries (M - 1) u (y_1 = 0) or -u (y_1 = 1), his position j >= 2 carries
///   -y_j 2^(j-2) u, and the query u. Every weight is rd(exp(0)) = 1 and Z saturates at
///   2 - u < 2. On the diagonal the numerator before the query is -u and after it 0; off the
///   diagonal the saturating sums land elsewhere (never on -u before the query), so o = 0 iff
///   x = y, and |o| >= u otherwise because Z < 2.
/// The attention's residual is off (the query's value u is not added to o). The default
/// readout is `difference` with 2^-k = u, exact in the same format.
equality_construction saturating_equality(int n, int bits,
                                          equality_readout r = equality_readout::difference);

/// The saturating construction once per value coordinate, for the class of class_search.hpp
/// with H heads and d_v values per head (position-only scores; as a setting of the token-score
/// class, every logit 0): coordinate r = h d_v + i reads the r-th block of b bits of x and of y
/// with saturating_equality(b, b)'s values, carries 0 at every other position of x and y, and u
/// at the query. So n = H d_v b, the counting bound of the position-only class, in
/// fixed:s:1:(b-2): adding 0 is exact and Z (2n + 1 ones) saturates at 2 - u, so each
/// coordinate is o = 0 iff its blocks are equal and |o| >= u otherwise, and the output vector is
/// 0 exactly on the diagonal. The setting is in the layout of search_class_separation's result.
struct class_setting {
  format f;
  attention_class c;
  int n = 0;
  std::vector<code_t> logits, values;
};
class_setting saturating_class_equality(int heads, int value_dim, int bits,
                                        bool token_scores = false);

}  // namespace fpx
