#include "fpx/construct/mean_attention.hpp"

#include <stdexcept>

namespace fpx {

transformer mean_transformer(const mlp& g, weight_grid grid) {
  validate(g);
  if (g.inputs() != 1 || g.outputs() != 1)
    throw std::invalid_argument("mean_transformer: g must have one input and one output");
  const bool twice = grid == weight_grid::signed_binary;
  const Eigen::Index d = twice ? 2 : 1;
  attention_head head;
  head.query.weight = rmatrix(1, d);
  head.key.weight = rmatrix(1, d);
  head.value.weight = rmatrix(1, d);
  if (twice) {
    head.query.weight << rational(1), rational(-1);
    head.key.weight << rational(1), rational(1);
    head.value.weight << rational(1, 2), rational(1, 2);
  } else {
    head.query.weight << rational(0);
    head.key.weight << rational(1);
    head.value.weight << rational(1);
  }
  attention_layer attention;
  attention.heads.push_back(head);
  transformer t;
  t.blocks.push_back({attention, false, g, false});
  validate(t);
  return t;
}

}  // namespace fpx
