#include "fpx/model/evaluate.hpp"

#include "fpx/fast/detail/batches.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <variant>

#include "fpx/model/detail/arithmetics.hpp"
#include "fpx/model/detail/rules.hpp"

namespace fpx {
namespace {

using Eigen::Index;
using detail::double_arith;
using detail::exact_arith;
using detail::float64_arith;
using detail::rounded_arith;

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
    mat tokens_used(tracing_ ? n : 0, t.token_embedding.cols()), positions_used(tracing_ ? n : 0, t.token_embedding.cols());
    for (Index i = 0; i < n; ++i) {
      const int token = tokens[static_cast<std::size_t>(i)];
      if (token < 0 || token >= t.token_embedding.rows())
        throw std::invalid_argument("evaluate: token " + std::to_string(token) + " at position " +
                                    std::to_string(i) + " is outside the vocabulary [0, " +
                                    std::to_string(t.token_embedding.rows()) + ")");
      // With the evaluator's cache, the row of (token, position) once, with its sites.
      detail::parameter_cache* cache = nullptr;
      const std::array<double, 2> key{static_cast<double>(token), static_cast<double>(i)};
      detail::parameter_cache::row_result cached;
      std::uint64_t first_site = 0;
      if constexpr (std::is_same_v<Arith, double_arith>) {
        cache = tracing_ ? nullptr : a_.cache;
        if (cache && cache->find_row(&t.token_embedding, quantity::activation, key, cached)) {
          for (Index k = 0; k < out.cols(); ++k) out(i, k) = cached.out[static_cast<std::size_t>(k)];
          a_.site += cached.sites;
          continue;
        }
        first_site = a_.site;
      }
      for (Index k = 0; k < out.cols(); ++k) {
        const S e = model_param(t.token_embedding(token, k), quantity::embedding);
        if (tracing_) tokens_used(i, k) = e;
        if (t.positional.size() == 0) {
          out(i, k) = a_.convert(e, quantity::activation);
        } else {
          const S p = model_param(t.positional(i, k), quantity::position);
          if (tracing_) positions_used(i, k) = p;
          out(i, k) = a_.add(e, p, quantity::activation);
        }
      }
      if constexpr (std::is_same_v<Arith, double_arith>)
        if (cache) {
          cached.out.assign(out.data() + i * out.cols(), out.data() + (i + 1) * out.cols());
          cached.sites = a_.site - first_site;
          cache->insert_row(&t.token_embedding, quantity::activation, key, std::move(cached));
        }
    }
    if (tracing_) {  // the rounded parameters, then their sum
      step_ = "embedding.tokens";
      record(tokens_used);
      if (t.positional.size() != 0) {
        step_ = "embedding.positions";
        record(positions_used);
      }
      step_ = "embedding";
    }
    record(out);
    return out;
  }

