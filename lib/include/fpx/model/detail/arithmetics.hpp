#pragma once
// The arithmetics a forward pass runs in (evaluate.cpp), each giving the same operations on its
// own scalar: exact rationals, native doubles, every quantity rounded into its format (the
// reference path, on exact dyadic operands), and the same rounding on doubles (the fast path).
// Only the rounded ones round, and only they use the quantity and the accumulation rule beyond
// the order of terms. The rules the forward pass applies with them are in rules.hpp.

#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/detail/operand.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/fast/detail/scalar.hpp"
#include "fpx/model/precision.hpp"

namespace fpx::detail {

/// Exact rationals; exp to a stated relative precision (model/arithmetics.cpp).
struct exact_arith {
  using scalar = rational;
  int exp_bits;

  scalar param(const rational& x, quantity) { return x; }
  scalar integer(long n) { return n; }
  scalar convert(const scalar& x, quantity) { return x; }
  scalar dot(std::span<const scalar> a, std::span<const scalar> b, const scalar* bias, quantity,
             const accumulation&) {
    scalar total = bias ? *bias : scalar(0);
    for (std::size_t i = 0; i < a.size(); ++i) total += b.empty() ? a[i] : a[i] * b[i];
    return total;
  }
  scalar dot_step(const scalar* total, const scalar& a, const scalar* b, const accumulation&) {
    const scalar term = b ? a * *b : a;
    return total ? *total + term : term;
  }
  scalar add(const scalar& x, const scalar& y, quantity) { return x + y; }
  scalar sub(const scalar& x, const scalar& y, quantity) { return x - y; }
  scalar div(const scalar& x, const scalar& y, quantity) {
    if (y == 0) throw std::domain_error("division by zero");
    return x / y;
  }
  scalar exp(const scalar& x, quantity);
  int compare(const scalar& x, const scalar& y) { return x < y ? -1 : (y < x ? 1 : 0); }
  double to_double(const scalar& x) {
    static const format fp64 = preset("fp64");
    return fpx::to_double(fp64, from_rational(fp64, x));
  }
  std::optional<rational> exact(const scalar& x) { return x; }
};

/// Native doubles in the spec's order of terms (fma where the spec fuses).
struct float64_arith {
  using scalar = double;

  scalar param(const rational& x, quantity) { return exact_arith{}.to_double(x); }
  scalar integer(long n) { return static_cast<double>(n); }
  scalar convert(const scalar& x, quantity) { return x; }
  scalar dot(std::span<const scalar> a, std::span<const scalar> b, const scalar* bias, quantity,
             const accumulation& rule) {
    std::vector<std::size_t> idx(a.size());
    std::iota(idx.begin(), idx.end(), 0);
    if (rule.sum_order == accumulation::order::given) idx = rule.permutation;
    auto term = [&](std::size_t i) { return b.empty() ? a[i] : a[i] * b[i]; };
    double total = 0;
    if (rule.sum_order == accumulation::order::pairwise) {
      total = idx.empty() ? 0.0 : pairwise(idx, 0, idx.size(), term);
    } else {
      for (std::size_t k = 0; k < idx.size(); ++k) {
        const double* so_far = k == 0 ? nullptr : &total;
        total = dot_step(so_far, a[idx[k]], b.empty() ? nullptr : &b[idx[k]], rule);
      }
    }
    return bias ? total + *bias : total;
  }
  scalar dot_step(const scalar* total, scalar a, const scalar* b, const accumulation& rule) {
    if (rule.where == accumulation::rounding_points::fused && b) return std::fma(a, *b, total ? *total : 0.0);
    const double term = b ? a * *b : a;
    return total ? *total + term : term;
  }
  template <class Term>
  double pairwise(const std::vector<std::size_t>& idx, std::size_t lo, std::size_t hi, Term& term) {
    if (hi - lo == 1) return term(idx[lo]);
    const std::size_t mid = lo + (hi - lo) / 2;
    const double left = pairwise(idx, lo, mid, term);
    return left + pairwise(idx, mid, hi, term);
  }
  scalar add(scalar x, scalar y, quantity) { return x + y; }
  scalar sub(scalar x, scalar y, quantity) { return x - y; }
  scalar div(scalar x, scalar y, quantity) { return x / y; }
  scalar exp(scalar x, quantity) { return std::exp(x); }
  int compare(scalar x, scalar y) {
    if (std::isnan(x) || std::isnan(y)) throw std::domain_error("comparison with NaN");
    return x < y ? -1 : (y < x ? 1 : 0);
  }
  double to_double(scalar x) { return x; }
  std::optional<rational> exact(scalar) { return std::nullopt; }
};

/// Every quantity in its format; every operation correctly rounded once, sites numbered in order.
struct rounded_arith {
  using scalar = operand;
  const precision_spec& spec;
  std::uint64_t site;
  code_t last = 0;  ///< the code of the last result, in its quantity's format

