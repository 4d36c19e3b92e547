#include "fpx/theory/class_search.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include "fpx/arith/codec.hpp"
#include "fpx/exact/distributed.hpp"
#include "fpx/exact/fnv.hpp"
#include "fpx/model/detail/rules.hpp"
#include "fpx/model/evaluate.hpp"
#include "fpx/theory/detail/separation_values.hpp"
#include "fpx/theory/threshold_search.hpp"

namespace fpx {

std::string attention_class::name() const {
  return std::string(token_scores ? "token" : "position") + "_h" + std::to_string(heads) + "_dv" +
         std::to_string(value_dim);
}

namespace {

constexpr int code_bits = 9;  // a code of a format of at most 8 bits, or `overflow`
constexpr std::uint64_t code_mask = (1u << code_bits) - 1;

// Every operation of the class, tabulated once from the evaluator's attention rules under
// uniform(F): the exponential of each logit, Z's steps and total, the numerator's steps for each
// weight, the division. An operation that overflows under the policy `error`, or that has no
// value in F (0 / 0 where F has no NaN, when every weight rounds to 0), gives `overflow`: the
// evaluator throws there, every later step keeps it, and its output has no value, so a setting
// in which any input reaches it separates nothing.
struct wide_tables {
  std::size_t codes = 0;
  code_t overflow = 0;
  std::vector<code_t> values;        // candidate values: finite, -0 left out (as the search's)
  std::vector<code_t> weights;       // the distinct w = rd(exp(s)) over the candidate logits
  std::vector<code_t> weight_logit;  // the smallest logit giving each
  std::vector<code_t> z_first;       // per weight: Z after one position
  std::vector<code_t> z_step;        // [partial * W + w]
  std::vector<code_t> a_first;       // [w * codes + v]
  std::vector<code_t> a_step;        // [(w * (codes + 1) + partial) * codes + v]
  std::vector<code_t> out;           // [a * (codes + 1) + z]: rd(a / total(z))
  std::vector<std::vector<code_t>> classes;  // per weight: one value per equivalence class
  std::vector<int> value_id;                 // as threshold_search: equal values share an id