  mat run_transformer(const transformer& t, mat x, bool last_only) {
    for (std::size_t b = 0; b < t.blocks.size(); ++b) {
      const bool final_block = b + 1 == t.blocks.size();
      // Read before x is moved: the order in which arguments are evaluated is unspecified
      // (GCC happened to read x.rows() first, clang moves x first and read 0).
      const Index first_query = last_only && final_block ? x.rows() - 1 : 0;
      x = run_block(t.blocks[b], std::move(x), "blocks[" + std::to_string(b) + "]", first_query);
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
  // A parameter of the model (x lives in it): rounded once per evaluator where the arithmetic
  // keeps a cache (double_arith under a deterministic rule), else rounded here.
  S model_param(const rational& x, quantity q) {
    if constexpr (std::is_same_v<Arith, double_arith>) return a_.model_param(x, q);
    else return a_.param(x, q);
  }

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
    if constexpr (std::is_same_v<Arith, double_arith>)
      if (a_.cache && !tracing_) return apply_cached(l, x, q, name, part);
    enter(name, part);
    mat w(l.weight.rows(), l.weight.cols());
    for (Index i = 0; i < w.size(); ++i)
      w.data()[i] = model_param(l.weight(i / w.cols(), i % w.cols()), quantity::weight);
    std::vector<S> bias;
    for (Index i = 0; i < l.bias.size(); ++i) bias.push_back(model_param(l.bias(i), quantity::bias));
    if (tracing_) {  // the rounded parameters, then the step that uses them
      const std::string step = step_;
      step_.append(".weight");
      record(w);
      if (!bias.empty()) {
        step_.assign(step).append(".bias");
        record_row(bias);
      }
      step_ = step;
    }
    const accumulation rule = detail::feature_rule<Arith>(spec_);
    mat out(x.rows(), w.rows());
    for (Index i = 0; i < x.rows(); ++i)
      for (Index o = 0; o < w.rows(); ++o)
        out(i, o) = a_.dot(row(x, i), row(w, o), bias.empty() ? nullptr : &bias[o], q, rule);
    record(out);
    return out;
  }

  // apply with the evaluator's cache (double_arith, deterministic rule, no trace): the map's
  // rounded weights once, and each input row's outputs once, with the sites they used.
  mat apply_cached(const linear& l, const mat& x, quantity q, const std::string& name, std::string_view part) {
    enter(name, part);
    detail::parameter_cache& cache = *a_.cache;
    const detail::parameter_cache::weights* rounded = cache.find_weights(&l);
    if (!rounded) {
      detail::parameter_cache::weights fresh;
      const std::uint64_t first = a_.site;
      fresh.w.resize(static_cast<std::size_t>(l.weight.size()));
      for (Index i = 0; i < l.weight.size(); ++i)
        fresh.w[static_cast<std::size_t>(i)] = a_.param(l.weight(i / l.weight.cols(), i % l.weight.cols()), quantity::weight);
      for (Index i = 0; i < l.bias.size(); ++i) fresh.bias.push_back(a_.param(l.bias(i), quantity::bias));
      fresh.sites = a_.site - first;
      rounded = &cache.insert_weights(&l, std::move(fresh));
    } else {
      a_.site += rounded->sites;
    }
    const accumulation rule = detail::feature_rule<Arith>(spec_);
    const Index outputs = l.weight.rows(), inputs = l.weight.cols();
    mat out(x.rows(), outputs);
    detail::parameter_cache::row_result result;
    for (Index i = 0; i < x.rows(); ++i) {
      const std::span<const double> in = row(x, i);
      if (cache.find_row(&l, q, in, result)) {
        for (Index o = 0; o < outputs; ++o) out(i, o) = result.out[static_cast<std::size_t>(o)];
        a_.site += result.sites;
        continue;
      }
      const std::uint64_t first = a_.site;
      result.out.resize(static_cast<std::size_t>(outputs));
      for (Index o = 0; o < outputs; ++o) {
        const std::span<const double> w(rounded->w.data() + o * inputs, static_cast<std::size_t>(inputs));
        out(i, o) = result.out[static_cast<std::size_t>(o)] =
            a_.dot(in, w, rounded->bias.empty() ? nullptr : &rounded->bias[static_cast<std::size_t>(o)], q, rule);
      }
      result.sites = a_.site - first;
      cache.insert_row(&l, q, in, result);
    }
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
    const accumulation features = detail::feature_rule<Arith>(spec_);
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
    detail::attention_rules rules(a_, spec_);
    const std::size_t nq = logits.size();
    if (spec_.subtract_max) {
      enter(name, ".shifted");
      for (auto& s : logits) {
        const S m = rules.maximum(s);
        for (S& x : s) x = rules.shifted(x, m);
      }
      record_ragged(logits, v.rows());
    }
    enter(name, ".exponentials");
    for (auto& s : logits)
      for (S& x : s) x = rules.exponential(x);
    record_ragged(logits, v.rows());

    enter(name, ".denominator");
    std::vector<S> z;
    z.reserve(nq);
    for (const auto& w : logits) z.push_back(rules.denominator(w));
    record_column(z);

    const bool divide_once = spec_.normalization == softmax_normalization::divide_once;
    if (!divide_once) {
      enter(name, ".weights");
      for (std::size_t i = 0; i < nq; ++i)
        for (S& w : logits[i]) w = rules.normalized(w, z[i]);
      record_ragged(logits, v.rows());
    }
    enter(name, divide_once ? ".numerator" : ".weighted_sum");
    std::vector<S> vc;
    for (std::size_t i = 0; i < nq; ++i) {
      const auto& w = logits[i];
      for (Index c = 0; c < v.cols(); ++c) {
        column_prefix(v, c, w.size(), vc);
        out(static_cast<Index>(i), c) = divide_once ? rules.numerator(w, vc) : rules.weighted_sum(w, vc);
      }
    }
    if (divide_once) {
      record(out);
      enter(name, ".division");
      for (Index i = 0; i < out.rows(); ++i)
        for (Index c = 0; c < out.cols(); ++c)
          out(i, c) = rules.divided(out(i, c), z[static_cast<std::size_t>(i)]);
    }
  }

  void hard(const std::vector<std::vector<S>>& logits, const mat& v, mat& out, const std::string& name) {
    enter(name, ".selection");
    std::vector<std::vector<std::size_t>> chosen;  // when tracing: |M| on the maximisers, else 0
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
        detail::attention_rules rules(a_, spec_);
        for (Index c = 0; c < v.cols(); ++c) {
          std::vector<S> vm;
          for (std::size_t j : maximisers) vm.push_back(v(static_cast<Index>(j), c));
          out(r, c) = rules.average(vm, maximisers);
        }
      }
      if (tracing_) {
        chosen.emplace_back(s.size(), 0);
        for (std::size_t j : maximisers) chosen.back()[j] = maximisers.size();
      }
    }
    if (tracing_) {
      const Index rows = static_cast<Index>(chosen.size()), cols = v.rows();
      trace_step s{step_, Eigen::MatrixXd::Constant(rows, cols, std::numeric_limits<double>::quiet_NaN()),
                   trace_step::exactness::stored, {}};
      s.exact.resize(static_cast<std::size_t>(rows * cols));
      for (std::size_t i = 0; i < chosen.size(); ++i)
        for (std::size_t j = 0; j < chosen[i].size(); ++j) {
          const std::size_t count = chosen[i][j];  // the weight is 1/count, or 0
          s.values(static_cast<Index>(i), static_cast<Index>(j)) = count ? 1.0 / static_cast<double>(count) : 0.0;
          s.exact[i * static_cast<std::size_t>(cols) + j] = count ? rational(1, static_cast<long>(count)) : rational(0);
        }
      trace_.push_back(std::move(s));
    }
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

