#pragma once
/// Networks with exact weights: linear layers, MLPs, attention and transformer stacks.
///
/// Weights are exact rationals (a construction's 2^-j stays 2^-j); how they are rounded and how
/// the network computes is the business of a precision_spec at evaluation time (evaluate.hpp).
/// Conventions: a linear map has weight (out x in) and bias (out, or empty for none); a
/// sequence is a matrix with one row per position; attention logits are q . k with no implicit
/// 1/sqrt(d) (fold it into the query weights).

#include <Eigen/Core>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fpx/exact/rational.hpp"

namespace fpx {

using rmatrix = Eigen::Matrix<rational, Eigen::Dynamic, Eigen::Dynamic>;
using rvector = Eigen::Matrix<rational, Eigen::Dynamic, 1>;

/// An exact matrix from doubles (each double read exactly).
rmatrix to_rmatrix(const Eigen::MatrixXd& m);
/// Equal shapes and entries. (Use this, not ==: Eigen's comparison operators and conversions
/// from expressions do not compile for rationals, because Boost.Multiprecision's constructors
/// probe any argument for a byte-container iterator that Eigen's 2-D expressions lack.)
bool equal(const rmatrix& a, const rmatrix& b);

struct linear {
  rmatrix weight;  ///< out x in
  rvector bias;    ///< out, or empty

  Eigen::Index inputs() const { return weight.cols(); }
  Eigen::Index outputs() const { return weight.rows(); }
};

enum class activation {
  identity,
  relu,          ///< max(x, 0)
  step,          ///< 1 if x >= 0 else 0
  sign,          ///< 1 if x >= 0 else -1
  clipped_relu   ///< min(max(x, 0), 1)
};
std::string_view to_string(activation a);
activation parse_activation(std::string_view name);
/// The names parse_activation accepts, joined by `separator`.
std::string activation_names(std::string_view separator = ", ");

struct dense_layer {
  linear map;
  activation act = activation::identity;
};

/// Layers applied in order; the last one's result is the MLP's output.
struct mlp {
  std::vector<dense_layer> layers;

  Eigen::Index inputs() const { return layers.empty() ? 0 : layers.front().map.inputs(); }
  Eigen::Index outputs() const { return layers.empty() ? 0 : layers.back().map.outputs(); }
};

struct attention_head {
  linear query, key, value;
};

enum class attention_kind {
  softmax,
  hard  ///< hardmax; the tie rule (leftmost, rightmost, average) is in the precision spec
};
enum class attention_mask {
  full,   ///< every query sees every key
  causal  ///< query i sees keys 0..i
};
std::string_view to_string(attention_kind k);
attention_kind parse_attention_kind(std::string_view name);
std::string_view to_string(attention_mask m);
attention_mask parse_attention_mask(std::string_view name);

struct attention_layer {
  std::vector<attention_head> heads;
  /// Applied to the concatenated head outputs; empty weight: the concatenation is the output.
  linear output;
  attention_kind kind = attention_kind::softmax;
  attention_mask mask = attention_mask::full;
};

/// x -> x + attention(x) (or without the residual), then x -> x + mlp(x) (likewise).
struct transformer_block {
  std::optional<attention_layer> attention;
  bool attention_residual = true;
  mlp feed_forward;  ///< no layers: skipped
  bool mlp_residual = true;
};

/// Embedding (+ positional encoding), blocks, then a readout MLP at every position.
struct transformer {
  rmatrix token_embedding;  ///< vocabulary x d_model; empty when inputs are given as vectors
  rmatrix positional;       ///< max_length x d_model, or empty for none
  std::vector<transformer_block> blocks;
  mlp readout;  ///< no layers: the last block's output is the model's output

  /// The width of the residual stream, inferred from the first parameter that fixes it.
  Eigen::Index d_model() const;
};

/// Shape checks; throw std::invalid_argument with the path of the offending parameter
/// ("blocks[0].attention.heads[1].key.weight has 3 columns, expected 4").
void validate(const mlp& m);
void validate(const transformer& t);

/// A network of either kind (JSON: model/json.hpp).
using network = std::variant<mlp, transformer>;

}  // namespace fpx
