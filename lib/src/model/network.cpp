#include "fpx/model/network.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "fpx/exact/detail/enum_names.hpp"

namespace fpx {
namespace {

using Eigen::Index;

constexpr detail::enum_names<activation, 5> activation_table{
    "activation",
    {{{activation::identity, "identity"},
      {activation::relu, "relu"},
      {activation::step, "step"},
      {activation::sign, "sign"},
      {activation::clipped_relu, "clipped_relu"}}}};
constexpr detail::enum_names<attention_kind, 2> kind_names{
    "attention kind", {{{attention_kind::softmax, "softmax"}, {attention_kind::hard, "hard"}}}};
constexpr detail::enum_names<attention_mask, 2> mask_names{
    "attention mask", {{{attention_mask::full, "full"}, {attention_mask::causal, "causal"}}}};

[[noreturn]] void shape_error(const std::string& path, const std::string& what) {
  throw std::invalid_argument(path + " " + what);
}

void check_linear(const linear& l, Index inputs, const std::string& path) {
  if (l.weight.size() == 0) shape_error(path + ".weight", "is empty");
  if (l.inputs() != inputs)
    shape_error(path + ".weight", "has " + std::to_string(l.inputs()) + " columns, expected " +
                                      std::to_string(inputs));
  if (l.bias.size() != 0 && l.bias.size() != l.outputs())
    shape_error(path + ".bias", "has " + std::to_string(l.bias.size()) + " entries, expected " +
                                    std::to_string(l.outputs()));
}

// Checks the layers against an input width; returns the output width.
Index check_mlp(const mlp& m, Index inputs, const std::string& path) {
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    check_linear(m.layers[i].map, inputs, path + ".layers[" + std::to_string(i) + "]");
    inputs = m.layers[i].map.outputs();
  }
  return inputs;
}

Index check_attention(const attention_layer& a, Index d, const std::string& path) {
  if (a.heads.empty()) shape_error(path + ".heads", "is empty");
  Index concat = 0;
  for (std::size_t h = 0; h < a.heads.size(); ++h) {
    const std::string hp = path + ".heads[" + std::to_string(h) + "]";
    const attention_head& head = a.heads[h];
    check_linear(head.query, d, hp + ".query");
    check_linear(head.key, d, hp + ".key");
    check_linear(head.value, d, hp + ".value");
    if (head.query.outputs() != head.key.outputs())
      shape_error(hp, "query and key widths differ (" + std::to_string(head.query.outputs()) +
                          " and " + std::to_string(head.key.outputs()) + ")");
    concat += head.value.outputs();
  }
  if (a.output.weight.size() == 0) return concat;
  check_linear(a.output, concat, path + ".output");
  return a.output.outputs();
}

}  // namespace

rmatrix to_rmatrix(const Eigen::MatrixXd& m) {
  rmatrix out(m.rows(), m.cols());
  for (Index i = 0; i < m.rows(); ++i)
    for (Index k = 0; k < m.cols(); ++k) {
      if (!std::isfinite(m(i, k)))
        throw std::invalid_argument("to_rmatrix: entry (" + std::to_string(i) + ", " +
                                    std::to_string(k) + ") is not finite");
      out(i, k) = rational(m(i, k));
    }
  return out;
}

bool equal(const rmatrix& a, const rmatrix& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Index i = 0; i < a.size(); ++i)
    if (a.data()[i] != b.data()[i]) return false;
  return true;
}

std::string_view to_string(activation a) { return activation_table.name(a); }
activation parse_activation(std::string_view name) { return activation_table.parse(name); }
std::string activation_names(std::string_view separator) { return activation_table.list(separator); }
std::string_view to_string(attention_kind k) { return kind_names.name(k); }
attention_kind parse_attention_kind(std::string_view name) { return kind_names.parse(name); }
std::string_view to_string(attention_mask m) { return mask_names.name(m); }
attention_mask parse_attention_mask(std::string_view name) { return mask_names.parse(name); }

Index transformer::d_model() const {
  if (token_embedding.size() != 0) return token_embedding.cols();
  if (positional.size() != 0) return positional.cols();
  for (const transformer_block& b : blocks) {
    if (b.attention && !b.attention->heads.empty()) return b.attention->heads[0].query.inputs();
    if (!b.feed_forward.layers.empty()) return b.feed_forward.inputs();
  }
  return readout.inputs();
}

void validate(const mlp& m) {
  if (m.layers.empty()) throw std::invalid_argument("mlp has no layers");
  check_mlp(m, m.inputs(), "mlp");
}

void validate(const transformer& t) {
  const Index d = t.d_model();
  if (d == 0) throw std::invalid_argument("transformer: no parameter fixes d_model");
  if (t.token_embedding.size() != 0 && t.token_embedding.cols() != d)
    shape_error("token_embedding", "has " + std::to_string(t.token_embedding.cols()) +
                                       " columns, expected d_model = " + std::to_string(d));
  if (t.positional.size() != 0 && t.positional.cols() != d)
    shape_error("positional", "has " + std::to_string(t.positional.cols()) +
                                  " columns, expected d_model = " + std::to_string(d));
  Index width = d;
  for (std::size_t b = 0; b < t.blocks.size(); ++b) {
    const std::string bp = "blocks[" + std::to_string(b) + "]";
    const transformer_block& block = t.blocks[b];
    if (block.attention) {
      const Index out = check_attention(*block.attention, width, bp + ".attention");
      if (block.attention_residual && out != width)
        shape_error(bp + ".attention", "outputs " + std::to_string(out) +
                                           " features; the residual needs " + std::to_string(width));
      width = out;
    }
    if (!block.feed_forward.layers.empty()) {
      const Index out = check_mlp(block.feed_forward, width, bp + ".mlp");
      if (block.mlp_residual && out != width)
        shape_error(bp + ".mlp", "outputs " + std::to_string(out) +
                                     " features; the residual needs " + std::to_string(width));
      width = out;
    }
  }
  check_mlp(t.readout, width, "readout");
}

}  // namespace fpx
