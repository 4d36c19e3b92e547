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

TEST_CASE("number literals: exact values, and exponents bounded") {
  CHECK(fpx::parse_rational("2.5e-3") == rational(1, 400));
  CHECK(fpx::parse_rational("-0x1.8p-2") == rational(-3, 8));
  CHECK(fpx::parse_rational("1/3") == rational(1, 3));
  const fpx::bigint ten_k = boost::multiprecision::pow(fpx::bigint(10), 10000);
  CHECK(fpx::parse_rational("1e10000") == rational(ten_k));
  CHECK(fpx::parse_rational("0.5e-9999") == rational(fpx::bigint(5), ten_k));
  CHECK(fpx::parse_rational("0x1p-10000") == pow2(-10000));
  // Found by fuzz_number: "2.5e+156123" took seconds to normalise; the bound was checked before
  // the last digit, so an exponent up to 1000009 was read.
  for (const char* text : {"2.5e+156123", "1e10001", "1e-10001", "0x1p10001", "1e100009"})
    CHECK_THROWS_WITH_AS(fpx::parse_rational(text), doctest::Contains("exponent beyond 10000"),
                         std::invalid_argument);
  // Found by fuzz_format_name: ".0222/59220e9805/..." chained literals near the exponent bound
  // into numbers too long to print back within the fuzzer's time limit. One '/' only.
  CHECK(fpx::parse_rational("-1e10000/3") == rational(-ten_k, 3));
  for (const char* text : {"1/2/3", ".0222/59220e9805/1e9000", "1/-2/3"})
    CHECK_THROWS_WITH_AS(fpx::parse_rational(text), doctest::Contains("more than one '/'"),
                         std::invalid_argument);
}
