#pragma once
/// Evaluating a network under a precision spec: rounded to the spec, exact, or in float64, from
/// the same weights and in the same order of operations, with an optional trace of every step.
///
///   auto spec = fpx::spec_preset("fixed(8)");
///   auto low = fpx::evaluate(model, tokens, spec, {.trace = true});
///   auto ref = fpx::evaluate(model, tokens, spec.with_arithmetic(fpx::arithmetic::exact),
///                            {.trace = true});
///   if (auto d = fpx::first_divergence(low, ref)) ...  // divergence.hpp: where the runs part

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fpx/model/network.hpp"
#include "fpx/model/precision.hpp"

namespace fpx {

/// One recorded intermediate: rows are positions (or 1 for an MLP), columns features. Values
/// are doubles: exact for rounded values of formats that fit a double, the nearest double for
/// exact mode; masked attention entries are NaN. exact_at gives every entry's exact value in
/// rounded and exact arithmetic.
///
/// The rounded parameters are steps too, before the step that uses them:
/// "<layer>.weight" (out x in) and "<layer>.bias" (1 x out) for every linear map,
/// "embedding.tokens" and "embedding.positions" (positions x d_model) for the embedding.
struct trace_step {
  std::string name;  ///< e.g. "blocks[0].attention.heads[0].logits"
  Eigen::MatrixXd values;
  /// Where the exact values are: nowhere (float64 arithmetic), in `values` (the fast rounded
  /// path: every finite double is its entry's exact value), or in `exact`.
  enum class exactness { none, values, stored };
  exactness exact_in = exactness::none;
  std::vector<std::optional<rational>> exact;  ///< row-major, when exact_in == stored

  /// The exact value of entry (row, col); empty where the value is masked, NaN or infinite, and
  /// everywhere in float64 arithmetic.
  std::optional<rational> exact_at(Eigen::Index row, Eigen::Index col) const;
};

struct evaluation_options {
  bool trace = false;
  /// Compute the last block (and the readout) at the last position only: the result of a
  /// model read at its final token, at a fraction of the cost. Earlier blocks see every position.
  bool last_position_only = false;
  /// Stochastic rounding sites are numbered from here, one per rounding in evaluation order.
  std::uint64_t first_site = 0;
  /// Rounded arithmetic runs on doubles (fast_scalar: exact results rounded to odd, then
  /// once into the format) whenever every format of the spec allows it and the mode is not
  /// stochastic; the results are the same. True forces the reference path (big-integer
  /// dyadics) everywhere: for tests and benchmarks that compare the two.
  bool reference_arithmetic = false;
};

struct evaluation {
  /// Positions x outputs for a transformer (one row per computed position), outputs x 1 for an
  /// MLP.
  Eigen::MatrixXd output;
  /// The same values exactly, when they are all finite and the arithmetic is rounded or exact.
  std::optional<rmatrix> exact_output;
  std::vector<trace_step> trace;  ///< empty unless asked for
  std::uint64_t roundings = 0;    ///< rounding sites used (rounded arithmetic)
};

/// Errors: std::invalid_argument for shapes, tokens out of range or an incomplete spec;
/// std::domain_error and std::overflow_error from the arithmetic (NaN where a format has none,
/// overflow under the `error` policy), each prefixed with the step where it happened.
evaluation evaluate(const mlp& model, const rvector& input, const precision_spec& spec,
                    const evaluation_options& options = {});
/// Token ids: row i of the input is embedding[token_i] + positional[i], rounded into
/// `activation` (the embedding alone when the model has no positional encoding).
evaluation evaluate(const transformer& model, std::span<const int> tokens,
                    const precision_spec& spec, const evaluation_options& options = {});
/// Vectors given directly (positions x d_model), rounded into `activation`; the model's
/// embeddings are not used.
evaluation evaluate(const transformer& model, const rmatrix& inputs, const precision_spec& spec,
                    const evaluation_options& options = {});


namespace detail {
class parameter_cache;
}

/// Many evaluations of one model under one spec: the model and spec are checked once, and
/// under a deterministic rule on the fast path each parameter of the model is rounded once and
/// reused (the results, sites and exceptions are evaluate()'s). Thread-safe; the model must
/// outlive the evaluator. evaluate_batch and the claim checks (theory/verify.hpp) use it.
class evaluator {
 public:
  evaluator(const mlp& model, const precision_spec& spec);
  evaluator(const transformer& model, const precision_spec& spec);
  ~evaluator();

  const precision_spec& spec() const;
  /// evaluate(model, input, spec, options); std::invalid_argument for an input of the other kind.
  evaluation operator()(const rvector& input, const evaluation_options& options = {}) const;
  evaluation operator()(std::span<const int> tokens, const evaluation_options& options = {}) const;
  evaluation operator()(const rmatrix& inputs, const evaluation_options& options = {}) const;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

/// Evaluations of many inputs in one call, on `threads` threads (0: every core), in input
/// order and with the same bits at any thread count: input k is evaluated exactly as
/// evaluate(model, inputs[k], spec, options) with its stochastic sites numbered from
/// options.first_site + k * batch_site_stride (an evaluation that would use more sites throws
/// std::length_error). An error is the lowest failing input's, prefixed with "input k: "
/// (same exception type).
inline constexpr std::uint64_t batch_site_stride = std::uint64_t{1} << 32;
std::vector<evaluation> evaluate_batch(const mlp& model, std::span<const rvector> inputs, const precision_spec& spec,
                                       const evaluation_options& options = {}, unsigned threads = 0);
std::vector<evaluation> evaluate_batch(const transformer& model, std::span<const std::vector<int>> tokens,
                                       const precision_spec& spec, const evaluation_options& options = {},
                                       unsigned threads = 0);
std::vector<evaluation> evaluate_batch(const transformer& model, std::span<const rmatrix> inputs,
                                       const precision_spec& spec, const evaluation_options& options = {},
                                       unsigned threads = 0);

}  // namespace fpx
