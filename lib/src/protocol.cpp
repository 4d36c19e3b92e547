#include "fpx/protocol.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "fpx/codec.hpp"
#include "fpx/detail/operand.hpp"
#include "fpx/parallel.hpp"
#include "fpx/round.hpp"

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

struct state_hash {
  std::size_t operator()(const one_layer_protocol::state& s) const {
    std::size_t h = s.size();
    for (code_t c : s) h = h * 0x9E3779B97F4A7C15ull + std::hash<code_t>{}(c) + (h >> 29);
    return h;
  }
};

// Distinct states numbered in order of first appearance, with one input that reaches each.
struct interned_level {
  std::vector<one_layer_protocol::state> states;
  std::vector<input_pair> witness;  // (x, y so far)
  std::unordered_map<one_layer_protocol::state, std::uint32_t, state_hash> ids;

  std::uint32_t add(one_layer_protocol::state s, input_pair w) {
    auto [it, inserted] = ids.emplace(s, static_cast<std::uint32_t>(states.size()));
    if (inserted) {
      states.push_back(std::move(s));
      witness.push_back(w);
    }
    return it->second;
  }
};

bool equals_bit(const std::optional<rmatrix>& out, bool target) {
  return out && out->rows() == 1 && out->cols() == 1 && (*out)(0, 0) == (target ? 1 : 0);
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

// --- one_layer_protocol -----------------------------------------------------------------

one_layer_protocol::one_layer_protocol(transformer model, precision_spec spec, split_input input)
    : model_(std::move(model)), spec_(std::move(spec)), input_(std::move(input)) {
  input_.validate();
  validate(model_);
  spec_.validate();
  if (model_.blocks.size() != 1 || !model_.blocks[0].attention)
    throw std::invalid_argument("protocol: the model must have exactly one block, with attention");
  if (model_.blocks[0].attention->kind != attention_kind::softmax)
    throw std::invalid_argument("protocol: the attention must be softmax");
  if (spec_.mode != arithmetic::rounded)
    throw std::invalid_argument("protocol: the spec must use rounded arithmetic");
  if (spec_.rule.mode == round_mode::stochastic)
    throw std::invalid_argument("protocol: stochastic rounding has no fixed state per input");
  if (spec_.normalization != softmax_normalization::divide_once)
    throw std::invalid_argument("protocol: normalize_first divides by the whole denominator "
                                "before summing, so Alice has no partial state; use divide_once");
  if (spec_.where == accumulation::rounding_points::exact)
    throw std::invalid_argument("protocol: once_per_dot_product keeps exact partial sums, which "
                                "are not values of a format");

  // Logits and values at the query depend only on (position, token) in one layer: read them
  // from two evaluations, all bits 0 and all bits 1.
  const format& logit_format = spec_.format_of(quantity::logit);
  const format& value_format = spec_.format_of(quantity::activation);
  const std::uint64_t ones_x = input_.alice_inputs() - 1, ones_y = input_.bob_inputs() - 1;
  const std::size_t length = input_.length();
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

std::size_t one_layer_protocol::value_dim() const {
  std::size_t d = 0;
  for (const auto& h : heads_) d += h.value.front()[0].size();
  return d;
}

bool one_layer_protocol::scores_position_only() const {
  const format& f = spec_.format_of(quantity::logit);
  for (const auto& h : heads_)
    for (std::size_t j = 0; j < input_.alice_bits + input_.bob_bits; ++j)
      if (compare_codes(f, h.logit[j][0], h.logit[j][1]) != 0) return false;
  return true;
}

evaluation one_layer_protocol::evaluate_pair(std::uint64_t x, std::uint64_t y, bool trace) const {
  const auto seq = input_.sequence(x, y);
  return evaluate(model_, seq, spec_, {.trace = trace, .last_position_only = true});
}

code_t one_layer_protocol::weight(std::size_t head, std::size_t position, int bit,
                                  code_t maximum) const {
  const std::array<std::uint64_t, 4> key{head, position, static_cast<std::uint64_t>(bit), maximum};
  if (auto it = weights_.find(key); it != weights_.end()) return it->second;
  const format& lf = spec_.format_of(quantity::logit);
  operand s = detail::load(lf, heads_[head].logit[position][bit]);
  if (spec_.subtract_max) {
    operand m = detail::load(lf, maximum);
    m.v.negative = !m.v.negative;
    s = detail::load(lf, detail::add(s, m, lf, spec_.rule, 0));
  }
  const code_t w = detail::exp(s, spec_.format_of(quantity::exponential), spec_.rule, 0);
  weights_.emplace(key, w);
  return w;
}

one_layer_protocol::message one_layer_protocol::bob_message(std::uint64_t y) const {
  if (!spec_.subtract_max) return {};
  const format& lf = spec_.format_of(quantity::logit);
  message m;
  for (const auto& h : heads_) {
    const std::size_t first = input_.alice_bits;
    code_t best = h.logit[first][bit_of(y, 0)];
    for (std::size_t j = first; j < input_.length(); ++j) {
      const code_t s = j < first + input_.bob_bits ? h.logit[j][bit_of(y, j - first)] : h.logit[j][0];
      if (compare_codes(lf, s, best) > 0) best = s;  // the leftmost maximum, as evaluated
    }
    m.push_back(best);
  }
  return m;
}

one_layer_protocol::state one_layer_protocol::alice_state(std::uint64_t x, const message& m) const {
  const format& lf = spec_.format_of(quantity::logit);
  state s;
  if (spec_.subtract_max) {
    for (std::size_t h = 0; h < heads_.size(); ++h) {
      code_t best = heads_[h].logit[0][bit_of(x, 0)];
      for (std::size_t j = 1; j < input_.alice_bits; ++j) {
        const code_t c = heads_[h].logit[j][bit_of(x, j)];
        if (compare_codes(lf, c, best) > 0) best = c;
      }
      s.push_back(compare_codes(lf, m.at(h), best) > 0 ? m[h] : best);
    }
  }
  s.resize(s.size() + heads_.size() + value_dim());
  for (std::size_t j = 0; j < input_.alice_bits; ++j) add_position(s, j, bit_of(x, j), j == 0);
  return s;
}

one_layer_protocol::state one_layer_protocol::advance(const state& before, std::size_t position,
                                                      int bit) const {
  state s = before;
  add_position(s, position, bit, false);
  return s;
}

// Each head's terms at `position`, formed and summed as fpx::dot does (the first term of a
// sum is rounded into the accumulator, later ones added to it).
void one_layer_protocol::add_position(state& s, std::size_t position, int bit, bool first) const {
  const format& acc = spec_.format_of(quantity::accumulator);
  const format& product = spec_.format_of(quantity::product);
  const format& ef = spec_.format_of(quantity::exponential);
  const format& vf = spec_.format_of(quantity::activation);
  const bool fused = spec_.where == accumulation::rounding_points::fused;
  std::size_t k = spec_.subtract_max ? heads_.size() : 0;  // the first sum of head 0
  for (std::size_t h = 0; h < heads_.size(); ++h) {
    const operand w = detail::load(ef, weight(h, position, bit, spec_.subtract_max ? s[h] : 0));
    const code_t z_term = detail::round_operand(w, acc, spec_.rule, 0);
    s[k] = first ? z_term
                 : detail::add(detail::load(acc, s[k]), detail::load(acc, z_term), acc, spec_.rule, 0);
    ++k;
    for (code_t vc : heads_[h].value[position][bit]) {
      const operand v = detail::load(vf, vc);
      const operand sum = first ? operand{number_class::zero, {}} : detail::load(acc, s[k]);
      if (fused) {
        s[k] = detail::fma(w, v, sum, acc, spec_.rule, 0);
      } else {
        const code_t p = detail::mul(w, v, product, spec_.rule, 0);
        const code_t term = product == acc ? p : convert(product, p, acc, spec_.rule);
        s[k] = first ? term : detail::add(sum, detail::load(acc, term), acc, spec_.rule, 0);
      }
      ++k;
    }
  }
}

one_layer_protocol::state one_layer_protocol::final_state(const state& alice, std::uint64_t y) const {
  state s = alice;
  for (std::size_t i = 0; i < input_.bob_bits; ++i)
    s = advance(s, input_.alice_bits + i, bit_of(y, i));
  for (std::size_t j = input_.alice_bits + input_.bob_bits; j < input_.length(); ++j)
    s = advance(s, j, 0);
  return s;
}

evaluation one_layer_protocol::checked_output(const state& final, std::uint64_t x,
                                              std::uint64_t y) const {
  evaluation e = evaluate_pair(x, y, true);
  const format& acc = spec_.format_of(quantity::accumulator);
  const format& den = spec_.format_of(quantity::denominator);
  std::size_t k = spec_.subtract_max ? heads_.size() : 0;
  for (std::size_t h = 0; h < heads_.size(); ++h) {
    const double z = find_step(e, head_step(h, "denominator")).values(0, 0);
    const Eigen::MatrixXd& a = find_step(e, head_step(h, "numerator")).values;
    const code_t zc = detail::round_operand(detail::load(acc, final[k++]), den, spec_.rule, 0);
    bool same = to_double(den, zc) == z || (std::isnan(z) && std::isnan(to_double(den, zc)));
    for (Eigen::Index c = 0; c < a.cols(); ++c) {
      const double mine = to_double(acc, final[k++]);
      same = same && (mine == a(0, c) || (std::isnan(mine) && std::isnan(a(0, c))));
    }
    if (!same)
      throw std::logic_error("protocol: the simulated sums of head " + std::to_string(h) +
                             " differ from the evaluator's at x=" + std::to_string(x) +
                             ", y=" + std::to_string(y));
  }
  return e;
}

// --- verification -----------------------------------------------------------------------

verification verify(const one_layer_protocol& p, const boolean_function& target,
                    std::size_t failure_cap, unsigned threads) {
  if (p.spec().position_order != accumulation::order::left_to_right)
    throw std::invalid_argument("verify: the simulation needs positions summed left to right");
  const split_input& in = p.input();

  // Bob's inputs grouped by his message (one group without max-subtraction).
  std::vector<one_layer_protocol::message> messages;
  std::vector<std::uint32_t> group_of(in.bob_inputs());
  for (std::uint64_t y = 0; y < in.bob_inputs(); ++y) {
    auto m = p.bob_message(y);
    auto it = std::find(messages.begin(), messages.end(), m);
    group_of[y] = static_cast<std::uint32_t>(it - messages.begin());
    if (it == messages.end()) messages.push_back(std::move(m));
  }

  // Level 0: Alice's states; then one level per later position, each state stepped once.
  verification result;
  std::vector<interned_level> levels(1);
  std::vector<std::vector<std::uint32_t>> alice_id(messages.size());
  for (std::size_t g = 0; g < messages.size(); ++g) {
    for (std::uint64_t x = 0; x < in.alice_inputs(); ++x)
      alice_id[g].push_back(levels[0].add(p.alice_state(x, messages[g]), {x, 0}));
    std::vector<std::uint32_t> ids = alice_id[g];
    std::sort(ids.begin(), ids.end());
    result.alice_states = std::max<std::size_t>(
        result.alice_states, static_cast<std::size_t>(std::unique(ids.begin(), ids.end()) - ids.begin()));
  }
  const std::size_t steps = in.length() - in.alice_bits;
  std::vector<std::vector<std::uint32_t>> next(steps);  // next[k][2 * id + bit]
  for (std::size_t k = 0; k < steps; ++k) {
    const bool bob = k < in.bob_bits;
    levels.emplace_back();
    interned_level &from = levels[k], &to = levels[k + 1];
    next[k].resize(2 * from.states.size());
    for (std::uint32_t id = 0; id < from.states.size(); ++id)
      for (int b = 0; b < 2; ++b) {
        if (!bob && b == 1) {
          next[k][2 * id + 1] = next[k][2 * id];
          continue;
        }
        auto [x, y] = from.witness[id];
        if (bob) y |= static_cast<std::uint64_t>(b) << k;
        next[k][2 * id + b] = to.add(p.advance(from.states[id], in.alice_bits + k, b), {x, y});
      }
  }
  // Each final state's output, from the evaluator (checked against the simulated sums).
  const interned_level& last = levels.back();
  std::vector<std::optional<rmatrix>> outputs;
  for (std::size_t id = 0; id < last.states.size(); ++id)
    outputs.push_back(p.checked_output(last.states[id], last.witness[id].first,
                                       last.witness[id].second).exact_output);
  result.final_states = last.states.size();

  struct range_result {
    std::uint64_t failures = 0;
    std::vector<input_pair> failing;
  };
  const std::uint64_t range = std::max<std::uint64_t>(1, in.alice_inputs() / 64);
  const auto parts = map_ranges(in.alice_inputs(), range, threads, [&](std::uint64_t lo, std::uint64_t hi) {
    range_result r;
    for (std::uint64_t x = lo; x < hi; ++x)
      for (std::uint64_t y = 0; y < in.bob_inputs(); ++y) {
        std::uint32_t id = alice_id[group_of[y]][x];
        for (std::size_t k = 0; k < steps; ++k)
          id = next[k][2 * id + (k < in.bob_bits ? bit_of(y, k) : 0)];
        if (!equals_bit(outputs[id], target(x, y))) {
          ++r.failures;
          if (r.failing.size() < failure_cap) r.failing.emplace_back(x, y);
        }
      }
    return r;
  });
  result.pairs = in.alice_inputs() * in.bob_inputs();
  for (const auto& r : parts) {
    result.failures += r.failures;
    for (const auto& f : r.failing)
      if (result.failing.size() < failure_cap) result.failing.push_back(f);
  }
  return result;
}

simulation_check check_simulation(const one_layer_protocol& p) {
  const split_input& in = p.input();
  simulation_check result;
  std::map<one_layer_protocol::message, std::vector<one_layer_protocol::state>> states;
  for (std::uint64_t y = 0; y < in.bob_inputs(); ++y) {
    const auto m = p.bob_message(y);
    auto [cached, fresh] = states.try_emplace(m);
    if (fresh)
      for (std::uint64_t x = 0; x < in.alice_inputs(); ++x) cached->second.push_back(p.alice_state(x, m));
    std::unordered_map<one_layer_protocol::state, std::pair<std::uint64_t, Eigen::MatrixXd>, state_hash> seen;
    for (std::uint64_t x = 0; x < in.alice_inputs(); ++x) {
      Eigen::MatrixXd out = p.evaluate_pair(x, y).output;
      ++result.pairs;
      auto [it, inserted] = seen.emplace(cached->second[x], std::make_pair(x, out));
      if (inserted || result.violation) continue;
      const Eigen::MatrixXd& other = it->second.second;
      const bool same = other.rows() == out.rows() && other.cols() == out.cols() &&
                        ((other.array() == out.array()) || (other.array().isNaN() && out.array().isNaN())).all();
      if (!same)
        result.violation = "Alice inputs " + std::to_string(it->second.first) + " and " +
                           std::to_string(x) + " have the same state but different outputs at y=" +
                           std::to_string(y) + " (" + std::to_string(other(0, 0)) + " vs " +
                           std::to_string(out(0, 0)) + ")";
    }
    result.alice_states = std::max(result.alice_states, seen.size());
  }
  return result;
}

std::optional<collision_certificate> find_collision(const one_layer_protocol& p,
                                                    const boolean_function& target) {
  const split_input& in = p.input();
  std::vector<one_layer_protocol::message> done;
  for (std::uint64_t y0 = 0; y0 < in.bob_inputs(); ++y0) {
    const auto m = p.bob_message(y0);
    if (std::find(done.begin(), done.end(), m) != done.end()) continue;
    done.push_back(m);
    std::vector<std::uint64_t> group;
    for (std::uint64_t y = 0; y < in.bob_inputs(); ++y)
      if (p.bob_message(y) == m) group.push_back(y);
    std::unordered_map<one_layer_protocol::state, std::vector<std::uint64_t>, state_hash> by_state;
    for (std::uint64_t x = 0; x < in.alice_inputs(); ++x) by_state[p.alice_state(x, m)].push_back(x);
    // Smallest colliding x first, so the certificate is the same on every run.
    std::vector<std::vector<std::uint64_t>> classes;
    for (auto& [s, xs] : by_state)
      if (xs.size() > 1) classes.push_back(xs);
    std::sort(classes.begin(), classes.end());
    for (const auto& xs : classes)
      for (std::size_t i = 0; i < xs.size(); ++i)
        for (std::size_t j = i + 1; j < xs.size(); ++j)
          for (std::uint64_t y : group) {
            if (target(xs[i], y) == target(xs[j], y)) continue;
            collision_certificate c;
            c.x = xs[i];
            c.x_other = xs[j];
            c.y = y;
            c.target = target(c.x, y);
            c.target_other = target(c.x_other, y);
            const evaluation a = p.evaluate_pair(c.x, y), b = p.evaluate_pair(c.x_other, y);
            if (!a.exact_output || !b.exact_output || !equal(*a.exact_output, *b.exact_output))
              throw std::logic_error("find_collision: equal states gave different outputs; the "
                                     "simulation does not hold for this spec");
            c.output = *a.exact_output;
            c.wrong = equals_bit(c.output, c.target) ? input_pair{c.x_other, y} : input_pair{c.x, y};
            return c;
          }
  }
  return std::nullopt;
}

bool counting_bound::rules_out(const communication_bounds& f) const {
  const std::size_t needed = message_bits > 0 ? f.fooling_set.size() : f.rows.count();
  return needed > 0 && total_bits() < std::log2(static_cast<double>(needed));
}

counting_bound simulation_bound(const precision_spec& spec, std::size_t heads,
                                std::size_t value_dim, bool scores_position_only) {
  counting_bound b;
  // A format of b bits has at most 2^b values, whatever they are (NaN and infinities too).
  b.value_bits = spec.format_of(quantity::accumulator).bits();
  b.state_bits = static_cast<double>(scores_position_only ? value_dim : heads + value_dim) * b.value_bits;
  if (spec.subtract_max && !scores_position_only)
    b.message_bits = 2.0 * static_cast<double>(heads) * spec.format_of(quantity::logit).bits();
  return b;
}

}  // namespace fpx
