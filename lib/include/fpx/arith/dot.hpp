#pragma once
/// Dot products under an explicit accumulation rule.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fpx/arith/format.hpp"

namespace fpx {

/// How a dot product sum_i a_i * b_i is rounded. Nothing is implicit: the order of the sum,
/// where rounding happens, and the format of every intermediate.
struct accumulation {
  enum class rounding_points {
    every_operation,  ///< round each product into `product`, each partial sum into `accumulator`
    fused,            ///< acc = fma(a_i, b_i, acc), rounded into `accumulator` each step
    once_per_dot_product  ///< exact sum of exact products, rounded once into the output
                          ///< format (operands must be finite)
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

/// The names used everywhere (C++, JSON, CLI, Python): "every_operation", "fused",
/// "once_per_dot_product"; "left_to_right", "pairwise", "given". Parsing throws
/// std::invalid_argument listing the valid names (and naming the new spelling of a retired one).
std::string_view to_string(accumulation::rounding_points p);
accumulation::rounding_points parse_rounding_points(std::string_view name);
std::string_view to_string(accumulation::order o);
accumulation::order parse_summation_order(std::string_view name);
/// The names parse_rounding_points and parse_summation_order accept, joined by `separator`.
std::string rounding_point_names(std::string_view separator = ", ");
std::string summation_order_names(std::string_view separator = ", ");

/// The dot product of a and b (codes of `in`), rounded into `out` under `rule`. Rounding sites
/// for stochastic mode are first_site, first_site + 1, ... in the order the roundings happen.
/// Throws std::invalid_argument when lengths differ or the permutation is not one.
code_t dot(const format& in, std::span<const code_t> a, std::span<const code_t> b,
           const format& out, const accumulation& rule = {}, const rounding& r = {},
           std::uint64_t first_site = 0);

}  // namespace fpx
