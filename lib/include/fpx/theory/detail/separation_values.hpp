#pragma once
/// What the two equality searches (threshold_search.cpp, class_search.cpp) share: a format's
/// candidate values, the ids outputs are compared by, and the mixing of one examined candidate
/// into a walk's digest.

#include <algorithm>
#include <cstdint>
#include <map>
#include <vector>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/format.hpp"
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

}  // namespace fpx::detail
