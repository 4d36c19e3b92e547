// check_separation_certificate (theory/threshold_search.hpp): the threshold search's tree walked
// again by code that shares nothing with the search but the format's rounding (from_rational),
// so that a "no setting" result can be confirmed by a second implementation of the class.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <variant>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/exact/distributed.hpp"
#include "fpx/exact/fnv.hpp"
#include "fpx/theory/threshold_search.hpp"

namespace fpx {
namespace {


// The class's arithmetic in F, one operation at a time: every result rounded to nearest even,
// IEEE signed zeros, infinities and NaN; an overflow the policy makes an error is `bad`, which
// stays bad and has no value.
struct arithmetic {
  const format& f;
  code_t bad;

  bool is_nan(code_t c) const { return c == bad || classify(f, c) == number_class::nan; }
  bool is_inf(code_t c) const { return c != bad && classify(f, c) == number_class::infinite; }
  bool is_zero(code_t c) const { return c != bad && classify(f, c) == number_class::zero; }
  code_t nan() const { return nan_code(f); }  // (only reached where the format has NaN)

  code_t round(const rational& x) const {
    try {
      return from_rational(f, x, {round_mode::rne});
    } catch (const std::overflow_error&) {
      return bad;
    }
  }
  code_t add(code_t a, code_t b) const {
    if (a == bad || b == bad) return bad;
    if (is_nan(a) || is_nan(b)) return nan();
    if (is_inf(a) || is_inf(b)) {
      if (is_inf(a) && is_inf(b) && is_negative(f, a) != is_negative(f, b)) return nan();
      return is_inf(a) ? a : b;
    }
    if (is_zero(a) && is_zero(b))  // -0 + -0 = -0; otherwise +0 under round to nearest
      return is_negative(f, a) && is_negative(f, b) ? a : zero_code(f, false);
    return round(to_rational(f, a) + to_rational(f, b));
  }
  // w * v with w > 0 finite and v finite (the class's products).
  code_t scale(code_t w, code_t v) const {
    if (w == bad) return bad;
    if (is_zero(v)) return v;
    return round(to_rational(f, w) * to_rational(f, v));
  }
  code_t divide(code_t a, code_t z) const {
    if (a == bad || z == bad) return bad;
    if (is_nan(a) || is_nan(z)) return nan();
    if (is_inf(a)) return is_inf(z) ? nan() : a;  // z > 0
    if (is_inf(z)) return zero_code(f, is_negative(f, a));
    if (is_zero(a)) return a;
    return round(to_rational(f, a) / to_rational(f, z));
  }
  // What an output is, for comparing outputs: nothing (NaN, overflow), +-inf, or a value (+0 = -0).
  std::optional<std::variant<int, rational>> key(code_t c) const {
    if (is_nan(c)) return std::nullopt;
    if (is_inf(c)) return std::variant<int, rational>(is_negative(f, c) ? -1 : 1);
    return std::variant<int, rational>(to_rational(f, c));
  }
};

struct replayer {
  arithmetic a;
  int n;
  std::vector<code_t> values;                        // the candidates, as the search orders them
  code_t w = 0;                                      // rd(exp(0)) = rd(1)
  code_t z = 0;                                      // rd-sum of 2n + 1 weights
  std::vector<code_t> output;                        // output[c] = rd(c / Z), by code
  std::map<std::pair<code_t, code_t>, code_t> sums;  // memo of rd(partial + rd(w v))
  std::vector<std::uint64_t> level_nodes;
  std::uint64_t digest = fnv1a_start;

  replayer(const format& f, int n_) : a{f, code_t{1} << f.bits()}, n(n_) {
    // Distinct finite values, each by its first code (none for 0 when -0 comes first: it adds
    // like +0), in increasing order.
    std::set<rational> seen;
    for (code_t c = 0; c < (code_t{1} << f.bits()); ++c) {
      const number_class k = classify(f, c);
      if (k == number_class::nan || k == number_class::infinite) continue;
      if (seen.insert(to_rational(f, c)).second && !(k == number_class::zero && is_negative(f, c)))
        values.push_back(c);
    }
    std::sort(values.begin(), values.end(),
              [&](code_t x, code_t y) { return to_rational(f, x) < to_rational(f, y); });
    w = a.round(rational(1));
    z = a.bad;
    if (w != a.bad) {
      z = w;
      for (int j = 1; j < 2 * n + 1; ++j) z = a.add(z, w);
    }
    output.resize(a.bad + 1, a.bad);
    for (code_t c = 0; c < a.bad; ++c)
      if (is_valid_code(f, c)) output[c] = a.divide(c, z);
  }

  code_t first(code_t v) const { return a.scale(w, v); }
  code_t step(code_t partial, code_t v) {
    const auto key = std::make_pair(partial, v);
    if (const auto it = sums.find(key); it != sums.end()) return it->second;
    return sums[key] = a.add(partial, a.scale(w, v));
  }
  void examine(int level, std::uint64_t candidate, bool live) {
    ++level_nodes[static_cast<std::size_t>(level)];
    digest = fnv1a_word(
        digest, (candidate << 9) ^ (static_cast<std::uint64_t>(level) << 1) ^ (live ? 1u : 0u));
  }

