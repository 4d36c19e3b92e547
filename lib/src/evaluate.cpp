#include "fpx/evaluate.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fpx/codec.hpp"
#include "fpx/detail/operand.hpp"
#include "fpx/round.hpp"
#include "fast_scalar.hpp"
#include "mpfr_support.hpp"

namespace fpx {
namespace {

using Eigen::Index;
using detail::dyadic;
using detail::operand;

// --- The three arithmetics -------------------------------------------------------------
// Each gives the forward pass the same operations; only rounded_arith rounds, and only it uses
// the quantity and the accumulation rule beyond the order of terms.

// Exact rationals; exp to a stated relative precision.
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
  scalar add(const scalar& x, const scalar& y, quantity) { return x + y; }
  scalar sub(const scalar& x, const scalar& y, quantity) { return x - y; }
  scalar div(const scalar& x, const scalar& y, quantity) {
    if (y == 0) throw std::domain_error("division by zero");
    return x / y;
  }
  scalar exp(const scalar& x, quantity) {
    // x is read at exp_bits + 64 bits, so the result is good to about exp_bits bits while
    // |x| < 2^60; then rounded to nearest at exp_bits bits.
    detail::mpz_number num, den;
    detail::to_mpz(numerator(x), num.z);
    detail::to_mpz(denominator(x), den.z);
    detail::mpfr_number in(exp_bits + 64), out(exp_bits);
    mpfr_set_z(in.x, num.z, MPFR_RNDN);
    if (x < 0) mpfr_neg(in.x, in.x, MPFR_RNDN);
    mpfr_div_z(in.x, in.x, den.z, MPFR_RNDN);
    mpfr_exp(out.x, in.x, MPFR_RNDN);
    if (!mpfr_regular_p(out.x)) throw std::domain_error("exp out of MPFR's exponent range");
    const long e = mpfr_get_z_2exp(num.z, out.x);
    return rational(detail::from_mpz(num.z)) * pow2(e);
  }
  int compare(const scalar& x, const scalar& y) { return x < y ? -1 : (y < x ? 1 : 0); }
  double to_double(const scalar& x) {
    static const format fp64 = preset("fp64");
    return fpx::to_double(fp64, from_rational(fp64, x));
  }
  std::optional<rational> exact(const scalar& x) { return x; }
};

// Native doubles in the spec's order of terms (fma where the spec fuses).
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
    } else if (rule.where == accumulation::rounding_points::fused && !b.empty()) {
      for (std::size_t i : idx) total = std::fma(a[i], b[i], total);
    } else if (!idx.empty()) {
      total = term(idx[0]);
      for (std::size_t k = 1; k < idx.size(); ++k) total += term(idx[k]);
    }
    return bias ? total + *bias : total;
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

// Every quantity in its format; every operation correctly rounded once, sites numbered in order.
struct rounded_arith {
  using scalar = operand;
  const precision_spec& spec;
  std::uint64_t site;

  const format& fmt(quantity q) const { return spec.format_of(q); }
  scalar in(quantity q, code_t c) const { return detail::load(fmt(q), c); }

  scalar param(const rational& x, quantity q) {
    return in(q, from_rational(fmt(q), x, spec.rule, site++));
  }
  scalar integer(long n) {
    const bool negative = n < 0;
    const dyadic v{negative, bigint(negative ? -n : n), 0, false};
    return {n == 0 ? number_class::zero : number_class::normal, v};
  }
  scalar convert(const scalar& x, quantity q) {
    return in(q, detail::round_operand(x, fmt(q), spec.rule, site++));
  }
  scalar dot(std::span<const scalar> a, std::span<const scalar> b, const scalar* bias, quantity q,
             const accumulation& rule) {
    return in(q, detail::dot(a, b, bias, fmt(q), rule, spec.rule, site));
  }
  scalar add(const scalar& x, const scalar& y, quantity q) {
    return in(q, detail::add(x, y, fmt(q), spec.rule, site++));
  }
  scalar sub(const scalar& x, scalar y, quantity q) {
    y.v.negative = !y.v.negative;
    return add(x, y, q);
  }
  scalar div(const scalar& x, const scalar& y, quantity q) {
    return in(q, detail::div(x, y, fmt(q), spec.rule, site++));
  }
  scalar exp(const scalar& x, quantity q) {
    return in(q, detail::exp(x, fmt(q), spec.rule, site++));
  }
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

// The same as rounded_arith on doubles, when every quantity's format fits the fast path
// (fast_scalar.hpp): the same values, exceptions and site numbering, at hardware speed.
struct double_arith {
  using scalar = double;
  const precision_spec& spec;
  std::uint64_t site;
  std::array<const detail::fast_target*, quantity_count> targets{};  ///< indexed by quantity
  bool product_is_accumulator = false;

