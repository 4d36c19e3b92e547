#pragma once
/// Statistics of measurements: least-squares lines with the confidence interval of the slope.

#include <cstddef>
#include <vector>

namespace fpx {

/// Least squares y = intercept + slope x with the two-sided confidence interval of the slope
/// (Student t with n - 2 degrees of freedom); needs at least three points.
struct line_fit {
  double slope = 0, intercept = 0, slope_low = 0, slope_high = 0, r_squared = 0;
  std::size_t points = 0;
};
line_fit fit_line(const std::vector<double>& x, const std::vector<double>& y, double confidence = 0.95);

}  // namespace fpx
