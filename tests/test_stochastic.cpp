// Stochastic rounding: frequencies match distances, and the same seed gives the same bits
// whatever the thread count or order.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "fpx/codec.hpp"
#include "fpx/round.hpp"
#include "parallel.hpp"

TEST_CASE("the frequency of rounding up matches the distance, within 5 standard deviations") {
  const auto f = fpx::preset("fp16");
  const std::size_t n = 200'000;
  for (double fraction : {0.5, 0.3, 0.01, 0.999}) {
    // 1 + fraction ulps (ulp of 1 in fp16 is 2^-10): neighbours 0x3c00 and 0x3c01.
    const double x = 1 + fraction * std::ldexp(1.0, -10);
    std::size_t ups = 0;
    for (std::size_t site = 0; site < n; ++site)
      ups += fpx::from_double(f, x, {fpx::round_mode::stochastic, 42}, site) == 0x3c01;
    const double p = fraction, sigma = std::sqrt(n * p * (1 - p));
    CAPTURE(fraction);
    CHECK(std::abs(static_cast<double>(ups) - n * p) < 5 * sigma);
  }
  // Exact values never move.
  for (std::size_t site = 0; site < 1000; ++site)
    CHECK(fpx::from_double(f, 1.5, {fpx::round_mode::stochastic, 1}, site) == 0x3e00);
}

TEST_CASE("negative values: the probability of moving away from zero is the distance") {
  const auto f = fpx::preset("e4m3");
  const std::size_t n = 100'000;
  const double x = -(1 + 0.25 * 0.125);  // a quarter of the way from -1 to -1.125
  std::size_t away = 0;
  for (std::size_t site = 0; site < n; ++site)
    away += fpx::to_double(f, fpx::from_double(f, x, {fpx::round_mode::stochastic, 9}, site)) == -1.125;
  CHECK(std::abs(static_cast<double>(away) - 0.25 * n) < 5 * std::sqrt(n * 0.25 * 0.75));
}

TEST_CASE("same seed, same bits: independent of thread split and order") {
  const auto f = fpx::preset("bf16");
  std::vector<double> xs(50'000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = std::sin(static_cast<double>(i)) * 1000;
  const fpx::rounding r{fpx::round_mode::stochastic, 12345};
  const auto sequential = fpx::from_doubles(f, xs, r);
  std::vector<fpx::code_t> parallel(xs.size()), reversed(xs.size());
  fpx_test::parallel_for(xs.size(), [&](std::size_t i) { parallel[i] = fpx::from_double(f, xs[i], r, i); });
  for (std::size_t i = xs.size(); i-- > 0;) reversed[i] = fpx::from_double(f, xs[i], r, i);
  CHECK(sequential == parallel);
  CHECK(sequential == reversed);
  const auto other_seed = fpx::from_doubles(f, xs, {fpx::round_mode::stochastic, 12346});
  CHECK(sequential != other_seed);
}
