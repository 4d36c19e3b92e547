// Rounding into a format (round.hpp): stochastic rounding's frequencies match distances; NaN,
// infinity and overflow where the format has none or refuses them; the double-rounding trap;
// and format-to-format conversion against the oracle, exhaustively from fp16.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
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

TEST_CASE("stochastic:bits=K rounds away with probability floor(2^K f) / 2^K, not f") {
  // fp16 at 1 + f ulps (ulp 2^-10). Hand-derived: f = 0.3 gives floor(0.6) = 0 with one bit
  // (never away), floor(1.2) / 4 = 1/4 with two, floor(76.8) / 256 = 76/256 with eight;
  // f = 0.999 with one bit gives 1/2.
  const auto f = fpx::preset("fp16");
  const std::size_t n = 200'000;
  struct row {
    double fraction;
    unsigned k;
    double p;
  };
  for (const row& c : {row{0.3, 1, 0.0}, row{0.3, 2, 0.25}, row{0.3, 8, 76.0 / 256}, row{0.999, 1, 0.5}}) {
    for (double sign : {1.0, -1.0}) {
      const double x = sign * (1 + c.fraction * 0x1p-10);
      const fpx::code_t away = sign > 0 ? 0x3c01 : 0xbc01;
      std::size_t ups = 0;
      for (std::size_t site = 0; site < n; ++site)
        ups += fpx::from_double(f, x, {fpx::round_mode::stochastic, 42, c.k}, site) == away;
      const double sigma = std::sqrt(n * c.p * (1 - c.p));
      CAPTURE(c.fraction);
      CAPTURE(c.k);
      CAPTURE(sign);
      if (c.p == 0) CHECK(ups == 0);
      else CHECK(std::abs(static_cast<double>(ups) - n * c.p) < 5 * sigma);
    }
  }
}

TEST_CASE("stochastic_bias: the exact expected error of each stochastic rule") {
  using fpx::rational;
  const auto fp16 = fpx::preset("fp16");
  const rational ulp = fpx::pow2(-10);
  const rational x = 1 + rational(3, 10) * ulp;  // 1 + 0.3 ulp, exactly
  auto rule = [](unsigned k) { return fpx::rounding{fpx::round_mode::stochastic, 5, k}; };
  // Two bits: P(away) = 1/4, so the mean is 1 + ulp/4: bias (1/4 - 3/10) ulp = -ulp/20.
  CHECK(fpx::stochastic_bias(fp16, x, rule(2)) == -ulp / 20);
  CHECK(fpx::stochastic_bias(fp16, -x, rule(2)) == ulp / 20);  // toward zero for either sign
  CHECK(fpx::stochastic_bias(fp16, x, rule(1)) == -rational(3, 10) * ulp);  // never away
  // The exact rule: P = ceil(2^32 * 0.3) / 2^32 = 1288490189 / 2^32 (2^32 * 0.3 = 1288490188.8).
  CHECK(fpx::stochastic_bias(fp16, x, rule(0)) == (rational(1288490189) / fpx::pow2(32) - rational(3, 10)) * ulp);
  // A value of the format has no bias; neither has f = 1/2 with any K.
  CHECK(fpx::stochastic_bias(fp16, rational(3, 2), rule(3)) == 0);
  CHECK(fpx::stochastic_bias(fp16, 1 + ulp / 2, rule(1)) == 0);
  // The binary grid {-1, 1} measures from -1: x = 1/4 is v = 5/8 of the way, so P(1) = 1/2
  // with one or two bits (mean 0, bias -1/4) and 5/8 with three (mean 1/4, no bias).
  const auto s1 = fpx::parse_format("s1");
  CHECK(fpx::stochastic_bias(s1, rational(1, 4), rule(1)) == rational(-1, 4));
  CHECK(fpx::stochastic_bias(s1, rational(1, 4), rule(2)) == rational(-1, 4));
  CHECK(fpx::stochastic_bias(s1, rational(1, 4), rule(3)) == 0);
  // Deterministic rules and values beyond the finite range are refused.
  CHECK_THROWS_AS(fpx::stochastic_bias(fp16, x, {}), std::invalid_argument);
  CHECK_THROWS_AS(fpx::stochastic_bias(fp16, rational(70000), rule(2)), std::domain_error);
  // The bias is what the rounding does: the mean of many roundings of x lies within 5 standard
  // deviations of x + bias (4 bits: P = floor(4.8) / 16 = 1/4).
  const std::size_t n = 100'000;
  double sum = 0;
  for (std::size_t site = 0; site < n; ++site)
    sum += fpx::to_double(fp16, fpx::from_rational(fp16, x, rule(4), site)) - 1;
  const double expected = static_cast<double>(x - 1 + fpx::stochastic_bias(fp16, x, rule(4)));
  CHECK(std::abs(sum / n - expected) < 5 * std::sqrt(0.25 * 0.75 / n) * 0x1p-10);
}