  wide_tables(const format& f, bool token_scores) {
    if (f.bits() > 8)
      throw std::invalid_argument("class search: formats of at most 8 bits, not " + f.name());
    codes = std::size_t{1} << f.bits();
    overflow = codes;
    const detail::format_values shared(f);
    values = shared.values;
    value_id = shared.value_id;
    const precision_spec spec = spec_preset("uniform(" + f.name() + ")");
    detail::rounded_arith a{spec, 0};
    detail::attention_rules rules(a, spec);
    const auto value = [&](code_t c) { return detail::load(f, c); };
    const auto rounded = [&](auto operation) -> code_t {
      try {
        operation();
        return a.last;
      } catch (const std::overflow_error&) {
        return overflow;
      } catch (const std::domain_error&) {
        return overflow;
      }
    };
    // The weights: rd(exp(s)) for every candidate logit (only 0 with position-only scores),
    // merged by value; a logit whose exponential overflows (policy error) is no candidate.
    std::vector<code_t> logits;
    if (token_scores) {
      logits = values;
    } else {
      for (code_t c : values)
        if (classify(f, c) == number_class::zero) logits.push_back(c);
      if (logits.empty()) throw std::logic_error("class search: no zero in " + f.name());
    }
    std::map<int, std::size_t> weight_of_id;
    for (code_t s : logits) {
      const code_t w = rounded([&] { rules.exponential(value(s)); });
      if (w == overflow || value_id[w] < 0) continue;
      if (weight_of_id.emplace(value_id[w], weights.size()).second) {
        weights.push_back(w);
        weight_logit.push_back(s);
      }
    }
    const std::size_t nw = weights.size();
    z_first.assign(nw, overflow);
    z_step.assign((codes + 1) * nw, overflow);
    a_first.assign(nw * codes, overflow);
    a_step.assign(nw * (codes + 1) * codes, overflow);
    out.assign((codes + 1) * (codes + 1), overflow);
    for (std::size_t wi = 0; wi < nw; ++wi) {
      const detail::operand w = value(weights[wi]);
      z_first[wi] = rounded([&] { rules.denominator_step(nullptr, w); });
      for (code_t p = 0; p < codes; ++p)
        if (is_valid_code(f, p)) {
          const detail::operand partial = value(p);
          z_step[p * nw + wi] = rounded([&] { rules.denominator_step(&partial, w); });
        }
      for (code_t v = 0; v < codes; ++v) {
        if (!is_valid_code(f, v)) continue;
        a_first[wi * codes + v] = rounded([&] { rules.numerator_step(nullptr, w, value(v)); });
        for (code_t p = 0; p < codes; ++p)
          if (is_valid_code(f, p)) {
            const detail::operand partial = value(p);
            a_step[(wi * (codes + 1) + p) * codes + v] =
                rounded([&] { rules.numerator_step(&partial, w, value(v)); });
          }
      }
      // Values with the same column (first step and every later step) are one candidate.
      std::set<std::vector<code_t>> seen;
      classes.emplace_back();
      for (code_t v : values) {
        std::vector<code_t> column{a_first[wi * codes + v]};
        for (code_t p = 0; p <= codes; ++p) column.push_back(a_step_at(wi, p, v));
        if (seen.insert(column).second) classes.back().push_back(v);
      }
    }
    for (code_t z = 0; z < codes; ++z) {
      if (!is_valid_code(f, z)) continue;
      const code_t total = rounded([&] { rules.denominator_total(value(z)); });
      if (total == overflow) continue;
      for (code_t n = 0; n < codes; ++n)
        if (is_valid_code(f, n))
          out[n * (codes + 1) + z] = rounded([&] { rules.divided(value(n), value(total)); });
    }
  }
  code_t a_step_at(std::size_t w, code_t partial, code_t v) const {
    return partial == overflow ? overflow : a_step[(w * (codes + 1) + partial) * codes + v];
  }
  code_t z_step_at(std::size_t w, code_t partial) const {
    return partial == overflow ? overflow : z_step[partial * weights.size() + w];
  }
};

// One head's contribution at one (position, bit): a weight and a value class per coordinate.
struct contribution {
  std::size_t weight;
  std::vector<code_t> values;
};

using detail::certificate_mix;

// The class's arithmetic on packed states (every head's Z, then its d_v numerators, 9 bits
// each) and the pruning rules of threshold_search.hpp on them.
struct wide_pruner {
  const wide_tables& t;
  int n, heads, dv;
  std::vector<contribution> per_head;  // C contributions of one head
  std::uint64_t candidates = 1;        // C^H
  std::vector<std::pair<std::uint64_t, std::int64_t>> scratch;
  std::vector<std::uint64_t> keys;

  wide_pruner(const wide_tables& tables, int n_, const attention_class& c)
      : t(tables), n(n_), heads(c.heads), dv(c.value_dim) {
    // Candidates per (position, bit): C = sum_w classes_w^d_v per head, C^H in all. Alice's
    // pairs (C^H)^2 / 2 must be counted in 64 bits: refuse classes and formats beyond 2^31.
    constexpr double limit = 2147483648.0;
    double count = 0;
    for (const auto& cls : t.classes) count += std::pow(static_cast<double>(cls.size()), dv);
    if (std::pow(count, heads) > limit)
      throw std::invalid_argument("class search: " + std::to_string(static_cast<std::uint64_t>(count)) +
                                  " candidates per head and position, to the power H = " +
                                  std::to_string(heads) + ": more than 2^31 per (position, bit); "
                                  "use a narrower format or a smaller class");
    for (std::size_t w = 0; w < t.weights.size(); ++w) {
      const auto& cls = t.classes[w];
      std::vector<std::size_t> digits(static_cast<std::size_t>(dv), 0);
      while (true) {
        contribution k{w, {}};
        for (std::size_t d : digits) k.values.push_back(cls[d]);
        per_head.push_back(std::move(k));
        std::size_t i = 0;
        while (i < digits.size() && ++digits[i] == cls.size()) digits[i++] = 0;
        if (i == digits.size()) break;
      }
    }
    for (int h = 0; h < heads; ++h) candidates *= per_head.size();
  }

