#include "fpx/dot.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "fpx/detail/operand.hpp"
#include "fpx/round.hpp"

namespace fpx {
namespace {

using detail::operand;

struct dot_state {
  const format& in;
  std::span<const code_t> a, b;
  const format& product;
  const format& acc;
  const rounding& r;
  std::uint64_t site;

  code_t rounded_product(std::size_t i) {
    return detail::mul(detail::load(in, a[i]), detail::load(in, b[i]), product, r, site++);
  }
  code_t sum(code_t x, code_t y) {  // x, y already in the accumulator format
    return detail::add(detail::load(acc, x), detail::load(acc, y), acc, r, site++);
  }
  // The product rounded into `product`, then into the accumulator (exact when they agree).
  code_t term(std::size_t i) {
    const code_t p = rounded_product(i);
    return product == acc ? p : convert(product, p, acc, r, site++);
  }
  code_t pairwise(const std::vector<std::size_t>& idx, std::size_t lo, std::size_t hi) {
    if (hi - lo == 1) return term(idx[lo]);
    const std::size_t mid = lo + (hi - lo) / 2;
    const code_t left = pairwise(idx, lo, mid);
    return sum(left, pairwise(idx, mid, hi));
  }
};

std::vector<std::size_t> summation_order(const accumulation& rule, std::size_t n) {
  std::vector<std::size_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  if (rule.sum_order != accumulation::order::given) return idx;
  std::vector<std::size_t> sorted = rule.permutation;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != idx) throw std::invalid_argument("dot: the given order is not a permutation of 0..n-1");
  return rule.permutation;
}

}  // namespace

code_t dot(const format& in, std::span<const code_t> a, std::span<const code_t> b,
           const format& out, const accumulation& rule, const rounding& r,
           std::uint64_t first_site) {
  if (a.size() != b.size())
    throw std::invalid_argument("dot: lengths differ (" + std::to_string(a.size()) + " and " +
                                std::to_string(b.size()) + ")");
  const format& product = rule.product.value_or(out);
  const format& acc = rule.accumulator.value_or(out);
  const auto idx = summation_order(rule, a.size());
  dot_state s{in, a, b, product, acc, r, first_site};
  using where = accumulation::rounding_points;

  if (rule.where == where::exact) {
    // Every partial sum exact: accumulate in a wide dyadic, then one rounding.
    detail::dyadic total;
    bool any_special = false;
    for (std::size_t i : idx) {
      const operand x = detail::load(in, a[i]), y = detail::load(in, b[i]);
      if (x.is_nan() || y.is_nan() || x.is_inf() || y.is_inf()) any_special = true;
      else total = detail::exact_sum(total, detail::exact_product(x.v, y.v));
    }
    if (any_special)
      throw std::domain_error("dot: exact accumulation of infinite or NaN operands");
    return detail::round_dyadic(out, total, r, s.site);
  }
  if (a.empty()) return convert(acc, zero_code(acc, false), out, r, s.site);

  code_t total;
  if (rule.where == where::fused) {
    if (rule.sum_order == accumulation::order::pairwise)
      throw std::invalid_argument("dot: fused accumulation is sequential; use left_to_right or given");
    total = zero_code(acc, false);
    for (std::size_t i : idx)
      total = detail::fma(detail::load(in, a[i]), detail::load(in, b[i]), detail::load(acc, total),
                          acc, r, s.site++);
  } else if (rule.sum_order == accumulation::order::pairwise) {
    total = s.pairwise(idx, 0, idx.size());
  } else {
    total = s.term(idx[0]);
    for (std::size_t k = 1; k < idx.size(); ++k) total = s.sum(total, s.term(idx[k]));
  }
  return acc == out ? total : convert(acc, total, out, r, s.site);
}

}  // namespace fpx
