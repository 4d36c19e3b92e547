#include "fpx/theory/threshold_search.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>

#include "fpx/arith/codec.hpp"
#include "fpx/exact/distributed.hpp"
#include "fpx/exact/fnv.hpp"
#include "fpx/exact/random_stream.hpp"
#include "fpx/model/detail/rules.hpp"
#include "fpx/model/evaluate.hpp"
#include "fpx/theory/detail/separation_values.hpp"

namespace fpx {
namespace {

// Every operation the class performs, tabulated once from the evaluator's own rules for the
// spec uniform(F) (model/detail/rules.hpp): w = rd(exp(0)), one step of the numerator's sum,
// the denominator over 2n + 1 positions and the final division. Under the overflow policy
// `error` an operation that overflows gives the code `overflow` (one past the format's codes),
// which every later step keeps and whose output has no value: a setting in which any input
// overflows anywhere separates nothing.
struct class_tables {
  std::size_t codes = 0;
  code_t overflow = 0;
  std::vector<code_t> values;  // candidate values: finite, -0 left out (it adds like +0 here)
  std::vector<code_t> first;   // first[v]: the numerator after one position of value v
  std::vector<code_t> step;    // step[a * codes + v]: partial sum a, then a position of value v
  std::vector<code_t> output;  // output[a] = rd(a / Z)
  std::vector<int> value_id;   // equal values share an id; NaN (and overflow) is -1

  class_tables(const format& f, int n) {
    if (f.bits() > 8) throw std::invalid_argument("search: formats of at most 8 bits");
    codes = std::size_t{1} << f.bits();
    overflow = codes;
    const detail::format_values shared(f);
    values = shared.values;
    value_id = shared.value_id;
    const precision_spec spec = spec_preset("uniform(" + f.name() + ")");
    detail::rounded_arith a{spec, 0};
    detail::attention_rules rules(a, spec);
    const auto value = [&](code_t c) { return detail::load(f, c); };
    // One operation's code, or `overflow` where the format's policy makes overflow an error.
    const auto rounded = [&](auto operation) {
      try {
        operation();
        return a.last;
      } catch (const std::overflow_error&) {
        return overflow;
      }
    };
    first.assign(codes + 1, overflow);
    step.assign((codes + 1) * codes, overflow);  // the row of `overflow` stays overflow
    output.assign(codes + 1, overflow);
    // Every score is 0: rd(exp(0)) and the denominator over 2n + 1 positions are the same for
    // every input, so if either overflows, every setting does (`first` stays `overflow`, and
    // every candidate dies at Alice's first position).
    std::optional<detail::operand> w, z;
    try {
      w = rules.exponential(a.integer(0));
      const std::vector<detail::operand> weights(static_cast<std::size_t>(2 * n + 1), *w);
      z = rules.denominator(weights);
    } catch (const std::overflow_error&) {
      return;
    }
    for (code_t v = 0; v < codes; ++v) {
      if (!is_valid_code(f, v)) continue;
      first[v] = rounded([&] { rules.numerator_step(nullptr, *w, value(v)); });
      for (code_t partial = 0; partial < codes; ++partial)
        if (is_valid_code(f, partial)) {
          const detail::operand p = value(partial);
          step[partial * codes + v] = rounded([&] { rules.numerator_step(&p, *w, value(v)); });
        }
    }
    for (code_t c = 0; c < codes; ++c)
      output[c] = is_valid_code(f, c) ? rounded([&] { rules.divided(value(c), *z); }) : 0;
  }
  code_t next(code_t partial, code_t v) const { return step[partial * codes + v]; }
  int id_count() const { return static_cast<int>(values.size()) + 3; }
};

// The certificate's digest: detail::certificate_mix of every examined candidate; unit digests
// are joined in unit order with fnv1a_word.
using detail::certificate_mix;

// The pruning rules, one level of the tree at a time: whether a candidate pair of values (or the
// query's value) keeps a node alive, and the states it leads to. The search and the estimator
// below walk the same tree through them.
struct pruner {
  const class_tables& t;
  int n;
  std::vector<std::uint32_t> stamp;
  std::uint32_t now = 0;
  std::vector<std::int64_t> signature;
  std::vector<std::uint8_t> seen;

  pruner(const class_tables& tables, int n_)
      : t(tables),
        n(n_),
        stamp(tables.codes + 1, 0),
        signature(tables.codes + 1),
        seen(static_cast<std::size_t>(tables.id_count())) {}

