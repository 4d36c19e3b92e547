#include "fpx/threshold_search.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>

#include "fpx/arith.hpp"
#include "fpx/codec.hpp"
#include "fpx/parallel.hpp"

namespace fpx {
namespace {

// Every operation the class performs, tabulated once from the correctly rounded arithmetic.
struct class_tables {
  std::size_t codes = 0;
  std::vector<code_t> values;  // candidate values: finite, -0 left out (it adds like +0 here)
  std::vector<code_t> sum;     // sum[a * codes + b] = rd(a + b)
  std::vector<code_t> term;    // term[v] = rd(w * v), w = rd(exp(0))
  std::vector<code_t> output;  // output[a] = rd(a / Z)
  std::vector<int> value_id;   // equal values share an id; NaN is -1

  class_tables(const format& f, int n) {
    if (f.bits() > 8) throw std::invalid_argument("search: formats of at most 8 bits");
    codes = std::size_t{1} << f.bits();
    // Ids: finite values in order of first code, then -inf and +inf; NaN is -1.
    std::map<rational, int> ids;
    for (code_t c = 0; c < codes; ++c) {
      const number_class k = classify(f, c);
      if (k == number_class::nan || k == number_class::infinite) continue;
      if (ids.emplace(to_rational(f, c), static_cast<int>(ids.size())).second &&
          !(k == number_class::zero && is_negative(f, c)))
        values.push_back(c);
    }
    for (code_t c = 0; c < codes; ++c) {
      const number_class k = classify(f, c);
      if (k == number_class::nan) value_id.push_back(-1);
      else if (k == number_class::infinite) value_id.push_back(static_cast<int>(ids.size()) + (is_negative(f, c) ? 0 : 1));
      else value_id.push_back(ids.at(to_rational(f, c)));
    }
    std::sort(values.begin(), values.end(), [&](code_t a, code_t b) {
      return to_rational(f, a) < to_rational(f, b);
    });
    sum.resize(codes * codes);
    for (code_t a = 0; a < codes; ++a)
      for (code_t b = 0; b < codes; ++b) sum[a * codes + b] = add(f, a, b);
    const code_t w = fpx::exp(f, zero_code(f, false));
    for (code_t v = 0; v < codes; ++v) term.push_back(mul(f, w, v));
    code_t z = w;  // the denominator over 2n + 1 positions, left to right
    for (int j = 1; j < 2 * n + 1; ++j) z = sum[z * codes + w];
    for (code_t a = 0; a < codes; ++a) output.push_back(div(f, a, z));
  }
  code_t add_codes(code_t a, code_t b) const { return sum[a * codes + b]; }
  int id_count() const { return static_cast<int>(values.size()) + 3; }
};

struct searcher {
  const class_tables& t;
  int n;
  std::uint64_t budget;  // 0: none
  std::uint64_t nodes = 0;
  bool out_of_budget = false;
  std::vector<code_t> chosen;  // the current setting, 4n + 1 values when complete
  std::vector<std::uint32_t> stamp;
  std::uint32_t now = 0;
  std::vector<std::int64_t> signature;

  searcher(const class_tables& tables, int n_, std::uint64_t b)
      : t(tables), n(n_), budget(b), stamp(tables.codes, 0),
        signature(tables.codes) {}

  bool visit() {
    ++nodes;
    if (budget && nodes > budget) out_of_budget = true;
    return !out_of_budget;
  }
  std::uint32_t fresh() {
    if (++now == 0) {
      std::fill(stamp.begin(), stamp.end(), 0);
      now = 1;
    }
    return now;
  }

  // Alice's position k with states for her 2^k prefixes (bit i of the index is x_i).
  bool alice(int k, const std::vector<code_t>& states, std::size_t first_choice, std::size_t last_choice) {
    const std::size_t kv = t.values.size();
    const std::size_t size = std::size_t{1} << (k + 1);
    std::vector<code_t> next(size);
    std::size_t choice = 0;
    for (std::size_t i0 = 0; i0 < kv; ++i0)
      for (std::size_t i1 = i0 + 1; i1 < kv; ++i1, ++choice) {
        if (k == 0 && (choice < first_choice || choice >= last_choice)) continue;
        if (!visit()) return false;
        const code_t v[2] = {t.values[i0], t.values[i1]};
        const std::uint32_t mark = fresh();
        bool distinct = true;
        for (std::size_t x = 0; x < size && distinct; ++x) {
          const code_t term = t.term[v[x >> k & 1]];
          next[x] = k == 0 ? term : t.add_codes(states[x & (size / 2 - 1)], term);
          if (stamp[next[x]] == mark) distinct = false;
          stamp[next[x]] = mark;
        }
        if (!distinct) continue;
        chosen.push_back(v[0]);
        chosen.push_back(v[1]);
        if (k + 1 < n ? alice(k + 1, next, 0, 0) : bob(0, next)) return true;
        chosen.resize(chosen.size() - 2);
        if (out_of_budget) return false;
      }
    return false;
  }

