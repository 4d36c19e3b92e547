#pragma once
/// A transformer block on a weight grid that computes g(mean of its tokens), for a one-input MLP
/// g: the claim's setting (language models) reached by the one-input constructions.
///
/// Attention whose scores are all 0 gives each of the n positions the weight 1/n, so in exact
/// arithmetic its output is the mean of the values (softmax of equal scores). The block then
/// applies g. For every sequence in [0, 1]^n the block's error against f(mean) is g's error at
/// the mean, so g's (exact) certificate on [0, 1] is the block's, by composition. In rounded
/// arithmetic 1/n, the S1 halves and exp(0) round into the spec's formats: nothing is certified.

#include "fpx/construct/weight_grid.hpp"
#include "fpx/model/network.hpp"

namespace fpx {

/// One block, no residuals: attention (one head) then g as the block's MLP.
/// - ternary, u1: d_model 1, query weight 0 (on both grids), key weight 1, value weight 1;
/// - s1 (no 0 on the grid): the token read twice, rows (x, x), with query weights (1, -1), so
///   that q = x - x = 0 exactly, key weights (1, 1) and value weights (1, 1) at scale 1/2.
/// Every attention weight is on `grid`; the block's MLP is g as given (its layers are on the
/// grid when g's are). Throws std::invalid_argument unless g has one input and one output.
transformer mean_transformer(const mlp& g, weight_grid grid);

}  // namespace fpx
