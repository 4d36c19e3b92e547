#include "fpx/theory/protocol.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/detail/operand.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/model/detail/rules.hpp"

namespace fpx {
namespace {

using detail::operand;

int bit_of(std::uint64_t v, std::size_t i) { return static_cast<int>((v >> i) & 1u); }

const trace_step& find_step(const evaluation& e, const std::string& name) {
  for (const auto& s : e.trace)
    if (s.name == name) return s;
  throw std::logic_error("protocol: the evaluator's trace has no step " + name);
}

std::string head_step(std::size_t h, const char* what) {
  return "blocks[0].attention.heads[" + std::to_string(h) + "]." + what;
}

// Exact comparison of two codes of one format, as the evaluator compares logits.
int compare_codes(const format& f, code_t a, code_t b) {
  return detail::compare(detail::load(f, a), detail::load(f, b));
}

}  // namespace

// --- split_input ------------------------------------------------------------------------

split_input split_input::binary(std::size_t alice_bits, std::size_t bob_bits,
                                std::vector<int> suffix) {
  split_input s{alice_bits, bob_bits, {}, std::move(suffix)};
  s.tokens.assign(alice_bits + bob_bits, {0, 1});
  return s;
}

std::vector<int> split_input::sequence(std::uint64_t x, std::uint64_t y) const {
  std::vector<int> seq;
  for (std::size_t i = 0; i < alice_bits; ++i) seq.push_back(tokens[i][bit_of(x, i)]);
  for (std::size_t i = 0; i < bob_bits; ++i) seq.push_back(tokens[alice_bits + i][bit_of(y, i)]);
  seq.insert(seq.end(), suffix.begin(), suffix.end());
  return seq;
}

void split_input::validate() const {
  if (alice_bits == 0 || bob_bits == 0)
    throw std::invalid_argument("split_input: Alice and Bob need at least one bit each");
  if (alice_bits > 31 || bob_bits > 31)
    throw std::invalid_argument("split_input: at most 31 bits per side");
  if (tokens.size() != alice_bits + bob_bits)
    throw std::invalid_argument("split_input: " + std::to_string(tokens.size()) +
                                " token pairs for " + std::to_string(alice_bits + bob_bits) +
                                " positions");
  if (suffix.empty())
    throw std::invalid_argument("split_input: the suffix (ending in the query) is empty");
}

// --- protocol -----------------------------------------------------------------

protocol::protocol(transformer model, precision_spec spec, split_input split)
    : model_(std::move(model)), spec_(std::move(spec)), split_(std::move(split)) {
  split_.validate();
  validate(model_);
  spec_.validate();
  if (model_.blocks.size() != 1 || !model_.blocks[0].attention)
    throw std::invalid_argument("protocol: the model must have exactly one block, with attention");
  if (model_.blocks[0].attention->kind != attention_kind::softmax)
    throw std::invalid_argument("protocol: the attention must be softmax");
  if (spec_.arithmetic != arithmetic::rounded)
    throw std::invalid_argument("protocol: the spec must use rounded arithmetic");
  if (spec_.rule.mode == round_mode::stochastic)
    throw std::invalid_argument("protocol: stochastic rounding has no fixed state per input");
  if (spec_.normalization != softmax_normalization::divide_once)
    throw std::invalid_argument("protocol: normalize_first divides by the whole denominator "
                                "before summing, so Alice has no partial state; use divide_once");
  if (spec_.where == accumulation::rounding_points::once_per_dot_product)
    throw std::invalid_argument("protocol: once_per_dot_product keeps exact partial sums, which "
                                "are not values of a format");

  step_rule_ = detail::position_rule<detail::rounded_arith>(spec_, 0);
  // Logits and values at the query depend only on (position, token) in one layer: read them
  // from two evaluations, all bits 0 and all bits 1.
  const format& logit_format = spec_.format_of(quantity::logit);
  const format& value_format = spec_.format_of(quantity::activation);
  const std::uint64_t ones_x = split_.alice_inputs() - 1, ones_y = split_.bob_inputs() - 1;
  const std::size_t length = split_.length();
  heads_.resize(model_.blocks[0].attention->heads.size());
  for (int b = 0; b < 2; ++b) {
    const evaluation e = evaluate_pair(b ? ones_x : 0, b ? ones_y : 0, true);
    for (std::size_t h = 0; h < heads_.size(); ++h) {
      const Eigen::MatrixXd& s = find_step(e, head_step(h, "logits")).values;
      const Eigen::MatrixXd& v = find_step(e, head_step(h, "value")).values;
      head_tables& t = heads_[h];
      t.logit.resize(length);
      t.value.resize(length);
      for (std::size_t j = 0; j < length; ++j) {
        const auto jj = static_cast<Eigen::Index>(j);
        t.logit[j][b] = from_double(logit_format, s(0, jj));
        t.value[j][b].clear();
        for (Eigen::Index c = 0; c < v.cols(); ++c)
          t.value[j][b].push_back(from_double(value_format, v(jj, c)));
      }
    }
  }
}

std::size_t protocol::value_dim() const {
  std::size_t d = 0;
  for (const auto& h : heads_) d += h.value.front()[0].size();
  return d;
}

bool protocol::scores_position_only() const {
  const format& f = spec_.format_of(quantity::logit);
  for (const auto& h : heads_)
    for (std::size_t j = 0; j < split_.alice_bits + split_.bob_bits; ++j)
      if (compare_codes(f, h.logit[j][0], h.logit[j][1]) != 0) return false;
  return true;
}

evaluation protocol::evaluate_pair(std::uint64_t x, std::uint64_t y, bool trace) const {
  const auto seq = split_.sequence(x, y);
  return evaluate(model_, seq, spec_, {.trace = trace, .last_position_only = true});
}

// The exponential at `position` as the evaluator forms it (model/detail/rules.hpp).
code_t protocol::weight(std::size_t head, std::size_t position, int bit, code_t maximum) const {
  const std::array<std::uint64_t, 4> key{head, position, static_cast<std::uint64_t>(bit), maximum};
  if (auto it = weights_.find(key); it != weights_.end()) return it->second;
  detail::rounded_arith a{spec_, 0};
  detail::attention_rules rules(a, spec_);
  const format& lf = spec_.format_of(quantity::logit);
  operand s = detail::load(lf, heads_[head].logit[position][bit]);
  if (spec_.subtract_max) s = rules.shifted(s, detail::load(lf, maximum));
  rules.exponential(s);
  const code_t w = a.last;
  weights_.emplace(key, w);
  return w;
}

protocol::message protocol::bob_message(std::uint64_t y) const {
  if (!spec_.subtract_max) return {};
  const format& lf = spec_.format_of(quantity::logit);
  message m;
  for (const auto& h : heads_) {
    const std::size_t first = split_.alice_bits;
    code_t best = h.logit[first][bit_of(y, 0)];
    for (std::size_t j = first; j < split_.length(); ++j) {
      const code_t s = j < first + split_.bob_bits ? h.logit[j][bit_of(y, j - first)] : h.logit[j][0];
      if (compare_codes(lf, s, best) > 0) best = s;  // the leftmost maximum, as evaluated
    }
    m.push_back(best);
  }
  return m;
}

protocol::state protocol::alice_state(std::uint64_t x, const message& m) const {
  const format& lf = spec_.format_of(quantity::logit);
  state s;
  if (spec_.subtract_max) {
    for (std::size_t h = 0; h < heads_.size(); ++h) {
      code_t best = heads_[h].logit[0][bit_of(x, 0)];
      for (std::size_t j = 1; j < split_.alice_bits; ++j) {
        const code_t c = heads_[h].logit[j][bit_of(x, j)];
        if (compare_codes(lf, c, best) > 0) best = c;
      }
      s.push_back(compare_codes(lf, m.at(h), best) > 0 ? m[h] : best);
    }
  }
  s.resize(s.size() + heads_.size() + value_dim());
  for (std::size_t j = 0; j < split_.alice_bits; ++j) add_position(s, j, bit_of(x, j), j == 0);
  return s;
}

protocol::state protocol::advance(const state& before, std::size_t position,
                                                      int bit) const {
  state s = before;
  add_position(s, position, bit, false);
  return s;
}

// Each head's partial sums continued by `position`, a step of the evaluator's sums over
// positions (model/detail/rules.hpp).
void protocol::add_position(state& s, std::size_t position, int bit, bool first) const {
  detail::rounded_arith a{spec_, 0};
  detail::attention_rules rules(a, spec_, step_rule_);
  const format& acc = spec_.format_of(quantity::accumulator);
  const format& ef = spec_.format_of(quantity::exponential);
  const format& vf = spec_.format_of(quantity::activation);
  std::size_t k = spec_.subtract_max ? heads_.size() : 0;  // the first sum of head 0
  for (std::size_t h = 0; h < heads_.size(); ++h) {
    const operand w = detail::load(ef, weight(h, position, bit, spec_.subtract_max ? s[h] : 0));
    const operand z = detail::load(acc, s[k]);
    rules.denominator_step(first ? nullptr : &z, w);
    s[k] = a.last;
    ++k;
    for (code_t vc : heads_[h].value[position][bit]) {
      const operand partial = detail::load(acc, s[k]);
      rules.numerator_step(first ? nullptr : &partial, w, detail::load(vf, vc));
      s[k] = a.last;
      ++k;
    }
  }
}

protocol::state protocol::final_state(const state& alice, std::uint64_t y) const {
  state s = alice;
  for (std::size_t i = 0; i < split_.bob_bits; ++i)
    s = advance(s, split_.alice_bits + i, bit_of(y, i));
  for (std::size_t j = split_.alice_bits + split_.bob_bits; j < split_.length(); ++j)
    s = advance(s, j, 0);
  return s;
}

evaluation protocol::checked_output(const state& final, std::uint64_t x, std::uint64_t y) const {
  evaluation e = evaluate_pair(x, y, true);
  const format& acc = spec_.format_of(quantity::accumulator);
  const format& den = spec_.format_of(quantity::denominator);
  std::size_t k = spec_.subtract_max ? heads_.size() : 0;
  for (std::size_t h = 0; h < heads_.size(); ++h) {
    const double z = find_step(e, head_step(h, "denominator")).values(0, 0);
    const Eigen::MatrixXd& numerator = find_step(e, head_step(h, "numerator")).values;
    detail::rounded_arith arith{spec_, 0};
    detail::attention_rules(arith, spec_).denominator_total(detail::load(acc, final[k++]));
    const code_t zc = arith.last;
    bool same = to_double(den, zc) == z || (std::isnan(z) && std::isnan(to_double(den, zc)));
    for (Eigen::Index c = 0; c < numerator.cols(); ++c) {
      const double mine = to_double(acc, final[k++]);
      same = same && (mine == numerator(0, c) || (std::isnan(mine) && std::isnan(numerator(0, c))));
    }
    if (!same)
      throw std::logic_error("protocol: the simulated sums of head " + std::to_string(h) +
                             " differ from the evaluator's at x=" + std::to_string(x) +
                             ", y=" + std::to_string(y));
  }
  return e;
}

}  // namespace fpx