  std::uint32_t fresh() {
    if (++now == 0) {
      std::fill(stamp.begin(), stamp.end(), 0);
      now = 1;
    }
    return now;
  }

  // Alice's position k with states for her 2^k prefixes (bit i of the index is x_i): her
  // 2^(k+1) prefixes must reach distinct states.
  bool alice(int k, const std::vector<code_t>& states, const code_t v[2],
             std::vector<code_t>& next) {
    const std::size_t size = std::size_t{1} << (k + 1);
    next.resize(size);
    const std::uint32_t mark = fresh();
    for (std::size_t x = 0; x < size; ++x) {
      const code_t value = v[x >> k & 1];
      next[x] = k == 0 ? t.first[value] : t.next(states[x & (size / 2 - 1)], value);
      // An overflow (policy error) on any input, or two prefixes in one state: dead.
      if (next[x] == t.overflow || stamp[next[x]] == mark) return false;
      stamp[next[x]] = mark;
    }
    return true;
  }

  // Bob's position k; node x + (u << n) holds Alice's x and Bob's first k bits u. A node that
  // can still end on the diagonal shares its state only with nodes that end there exactly when
  // it does.
  bool bob(int k, const std::vector<code_t>& states, const code_t v[2], std::vector<code_t>& next) {
    const std::size_t alice_inputs = std::size_t{1} << n, size = states.size() * 2;
    next.resize(size);
    const std::uint32_t mark = fresh();
    const std::uint64_t prefix_mask = (std::uint64_t{1} << (k + 1)) - 1;
    for (std::size_t node = 0; node < size; ++node) {
      const std::size_t x = node & (alice_inputs - 1), u = node >> n;
      next[node] = t.next(states[x + ((u & (prefix_mask >> 1)) << n)], v[u >> k & 1]);
      if (next[node] == t.overflow) return false;  // an overflow on some input: dead
      // -1: can no longer end on the diagonal; else the rest of x it must be completed by.
      const std::int64_t sig =
          u == (x & prefix_mask) ? static_cast<std::int64_t>(x >> (k + 1)) : -1;
      if (stamp[next[node]] != mark) {
        stamp[next[node]] = mark;
        signature[next[node]] = sig;
      } else if (signature[next[node]] != sig) {
        return false;
      }
    }
    return true;
  }

  // The query's value v: the outputs on the diagonal and off it must be apart (no NaN).
  bool query(const std::vector<code_t>& states, code_t v) {
    const std::size_t alice_inputs = std::size_t{1} << n;
    std::fill(seen.begin(), seen.end(), 0);  // bit 0: diagonal, bit 1: off it
    for (std::size_t node = 0; node < states.size(); ++node) {
      const int id = t.value_id[t.output[t.next(states[node], v)]];
      if (id < 0) return false;  // NaN
      const bool diagonal = (node & (alice_inputs - 1)) == (node >> n);
      seen[static_cast<std::size_t>(id)] |= diagonal ? 1 : 2;
      if (seen[static_cast<std::size_t>(id)] == 3) return false;
    }
    return true;
  }

  // Alice's candidate pairs (i0 < i1: relabelling her bits is a symmetry) and Bob's (i0 != i1),
  // numbered in the search's order.
  std::size_t alice_pairs() const { return t.values.size() * (t.values.size() - 1) / 2; }
  std::size_t bob_pairs() const { return t.values.size() * (t.values.size() - 1); }
  void alice_pair(std::size_t c, code_t v[2]) const {
    const std::size_t kv = t.values.size();
    std::size_t i0 = 0;
    while (c >= kv - 1 - i0) c -= kv - 1 - i0++;
    v[0] = t.values[i0];
    v[1] = t.values[i0 + 1 + c];
  }
  void bob_pair(std::size_t c, code_t v[2]) const {
    const std::size_t kv = t.values.size(), i0 = c / (kv - 1), r = c % (kv - 1);
    v[0] = t.values[i0];
    v[1] = t.values[r < i0 ? r : r + 1];
  }
};

struct searcher {
  pruner p;
  int n;
  std::uint64_t budget;  // 0: none
  std::uint64_t nodes = 0;
  bool out_of_budget = false;
  std::vector<code_t> chosen;  // the current setting, 4n + 1 values when complete
  // The lowest unit known to have found a setting: a higher unit's work no longer counts, so it
  // stops (out_of_budget then also marks this stop; its result is never used).
  const std::atomic<std::uint64_t>* lowest_found = nullptr;
  std::uint64_t unit = 0;
  // The walk's certificate: candidates examined per level (Alice's positions, Bob's, the
  // query) and a digest of every examined candidate with its verdict, in walk order.
  std::vector<std::uint64_t> level_nodes;
  std::uint64_t digest = fnv1a_start;