  // Bob's position k; node x + (u << n) holds Alice's x and Bob's first k bits u.
  bool bob(int k, const std::vector<code_t>& states) {
    const std::size_t kv = t.values.size(), alice_inputs = std::size_t{1} << n;
    const std::size_t size = states.size() * 2;
    std::vector<code_t> next(size);
    for (std::size_t i0 = 0; i0 < kv; ++i0)
      for (std::size_t i1 = 0; i1 < kv; ++i1) {
        if (i0 == i1) continue;  // y_k would not matter: (x, x) and (x, x ^ e_k) would meet
        if (!visit()) return false;
        const code_t v[2] = {t.values[i0], t.values[i1]};
        const std::uint32_t mark = fresh();
        const std::uint64_t prefix_mask = (std::uint64_t{1} << (k + 1)) - 1;
        bool ok = true;
        for (std::size_t node = 0; node < size && ok; ++node) {
          const std::size_t x = node & (alice_inputs - 1), u = node >> n;
          next[node] = t.add_codes(states[x + ((u & (prefix_mask >> 1)) << n)], t.term[v[u >> k & 1]]);
          // -1: can no longer end on the diagonal; else the rest of x it must be completed by.
          const std::int64_t sig = u == (x & prefix_mask) ? static_cast<std::int64_t>(x >> (k + 1)) : -1;
          if (stamp[next[node]] != mark) {
            stamp[next[node]] = mark;
            signature[next[node]] = sig;
          } else if (signature[next[node]] != sig) {
            ok = false;
          }
        }
        if (!ok) continue;
        chosen.push_back(v[0]);
        chosen.push_back(v[1]);
        if (k + 1 < n ? bob(k + 1, next) : query(next)) return true;
        chosen.resize(chosen.size() - 2);
        if (out_of_budget) return false;
      }
    return false;
  }

  bool query(const std::vector<code_t>& states) {
    const std::size_t alice_inputs = std::size_t{1} << n;
    std::vector<std::uint8_t> seen(static_cast<std::size_t>(t.id_count()));  // bit 0 diag, 1 off
    for (code_t v : t.values) {
      if (!visit()) return false;
      std::fill(seen.begin(), seen.end(), 0);
      bool ok = true;
      for (std::size_t node = 0; node < states.size() && ok; ++node) {
        const int id = t.value_id[t.output[t.add_codes(states[node], t.term[v])]];
        if (id < 0) {
          ok = false;  // NaN
          break;
        }
        const bool diagonal = (node & (alice_inputs - 1)) == (node >> n);
        seen[static_cast<std::size_t>(id)] |= diagonal ? 1 : 2;
        ok = seen[static_cast<std::size_t>(id)] != 3;
      }
      if (ok) {
        chosen.push_back(v);
        return true;
      }
    }
    return false;
  }
};

std::uint64_t saturating_product(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a)
    return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}

}  // namespace

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
    result.settings_total = saturating_product(saturating_product(result.settings_total, first_choices),
                                               kv * (kv - 1));
  result.settings_total = saturating_product(result.settings_total, kv);
  if (first_choices == 0) return result;

  struct range_result {
    bool found = false, complete = true;
    std::vector<code_t> values;
    std::uint64_t nodes = 0;
  };
  const std::uint64_t per_range = node_budget == 0 ? 0 : std::max<std::uint64_t>(1, node_budget / first_choices);
  const auto parts = map_ranges(first_choices, 1, threads, [&](std::uint64_t lo, std::uint64_t hi) {
    searcher s(tables, n, per_range);
    range_result r;
    r.found = s.alice(0, {}, lo, hi);
    r.complete = r.found || !s.out_of_budget;
    r.nodes = s.nodes;
    if (r.found) r.values = s.chosen;
    return r;
  });
  for (const auto& r : parts) {
    result.nodes += r.nodes;
    if (!result.found && r.found) {
      result.found = true;
      result.values = r.values;
    }
  }
  // Complete when a setting was found, or when every range finished within its budget.
  result.complete = result.found || std::all_of(parts.begin(), parts.end(), [](const auto& r) { return r.complete; });
  return result;
}

}  // namespace fpx
