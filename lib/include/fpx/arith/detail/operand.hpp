#pragma once
// Operands as exact values with their class, so that one operation can read one format and
// round into another (products in a dot product, accumulators of another format).

#include <span>
#include <vector>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/dot.hpp"
#include "fpx/arith/detail/dyadic.hpp"

namespace fpx::detail {

struct operand {
  number_class cls;  // zero, subnormal/normal (finite), infinite or nan
  dyadic v;          // sign in v.negative for every class

  bool is_nan() const { return cls == number_class::nan; }
  bool is_inf() const { return cls == number_class::infinite; }
  bool is_zero() const { return cls == number_class::zero; }
};

/// Reads a code of a dyadic format; throws std::invalid_argument for other formats.
operand load(const format& f, code_t code);

code_t add(const operand& a, const operand& b, const format& out, const rounding& r,
           std::uint64_t site);
code_t mul(const operand& a, const operand& b, const format& out, const rounding& r,
           std::uint64_t site);
code_t fma(const operand& a, const operand& b, const operand& c, const format& out,
           const rounding& r, std::uint64_t site);
code_t div(const operand& a, const operand& b, const format& out, const rounding& r,
           std::uint64_t site);
code_t exp(const operand& a, const format& out, const rounding& r, std::uint64_t site);

/// x rounded into out (NaN and infinities as an operation result would be).
code_t round_operand(const operand& x, const format& out, const rounding& r, std::uint64_t site);

/// sum_i a_i * b_i (+ bias, added last), or sum_i a_i when b is empty, under `rule` (see
/// fpx::dot; operands may come from different formats). A plain sum under a fused rule rounds
/// each partial sum into the accumulator, as there is nothing to fuse. Advances `site` by one
/// per rounding.
code_t dot(std::span<const operand> a, std::span<const operand> b, const operand* bias,
           const format& out, const accumulation& rule, const rounding& r, std::uint64_t& site);

/// One step of dot's left-to-right sum (sum_step in dot_order.hpp): `total` (nullptr: the empty
/// sum) with a * b (or a, when b is null) added under `rule`, in the rule's accumulator format
/// (default `out`). A dot product is this step repeated, then rounded once into `out`. `code`,
/// if given, receives the result's code in the accumulator format.
operand dot_step(const operand* total, const operand& a, const operand* b, const format& out,
                 const accumulation& rule, const rounding& r, std::uint64_t& site, code_t* code = nullptr);

/// The order in which a dot product of n terms sums them, written into idx (a buffer the
/// caller may reuse); throws std::invalid_argument when a given order is not a permutation of
/// 0..n-1.
void summation_order(const accumulation& rule, std::size_t n, std::vector<std::size_t>& idx);

/// -1, 0 or 1 as x <, =, > y exactly (infinities beyond every finite value, -0 == +0);
/// throws std::domain_error when either is NaN.
int compare(const operand& x, const operand& y);

/// Exact sums and products of finite dyadics (no sticky inputs).
dyadic exact_sum(const dyadic& a, const dyadic& b);
dyadic exact_product(const dyadic& a, const dyadic& b);

}  // namespace fpx::detail