  static std::optional<double_arith> make(const precision_spec& spec, std::uint64_t first_site) {
    double_arith a{spec, first_site};
    for (std::size_t q = 0; q < quantity_count; ++q) {
      a.targets[q] = detail::fast_target::make(spec.format_of(static_cast<quantity>(q)), spec.rule);
      if (!a.targets[q]) return std::nullopt;
    }
    a.product_is_accumulator = spec.format_of(quantity::product) == spec.format_of(quantity::accumulator);
    return a;
  }

  const detail::fast_target& target(quantity q) const { return *targets[static_cast<std::size_t>(q)]; }
  const rounding& rule() const { return spec.rule; }

  scalar param(const rational& x, quantity q) {
    if (const auto v = detail::exactly_double(x)) return convert(*v, q);
    return fpx::to_double(target(q).f, from_rational(target(q).f, x, rule(), site++));
  }
  scalar integer(long n) { return static_cast<double>(n); }
  scalar convert(scalar x, quantity q) { return detail::fast::convert(target(q), x, rule(), site++); }
  scalar dot(std::span<const scalar> a, std::span<const scalar> b, const scalar* bias, quantity q,
             const accumulation& rule) {
    return detail::fast::dot(a, b, bias, target(q), target(quantity::product),
                             target(quantity::accumulator), product_is_accumulator, rule, this->rule(), site);
  }
  scalar add(scalar x, scalar y, quantity q) { return detail::fast::add(target(q), x, y, rule(), site++); }
  scalar sub(scalar x, scalar y, quantity q) { return add(x, -y, q); }
  scalar div(scalar x, scalar y, quantity q) { return detail::fast::div(target(q), x, y, rule(), site++); }
  scalar exp(scalar x, quantity q) { return detail::fast::exp(target(q), x, rule(), site++); }
  int compare(scalar x, scalar y) { return float64_arith{}.compare(x, y); }
  double to_double(scalar x) { return x; }
  std::optional<rational> exact(scalar x) {
    if (!std::isfinite(x)) return std::nullopt;
    return exact_rational(x);
  }
};

// --- The forward pass, written once ----------------------------------------------------

template <class Arith>
class forward_pass {
 public:
  using S = typename Arith::scalar;
  using mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  forward_pass(Arith& arith, const precision_spec& spec, bool tracing)
      : a_(arith), spec_(spec), tracing_(tracing) {}

  mat inputs(const rmatrix& x) {
    step_ = "input";
    mat out(x.rows(), x.cols());
    for (Index i = 0; i < x.rows(); ++i)
      for (Index k = 0; k < x.cols(); ++k) out(i, k) = a_.param(x(i, k), quantity::activation);
    record(out);
    return out;
  }

