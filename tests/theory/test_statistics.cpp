// Least-squares lines and the confidence interval of the slope.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "fpx/theory/statistics.hpp"

TEST_CASE("the line fit recovers a known slope, and its interval covers it") {
  std::vector<double> x, y;
  for (int i = 0; i < 10; ++i) {
    x.push_back(i);
    y.push_back(3 - 0.5 * i + (i % 2 ? 0.01 : -0.01));
  }
  const fpx::line_fit f = fpx::fit_line(x, y);
  CHECK(f.slope == doctest::Approx(-0.5).epsilon(0.01));
  CHECK(f.slope_low < -0.5);
  CHECK(f.slope_high > -0.5);
  CHECK(f.slope_high - f.slope_low < 0.01);
  CHECK(f.r_squared > 0.999);
  CHECK_THROWS_AS(fpx::fit_line({1, 1, 1}, {1, 2, 3}), std::invalid_argument);
}