  searcher(const class_tables& tables, int n_, std::uint64_t b)
      : p(tables, n_), n(n_), budget(b), level_nodes(static_cast<std::size_t>(2 * n_ + 1), 0) {}

  void record(int level, std::size_t candidate, bool live) {
    ++level_nodes[static_cast<std::size_t>(level)];
    digest = certificate_mix(digest, level, candidate, live);
  }

  bool visit() {
    ++nodes;
    if ((budget && nodes > budget) || (lowest_found && (nodes & 1023) == 0 &&
                                       lowest_found->load(std::memory_order_relaxed) < unit))
      out_of_budget = true;
    return !out_of_budget;
  }

  // Alice's position k; at k = 0 only the candidate pairs [first_choice, last_choice).
  bool alice(int k, const std::vector<code_t>& states, std::size_t first_choice,
             std::size_t last_choice) {
    std::vector<code_t> next;
    const std::size_t pairs = p.alice_pairs();
    for (std::size_t c = k == 0 ? first_choice : 0;
         c < (k == 0 ? std::min(last_choice, pairs) : pairs); ++c) {
      if (!visit()) return false;
      code_t v[2];
      p.alice_pair(c, v);
      const bool live = p.alice(k, states, v, next);
      record(k, c, live);
      if (!live) continue;
      chosen.push_back(v[0]);
      chosen.push_back(v[1]);
      if (k + 1 < n ? alice(k + 1, next, 0, 0) : bob(0, next)) return true;
      chosen.resize(chosen.size() - 2);
      if (out_of_budget) return false;
    }
    return false;
  }

  bool bob(int k, const std::vector<code_t>& states) {
    std::vector<code_t> next;
    for (std::size_t c = 0; c < p.bob_pairs(); ++c) {
      if (!visit()) return false;
      code_t v[2];
      p.bob_pair(c, v);
      const bool live = p.bob(k, states, v, next);
      record(n + k, c, live);
      if (!live) continue;
      chosen.push_back(v[0]);
      chosen.push_back(v[1]);
      if (k + 1 < n ? bob(k + 1, next) : query(next)) return true;
      chosen.resize(chosen.size() - 2);
      if (out_of_budget) return false;
    }
    return false;
  }

  bool query(const std::vector<code_t>& states) {
    for (std::size_t c = 0; c < p.t.values.size(); ++c) {
      if (!visit()) return false;
      const bool live = p.query(states, p.t.values[c]);
      record(2 * n, c, live);
      if (live) {
        chosen.push_back(p.t.values[c]);
        return true;
      }
    }
    return false;
  }
};

// Knuth's estimator of one unit's subtree: from the unit's root, a path down the tree choosing
// at each level a uniformly random live child; the nodes at each level are estimated by the
// product of the live-child counts above it. Where a level has more candidates than `sample`,
// the live count is estimated from `sample` candidates drawn with replacement.
struct prober {
  pruner p;
  int n;
  random_stream random;
  std::size_t sample;

  prober(const class_tables& tables, int n_, std::uint64_t seed, std::uint64_t unit,
         std::size_t sample_)
      : p(tables, n_), n(n_), random(seed, unit), sample(sample_) {}