  mat embed(const transformer& t, std::span<const int> tokens) {
    step_ = "embedding";
    const Index n = static_cast<Index>(tokens.size());
    if (t.token_embedding.size() == 0)
      throw std::invalid_argument("evaluate: the model has no token embedding; give vectors");
    if (t.positional.size() != 0 && n > t.positional.rows())
      throw std::invalid_argument("evaluate: " + std::to_string(n) + " tokens, but positional "
                                  "encodings for " + std::to_string(t.positional.rows()));
    mat out(n, t.token_embedding.cols());
    for (Index i = 0; i < n; ++i) {
      const int token = tokens[static_cast<std::size_t>(i)];
      if (token < 0 || token >= t.token_embedding.rows())
        throw std::invalid_argument("evaluate: token " + std::to_string(token) + " at position " +
                                    std::to_string(i) + " is outside the vocabulary [0, " +
                                    std::to_string(t.token_embedding.rows()) + ")");
      for (Index k = 0; k < out.cols(); ++k) {
        const S e = a_.param(t.token_embedding(token, k), quantity::embedding);
        out(i, k) = t.positional.size() == 0
                        ? a_.convert(e, quantity::activation)
                        : a_.add(e, a_.param(t.positional(i, k), quantity::position),
                                 quantity::activation);
      }
    }
    record(out);
    return out;
  }

  mat run_transformer(const transformer& t, mat x, bool last_only) {
    for (std::size_t b = 0; b < t.blocks.size(); ++b) {
      const bool final_block = b + 1 == t.blocks.size();
      x = run_block(t.blocks[b], std::move(x), "blocks[" + std::to_string(b) + "]",
                    last_only && final_block ? x.rows() - 1 : 0);
    }
    if (t.blocks.empty() && last_only) x = last_rows(x, 1);
    if (t.readout.layers.empty()) return x;
    return run_mlp(t.readout, std::move(x), quantity::output, "readout");
  }

  // Hidden layers round into `activation`, the last one into `last`.
  mat run_mlp(const mlp& m, mat x, quantity last, const std::string& name) {
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
      const std::string lp = name + ".layers[" + std::to_string(l) + "]";
      const quantity q = l + 1 == m.layers.size() ? last : quantity::activation;
      x = apply(m.layers[l].map, x, q, lp, ".linear");
      if (m.layers[l].act != activation::identity) {
        enter(lp, ".activation");
        for (Index i = 0; i < x.size(); ++i) x.data()[i] = activate(m.layers[l].act, x.data()[i], q);
        record(x);
      }
    }
    return x;
  }

  std::vector<trace_step>& trace() { return trace_; }
  const std::string& step() const { return step_; }

 private:
  mat run_block(const transformer_block& block, mat x, const std::string& name, Index first_query) {
    if (block.attention) {
      mat y = attend(*block.attention, x, name + ".attention", first_query);
      mat rest = last_rows(x, x.rows() - first_query);
      x = block.attention_residual ? residual(rest, y, name, ".attention.residual") : y;
    } else if (first_query > 0) {
      x = last_rows(x, x.rows() - first_query);
    }
    if (block.feed_forward.layers.empty()) return x;
    mat y = run_mlp(block.feed_forward, x, quantity::activation, name + ".mlp");
    return block.mlp_residual ? residual(x, y, name, ".mlp.residual") : y;
  }

  mat residual(const mat& x, const mat& y, const std::string& name, std::string_view part) {
    enter(name, part);
    mat out(x.rows(), x.cols());
    for (Index i = 0; i < x.size(); ++i)
      out.data()[i] = a_.add(x.data()[i], y.data()[i], quantity::activation);
    record(out);
    return out;
  }

  // y_i = W x_i + b for every row x_i, each entry one dot product.
  mat apply(const linear& l, const mat& x, quantity q, const std::string& name, std::string_view part) {
    enter(name, part);
    mat w(l.weight.rows(), l.weight.cols());
    for (Index i = 0; i < w.size(); ++i)
      w.data()[i] = a_.param(l.weight(i / w.cols(), i % w.cols()), quantity::weight);
    std::vector<S> bias;
    for (Index i = 0; i < l.bias.size(); ++i) bias.push_back(a_.param(l.bias(i), quantity::bias));
    const accumulation rule = feature_rule();
    mat out(x.rows(), w.rows());
    for (Index i = 0; i < x.rows(); ++i)
      for (Index o = 0; o < w.rows(); ++o)
        out(i, o) = a_.dot(row(x, i), row(w, o), bias.empty() ? nullptr : &bias[o], q, rule);
    record(out);
    return out;
  }