  // A step of rows x cols entries; get(i, k) is the entry's scalar, or nullptr where masked.
  template <class Get>
  void record_cells(Index rows, Index cols, Get get) {
    trace_step s{step_, Eigen::MatrixXd::Constant(rows, cols, std::numeric_limits<double>::quiet_NaN()), {}, {}};
    // The fast path's doubles are the values themselves; float64 has no exact values; the
    // others keep theirs (a rational, or a dyadic beyond a double).
    constexpr bool in_values = std::is_same_v<Arith, double_arith>;
    constexpr bool none = std::is_same_v<Arith, float64_arith>;
    s.exact_in = in_values ? trace_step::exactness::values : none ? trace_step::exactness::none : trace_step::exactness::stored;
    if (s.exact_in == trace_step::exactness::stored) s.exact.resize(static_cast<std::size_t>(rows * cols));
    for (Index i = 0; i < rows; ++i)
      for (Index k = 0; k < cols; ++k)
        if (const S* x = get(i, k)) {
          s.values(i, k) = a_.to_double(*x);
          if constexpr (!in_values && !none) s.exact[static_cast<std::size_t>(i * cols + k)] = a_.exact(*x);
        }
    trace_.push_back(std::move(s));
  }
  void record(const mat& m) {
    if (tracing_) record_cells(m.rows(), m.cols(), [&](Index i, Index k) { return &m(i, k); });
  }
  void record_ragged(const std::vector<std::vector<S>>& rows, Index width) {
    if (!tracing_) return;
    record_cells(static_cast<Index>(rows.size()), width, [&](Index i, Index k) -> const S* {
      const auto& r = rows[static_cast<std::size_t>(i)];
      return static_cast<std::size_t>(k) < r.size() ? &r[static_cast<std::size_t>(k)] : nullptr;
    });
  }
  void record_column(const std::vector<S>& values) {
    if (tracing_) record_cells(static_cast<Index>(values.size()), 1, [&](Index i, Index) { return &values[static_cast<std::size_t>(i)]; });
  }
  void record_row(const std::vector<S>& values) {
    if (tracing_) record_cells(1, static_cast<Index>(values.size()), [&](Index, Index k) { return &values[static_cast<std::size_t>(k)]; });
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
evaluation run(const precision_spec& spec, const evaluation_options& options, Body body,
               detail::parameter_cache* cache = nullptr) {
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
  switch (spec.arithmetic) {
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
      fast->cache = cache;
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

std::optional<rational> trace_step::exact_at(Index row, Index col) const {
  switch (exact_in) {
    case exactness::none: return std::nullopt;
    case exactness::values: {
      const double v = values(row, col);
      if (!std::isfinite(v)) return std::nullopt;
      return exact_rational(v);
    }
    case exactness::stored: break;
  }
  return exact[static_cast<std::size_t>(row * values.cols() + col)];
}

namespace {

evaluation evaluate_mlp(const mlp& model, const rvector& input, const precision_spec& spec,
                        const evaluation_options& options, detail::parameter_cache* cache) {
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
  }, cache);
}

evaluation evaluate_tokens(const transformer& model, std::span<const int> tokens, const precision_spec& spec,
                           const evaluation_options& options, detail::parameter_cache* cache) {
  if (tokens.empty()) throw std::invalid_argument("evaluate: empty token sequence");
  return run(spec, options, [&](auto& pass) {
    return pass.run_transformer(model, pass.embed(model, tokens), options.last_position_only);
  }, cache);
}

evaluation evaluate_vectors(const transformer& model, const rmatrix& inputs, const precision_spec& spec,
                            const evaluation_options& options, detail::parameter_cache* cache) {
  if (inputs.rows() == 0) throw std::invalid_argument("evaluate: empty input sequence");
  if (inputs.cols() != model.d_model())
    throw std::invalid_argument("evaluate: inputs have " + std::to_string(inputs.cols()) +
                                " columns, d_model is " + std::to_string(model.d_model()));
  return run(spec, options, [&](auto& pass) {
    return pass.run_transformer(model, pass.inputs(inputs), options.last_position_only);
  }, cache);
}

}  // namespace

evaluation evaluate(const mlp& model, const rvector& input, const precision_spec& spec,
                    const evaluation_options& options) {
  validate(model);
  spec.validate();
  return evaluate_mlp(model, input, spec, options, nullptr);
}

evaluation evaluate(const transformer& model, std::span<const int> tokens,
                    const precision_spec& spec, const evaluation_options& options) {
  validate(model);
  spec.validate();
  return evaluate_tokens(model, tokens, spec, options, nullptr);
}

evaluation evaluate(const transformer& model, const rmatrix& inputs, const precision_spec& spec,
                    const evaluation_options& options) {
  validate(model);
  spec.validate();
  return evaluate_vectors(model, inputs, spec, options, nullptr);
}

struct evaluator::state {
  std::variant<const mlp*, const transformer*> model;
  precision_spec spec;
  // One cache per thread, so that no lookup locks (a shared lock bounces its cache line between
  // the cores at every read).
  std::mutex mutex;
  std::map<std::thread::id, std::unique_ptr<detail::parameter_cache>> caches;

  detail::parameter_cache* cache() {
    const std::lock_guard lock(mutex);
    auto& c = caches[std::this_thread::get_id()];
    if (!c) c = std::make_unique<detail::parameter_cache>();
    return c.get();
  }
};

namespace {

// The model and spec checked once; the evaluator keeps a pointer to the model.
template <class Model, class State>
std::shared_ptr<State> checked_state(const Model& model, const precision_spec& spec) {
  validate(model);
  spec.validate();
  auto s = std::make_shared<State>();
  s->model = &model;
  s->spec = spec;
  return s;
}

}  // namespace

evaluator::evaluator(const mlp& model, const precision_spec& spec) : state_(checked_state<mlp, state>(model, spec)) {}

evaluator::evaluator(const transformer& model, const precision_spec& spec)
    : state_(checked_state<transformer, state>(model, spec)) {}

evaluator::~evaluator() = default;

const precision_spec& evaluator::spec() const { return state_->spec; }

namespace {

template <class T>
const T& model_of(const std::variant<const mlp*, const transformer*>& m, const char* wanted) {
  if (const auto* p = std::get_if<const T*>(&m)) return **p;
  throw std::invalid_argument(std::string("evaluator: this model takes ") + wanted);
}

}  // namespace

evaluation evaluator::operator()(const rvector& input, const evaluation_options& options) const {
  return evaluate_mlp(model_of<mlp>(state_->model, "token ids or vectors (it is a transformer)"), input, state_->spec,
                      options, state_->cache());
}

evaluation evaluator::operator()(std::span<const int> tokens, const evaluation_options& options) const {
  return evaluate_tokens(model_of<transformer>(state_->model, "an input vector (it is an MLP)"), tokens,
                         state_->spec, options, state_->cache());
}

evaluation evaluator::operator()(const rmatrix& inputs, const evaluation_options& options) const {
  return evaluate_vectors(model_of<transformer>(state_->model, "an input vector (it is an MLP)"), inputs,
                          state_->spec, options, state_->cache());
}

namespace {

template <class Input, class Model>
std::vector<evaluation> batch(const Model& model, std::span<const Input> inputs, const precision_spec& spec,
                              const evaluation_options& options, unsigned threads) {
  const evaluator evaluate_one(model, spec);
  std::vector<evaluation> results(inputs.size());
  detail::for_each_batch(inputs.size(), threads, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t k = lo; k < hi; ++k) {
      evaluation_options o = options;
      o.first_site = options.first_site + k * batch_site_stride;
      const auto prefixed = [&](const auto& e) {
        using error = std::decay_t<decltype(e)>;
        throw error("input " + std::to_string(k) + ": " + e.what());
      };
      try {
        if constexpr (std::is_same_v<Input, std::vector<int>>) results[k] = evaluate_one(std::span<const int>(inputs[k]), o);
        else results[k] = evaluate_one(inputs[k], o);
      } catch (const std::domain_error& e) {
        prefixed(e);
      } catch (const std::overflow_error& e) {
        prefixed(e);
      } catch (const std::invalid_argument& e) {
        prefixed(e);
      }
      if (results[k].roundings > batch_site_stride)
        throw std::length_error("input " + std::to_string(k) + ": the evaluation used " +
                                std::to_string(results[k].roundings) + " rounding sites, more than a batch gives each input (2^32)");
    }
  }, 16);
  return results;
}

}  // namespace

std::vector<evaluation> evaluate_batch(const mlp& model, std::span<const rvector> inputs, const precision_spec& spec,
                                       const evaluation_options& options, unsigned threads) {
  return batch(model, inputs, spec, options, threads);
}

std::vector<evaluation> evaluate_batch(const transformer& model, std::span<const std::vector<int>> tokens,
                                       const precision_spec& spec, const evaluation_options& options, unsigned threads) {
  return batch(model, tokens, spec, options, threads);
}

std::vector<evaluation> evaluate_batch(const transformer& model, std::span<const rmatrix> inputs,
                                       const precision_spec& spec, const evaluation_options& options, unsigned threads) {
  return batch(model, inputs, spec, options, threads);
}

}  // namespace fpx