  const contribution& part(std::uint64_t candidate, int h) const {
    for (int i = 0; i < h; ++i) candidate /= per_head.size();
    return per_head[candidate % per_head.size()];
  }
  // The state after one more position (first: none before it); false on overflow.
  bool apply(bool first, std::uint64_t state, std::uint64_t candidate, std::uint64_t& next) const {
    next = 0;
    int shift = 0;
    for (int h = 0; h < heads; ++h) {
      const contribution& k = part(candidate, h);
      const auto field = [&] { return state >> shift & code_mask; };
      const code_t z = first ? t.z_first[k.weight] : t.z_step_at(k.weight, field());
      if (z == t.overflow) return false;
      next |= z << shift;
      shift += code_bits;
      for (int i = 0; i < dv; ++i) {
        const code_t v = k.values[static_cast<std::size_t>(i)];
        const code_t a = first ? t.a_first[k.weight * t.codes + v] : t.a_step_at(k.weight, field(), v);
        if (a == t.overflow) return false;
        next |= a << shift;
        shift += code_bits;
      }
    }
    return true;
  }
  // The output vector's value ids packed, or nothing (NaN, overflow).
  std::optional<std::uint64_t> output(std::uint64_t state) const {
    std::uint64_t key = 0;
    int shift = 0;
    for (int h = 0; h < heads; ++h) {
      const code_t z = state >> shift & code_mask;
      shift += code_bits;
      for (int i = 0; i < dv; ++i) {
        const code_t a = state >> shift & code_mask;
        const int id = t.value_id[t.out[a * (t.codes + 1) + z]];
        if (id < 0) return std::nullopt;
        key |= static_cast<std::uint64_t>(id) << shift;
        shift += code_bits;
      }
    }
    return key;
  }

  bool alice(int k, const std::vector<std::uint64_t>& states, const std::uint64_t c[2],
             std::vector<std::uint64_t>& next) {
    const std::size_t size = std::size_t{1} << (k + 1);
    next.resize(size);
    for (std::size_t x = 0; x < size; ++x)
      if (!apply(k == 0, k == 0 ? 0 : states[x & (size / 2 - 1)], c[x >> k & 1], next[x]))
        return false;
    keys = next;
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
  }

  bool bob(int k, const std::vector<std::uint64_t>& states, const std::uint64_t c[2],
           std::vector<std::uint64_t>& next) {
    const std::size_t alice_inputs = std::size_t{1} << n, size = states.size() * 2;
    next.resize(size);
    scratch.resize(size);
    const std::uint64_t prefix_mask = (std::uint64_t{1} << (k + 1)) - 1;
    for (std::size_t node = 0; node < size; ++node) {
      const std::size_t x = node & (alice_inputs - 1), u = node >> n;
      if (!apply(false, states[x + ((u & (prefix_mask >> 1)) << n)], c[u >> k & 1], next[node]))
        return false;
      scratch[node] = {next[node],
                       u == (x & prefix_mask) ? static_cast<std::int64_t>(x >> (k + 1)) : -1};
    }
    std::sort(scratch.begin(), scratch.end());
    for (std::size_t i = 1; i < size; ++i)
      if (scratch[i].first == scratch[i - 1].first && scratch[i].second != scratch[i - 1].second)
        return false;
    return true;
  }

  bool query(const std::vector<std::uint64_t>& states, std::uint64_t c) {
    const std::size_t alice_inputs = std::size_t{1} << n;
    scratch.resize(states.size());
    for (std::size_t node = 0; node < states.size(); ++node) {
      std::uint64_t s;
      if (!apply(false, states[node], c, s)) return false;
      const auto key = output(s);
      if (!key) return false;
      scratch[node] = {*key, (node & (alice_inputs - 1)) == (node >> n) ? 1 : 0};
    }
    std::sort(scratch.begin(), scratch.end());
    for (std::size_t i = 1; i < scratch.size(); ++i)
      if (scratch[i].first == scratch[i - 1].first && scratch[i].second != scratch[i - 1].second)
        return false;
    return true;
  }