  S activate(activation act, const S& x, quantity q) {
    const S zero = a_.integer(0);
    switch (act) {
      case activation::identity: return x;
      case activation::relu: return a_.compare(x, zero) > 0 ? x : a_.param(0, q);
      case activation::step: return a_.param(a_.compare(x, zero) >= 0 ? 1 : 0, q);
      case activation::sign: return a_.param(a_.compare(x, zero) >= 0 ? 1 : -1, q);
      case activation::clipped_relu:
        if (a_.compare(x, zero) <= 0) return a_.param(0, q);
        return a_.compare(x, a_.integer(1)) >= 0 ? a_.param(1, q) : x;
    }
    return x;
  }

  mat attend(const attention_layer& layer, const mat& x, const std::string& name, Index first_query) {
    const Index n = x.rows();
    std::vector<mat> heads;
    Index width = 0;
    for (std::size_t h = 0; h < layer.heads.size(); ++h) {
      heads.push_back(head(layer, layer.heads[h], x, name + ".heads[" + std::to_string(h) + "]",
                           first_query));
      width += heads.back().cols();
    }
    mat concat(n - first_query, width);
    Index col = 0;
    for (const mat& hm : heads) {
      concat.middleCols(col, hm.cols()) = hm;
      col += hm.cols();
    }
    if (layer.output.weight.size() == 0) return concat;
    return apply(layer.output, concat, quantity::activation, name, ".output");
  }

  mat head(const attention_layer& layer, const attention_head& hd, const mat& x,
           const std::string& name, Index first_query) {
    const Index n = x.rows(), nq = n - first_query;
    if (spec_.position_order == accumulation::order::given &&
        spec_.position_permutation.size() != static_cast<std::size_t>(n))
      throw std::invalid_argument("position_permutation has " +
                                  std::to_string(spec_.position_permutation.size()) +
                                  " entries for a sequence of " + std::to_string(n));
    const mat q = apply(hd.query, last_rows(x, nq), quantity::activation, name, ".query");
    const mat k = apply(hd.key, x, quantity::activation, name, ".key");
    const mat v = apply(hd.value, x, quantity::activation, name, ".value");

    enter(name, ".logits");
    const accumulation features = feature_rule();
    std::vector<std::vector<S>> logits(static_cast<std::size_t>(nq));
    for (Index i = 0; i < nq; ++i) {
      const Index seen = visible(layer, first_query + i, n);
      logits[i].reserve(static_cast<std::size_t>(seen));
      for (Index j = 0; j < seen; ++j)
        logits[i].push_back(a_.dot(row(q, i), row(k, j), nullptr, quantity::logit, features));
    }
    record_ragged(logits, n);

    mat out(nq, v.cols());
    if (layer.kind == attention_kind::hard) {
      hard(logits, v, out, name);
    } else {
      softmax(logits, v, out, name);
    }
    enter(name, ".output");
    record(out);
    return out;
  }

  Index visible(const attention_layer& layer, Index query, Index n) const {
    return layer.mask == attention_mask::causal ? query + 1 : n;
  }

  void softmax(std::vector<std::vector<S>>& logits, const mat& v, mat& out, const std::string& name) {
    const std::size_t nq = logits.size();
    if (spec_.subtract_max) {
      enter(name, ".shifted");
      for (auto& s : logits) {
        S m = s[0];
        for (const S& x : s)
          if (a_.compare(x, m) > 0) m = x;
        for (S& x : s) x = a_.sub(x, m, quantity::logit);
      }
      record_ragged(logits, v.rows());
    }
    enter(name, ".exponentials");
    for (auto& s : logits)
      for (S& x : s) x = a_.exp(x, quantity::exponential);
    record_ragged(logits, v.rows());

    enter(name, ".denominator");
    std::vector<S> z;
    z.reserve(nq);
    for (const auto& w : logits)
      z.push_back(a_.dot(w, {}, nullptr, quantity::denominator, position_rule(w.size())));
    record_column(z);

    const bool divide_once = spec_.normalization == softmax_normalization::divide_once;
    if (!divide_once) {
      enter(name, ".weights");
      for (std::size_t i = 0; i < nq; ++i)
        for (S& w : logits[i]) w = a_.div(w, z[i], quantity::attention_weight);
      record_ragged(logits, v.rows());
    }
    enter(name, divide_once ? ".numerator" : ".weighted_sum");
    std::vector<S> vc;
    for (std::size_t i = 0; i < nq; ++i) {
      const auto& w = logits[i];
      const accumulation rule = position_rule(w.size());
      for (Index c = 0; c < v.cols(); ++c) {
        column_prefix(v, c, w.size(), vc);
        out(static_cast<Index>(i), c) =
            divide_once ? a_.dot(w, vc, nullptr, quantity::accumulator, rule)
                        : a_.dot(w, vc, nullptr, quantity::activation, rule);
      }
    }
    if (divide_once) {
      record(out);
      enter(name, ".division");
      for (Index i = 0; i < out.rows(); ++i)
        for (Index c = 0; c < out.cols(); ++c)
          out(i, c) = a_.div(out(i, c), z[static_cast<std::size_t>(i)], quantity::activation);
    }
  }

