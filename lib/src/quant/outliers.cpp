// SpQR-style outliers: in every scale span, the ceil(F x weights) largest |w| are kept in fp16
// and left out of the scale fit; each costs 16 bits of value and 16 of column index, plus 32
// bits per row.
#include <algorithm>
#include <cmath>

#include "quantizer.hpp"

namespace fpx::detail {

std::size_t outliers_in(double fraction, Index weights) {
  return static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(weights)));
}

// The largest |w| of the span (ties: the lower row-major index) stay in fp16.
void mark_outliers(const Eigen::MatrixXd& w, Index first, Index end, double fraction, std::vector<bool>& outlier) {
  const Index rows = w.rows(), cols = w.cols();
  std::vector<Index> index;
  for (Index r = 0; r < rows; ++r)
    for (Index c = first; c < end; ++c) {
      outlier[static_cast<std::size_t>(r * cols + c)] = false;
      index.push_back(r * cols + c);
    }
  const std::size_t keep = std::min(index.size(), outliers_in(fraction, static_cast<Index>(index.size())));
  if (keep == 0) return;
  const auto magnitude = [&](Index i) { return std::abs(w(i / cols, i % cols)); };
  std::partial_sort(index.begin(), index.begin() + static_cast<std::ptrdiff_t>(keep), index.end(),
                    [&](Index a, Index b) { return magnitude(a) != magnitude(b) ? magnitude(a) > magnitude(b) : a < b; });
  for (std::size_t k = 0; k < keep; ++k) outlier[static_cast<std::size_t>(index[k])] = true;
}

double outlier_bits(double fraction, Index rows, Index cols, Index span) {
  if (fraction <= 0) return 0;
  double kept = 0;
  for (Index c0 = 0; c0 < cols; c0 += span)
    kept += static_cast<double>(outliers_in(fraction, rows * std::min(span, cols - c0)));
  return 32 * kept + 32 * static_cast<double>(rows);  // fp16 value + column; row starts
}

}  // namespace fpx::detail
