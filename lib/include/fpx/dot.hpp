#pragma once
/// Dot products under an explicit accumulation rule.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fpx/format.hpp"

namespace fpx {

/// How a dot product sum_i a_i * b_i is rounded. Nothing is implicit: the order of the sum,
/// where rounding happens, and the format of every intermediate.
struct accumulation {
  enum class rounding_points {
    every_operation,  ///< round each product into `product`, each partial sum into `accumulator`
    fused,            ///< acc = fma(a_i, b_i, acc), rounded into `accumulator` each step
    exact             ///< exact sum of exact products, rounded once into the output format
                      ///< (operands must be finite)
  };
  enum class order {
    left_to_right,  ///< ((p0 + p1) + p2) + ...
    pairwise,       ///< sum(0..m) + sum(m..n) with m = n/2, recursively
    given           ///< the indices in `permutation`, left to right
  };
  rounding_points where = rounding_points::every_operation;
  order sum_order = order::left_to_right;
  std::vector<std::size_t> permutation;  ///< used when sum_order == given
  std::optional<format> product;         ///< default: the output format
  std::optional<format> accumulator;     ///< default: the output format
};

/// The dot product of a and b (codes of `in`), rounded into `out` under `rule`. Rounding sites
/// for stochastic mode are first_site, first_site + 1, ... in the order the roundings happen.
/// Throws std::invalid_argument when lengths differ or the permutation is not one.
code_t dot(const format& in, std::span<const code_t> a, std::span<const code_t> b,
           const format& out, const accumulation& rule = {}, const rounding& r = {},
           std::uint64_t first_site = 0);

}  // namespace fpx
