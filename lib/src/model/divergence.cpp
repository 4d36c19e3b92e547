#include "fpx/model/divergence.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace fpx {

using Eigen::Index;

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
        const bool doubles_suffice = x.exact_in != trace_step::exactness::stored && y.exact_in != trace_step::exactness::stored;
        const auto eu = doubles_suffice ? std::nullopt : x.exact_at(i, k), ew = doubles_suffice ? std::nullopt : y.exact_at(i, k);
        if (eu && ew) {  // exact values decide, where both runs have them
          if (*eu == *ew) continue;
          const rational gap = abs(*eu - *ew);
          if (gap > rational(tolerance)) return divergence{x.name, i, k, u, w};
          continue;
        }
        if (u == w || (std::isnan(u) && std::isnan(w))) continue;
        if (!(std::abs(u - w) <= tolerance)) return divergence{x.name, i, k, u, w};
      }
  }
  return std::nullopt;
}

}  // namespace fpx
