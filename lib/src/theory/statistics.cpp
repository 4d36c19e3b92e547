#include "fpx/theory/statistics.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <stdexcept>

namespace fpx {

line_fit fit_line(const std::vector<double>& x, const std::vector<double>& y, double confidence) {
  if (x.size() != y.size()) throw std::invalid_argument("fit_line: x and y differ in length");
  if (x.size() < 3) throw std::invalid_argument("fit_line: needs at least three points");
  if (!(confidence > 0 && confidence < 1)) throw std::invalid_argument("fit_line: confidence must be in (0, 1)");
  const double n = static_cast<double>(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) throw std::invalid_argument("fit_line: a point is not finite");
    mx += x[i] / n;
    my += y[i] / n;
  }
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0) throw std::invalid_argument("fit_line: all x are equal");
  line_fit f;
  f.points = x.size();
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  double residual = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double e = y[i] - f.intercept - f.slope * x[i];
    residual += e * e;
  }
  f.r_squared = syy > 0 ? 1 - residual / syy : 1;
  const double standard_error = std::sqrt(residual / (n - 2) / sxx);
  const boost::math::students_t t(n - 2);
  const double half = boost::math::quantile(t, 0.5 + confidence / 2) * standard_error;
  f.slope_low = f.slope - half;
  f.slope_high = f.slope + half;
  return f;
}

}  // namespace fpx