  // One probe: (nodes, work), work counting the states each node's check computes.
  std::pair<double, double> probe(std::size_t unit) {
    std::vector<code_t> states, next, chosen_next;
    code_t v[2];
    p.alice_pair(unit, v);
    double nodes = 1, work = 2;
    if (!p.alice(0, {}, v, states)) return {nodes, work};
    double weight = 1;
    for (int level = 1; level < 2 * n + 1; ++level) {
      const bool alice = level < n, query = level == 2 * n;
      const std::size_t candidates = query   ? p.t.values.size()
                                     : alice ? p.alice_pairs()
                                             : p.bob_pairs();
      const double cost = alice   ? static_cast<double>(std::size_t{1} << (level + 1))
                          : query ? static_cast<double>(states.size())
                                  : 2.0 * static_cast<double>(states.size());
      nodes += weight * static_cast<double>(candidates);
      work += weight * static_cast<double>(candidates) * cost;
      if (query) break;
      const bool all = candidates <= sample;
      const std::size_t tries = all ? candidates : sample;
      std::size_t live = 0;
      for (std::size_t i = 0; i < tries; ++i) {
        const std::size_t c = all ? i : static_cast<std::size_t>(random.next() % candidates);
        alice ? p.alice_pair(c, v) : p.bob_pair(c, v);
        const bool ok = alice ? p.alice(level, states, v, next) : p.bob(level - n, states, v, next);
        // Reservoir choice: each live candidate seen is kept with probability 1 / live.
        if (ok && random.next() % ++live == 0) chosen_next = next;
      }
      if (live == 0) break;
      weight *=
          static_cast<double>(live) * static_cast<double>(candidates) / static_cast<double>(tries);
      states.swap(chosen_next);
    }
    return {nodes, work};
  }
};

std::uint64_t saturating_product(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a)
    return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}

// The output code of every pair (x, y), x-major, through the tables, for one setting.
std::vector<code_t> table_outputs(const class_tables& t, int n, std::span<const code_t> values) {
  const std::size_t inputs = std::size_t{1} << n;
  std::vector<code_t> out;
  out.reserve(inputs * inputs);
  for (std::size_t x = 0; x < inputs; ++x)
    for (std::size_t y = 0; y < inputs; ++y) {
      code_t s = t.first[values[x & 1]];
      for (int j = 1; j < n; ++j) s = t.next(s, values[2 * j + (x >> j & 1)]);
      for (int k = 0; k < n; ++k) s = t.next(s, values[2 * (n + k) + (y >> k & 1)]);
      out.push_back(t.output[t.next(s, values[4 * n])]);
    }
  return out;
}

// The witness rebuilt as a transformer and evaluated on every pair by the evaluator: each
// output must be the tables' one, and the diagonal's outputs must be apart from the others'.
void check_witness(const format& f, int n, std::span<const code_t> values,
                   const std::vector<code_t>& outputs) {
  const transformer model = separation_model(f, n, values);
  const precision_spec spec = separation_spec(f);
  const std::size_t inputs = std::size_t{1} << n;
  std::set<double> diagonal,
      off;  // values of a format of at most 8 bits: exact doubles, or infinities
  for (std::size_t x = 0; x < inputs; ++x)
    for (std::size_t y = 0; y < inputs; ++y) {
      const evaluation e =
          evaluate(model, separation_tokens(n, x, y), spec, {.last_position_only = true});
      const code_t code = outputs[x * inputs + y];
      const bool finite =
          classify(f, code) != number_class::infinite && classify(f, code) != number_class::nan;
      const double table =
          finite ? to_double(f, code) : (is_negative(f, code) ? -HUGE_VAL : HUGE_VAL);
      const bool same = finite ? e.exact_output && (*e.exact_output)(0, 0) == to_rational(f, code)
                               : e.output(0, 0) == table;
      if (!same || classify(f, code) == number_class::nan)
        throw std::logic_error(
            "search: the evaluator disagrees with the search's tables on a witness at x=" +
            std::to_string(x) + ", y=" + std::to_string(y));
      (x == y ? diagonal : off).insert(table == 0 ? 0.0 : table);  // -0 and +0 are one output
    }
  for (double v : diagonal)
    if (off.count(v))
      throw std::logic_error("search: a witness does not separate equality in the evaluator");
}

}  // namespace

transformer separation_model(const format& f, int n, std::span<const code_t> values) {
  if (values.size() != static_cast<std::size_t>(4 * n + 1))
    throw std::invalid_argument("separation_model: " + std::to_string(values.size()) +
                                " values for n = " + std::to_string(n) + " (4n + 1 needed)");
  transformer t;
  t.token_embedding = rmatrix::Zero(4 * n + 1, 1);
  for (int i = 0; i < 4 * n + 1; ++i)
    t.token_embedding(i, 0) = to_rational(f, values[static_cast<std::size_t>(i)]);
  attention_layer att;
  const rmatrix zero = rmatrix::Zero(1, 1), one = rmatrix::Constant(1, 1, rational(1));
  att.heads.push_back({{zero, {}}, {zero, {}}, {one, {}}});
  t.blocks.push_back({att, false, {}, true});
  return t;
}

std::vector<int> separation_tokens(int n, std::uint64_t x, std::uint64_t y) {
  std::vector<int> tokens;
  for (int j = 0; j < n; ++j) tokens.push_back(2 * j + static_cast<int>(x >> j & 1));
  for (int k = 0; k < n; ++k) tokens.push_back(2 * (n + k) + static_cast<int>(y >> k & 1));
  tokens.push_back(4 * n);
  return tokens;
}