  void hard(const std::vector<std::vector<S>>& logits, const mat& v, mat& out, const std::string& name) {
    enter(name, ".selection");
    std::vector<std::vector<double>> chosen;  // for the trace: 1/|M| on the maximisers
    for (std::size_t i = 0; i < logits.size(); ++i) {
      const auto& s = logits[i];
      std::vector<std::size_t> maximisers{0};
      for (std::size_t j = 1; j < s.size(); ++j) {
        const int c = a_.compare(s[j], s[maximisers[0]]);
        if (c > 0) maximisers = {j};
        else if (c == 0) maximisers.push_back(j);
      }
      const Index r = static_cast<Index>(i);
      switch (spec_.hard_attention) {
        case hard_attention_rule::leftmost: maximisers = {maximisers.front()}; break;
        case hard_attention_rule::rightmost: maximisers = {maximisers.back()}; break;
        case hard_attention_rule::average: break;
      }
      if (maximisers.size() == 1) {
        out.row(r) = v.row(static_cast<Index>(maximisers[0]));
      } else {
        // The mean over maximisers: the sum in the accumulator, one division by the count.
        for (Index c = 0; c < v.cols(); ++c) {
          std::vector<S> vm;
          for (std::size_t j : maximisers) vm.push_back(v(static_cast<Index>(j), c));
          const S sum = a_.dot(vm, {}, nullptr, quantity::accumulator, position_rule(maximisers));
          out(r, c) = a_.div(sum, a_.integer(static_cast<long>(maximisers.size())), quantity::activation);
        }
      }
      chosen.emplace_back(s.size(), 0.0);
      for (std::size_t j : maximisers) chosen.back()[j] = 1.0 / static_cast<double>(maximisers.size());
    }
    if (tracing_) {
      Eigen::MatrixXd m = Eigen::MatrixXd::Constant(static_cast<Index>(chosen.size()), v.rows(),
                                                    std::numeric_limits<double>::quiet_NaN());
      for (std::size_t i = 0; i < chosen.size(); ++i)
        for (std::size_t j = 0; j < chosen[i].size(); ++j)
          m(static_cast<Index>(i), static_cast<Index>(j)) = chosen[i][j];
      trace_.push_back({step_, std::move(m)});
    }
  }

