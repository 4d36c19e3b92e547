#include "fpx/arith/dot.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "fpx/arith/detail/operand.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/arith/detail/dot_order.hpp"
#include "fpx/exact/detail/enum_names.hpp"

namespace fpx::detail {
namespace {

struct dot_state {
  std::span<const operand> a, b;  // b empty: a plain sum of a
  const format& product;
  const format& acc;
  const rounding& r;
  std::uint64_t& site;
  bool product_is_accumulator;  // compared once: comparing grid formats compares rationals
  code_t last = 0;              // the code of the last value in the accumulator

  operand in_acc(code_t c) {
    last = c;
    return load(acc, c);
  }
  operand sum(const operand& x, const operand& y) { return in_acc(add(x, y, acc, r, site++)); }
  // Term i rounded into `product` (a product) and then into the accumulator; the second
  // rounding is exact when the formats agree.
  operand term(std::size_t i) {
    if (b.empty()) return in_acc(round_operand(a[i], acc, r, site++));
    const code_t p = mul(a[i], b[i], product, r, site++);
    return product_is_accumulator ? in_acc(p) : in_acc(convert(product, p, acc, r, site++));
  }
  operand fused(std::size_t i, const operand& total) { return in_acc(fma(a[i], b[i], total, acc, r, site++)); }
};

bool is_special(const operand& x) { return x.is_nan() || x.is_inf(); }

}  // namespace

void summation_order(const accumulation& rule, std::size_t n, std::vector<std::size_t>& idx) {
  idx.resize(n);
  std::iota(idx.begin(), idx.end(), 0);
  if (rule.sum_order != accumulation::order::given) return;
  std::vector<std::size_t> sorted = rule.permutation;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != idx)
    throw std::invalid_argument("dot: the given order is not a permutation of 0.." +
                                std::to_string(n) + "-1");
  idx = rule.permutation;
}

code_t round_operand(const operand& x, const format& out, const rounding& r, std::uint64_t site) {
  if (x.is_nan()) return nan_or_throw(out, "NaN operand");
  if (x.is_inf()) return round_infinity(out, x.v.negative);
  return round_dyadic(out, x.v, r, site);
}

code_t dot(std::span<const operand> a, std::span<const operand> b, const operand* bias,
           const format& out, const accumulation& rule, const rounding& r, std::uint64_t& site) {
  if (!b.empty() && a.size() != b.size())
    throw std::invalid_argument("dot: lengths differ (" + std::to_string(a.size()) + " and " +
                                std::to_string(b.size()) + ")");
  const format& product = rule.product ? *rule.product : out;  // references: value_or would copy
  const format& acc = rule.accumulator ? *rule.accumulator : out;
  std::vector<std::size_t> idx;
  summation_order(rule, a.size(), idx);
  using where = accumulation::rounding_points;

  if (rule.where == where::once_per_dot_product) {
    // Every partial sum exact: accumulate in a wide dyadic, then one rounding.
    dyadic total = bias ? bias->v : dyadic{};
    bool any_special = bias && is_special(*bias);
    for (std::size_t i : idx) {
      if (is_special(a[i]) || (!b.empty() && is_special(b[i]))) any_special = true;
      else total = exact_sum(total, b.empty() ? a[i].v : exact_product(a[i].v, b[i].v));
    }
    if (any_special)
      throw std::domain_error("dot: exact accumulation of infinite or NaN operands");
    return round_dyadic(out, total, r, site++);
  }

  dot_state s{a, b, product, acc, r, site, product == acc};
  const operand total = ordered_sum(s, rule, idx, !b.empty(), bias, operand{number_class::zero, {}});
  return round_operand(total, out, r, site++);
}

operand dot_step(const operand* total, const operand& a, const operand* b, const format& out,
                 const accumulation& rule, const rounding& r, std::uint64_t& site, code_t* code) {
  if (rule.where == accumulation::rounding_points::once_per_dot_product)
    throw std::invalid_argument("dot: once_per_dot_product keeps exact partial sums, which are "
                                "not values of a format: there is no step");
  const format& product = rule.product ? *rule.product : out;  // references: value_or would copy
  const format& acc = rule.accumulator ? *rule.accumulator : out;
  dot_state s{std::span(&a, 1), b ? std::span(b, 1) : std::span<const operand>(), product, acc, r, site,
              product == acc};
  const operand result = sum_step(s, rule, b != nullptr, 0, total, operand{number_class::zero, {}});
  if (code) *code = s.last;
  return result;
}

}  // namespace fpx::detail

namespace fpx {
namespace {

using points = accumulation::rounding_points;
using order = accumulation::order;

constexpr detail::enum_names<points, 3, 1> rounding_point_names_table{
    "rounding points",
    {{{points::every_operation, "every_operation"},
      {points::fused, "fused"},
      {points::once_per_dot_product, "once_per_dot_product"}}},
    {{{"exact", "once_per_dot_product"}}}};

constexpr detail::enum_names<order, 3> order_names{
    "summation order",
    {{{order::left_to_right, "left_to_right"}, {order::pairwise, "pairwise"}, {order::given, "given"}}}};

}  // namespace

std::string_view to_string(accumulation::rounding_points p) { return rounding_point_names_table.name(p); }
accumulation::rounding_points parse_rounding_points(std::string_view name) {
  return rounding_point_names_table.parse(name);
}
std::string_view to_string(accumulation::order o) { return order_names.name(o); }
accumulation::order parse_summation_order(std::string_view name) { return order_names.parse(name); }
std::string rounding_point_names(std::string_view separator) { return rounding_point_names_table.list(separator); }
std::string summation_order_names(std::string_view separator) { return order_names.list(separator); }

code_t dot(const format& in, std::span<const code_t> a, std::span<const code_t> b,
           const format& out, const accumulation& rule, const rounding& r,
           std::uint64_t first_site) {
  if (a.size() != b.size())
    throw std::invalid_argument("dot: lengths differ (" + std::to_string(a.size()) + " and " +
                                std::to_string(b.size()) + ")");
  std::vector<detail::operand> x, y;
  for (code_t c : a) x.push_back(detail::load(in, c));
  for (code_t c : b) y.push_back(detail::load(in, c));
  return detail::dot(x, y, nullptr, out, rule, r, first_site);
}

}  // namespace fpx
