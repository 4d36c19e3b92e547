#pragma once
/// What the two equality searches (threshold_search.cpp, class_search.cpp) share: a format's
/// candidate values, the ids outputs are compared by, the mixing of one examined candidate into a
/// walk's digest, and the walk over units with its ordered merge.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <map>
#include <vector>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/format.hpp"
#include "fpx/exact/distributed.hpp"
#include "fpx/exact/fnv.hpp"

namespace fpx::detail {

struct format_values {
  /// The candidate values: every finite value once (-0 left out: it adds like +0 here), in
  /// increasing order.
  std::vector<code_t> values;
  /// Per code, then one more entry for the searches' `overflow` code (-1): equal values share an
  /// id (finite values in order of first code, then -inf and +inf); NaN is -1.
  std::vector<int> value_id;
  int finite_ids = 0;

  explicit format_values(const format& f) {
    const code_t codes = code_t{1} << f.bits();
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
      if (k == number_class::nan)
        value_id.push_back(-1);
      else if (k == number_class::infinite)
        value_id.push_back(static_cast<int>(ids.size()) + (is_negative(f, c) ? 0 : 1));
      else
        value_id.push_back(ids.at(to_rational(f, c)));
    }
    value_id.push_back(-1);  // overflow
    finite_ids = static_cast<int>(ids.size());
    std::sort(values.begin(), values.end(),
              [&](code_t a, code_t b) { return to_rational(f, a) < to_rational(f, b); });
  }
  /// Ids in use: the finite values, -inf, +inf, and one spare.
  int id_count() const { return static_cast<int>(values.size()) + 3; }
};

/// The certificate's digest: FNV-1a over (level, candidate, verdict) of every examined candidate.
inline std::uint64_t certificate_mix(std::uint64_t h, int level, std::uint64_t candidate, bool live) {
  return fnv1a_word(h, (candidate << 9) ^ (static_cast<std::uint64_t>(level) << 1) ^ (live ? 1u : 0u));
}

/// One unit's walk: whether it found a setting (its chosen candidates), whether it ran to its end
/// within its budget, and its certificate (nodes, digest, examined candidates per level).
struct unit_walk {
  bool found = false, complete = true;
  std::vector<std::uint64_t> chosen;
  std::uint64_t nodes = 0, digest = fnv1a_start;
  std::vector<std::uint64_t> level_nodes;
};

/// The units in order up to the first that found a setting (every unit when none did).
struct units_walked {
  bool found = false;
  bool complete = true;  ///< a setting was found, or every unit counted ran to its end
  std::vector<std::uint64_t> chosen, unit_nodes, level_nodes;
  std::uint64_t nodes = 0, digest = fnv1a_start;
};

/// Walks units [0, units) through map_units (threads, or MPI ranks under a distributor):
/// walk(lo, hi, lowest_found) walks one unit and returns its unit_walk; it should stop early once
/// lowest_found (the lowest unit known to have found a setting) is below its unit, since units
/// above it do not count. Every unit below that one runs to its end, so the merge (nodes, digests
/// joined with fnv1a_word in unit order, level counts) does not depend on threads or ranks.
template <class Walk>
units_walked walk_units(std::uint64_t units, int levels, unsigned threads, Walk walk) {
  std::atomic<std::uint64_t> lowest_found{std::numeric_limits<std::uint64_t>::max()};
  const auto parts = map_units(
      units, 1, threads,
      [&](std::uint64_t lo, std::uint64_t hi) {
        if (lowest_found.load() < lo) return unit_walk{};  // not needed
        unit_walk r = walk(lo, hi, static_cast<const std::atomic<std::uint64_t>&>(lowest_found));
        if (r.found)
          for (std::uint64_t seen = lowest_found.load();
               lo < seen && !lowest_found.compare_exchange_weak(seen, lo);) {
          }
        return r;
      },
      [](const unit_walk& r) {
        byte_writer w;
        w.put<std::uint8_t>(r.found).put<std::uint8_t>(r.complete).put(r.nodes).put_all(r.chosen);
        w.put(r.digest).put_all(r.level_nodes);
        return w.take();
      },
      [](const std::string& bytes) {
        byte_reader rd(bytes);
        unit_walk r;
        r.found = rd.get<std::uint8_t>() != 0;
        r.complete = rd.get<std::uint8_t>() != 0;
        r.nodes = rd.get<std::uint64_t>();
        r.chosen = rd.get_all<std::uint64_t>();
        r.digest = rd.get<std::uint64_t>();
        r.level_nodes = rd.get_all<std::uint64_t>();
        return r;
      });
  units_walked out;
  out.level_nodes.assign(static_cast<std::size_t>(levels), 0);
  bool complete = true;
  for (const unit_walk& r : parts) {
    out.nodes += r.nodes;
    out.unit_nodes.push_back(r.nodes);
    out.digest = fnv1a_word(out.digest, r.digest);
    for (std::size_t l = 0; l < r.level_nodes.size() && l < out.level_nodes.size(); ++l)
      out.level_nodes[l] += r.level_nodes[l];
    complete = complete && r.complete;
    if (r.found) {
      out.found = true;
      out.chosen = r.chosen;
      break;
    }
  }
  out.complete = out.found || complete;
  return out;
}

}  // namespace fpx::detail