  const format& fmt(quantity q) const { return spec.format_of(q); }
  scalar in(quantity q, code_t c) {
    last = c;
    return load(fmt(q), c);
  }

  scalar param(const rational& x, quantity q) { return in(q, from_rational(fmt(q), x, spec.rule, site++)); }
  scalar integer(long n) {  // an exact operand, of no format (so `last` does not change)
    const bool negative = n < 0;
    const dyadic v{negative, bigint(negative ? -n : n), 0, false};
    return {n == 0 ? number_class::zero : number_class::normal, v};
  }
  scalar convert(const scalar& x, quantity q) { return in(q, round_operand(x, fmt(q), spec.rule, site++)); }
  scalar dot(std::span<const scalar> a, std::span<const scalar> b, const scalar* bias, quantity q,
             const accumulation& rule) {
    return in(q, detail::dot(a, b, bias, fmt(q), rule, spec.rule, site));
  }
  /// A partial sum of the rule's accumulator format (accumulation always names it here).
  scalar dot_step(const scalar* total, const scalar& a, const scalar* b, const accumulation& rule) {
    return detail::dot_step(total, a, b, *rule.accumulator, rule, spec.rule, site, &last);
  }
  scalar add(const scalar& x, const scalar& y, quantity q) { return in(q, detail::add(x, y, fmt(q), spec.rule, site++)); }
  scalar sub(const scalar& x, scalar y, quantity q) {
    y.v.negative = !y.v.negative;
    return add(x, y, q);
  }
  scalar div(const scalar& x, const scalar& y, quantity q) { return in(q, detail::div(x, y, fmt(q), spec.rule, site++)); }
  scalar exp(const scalar& x, quantity q) { return in(q, detail::exp(x, fmt(q), spec.rule, site++)); }
  int compare(const scalar& x, const scalar& y) { return detail::compare(x, y); }
  double to_double(const scalar& x) {
    if (x.is_nan()) return std::numeric_limits<double>::quiet_NaN();
    if (x.is_inf()) return x.v.negative ? -HUGE_VAL : HUGE_VAL;
    const double m = std::ldexp(x.v.mag.convert_to<double>(), static_cast<int>(x.v.exp));
    return x.v.negative ? -m : m;
  }
  std::optional<rational> exact(const scalar& x) {
    if (x.is_nan() || x.is_inf()) return std::nullopt;
    const rational m = rational(x.v.mag) * pow2(x.v.exp);
    return x.v.negative ? rational(-m) : m;
  }
};

/// What stays the same across many evaluations of one model under one deterministic rule (the
/// `evaluator` of evaluate.hpp), shared by threads: each parameter's rounded value (by its
/// address in the model, which outlives the cache), each linear map's rounded weights, and the
/// outputs of a linear map for input rows already seen (by the rows' values: the first block's
/// rows depend on a token and a position only, so every input of a check reuses them), each with
/// the rounding sites its computation used, so that the site numbering stays evaluate()'s. One
/// cache per thread (the evaluator keeps them): nothing here locks.
class parameter_cache {
 public:
  bool find(const rational* p, quantity q, double& value) const {
    const auto it = values_.find(key(p, q));
    if (it == values_.end()) return false;
    value = it->second;
    return true;
  }
  void insert(const rational* p, quantity q, double value) {
    values_.emplace(key(p, q), value);
  }

  /// A linear map's rounded weights (row-major) and bias, and the sites rounding them used.
  struct weights {
    std::vector<double> w, bias;
    std::uint64_t sites = 0;
  };
  const weights* find_weights(const void* map) const {
    const auto it = weights_.find(map);
    return it == weights_.end() ? nullptr : &it->second;  // map nodes do not move
  }
  const weights& insert_weights(const void* map, weights w) {
    return weights_.emplace(map, std::move(w)).first->second;
  }

