// Conversions from double at every rounding boundary, one double-ulp either side, for every
// format up to 16 bits and every mode; and format-to-format conversion, exhaustively.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <cmath>

#include "formats_under_test.hpp"
#include "fpx/codec.hpp"
#include "fpx/round.hpp"
#include "oracle.hpp"
#include "parallel.hpp"

namespace {

std::atomic<std::size_t> mismatches = 0;

void check_double(const fpx::format& f, double x, std::uint64_t site) {
  for (fpx::round_mode mode : fpx::all_round_modes) {
    const fpx::rounding r{mode, 99};
    oracle::real exact = std::isnan(x)   ? oracle::nan()
                         : std::isinf(x) ? oracle::infinity(x < 0)
                                         : oracle::from_rational(fpx::rational(x));
    exact.negative = std::signbit(x);
    const auto want = oracle::round(f, exact, r, site);
    bool threw = false;
    fpx::code_t got = 0;
    try {
      got = fpx::from_double(f, x, r, site);
    } catch (const std::exception&) {
      threw = true;
    }
    if (threw != want.error || (!threw && got != want.code)) {
      if (++mismatches <= 20)
        FAIL_CHECK(fmt::format("{} from_double({:a}) {}: library {:#x}{} oracle {:#x}{}", f.name(), x,
                               fpx::to_string(mode), got, threw ? " (threw)" : "", want.code,
                               want.error ? " (error)" : ""));
    }
  }
}

}  // namespace

TEST_CASE("from_double at every boundary and one double-ulp either side") {
  auto formats = fpx_test::small_formats();
  for (const char* wide : {"fp16", "bf16"}) formats.push_back(fpx::parse_format(wide));
  for (const auto& f : formats) {
    const auto codes = fpx::finite_codes(f);
    std::atomic<std::size_t> points = 0;
    fpx_test::parallel_for(codes.size(), [&](std::size_t i) {
      const double v = fpx::to_double(f, codes[i]);
      std::vector<double> xs{v, -v};
      if (i + 1 < codes.size()) {
        // The midpoint to the next value; beyond the largest, the midpoint to the next value
        // the unbounded grid would have (where overflow starts).
        const double next = fpx::to_double(f, codes[i + 1]);
        xs.push_back(v + (next - v) / 2);
      } else {
        xs.push_back(v + (v - fpx::to_double(f, codes[i - 1])) / 2);
        xs.push_back(2 * v);
      }
      for (double x : std::vector<double>(xs))
        for (double y : {std::nextafter(x, -double(INFINITY)), std::nextafter(x, double(INFINITY))}) xs.push_back(y);
      for (double x : xs) check_double(f, x, i);
      points += xs.size();
    });
    MESSAGE(fmt::format("{}: {} boundary points x 7 modes", f.name(), points.load()));
    CHECK(points > 3 * codes.size());
  }
  for (double special : {0.0, -0.0, double(INFINITY), -double(INFINITY), double(NAN), 1e-320, -1e308})
    for (const auto& f : formats) check_double(f, special, 0);
  CHECK(mismatches == 0);
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
    fpx_test::parallel_for(std::size_t{1} << 16, [&](std::size_t c) {
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
