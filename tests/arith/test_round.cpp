// Rounding into a format (round.hpp): stochastic rounding's frequencies match distances; NaN,
// infinity and overflow where the format has none or refuses them; the double-rounding trap;
// and format-to-format conversion against the oracle, exhaustively from fp16.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

#include "formats_under_test.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/arith/ops.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/exact/parallel.hpp"
#include "oracle.hpp"

namespace {
std::atomic<std::size_t> mismatches = 0;
}  // namespace

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

TEST_CASE("NaN and infinity where the format has none") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS(fpx::from_double(fpx::preset("e2m1"), nan), std::domain_error);
  CHECK_THROWS_AS(fpx::from_double(fpx::parse_format("fixed:s:3:4"), nan), std::domain_error);
  CHECK_THROWS_AS(fpx::from_double(fpx::parse_format("e2m1:overflow=error"), inf), std::overflow_error);
  CHECK(fpx::from_double(fpx::preset("e2m1"), inf) == 0x7);  // saturates to 6
  const auto e2m1 = fpx::preset("e2m1");
  CHECK_THROWS_AS(fpx::div(e2m1, 0x0, 0x0), std::domain_error);  // 0/0 has no NaN to go to
}

TEST_CASE("overflow under the error policy throws") {
  const auto f = fpx::parse_format("fp16:overflow=error");
  CHECK_THROWS_AS(fpx::from_double(f, 70000.0), std::overflow_error);
  CHECK(fpx::from_double(f, 65519.0) == 0x7bff);  // below the rounding boundary 65520
  const auto q = fpx::parse_format("fixed:s:3:4:overflow=error");
  CHECK_THROWS_AS(fpx::from_double(q, 8.0), std::overflow_error);
}

TEST_CASE("the double-rounding trap: one ulp above a tie rounds up") {
  // 1 + 2^-11 is the fp16 tie between 1 and 1 + 2^-10; the next double above it must round up
  // (a conversion through float would first round it back onto the tie).
  const auto f = fpx::preset("fp16");
  const double tie = 1 + std::ldexp(1.0, -11);
  CHECK(fpx::from_double(f, tie) == 0x3c00);
  CHECK(fpx::from_double(f, std::nextafter(tie, 2.0)) == 0x3c01);
  const auto e4m3 = fpx::preset("e4m3");
  CHECK(fpx::from_double(e4m3, std::ldexp(1.0, -10)) == 0x00);
  CHECK(fpx::from_double(e4m3, std::nextafter(std::ldexp(1.0, -10), 1.0)) == 0x01);
}

TEST_CASE("convert between formats: every fp16 value into each small format") {
  const auto from = fpx::preset("fp16");
  for (const auto& to : fpx_test::small_formats()) {
    fpx::parallel_for(std::size_t{1} << 16, 0, [&](std::uint64_t c) {
      if (fpx::classify(from, c) == fpx::number_class::nan && !to.has_nan()) return;
      for (fpx::round_mode mode : {fpx::round_mode::rne, fpx::round_mode::rtz, fpx::round_mode::up}) {
        const fpx::rounding r{mode, 0};
        oracle::real x;
        if (fpx::classify(from, c) == fpx::number_class::nan) x = oracle::nan();
        else if (fpx::classify(from, c) == fpx::number_class::infinite) x = oracle::infinity(fpx::is_negative(from, c));
        else {
          x = oracle::from_rational(fpx::to_rational(from, c));
          x.negative = fpx::is_negative(from, c);
        }
        const auto want = oracle::round(to, x, r, c);
        bool threw = false;
        fpx::code_t got = 0;
        try {
          got = fpx::convert(from, c, to, r, c);
        } catch (const std::exception&) {
          threw = true;
        }
        if (threw != want.error || (!threw && got != want.code))
          if (++mismatches <= 20)
            FAIL_CHECK(fmt::format("convert fp16 {:#x} -> {} {}", c, to.name(), fpx::to_string(mode)));
      }
    });
  }
  CHECK(mismatches == 0);
}