  accumulation feature_rule() const {
    accumulation r = base_rule();
    r.sum_order = spec_.feature_order;
    return r;
  }
  // A sum over the first `count` positions.
  accumulation position_rule(std::size_t count) const {
    std::vector<std::size_t> positions;
    if (spec_.position_order == accumulation::order::given) {  // only a given order reads them
      positions.resize(count);
      std::iota(positions.begin(), positions.end(), 0);
    }
    return position_rule(positions);
  }
  // A sum whose k-th term belongs to positions[k]: the spec's position order restricted to them.
  accumulation position_rule(const std::vector<std::size_t>& positions) const {
    accumulation r = base_rule();
    r.sum_order = spec_.position_order;
    if (r.sum_order == accumulation::order::given) {
      std::vector<std::size_t> rank(spec_.position_permutation.size());
      for (std::size_t k = 0; k < rank.size(); ++k) rank[spec_.position_permutation[k]] = k;
      r.permutation.resize(positions.size());
      std::iota(r.permutation.begin(), r.permutation.end(), 0);
      std::sort(r.permutation.begin(), r.permutation.end(), [&](std::size_t x, std::size_t y) {
        return rank[positions[x]] < rank[positions[y]];
      });
    }
    return r;
  }
  accumulation base_rule() const {
    accumulation r;
    r.where = spec_.where;
    // Only the reference path reads the formats here (the fast one holds its targets), and
    // copying two formats for every sum costs more than the fast path's arithmetic.
    if constexpr (std::is_same_v<Arith, rounded_arith>) {
      r.product = spec_.format_of(quantity::product);
      r.accumulator = spec_.format_of(quantity::accumulator);
    }
    return r;
  }

  // Copies written out: constructing a matrix of rationals from an Eigen expression makes
  // Boost.Multiprecision probe the expression's iterator type, which does not compile.
  static mat last_rows(const mat& m, Index count) {
    mat out(count, m.cols());
    for (Index i = 0; i < count; ++i)
      for (Index k = 0; k < m.cols(); ++k) out(i, k) = m(m.rows() - count + i, k);
    return out;
  }
  static std::span<const S> row(const mat& m, Index i) {
    return {m.data() + i * m.cols(), static_cast<std::size_t>(m.cols())};
  }
  static void column_prefix(const mat& m, Index c, std::size_t count, std::vector<S>& out) {
    out.clear();
    for (std::size_t j = 0; j < count; ++j) out.push_back(m(static_cast<Index>(j), c));
  }

  void record(const mat& m) {
    if (!tracing_) return;
    Eigen::MatrixXd d(m.rows(), m.cols());
    for (Index i = 0; i < m.size(); ++i) d.data()[i] = a_.to_double(m(i / m.cols(), i % m.cols()));
    trace_.push_back({step_, std::move(d)});
  }
  void record_ragged(const std::vector<std::vector<S>>& rows, Index width) {
    if (!tracing_) return;
    Eigen::MatrixXd d = Eigen::MatrixXd::Constant(static_cast<Index>(rows.size()), width,
                                                  std::numeric_limits<double>::quiet_NaN());
    for (std::size_t i = 0; i < rows.size(); ++i)
      for (std::size_t j = 0; j < rows[i].size(); ++j)
        d(static_cast<Index>(i), static_cast<Index>(j)) = a_.to_double(rows[i][j]);
    trace_.push_back({step_, std::move(d)});
  }
  void record_column(const std::vector<S>& values) {
    if (!tracing_) return;
    Eigen::MatrixXd d(static_cast<Index>(values.size()), 1);
    for (std::size_t i = 0; i < values.size(); ++i) d(static_cast<Index>(i), 0) = a_.to_double(values[i]);
    trace_.push_back({step_, std::move(d)});
  }

  // The step's name, written into one string that keeps its capacity: an evaluation enters
  // dozens of steps, and building each name anew cost several percent of a fast pass.
  void enter(const std::string& prefix, std::string_view part) { step_.assign(prefix).append(part); }

  Arith& a_;
  const precision_spec& spec_;
  bool tracing_;
  std::string step_;
  std::vector<trace_step> trace_;
};