TEST_CASE("stochastic_bias against its definition over small formats, from their sorted values") {
  // Independently of from_rational: the neighbours of x from the sorted list of values, the
  // fraction f from the one toward zero (from -s on the binary grid), P = ceil(2^32 f) / 2^32 or
  // floor(2^K f) / 2^K. Points at 1/7 .. 6/7 of every gap: binade edges, subnormals, formats
  // without subnormals, grids with scales that are not powers of two.
  using fpx::rational;
  for (const char* name : {"e2m1", "e3m2", "e2m2:nosub", "int4:scale=0.25", "uint4:zero=3:scale=1/3", "s1:scale=3/4",
                           "ternary:scale=0.7"}) {
    const auto f = fpx::parse_format(name);
    std::vector<rational> values;
    for (fpx::code_t c : fpx::finite_codes(f)) values.push_back(fpx::to_rational(f, c));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    const bool binary = f.grid() && f.grid()->binary;
    std::size_t checked = 0;
    for (std::size_t i = 0; i + 1 < values.size(); ++i)
      for (int j = 1; j < 7; ++j) {
        const rational lo = values[i], hi = values[i + 1], x = lo + (hi - lo) * j / 7;
        const bool from_lo = binary || x > 0;
        const rational T = from_lo ? lo : hi, A = from_lo ? hi : lo;
        const rational frac = rational(j, 7) * (from_lo ? 1 : -1) + (from_lo ? 0 : 1);  // |x - T| / (hi - lo)
        for (unsigned k : {0u, 1u, 5u}) {
          const unsigned bits = k == 0 ? 32 : k;
          const rational scaled = frac * fpx::pow2(bits);
          fpx::bigint n = numerator(scaled) / denominator(scaled);
          if (k == 0 && n * denominator(scaled) != numerator(scaled)) ++n;
          const rational want = T + (A - T) * rational(n) / fpx::pow2(bits) - x;
          CHECK_MESSAGE(fpx::stochastic_bias(f, x, {fpx::round_mode::stochastic, 0, k}) == want,
                        fmt::format("{} x = {} K = {}", name, static_cast<double>(x), k));
          ++checked;
        }
      }
    CHECK(checked >= 18);  // s1 has one gap: 6 points x 3 rules
  }
}

TEST_CASE("a rule no name gives is refused by every entry point") {
  const auto fp16 = fpx::preset("fp16");
  const fpx::rounding too_many{fpx::round_mode::stochastic, 1, 40}, deterministic_bits{fpx::round_mode::rne, 0, 5};
  for (const fpx::rounding& r : {too_many, deterministic_bits}) {
    CHECK_THROWS_AS(fpx::from_double(fp16, 1.0 + 0x1p-12, r, 0), std::invalid_argument);
    CHECK_THROWS_AS(fpx::from_rational(fp16, fpx::rational(1, 3), r, 0), std::invalid_argument);
    CHECK_THROWS_AS(fpx::stochastic_bias(fp16, fpx::rational(1, 3), r), std::invalid_argument);
  }
}

TEST_CASE("stochastic:bits=K by name: K in 1..32, a seed required, the name read back") {
  CHECK(fpx::rounding_of("stochastic:bits=8", 1) == fpx::rounding{fpx::round_mode::stochastic, 1, 8});
  for (const fpx::rounding& r : fpx_test::rules_under_test(7))
    CHECK(fpx::rounding_of(fpx::rounding_name(r), r.mode == fpx::round_mode::stochastic ? std::optional<std::uint64_t>(7) : std::nullopt) == r);
  for (const char* bad : {"stochastic:bits=0", "stochastic:bits=33", "stochastic:bits=", "stochastic:bits=8x",
                          "stochastic:bits=-1", "rne:bits=8", "stochastic:bit=8"})
    CHECK_THROWS_AS(fpx::rounding_of(bad, 1), std::invalid_argument);
  CHECK_THROWS_AS(fpx::rounding_of("stochastic:bits=8", std::nullopt), std::invalid_argument);
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