  // Alice's position k: states[x] for her prefixes x < 2^k (bit i of x is x_i).
  void alice(int k, const std::vector<code_t>& states, std::optional<std::uint64_t> only) {
    const std::size_t kv = values.size();
    std::uint64_t c = 0;
    for (std::size_t i0 = 0; i0 < kv; ++i0)
      for (std::size_t i1 = i0 + 1; i1 < kv; ++i1, ++c) {
        if (only && c != *only) continue;
        std::vector<code_t> next(std::size_t{1} << (k + 1));
        std::set<code_t> seen;
        for (std::size_t x = 0; x < next.size(); ++x) {
          const code_t v = (x >> k & 1) ? values[i1] : values[i0];
          next[x] = k == 0 ? first(v) : step(states[x % states.size()], v);
          seen.insert(next[x]);
        }
        // Dead: two prefixes in one state, an overflow on some input, or a denominator that
        // overflows (it is the same for every input).
        const bool live = seen.size() == next.size() && !seen.count(a.bad) && z != a.bad;
        examine(k, c, live);
        if (live) k + 1 < n ? alice(k + 1, next, std::nullopt) : bob(0, next);
      }
  }

  // Bob's position k: states[x + (u << n)] for Alice's x and Bob's first k bits u.
  void bob(int k, const std::vector<code_t>& states) {
    const std::size_t kv = values.size(), alice_inputs = std::size_t{1} << n;
    std::uint64_t c = 0;
    for (std::size_t i0 = 0; i0 < kv; ++i0)
      for (std::size_t i1 = 0; i1 < kv; ++i1) {
        if (i0 == i1) continue;
        std::vector<code_t> next(states.size() * 2);
        std::map<code_t, std::int64_t> signature;
        bool live = true;
        for (std::size_t node = 0; node < next.size() && live; ++node) {
          const std::size_t x = node % alice_inputs, u = node / alice_inputs;  // u has k + 1 bits
          const std::size_t before = x + (u % (std::size_t{1} << k)) * alice_inputs;
          next[node] = step(states[before], (u >> k & 1) ? values[i1] : values[i0]);
          if (next[node] == a.bad) {  // an overflow on this input
            live = false;
            break;
          }
          // Can (x, u) still end on the diagonal? Then with which rest of x.
          const std::size_t mask = (std::size_t{1} << (k + 1)) - 1;
          const std::int64_t sig = u == (x & mask) ? static_cast<std::int64_t>(x >> (k + 1)) : -1;
          const auto [it, fresh] = signature.emplace(next[node], sig);
          live = fresh || it->second == sig;
        }
        examine(n + k, c, live);
        if (live) k + 1 < n ? bob(k + 1, next) : query(next);
        ++c;
      }
  }

  void query(const std::vector<code_t>& states) {
    const std::size_t alice_inputs = std::size_t{1} << n;
    for (std::size_t c = 0; c < values.size(); ++c) {
      std::set<std::variant<int, rational>> diagonal, off;
      bool live = true;
      for (std::size_t node = 0; node < states.size() && live; ++node) {
        const auto k = a.key(output[step(states[node], values[c])]);
        if (!k) {
          live = false;
          break;
        }
        (node % alice_inputs == node / alice_inputs ? diagonal : off).insert(*k);
      }
      for (const auto& k : diagonal) live = live && !off.count(k);
      examine(2 * n, c, live);
    }
  }
};

}  // namespace

separation_replay check_separation_certificate(const format& f, int n, const separation_search& s,
                                               unsigned threads) {
  separation_replay out;
  if (s.found || !s.complete) {
    out.reason = "only a complete search that found no setting has a certificate to replay";
    return out;
  }
  if (n != s.n) {
    out.reason = "the search was for n = " + std::to_string(s.n);
    return out;
  }
  const std::uint64_t units = separation_units(f);
  struct unit_walk {
    std::vector<std::uint64_t> level_nodes;
    std::uint64_t digest = 0;
  };
  const auto walks = map_units(
      units, 1, threads,
      [&](std::uint64_t u, std::uint64_t) {
        replayer r(f, n);
        r.level_nodes.assign(static_cast<std::size_t>(2 * n + 1), 0);
        r.alice(0, {}, u);
        return unit_walk{r.level_nodes, r.digest};
      },
      [](const unit_walk& w) {
        byte_writer b;
        b.put(w.digest).put_all(w.level_nodes);
        return b.take();
      },
      [](const std::string& bytes) {
        byte_reader b(bytes);
        unit_walk w;
        w.digest = b.get<std::uint64_t>();
        w.level_nodes = b.get_all<std::uint64_t>();
        return w;
      });
  out.level_nodes.assign(static_cast<std::size_t>(2 * n + 1), 0);
  out.digest = fnv1a_start;
  for (const auto& w : walks) {
    out.digest = fnv1a_word(out.digest, w.digest);
    for (std::size_t l = 0; l < w.level_nodes.size(); ++l) out.level_nodes[l] += w.level_nodes[l];
  }
  for (auto v : out.level_nodes) out.nodes += v;
  if (out.level_nodes != s.level_nodes)
    out.reason = "the replay examined other numbers of candidates per level";
  else if (out.digest != s.digest)
    out.reason = "the replay's digest differs: the same counts, other verdicts";
  out.matches = out.reason.empty();
  return out;
}

}  // namespace fpx