// Runs `body(pass)` in the spec's arithmetic and packages the result. Errors from the
// arithmetic are rethrown with the step where they happened.
template <class Body>
evaluation run(const precision_spec& spec, const evaluation_options& options, Body body) {
  spec.validate();
  auto go = [&](auto& arith) {
    forward_pass pass(arith, spec, options.trace);
    auto rethrow = [&](const auto& e) {
      using error = std::decay_t<decltype(e)>;
      throw error("at " + pass.step() + ": " + e.what());
    };
    evaluation result;
    try {
      const auto out = body(pass);
      result.output.resize(out.rows(), out.cols());
      rmatrix exact(out.rows(), out.cols());
      bool all_exact = true;
      for (Index i = 0; i < out.rows(); ++i)
        for (Index k = 0; k < out.cols(); ++k) {
          result.output(i, k) = arith.to_double(out(i, k));
          const auto e = arith.exact(out(i, k));
          all_exact = all_exact && e.has_value();
          if (e) exact(i, k) = *e;
        }
      if (all_exact) result.exact_output = std::move(exact);
    } catch (const std::domain_error& e) {
      rethrow(e);
    } catch (const std::overflow_error& e) {
      rethrow(e);
    } catch (const std::invalid_argument& e) {
      rethrow(e);
    }
    result.trace = std::move(pass.trace());
    return result;
  };
  switch (spec.mode) {
    case arithmetic::exact: {
      exact_arith a{spec.exact_exp_bits};
      return go(a);
    }
    case arithmetic::float64: {
      float64_arith a;
      return go(a);
    }
    case arithmetic::rounded: break;
  }
  if (!options.reference_arithmetic)
    if (auto fast = double_arith::make(spec, options.first_site)) {
      evaluation result = go(*fast);
      result.roundings = fast->site - options.first_site;
      return result;
    }
  rounded_arith a{spec, options.first_site};
  evaluation result = go(a);
  result.roundings = a.site - options.first_site;
  return result;
}

}  // namespace

evaluation evaluate(const mlp& model, const rvector& input, const precision_spec& spec,
                    const evaluation_options& options) {
  validate(model);
  if (input.size() != model.inputs())
    throw std::invalid_argument("evaluate: input has " + std::to_string(input.size()) +
                                " entries, the MLP takes " + std::to_string(model.inputs()));
  rmatrix row(1, input.size());
  for (Index k = 0; k < input.size(); ++k) row(0, k) = input(k);
  return run(spec, options, [&](auto& pass) {
    auto y = pass.run_mlp(model, pass.inputs(row), quantity::output, "mlp");
    decltype(y) column(y.cols(), 1);
    for (Index k = 0; k < y.cols(); ++k) column(k, 0) = y(0, k);
    return column;
  });
}

evaluation evaluate(const transformer& model, std::span<const int> tokens,
                    const precision_spec& spec, const evaluation_options& options) {
  validate(model);
  if (tokens.empty()) throw std::invalid_argument("evaluate: empty token sequence");
  return run(spec, options, [&](auto& pass) {
    return pass.run_transformer(model, pass.embed(model, tokens), options.last_position_only);
  });
}

evaluation evaluate(const transformer& model, const rmatrix& inputs, const precision_spec& spec,
                    const evaluation_options& options) {
  validate(model);
  if (inputs.rows() == 0) throw std::invalid_argument("evaluate: empty input sequence");
  if (inputs.cols() != model.d_model())
    throw std::invalid_argument("evaluate: inputs have " + std::to_string(inputs.cols()) +
                                " columns, d_model is " + std::to_string(model.d_model()));
  return run(spec, options, [&](auto& pass) {
    return pass.run_transformer(model, pass.inputs(inputs), options.last_position_only);
  });
}

std::optional<divergence> first_divergence(const evaluation& a, const evaluation& b,
                                           double tolerance) {
  if (a.trace.empty() || b.trace.empty())
    throw std::invalid_argument("first_divergence: both evaluations need a trace");
  for (std::size_t s = 0; s < std::min(a.trace.size(), b.trace.size()); ++s) {
    const trace_step &x = a.trace[s], &y = b.trace[s];
    if (x.name != y.name || x.values.rows() != y.values.rows() || x.values.cols() != y.values.cols())
      throw std::invalid_argument("first_divergence: traces differ in structure at step " +
                                  std::to_string(s) + " (" + x.name + " vs " + y.name + ")");
    for (Index i = 0; i < x.values.rows(); ++i)
      for (Index k = 0; k < x.values.cols(); ++k) {
        const double u = x.values(i, k), w = y.values(i, k);
        if (u == w || (std::isnan(u) && std::isnan(w))) continue;
        if (!(std::abs(u - w) <= tolerance)) return divergence{x.name, i, k, u, w};
      }
  }
  return std::nullopt;
}

}  // namespace fpx