  std::uint64_t alice_pairs() const { return candidates * (candidates - 1) / 2; }
  void alice_pair(std::uint64_t p, std::uint64_t c[2]) const {
    // Pairs c0 < c1 in lexicographic order.
    std::uint64_t i0 = 0;
    while (p >= candidates - 1 - i0) p -= candidates - 1 - i0++;
    c[0] = i0;
    c[1] = i0 + 1 + p;
  }
};

struct wide_searcher {
  wide_pruner p;
  int n;
  std::uint64_t budget, nodes = 0, unit = 0;
  bool out_of_budget = false;
  const std::atomic<std::uint64_t>* lowest_found = nullptr;
  std::vector<std::uint64_t> chosen, level_nodes;
  std::uint64_t digest = fnv1a_start;

  wide_searcher(const wide_tables& t, int n_, const attention_class& c, std::uint64_t b)
      : p(t, n_, c), n(n_), budget(b), level_nodes(static_cast<std::size_t>(2 * n_ + 1), 0) {}

  bool visit() {
    ++nodes;
    if ((budget && nodes > budget) ||
        (lowest_found && (nodes & 255) == 0 && lowest_found->load(std::memory_order_relaxed) < unit))
      out_of_budget = true;
    return !out_of_budget;
  }
  void record(int level, std::uint64_t candidate, bool live) {
    ++level_nodes[static_cast<std::size_t>(level)];
    digest = certificate_mix(digest, level, candidate, live);
  }

