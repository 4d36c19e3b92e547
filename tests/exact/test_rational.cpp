// The exact number types: a double's exact value.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <random>

#include "fpx/exact/rational.hpp"

using fpx::pow2;
using fpx::rational;

TEST_CASE("exact_rational gives a double's exact value") {
  CHECK(fpx::exact_rational(0.1) == rational(3602879701896397, fpx::bigint(1) << 55));
  CHECK(fpx::exact_rational(-0x1p-1074) == -pow2(-1074));
  CHECK(fpx::exact_rational(0x1.fffffffffffffp1023) == (2 - pow2(-52)) * pow2(1023));
  CHECK(fpx::exact_rational(-0.0) == 0);
  CHECK(fpx::exact_rational(-6) == -6);
  // Against Boost's own conversion on random bit patterns: every binade, subnormals included.
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const double x = std::bit_cast<double>(rng());
    if (std::isfinite(x)) CHECK(fpx::exact_rational(x) == rational(x));
  }
  CHECK_THROWS_AS(fpx::exact_rational(INFINITY), std::domain_error);
  CHECK_THROWS_AS(fpx::exact_rational(NAN), std::domain_error);
}
