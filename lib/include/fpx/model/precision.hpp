#pragma once
/// The precision model: everything a "p-bit" claim about a network depends on, stated once
/// and recorded with every result.
///
/// Where each rounding happens in a network (the evaluation in evaluate.hpp follows this table):
///   parameters          weights, biases, token embeddings, positional encodings: rounded once
///                       into their formats when the evaluation starts
///   raw inputs          rounded into `activation`
///   linear layers       y = W x + b as one dot product (products, accumulator, `where`, the
///                       feature order), bias added last, result in `activation` (hidden layers,
///                       q/k/v and output projections) or `output` (the readout's last layer)
///   residual            rd(x + f(x)) into `activation`
///   activations         relu, step, sign, clipped relu select a value or a constant (0, 1, -1)
///                       rounded into the layer's format; no other rounding
///   attention logits    s_ij = q_i . k_j into `logit`; with max-subtraction rd(s_ij - m_i) too
///   softmax             w_ij = rd(exp(.)) into `exponential`; Z_i = sum of w_ij in `denominator`
///     divide_once       a_i = sum of w_ij v_j (as a dot product) in `accumulator`, then
///                       rd(a_i / Z_i) into `activation`
///     normalize_first   alpha_ij = rd(w_ij / Z_i) into `attention_weight`, then
///                       sum of alpha_ij v_j into `activation`
///   hard attention      leftmost/rightmost: the chosen v_j itself; average: the sum of v_j over
///                       the maximisers in `accumulator`, then rd(sum / count) into `activation`
/// Sums over positions follow `position_order`; dot products over features `feature_order`.
/// "Every sum" means: products rounded into `product`, partial sums into `accumulator`, and the
/// total once more into the quantity's own format when that differs (see fpx::accumulation).

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fpx/arith/dot.hpp"
#include "fpx/arith/format.hpp"

namespace fpx {

/// The quantities of a network whose format a precision model states.
enum class quantity {
  weight,
  bias,
  embedding,
  position,
  activation,
  product,
  accumulator,
  logit,
  exponential,
  denominator,
  attention_weight,
  output
};
inline constexpr std::size_t quantity_count = 12;
std::string_view to_string(quantity q);
quantity parse_quantity(std::string_view name);
/// Every quantity, in the order above.
const std::array<quantity, quantity_count>& all_quantities();

/// The number system an evaluation runs in.
enum class arithmetic {
  rounded,  ///< every quantity in its format, every step correctly rounded (the spec proper)
  exact,    ///< rational arithmetic, no rounding; exp to `exact_exp_bits` bits
  float64   ///< native double arithmetic in the same order (std::exp for exp)
};
std::string_view to_string(arithmetic a);
arithmetic parse_arithmetic(std::string_view name);

/// The order of the softmax steps.
enum class softmax_normalization {
  divide_once,     ///< rd(sum_j rd(w_j v_j) / Z)
  normalize_first  ///< sum_j rd(rd(w_j / Z) v_j)
};
std::string_view to_string(softmax_normalization n);
softmax_normalization parse_softmax_normalization(std::string_view name);

/// Which maximiser hard attention uses.
enum class hard_attention_rule {
  leftmost,   ///< the smallest position among the maximal logits
  rightmost,  ///< the largest position among them
  average     ///< the mean of the values of all maximisers
};
std::string_view to_string(hard_attention_rule t);
hard_attention_rule parse_hard_attention_rule(std::string_view name);

struct precision_spec {
  std::string name;
  fpx::arithmetic arithmetic = fpx::arithmetic::rounded;
  /// Every quantity's format; all twelve are required in rounded mode. Overflow behaviour is
  /// each format's policy.
  std::array<std::optional<format>, quantity_count> formats;
  rounding rule;  ///< mode and stochastic seed, for every rounding
  accumulation::rounding_points where = accumulation::rounding_points::every_operation;
  accumulation::order feature_order = accumulation::order::left_to_right;  ///< not `given`
  accumulation::order position_order = accumulation::order::left_to_right;
  /// With position_order == given: a permutation of 0..n-1 whose order every sum over a subset
  /// of positions follows.
  std::vector<std::size_t> position_permutation;
  bool subtract_max = false;
  softmax_normalization normalization = softmax_normalization::divide_once;
  hard_attention_rule hard_attention = hard_attention_rule::leftmost;
  int exact_exp_bits = 200;  ///< relative precision of exp in exact mode

  /// The format of q; throws std::invalid_argument naming q when it is not set.
  const format& format_of(quantity q) const;
  /// Throws std::invalid_argument when the spec is incomplete or inconsistent.
  void validate() const;
  /// The same model choices (orders, softmax, ties) in another arithmetic, named "<name>/<mode>".
  precision_spec with_arithmetic(fpx::arithmetic a) const;
  /// Every quantity in f.
  void set_all_formats(const format& f);
};

/// Named presets:
///   exact                    rational arithmetic
///   float64                  native doubles
///   fixed(p) | fixed(p,f)    every quantity signed fixed point with p bits in all, f of them
///                            fractional (fixed(p): f = p/2), rne after every operation
///   float(e,m)               every quantity the IEEE-style minifloat eEmM, rne after every op
///   uniform(FORMAT)          every quantity in any format parse_format accepts
std::string_view spec_preset_grammar();
precision_spec spec_preset(std::string_view name);


}  // namespace fpx