  /// The outputs of `map` (rounded into quantity q) for an input row, and the sites they used.
  struct row_result {
    std::vector<double> out;
    std::uint64_t sites = 0;
  };
  bool find_row(const void* map, quantity q, std::span<const double> row, row_result& result) {
    row_key(map, q, row, key_);
    const auto it = rows_.find(key_);
    if (it == rows_.end()) return false;
    result = it->second;
    return true;
  }
  void insert_row(const void* map, quantity q, std::span<const double> row, row_result result) {
    if (rows_.size() >= max_rows) return;
    row_key(map, q, row, key_);
    rows_.emplace(key_, std::move(result));
  }
  /// Rows kept at most: enough for every (token, position) of a check's first block; the rows of
  /// later blocks rarely repeat and are not worth the memory beyond this.
  static constexpr std::size_t max_rows = 1 << 16;

 private:
  static std::uintptr_t key(const rational* p, quantity q) {
    return reinterpret_cast<std::uintptr_t>(p) * quantity_count + static_cast<std::uintptr_t>(q);
  }
  static void row_key(const void* map, quantity q, std::span<const double> row, std::string& k) {
    k.resize(sizeof(map) + 1 + row.size_bytes());
    std::memcpy(k.data(), &map, sizeof(map));
    k[sizeof(map)] = static_cast<char>(q);
    std::memcpy(k.data() + sizeof(map) + 1, row.data(), row.size_bytes());  // bit patterns: -0 and +0 differ
  }
  std::string key_;  // reused by every lookup
  std::unordered_map<std::uintptr_t, double> values_;
  std::unordered_map<const void*, weights> weights_;
  std::unordered_map<std::string, row_result> rows_;
};

/// The same as rounded_arith on doubles, when every quantity's format fits the fast path
/// (fast/detail/scalar.hpp): the same values, exceptions and site numbering, at hardware speed.
struct double_arith {
  using scalar = double;
  const precision_spec& spec;
  std::uint64_t site;
  std::array<const fast_target*, quantity_count> targets{};  ///< indexed by quantity
  bool product_is_accumulator = false;
  parameter_cache* cache = nullptr;  ///< rounded model parameters shared by evaluations, or none

  static std::optional<double_arith> make(const precision_spec& spec, std::uint64_t first_site) {
    double_arith a{spec, first_site};
    for (std::size_t q = 0; q < quantity_count; ++q) {
      a.targets[q] = fast_target::make(spec.format_of(static_cast<quantity>(q)), spec.rule);
      if (!a.targets[q]) return std::nullopt;
    }
    a.product_is_accumulator = spec.format_of(quantity::product) == spec.format_of(quantity::accumulator);
    return a;
  }

  const fast_target& target(quantity q) const { return *targets[static_cast<std::size_t>(q)]; }
  const rounding& rule() const { return spec.rule; }

  scalar param(const rational& x, quantity q) {
    if (const auto v = exactly_double(x)) return convert(*v, q);
    return fpx::to_double(target(q).f, from_rational(target(q).f, x, rule(), site++));
  }
  /// param for a parameter of the model (x lives in it): from the cache where there is one.
  /// A cached value uses its rounding site as param would, so the site numbering is the same.
  scalar model_param(const rational& x, quantity q) {
    if (!cache) return param(x, q);
    double v;
    if (cache->find(&x, q, v)) {
      ++site;
      return v;
    }
    v = param(x, q);
    cache->insert(&x, q, v);
    return v;
  }
  scalar integer(long n) { return static_cast<double>(n); }
  scalar convert(scalar x, quantity q) { return fast::convert(target(q), x, rule(), site++); }
  scalar dot(std::span<const scalar> a, std::span<const scalar> b, const scalar* bias, quantity q,
             const accumulation& rule) {
    return fast::dot(a, b, bias, target(q), target(quantity::product), target(quantity::accumulator),
                     product_is_accumulator, rule, this->rule(), site);
  }
  scalar add(scalar x, scalar y, quantity q) { return fast::add(target(q), x, y, rule(), site++); }
  scalar sub(scalar x, scalar y, quantity q) { return add(x, -y, q); }
  scalar div(scalar x, scalar y, quantity q) { return fast::div(target(q), x, y, rule(), site++); }
  scalar exp(scalar x, quantity q) { return fast::exp(target(q), x, rule(), site++); }
  int compare(scalar x, scalar y) { return float64_arith{}.compare(x, y); }
  double to_double(scalar x) { return x; }
  std::optional<rational> exact(scalar x) {
    if (!std::isfinite(x)) return std::nullopt;
    return exact_rational(x);
  }
};

}  // namespace fpx::detail