  bool alice(int k, const std::vector<std::uint64_t>& states, std::uint64_t lo, std::uint64_t hi) {
    std::vector<std::uint64_t> next;
    const std::uint64_t pairs = p.alice_pairs();
    for (std::uint64_t c = k == 0 ? lo : 0; c < (k == 0 ? std::min(hi, pairs) : pairs); ++c) {
      if (!visit()) return false;
      std::uint64_t v[2];
      p.alice_pair(c, v);
      const bool live = p.alice(k, states, v, next);
      record(k, c, live);
      if (!live) continue;
      chosen.insert(chosen.end(), {v[0], v[1]});
      if (k + 1 < n ? alice(k + 1, next, 0, 0) : bob(0, next)) return true;
      chosen.resize(chosen.size() - 2);
      if (out_of_budget) return false;
    }
    return false;
  }
  bool bob(int k, const std::vector<std::uint64_t>& states) {
    std::vector<std::uint64_t> next;
    const std::uint64_t m = p.candidates;
    for (std::uint64_t c = 0; c < m * (m - 1); ++c) {
      if (!visit()) return false;
      const std::uint64_t i0 = c / (m - 1), r = c % (m - 1);
      const std::uint64_t v[2] = {i0, r < i0 ? r : r + 1};
      const bool live = p.bob(k, states, v, next);
      record(n + k, c, live);
      if (!live) continue;
      chosen.insert(chosen.end(), {v[0], v[1]});
      if (k + 1 < n ? bob(k + 1, next) : query(next)) return true;
      chosen.resize(chosen.size() - 2);
      if (out_of_budget) return false;
    }
    return false;
  }
  bool query(const std::vector<std::uint64_t>& states) {
    for (std::uint64_t c = 0; c < p.candidates; ++c) {
      if (!visit()) return false;
      const bool live = p.query(states, c);
      record(2 * n, c, live);
      if (live) {
        chosen.push_back(c);
        return true;
      }
    }
    return false;
  }
};

void check_class(const attention_class& c, int n) {
  if (c.heads < 1 || c.value_dim < 1 || c.heads * (c.value_dim + 1) > 7)
    throw std::invalid_argument("class search: H >= 1, d_v >= 1 and H (d_v + 1) <= 7, not H = " +
                                std::to_string(c.heads) + ", d_v = " + std::to_string(c.value_dim));
  if (n < 1 || n > 12) throw std::invalid_argument("class search: n must be in 1..12");
}

bool holds_one(const format& f) {
  for (code_t c = 0; c < (code_t{1} << f.bits()); ++c)
    if (is_valid_code(f, c) && classify(f, c) != number_class::nan &&
        classify(f, c) != number_class::infinite && to_rational(f, c) == rational(1))
      return true;
  return false;
}

// The settings' logits and values as codes, from the chosen candidates (4n + 1 slots).
void decode_setting(const wide_tables& t, const wide_pruner& p, const std::vector<std::uint64_t>& chosen,
                    class_search& out) {
  for (std::uint64_t cand : chosen)
    for (int h = 0; h < p.heads; ++h) {
      const contribution& k = p.part(cand, h);
      out.logits.push_back(t.weight_logit[k.weight]);
      for (code_t v : k.values) out.values.push_back(v);
    }
}

// Outputs through the tables for explicit codes (not candidates): every value is its own.
std::vector<code_t> table_outputs(const format& f, const wide_tables& t, const attention_class& c,
                                  int n, std::span<const code_t> logits,
                                  std::span<const code_t> values) {
  const std::size_t slots = static_cast<std::size_t>(4 * n + 1), H = static_cast<std::size_t>(c.heads),
                    dv = static_cast<std::size_t>(c.value_dim);
  if (logits.size() != slots * H || values.size() != slots * H * dv)
    throw std::invalid_argument("class search: " + std::to_string(logits.size()) + " logits and " +
                                std::to_string(values.size()) + " values for n = " +
                                std::to_string(n) + " (" + std::to_string(slots * H) + " and " +
                                std::to_string(slots * H * dv) + " needed)");
  // The weight index of each slot's logit, by the exponential's value.
  const precision_spec spec = spec_preset("uniform(" + f.name() + ")");
  detail::rounded_arith a{spec, 0};
  detail::attention_rules rules(a, spec);
  constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> weight(slots * H);
  const auto finite = [&](code_t code) {
    return is_valid_code(f, code) && classify(f, code) != number_class::nan &&
           classify(f, code) != number_class::infinite;
  };
  if (!std::all_of(logits.begin(), logits.end(), finite) || !std::all_of(values.begin(), values.end(), finite))
    throw std::invalid_argument("class search: logits and values must be finite codes of " + f.name() +
                                " (the class's free parameters are its finite values)");
  for (std::size_t i = 0; i < slots * H; ++i) {
    if (!c.token_scores && classify(f, logits[i]) != number_class::zero)
      throw std::invalid_argument("class search: a nonzero logit with position-only scores");
    try {
      rules.exponential(detail::load(f, logits[i]));
    } catch (const std::overflow_error&) {
      a.last = t.overflow;
    }
    const auto it = std::find_if(t.weights.begin(), t.weights.end(), [&](code_t w) {
      return t.value_id[w] == t.value_id[a.last];
    });
    // An exponential without a value (NaN, or an overflow under the policy error) is no
    // candidate of the search; here it makes every input that reads it undefined.
    weight[i] = it == t.weights.end() || a.last == t.overflow
                    ? none
                    : static_cast<std::size_t>(it - t.weights.begin());
  }
  const std::size_t inputs = std::size_t{1} << n;
  std::vector<code_t> out;
  for (std::size_t x = 0; x < inputs; ++x)
    for (std::size_t y = 0; y < inputs; ++y) {
      std::vector<code_t> z(H, 0), num(H * dv, 0);
      for (std::size_t pos = 0; pos <= 2 * static_cast<std::size_t>(n); ++pos) {
        const std::size_t slot = pos < static_cast<std::size_t>(n)  ? 2 * pos + (x >> pos & 1)
                                 : pos < 2 * static_cast<std::size_t>(n) ? 2 * pos + (y >> (pos - n) & 1)
                                                                          : 4 * static_cast<std::size_t>(n);
        for (std::size_t h = 0; h < H; ++h) {
          const std::size_t w = weight[slot * H + h];
          if (w == none) {
            z[h] = t.overflow;
            std::fill_n(num.begin() + static_cast<std::ptrdiff_t>(h * dv), dv, t.overflow);
            continue;
          }
          z[h] = pos == 0 ? t.z_first[w] : t.z_step_at(w, z[h]);
          for (std::size_t i = 0; i < dv; ++i) {
            const code_t v = values[(slot * H + h) * dv + i];
            num[h * dv + i] = pos == 0 ? t.a_first[w * t.codes + v] : t.a_step_at(w, num[h * dv + i], v);
          }
        }
      }
      for (std::size_t h = 0; h < H; ++h)
        for (std::size_t i = 0; i < dv; ++i) {
          const code_t zz = z[h], aa = num[h * dv + i];
          out.push_back(zz == t.overflow || aa == t.overflow ? t.overflow
                                                            : t.out[aa * (t.codes + 1) + zz]);
        }
    }
  return out;
}

}  // namespace

transformer class_separation_model(const format& f, const attention_class& c, int n,
                                   std::span<const code_t> logits, std::span<const code_t> values) {
  check_class(c, n);
  const Eigen::Index H = c.heads, dv = c.value_dim, slots = 4 * n + 1, d = 1 + H + H * dv;
  if (static_cast<Eigen::Index>(logits.size()) != slots * H ||
      static_cast<Eigen::Index>(values.size()) != slots * H * dv)
    throw std::invalid_argument("class_separation_model: " + std::to_string(logits.size()) +
                                " logits and " + std::to_string(values.size()) +
                                " values for n = " + std::to_string(n));
  if (c.token_scores && !holds_one(f))
    throw std::invalid_argument("class search: token scores need 1 in " + f.name() +
                                " (the query vector)");
  transformer t;
  t.token_embedding = rmatrix::Zero(slots, d);
  for (Eigen::Index s = 0; s < slots; ++s) {
    t.token_embedding(s, 0) = c.token_scores ? rational(1) : rational(0);
    for (Eigen::Index h = 0; h < H; ++h) {
      t.token_embedding(s, 1 + h) = to_rational(f, logits[static_cast<std::size_t>(s * H + h)]);
      for (Eigen::Index i = 0; i < dv; ++i)
        t.token_embedding(s, 1 + H + h * dv + i) =
            to_rational(f, values[static_cast<std::size_t>((s * H + h) * dv + i)]);
    }
  }
  attention_layer att;
  for (Eigen::Index h = 0; h < H; ++h) {
    rmatrix q = rmatrix::Zero(1, d), k = rmatrix::Zero(1, d), v = rmatrix::Zero(dv, d);
    if (c.token_scores) {
      q(0, 0) = 1;
      k(0, 1 + h) = 1;
    }
    for (Eigen::Index i = 0; i < dv; ++i) v(i, 1 + H + h * dv + i) = 1;
    att.heads.push_back({{q, {}}, {k, {}}, {v, {}}});
  }
  t.blocks.push_back({att, false, {}, true});
  return t;
}

std::vector<code_t> class_separation_outputs(const format& f, const attention_class& c, int n,
                                             std::span<const code_t> logits,
                                             std::span<const code_t> values) {
  check_class(c, n);
  if (n > 6) throw std::invalid_argument("class_separation_outputs: n must be in 1..6");
  return table_outputs(f, wide_tables(f, c.token_scores), c, n, logits, values);
}

class_check verify_class_setting(const format& f, const attention_class& c, int n,
                                 std::span<const code_t> logits, std::span<const code_t> values) {
  check_class(c, n);
  if (n > 8) throw std::invalid_argument("verify_class_setting: n must be in 1..8");
  const wide_tables t(f, c.token_scores);
  const std::vector<code_t> table = table_outputs(f, t, c, n, logits, values);
  const transformer model = class_separation_model(f, c, n, logits, values);
  const precision_spec spec = separation_spec(f);
  const std::size_t inputs = std::size_t{1} << n, width = static_cast<std::size_t>(c.heads * c.value_dim);
  class_check out;
  // Outputs are compared as doubles (a value of a format of at most 8 bits is one exactly, an
  // infinity too) and collected by value id (-0 and +0 are one output, as in the search).
  std::set<std::vector<int>> diagonal, off;
  bool defined = true;
  for (std::size_t x = 0; x < inputs; ++x)
    for (std::size_t y = 0; y < inputs; ++y) {
      ++out.pairs;
      const auto codes = std::span(table).subspan((x * inputs + y) * width, width);
      std::vector<int> o;
      bool agree = true;
      try {
        const evaluation e =
            evaluate(model, separation_tokens(n, x, y), spec, {.last_position_only = true});
        for (std::size_t i = 0; i < width; ++i) {
          const double got = e.output(0, static_cast<Eigen::Index>(i));
          const code_t code = codes[i];
          if (code == t.overflow) {
            // No value in the tables (a NaN weight): the evaluator's output must be NaN.
            agree = agree && std::isnan(got);
            defined = false;
            continue;
          }
          const number_class k = classify(f, code);
          const bool same = k == number_class::nan        ? std::isnan(got)
                            : k == number_class::infinite ? got == (is_negative(f, code) ? -HUGE_VAL : HUGE_VAL)
                                                          : got == to_double(f, code) &&
                                                                std::signbit(got) == std::signbit(to_double(f, code));
          agree = agree && same;
          if (t.value_id[code] < 0) defined = false;  // NaN: no readout can use it
          o.push_back(t.value_id[code]);
        }
      } catch (const std::overflow_error&) {
        // Under the policy error: the tables must have overflowed on this pair too.
        agree = std::find(codes.begin(), codes.end(), t.overflow) != codes.end();
        defined = false;
      } catch (const std::domain_error&) {
        // 0 / 0 (Z = 0: every weight rounded to 0) in a format without NaN: likewise.
        agree = std::find(codes.begin(), codes.end(), t.overflow) != codes.end();
        defined = false;
      }
      if (!agree) ++out.disagreements;
      (x == y ? diagonal : off).insert(o);
    }
  out.diagonal_outputs = diagonal.size();
  out.off_outputs = off.size();
  out.separates = defined;
  for (const auto& v : diagonal)
    if (off.count(v)) out.separates = false;
  return out;
}

class_search search_class_separation(const format& f, const attention_class& c, int n,
                                     std::uint64_t node_budget, unsigned threads) {
  check_class(c, n);
  if (c.token_scores && !holds_one(f))
    throw std::invalid_argument("class search: token scores need 1 in " + f.name() +
                                " (the query vector)");
  const wide_tables tables(f, c.token_scores);
  const wide_pruner shape(tables, n, c);
  class_search result;
  result.n = n;
  result.candidates = shape.candidates;
  if (shape.candidates < 2) return result;  // Alice cannot tell her bits apart
  const std::uint64_t units = shape.alice_pairs();
  result.units = units;
  const std::uint64_t per_unit = node_budget == 0 ? 0 : std::max<std::uint64_t>(1, node_budget / units);
  const detail::units_walked walked = detail::walk_units(
      units, 2 * n + 1, threads,
      [&](std::uint64_t lo, std::uint64_t hi, const std::atomic<std::uint64_t>& lowest_found) {
        wide_searcher s(tables, n, c, per_unit);
        s.lowest_found = &lowest_found;
        s.unit = lo;
        detail::unit_walk r;
        r.found = s.alice(0, {}, lo, hi);
        r.complete = r.found || !s.out_of_budget;
        r.nodes = s.nodes;
        r.digest = s.digest;
        r.level_nodes = s.level_nodes;
        if (r.found) r.chosen = s.chosen;
        return r;
      });
  result.nodes = walked.nodes;
  result.digest = walked.digest;
  result.level_nodes = walked.level_nodes;
  result.found = walked.found;
  if (result.found) decode_setting(tables, shape, walked.chosen, result);
  if (result.found && n <= 8) {
    const class_check check = verify_class_setting(f, c, n, result.logits, result.values);
    if (check.disagreements)
      throw std::logic_error("class search: the evaluator disagrees with the search's tables on " +
                             std::to_string(check.disagreements) + " pairs of a witness");
    if (!check.separates)
      throw std::logic_error("class search: a witness does not separate equality in the evaluator (" + std::to_string(check.diagonal_outputs) + " diagonal, " + std::to_string(check.off_outputs) + " off)");
  }
  result.complete = walked.complete;
  return result;
}

}  // namespace fpx
