#pragma once
// The rounding rules of attention, written once over an arithmetic (arithmetics.hpp): which
// accumulation rule a sum over features or over positions follows, and softmax attention
// itself: w = rd(exp(rd(s - m))) (or rd(exp(s))), Z and the numerator summed in the spec's
// position order (whole, or a position at a time), and the final division; and the average of
// hard attention. The evaluator (evaluate.cpp), the protocol's Alice state (theory/protocol.cpp)
// and the threshold search's tables (theory/threshold_search.cpp) all apply these, so a change
// to one of them is a change to this file. tests/theory/test_rules.cpp shows the three agree.

#include <algorithm>
#include <numeric>
#include <span>
#include <type_traits>
#include <vector>

#include "fpx/model/detail/arithmetics.hpp"
#include "fpx/model/precision.hpp"

namespace fpx::detail {

/// The rule of a dot product of the spec (rounding points; the product and accumulator formats,
/// which only the reference arithmetic reads: copying two formats for every sum costs more than
/// the fast path's arithmetic).
template <class Arith>
accumulation base_rule(const precision_spec& spec) {
  accumulation r;
  r.where = spec.where;
  if constexpr (std::is_same_v<Arith, rounded_arith>) {
    r.product = spec.format_of(quantity::product);
    r.accumulator = spec.format_of(quantity::accumulator);
  }
  return r;
}

/// A dot product over features (linear layers, logits q . k).
template <class Arith>
accumulation feature_rule(const precision_spec& spec) {
  accumulation r = base_rule<Arith>(spec);
  r.sum_order = spec.feature_order;
  return r;
}

/// A sum whose k-th term belongs to positions[k]: the spec's position order restricted to them.
template <class Arith>
accumulation position_rule(const precision_spec& spec, const std::vector<std::size_t>& positions) {
  accumulation r = base_rule<Arith>(spec);
  r.sum_order = spec.position_order;
  if (r.sum_order == accumulation::order::given) {
    std::vector<std::size_t> rank(spec.position_permutation.size());
    for (std::size_t k = 0; k < rank.size(); ++k) rank[spec.position_permutation[k]] = k;
    r.permutation.resize(positions.size());
    std::iota(r.permutation.begin(), r.permutation.end(), 0);
    std::sort(r.permutation.begin(), r.permutation.end(),
              [&](std::size_t x, std::size_t y) { return rank[positions[x]] < rank[positions[y]]; });
  }
  return r;
}

/// A sum over the first `count` positions (those a query sees).
template <class Arith>
accumulation position_rule(const precision_spec& spec, std::size_t count) {
  std::vector<std::size_t> positions;
  if (spec.position_order == accumulation::order::given) {  // only a given order reads them
    positions.resize(count);
    std::iota(positions.begin(), positions.end(), 0);
  }
  return position_rule<Arith>(spec, positions);
}

/// Attention at one query, in the spec's rules. Whole sums follow the spec's position order;
/// the steps (a position at a time) are the same sums taken left to right, so that a partial
/// state is a value of the accumulator format.
template <class Arith>
class attention_rules {
 public:
  using S = typename Arith::scalar;

  attention_rules(Arith& a, const precision_spec& spec)
      : a_(a), spec_(spec), step_rule_(position_rule<Arith>(spec, 0)) {}
  /// With the rule of the steps made once by the caller (position_rule<Arith>(spec, 0)), for
  /// callers that step many times.
  attention_rules(Arith& a, const precision_spec& spec, accumulation step_rule)
      : a_(a), spec_(spec), step_rule_(std::move(step_rule)) {}

  /// The row maximum for max-subtraction: the leftmost of the maximal logits.
  S maximum(std::span<const S> s) {
    S m = s[0];
    for (const S& x : s)
      if (a_.compare(x, m) > 0) m = x;
    return m;
  }
  /// rd(s - m) into `logit`.
  S shifted(const S& s, const S& m) { return a_.sub(s, m, quantity::logit); }
  /// w = rd(exp(x)) into `exponential` (x the logit, or the shifted logit).
  S exponential(const S& x) { return a_.exp(x, quantity::exponential); }

  /// Z: the exponentials of the positions a query sees, summed in the position order, in
  /// `denominator`.
  S denominator(std::span<const S> w) {
    return a_.dot(w, {}, nullptr, quantity::denominator, position_rule<Arith>(spec_, w.size()));
  }
  /// divide_once: the numerator sum_j w_j v_j (one column of the values) in `accumulator`.
  S numerator(std::span<const S> w, std::span<const S> v) {
    return a_.dot(w, v, nullptr, quantity::accumulator, position_rule<Arith>(spec_, w.size()));
  }
  /// divide_once: rd(numerator / Z) into `activation`.
  S divided(const S& numerator, const S& z) { return a_.div(numerator, z, quantity::activation); }
  /// normalize_first: alpha_j = rd(w_j / Z) into `attention_weight`.
  S normalized(const S& w, const S& z) { return a_.div(w, z, quantity::attention_weight); }
  /// normalize_first: sum_j alpha_j v_j into `activation`.
  S weighted_sum(std::span<const S> alpha, std::span<const S> v) {
    return a_.dot(alpha, v, nullptr, quantity::activation, position_rule<Arith>(spec_, alpha.size()));
  }

  /// Z's partial sum (nullptr: none yet) with the next position's w added, left to right, in
  /// `accumulator`: denominator() is these steps, then denominator_total.
  S denominator_step(const S* partial, const S& w) {
    return a_.dot_step(partial, w, nullptr, step_rule_);
  }
  /// The numerator's partial sum (nullptr: none yet) with the next position's w v added, left
  /// to right, in `accumulator`: numerator() is these steps.
  S numerator_step(const S* partial, const S& w, const S& v) {
    return a_.dot_step(partial, w, &v, step_rule_);
  }
  /// Z over every position from its last partial sum: rounded into `denominator`.
  S denominator_total(const S& partial) { return a_.convert(partial, quantity::denominator); }

  /// Hard attention, rule `average`: the mean of the maximisers' values (one column): their sum
  /// in the position order into `accumulator`, then one division by their count into
  /// `activation`.
  S average(std::span<const S> values, const std::vector<std::size_t>& positions) {
    const S sum = a_.dot(values, {}, nullptr, quantity::accumulator, position_rule<Arith>(spec_, positions));
    return a_.div(sum, a_.integer(static_cast<long>(positions.size())), quantity::activation);
  }

 private:
  Arith& a_;
  const precision_spec& spec_;
  accumulation step_rule_;  // the rule of the steps (left to right), made once
};

}  // namespace fpx::detail