precision_spec separation_spec(const format& f) {
  precision_spec spec = spec_preset("uniform(" + f.name() + ")");
  spec.formats[static_cast<std::size_t>(quantity::weight)] = preset("fp32");
  spec.name += ", weights fp32";
  return spec;
}

std::vector<code_t> separation_outputs(const format& f, int n, std::span<const code_t> values) {
  if (n < 1 || n > 6) throw std::invalid_argument("separation_outputs: n must be in 1..6");
  if (values.size() != static_cast<std::size_t>(4 * n + 1))
    throw std::invalid_argument("separation_outputs: " + std::to_string(values.size()) +
                                " values for n = " + std::to_string(n) + " (4n + 1 needed)");
  return table_outputs(class_tables(f, n), n, values);
}

separation_search search_equality_separation(const format& f, int n, std::uint64_t node_budget,
                                             unsigned threads) {
  if (n < 1 || n > 12) throw std::invalid_argument("search: n must be in 1..12");
  const class_tables tables(f, n);
  const std::uint64_t kv = tables.values.size();
  const std::uint64_t first_choices = kv * (kv - 1) / 2;

  separation_search result;
  result.n = n;
  result.settings_total = 1;
  for (int j = 0; j < n; ++j)
    result.settings_total =
        saturating_product(saturating_product(result.settings_total, first_choices), kv * (kv - 1));
  result.settings_total = saturating_product(result.settings_total, kv);
  if (first_choices == 0) return result;

  const std::uint64_t per_range =
      node_budget == 0 ? 0 : std::max<std::uint64_t>(1, node_budget / first_choices);
  // Units above the lowest one that found a setting do not count (the first setting in unit
  // order is the answer), so they stop early (detail::walk_units).
  const detail::units_walked walked = detail::walk_units(
      first_choices, 2 * n + 1, threads,
      [&](std::uint64_t lo, std::uint64_t hi, const std::atomic<std::uint64_t>& lowest_found) {
        searcher s(tables, n, per_range);
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
  result.found = walked.found;
  result.values = walked.chosen;
  result.nodes = walked.nodes;
  result.unit_nodes = walked.unit_nodes;
  result.level_nodes = walked.level_nodes;
  result.digest = walked.digest;
  if (result.found && n <= 6)
    check_witness(f, n, result.values, table_outputs(tables, n, result.values));
  // Complete when a setting was found, or when every unit finished within its budget.
  result.complete = walked.complete;
  return result;
}

std::uint64_t separation_units(const format& f) {
  const class_tables tables(f, 1);
  return tables.values.size() * (tables.values.size() - 1) / 2;
}

separation_estimate estimate_separation_search(const format& f, int n,
                                               std::span<const std::uint64_t> units,
                                               unsigned probes, std::size_t sample,
                                               std::uint64_t seed, unsigned threads) {
  if (n < 1 || n > 12) throw std::invalid_argument("estimate: n must be in 1..12");
  if (probes == 0 || sample == 0)
    throw std::invalid_argument("estimate: at least one probe and one sample");
  const class_tables tables(f, n);
  const std::uint64_t count = tables.values.size() * (tables.values.size() - 1) / 2;
  for (std::uint64_t u : units)
    if (u >= count)
      throw std::invalid_argument("estimate: unit " + std::to_string(u) + " of " +
                                  std::to_string(count));
  separation_estimate out;
  out.n = n;
  out.units = count;
  out.probes = probes;
  out.sample = sample;
  const auto parts = map_units(
      units.size(), 1, threads,
      [&](std::uint64_t i, std::uint64_t) {
        prober p(tables, n, seed, units[i], sample);
        std::pair<double, double> mean{0, 0};
        for (unsigned k = 0; k < probes; ++k) {
          const auto [nodes, work] = p.probe(units[i]);
          mean.first += nodes / probes;
          mean.second += work / probes;
        }
        return mean;
      },
      [](const std::pair<double, double>& m) {
        byte_writer w;
        w.put(m.first).put(m.second);
        return w.take();
      },
      [](const std::string& bytes) {
        byte_reader r(bytes);
        const double nodes = r.get<double>();
        return std::pair<double, double>{nodes, r.get<double>()};
      });
  for (const auto& [nodes, work] : parts) {
    out.nodes.push_back(nodes);
    out.work.push_back(work);
  }
  return out;
}

}  // namespace fpx
