#pragma once
// The order of a dot product's roundings, shared by the reference dot (exact operands) and the
// fast one (doubles): both round the same terms and partial sums in the same order, so they
// number their rounding sites alike. A State supplies term(i) (term i rounded into the
// accumulator), sum(x, y) and fused(i, total) (a_i b_i + total, rounded once).

#include <cstddef>
#include <stdexcept>
#include <vector>

#include "fpx/arith/dot.hpp"

namespace fpx::detail {

/// The order left_to_right: term k is term k, without a vector of indices to fill.
struct identity_order {
  std::size_t n;
  std::size_t size() const { return n; }
  bool empty() const { return n == 0; }
  std::size_t operator[](std::size_t k) const { return k; }
};

template <class State, class Order>
auto pairwise_sum(State& s, const Order& idx, std::size_t lo, std::size_t hi) {
  if (hi - lo == 1) return s.term(idx[lo]);
  const std::size_t mid = lo + (hi - lo) / 2;
  const auto left = pairwise_sum(s, idx, lo, mid);
  return s.sum(left, pairwise_sum(s, idx, mid, hi));
}

/// One step of a sum in sequence: `total` (nullptr: the empty sum) with term i added, as the
/// rule adds it: fused products as one fma (from `zero` for the first term), otherwise term i
/// rounded into the accumulator (s.term) and added to the total (s.sum). A left-to-right or
/// given-order dot product is this step repeated; the protocol's partial states are its values.
template <class Scalar, class State>
Scalar sum_step(State& s, const accumulation& rule, bool products, std::size_t i, const Scalar* total,
                const Scalar& zero) {
  if (rule.where == accumulation::rounding_points::fused && products) return s.fused(i, total ? *total : zero);
  return total ? s.sum(*total, s.term(i)) : s.term(i);
}

/// The terms idx (in the rule's order: from summation_order, or identity_order where that is
/// left_to_right) summed under the rule, then the bias added last; `zero` is the empty sum.
/// `products`: the terms are products (a fused rule fuses them), not a plain sum.
template <class Scalar, class State, class Order>
Scalar ordered_sum(State& s, const accumulation& rule, const Order& idx, bool products,
                   const Scalar* bias, Scalar zero) {
  if (rule.where == accumulation::rounding_points::fused && rule.sum_order == accumulation::order::pairwise)
    throw std::invalid_argument("dot: fused accumulation is sequential; use left_to_right or given");
  Scalar total = zero;
  if (rule.sum_order == accumulation::order::pairwise && !idx.empty()) {
    total = pairwise_sum(s, idx, 0, idx.size());
  } else {
    for (std::size_t k = 0; k < idx.size(); ++k)
      total = sum_step(s, rule, products, idx[k], k == 0 ? nullptr : &total, zero);
  }
  if (bias) total = s.sum(total, *bias);
  return total;
}

}  // namespace fpx::detail
