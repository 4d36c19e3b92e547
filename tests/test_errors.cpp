// Bad input gets a clear error, never a silent wrong number.
#include <doctest/doctest.h>

#include <limits>

#include "fpx/arith.hpp"
#include "fpx/codec.hpp"
#include "fpx/dot.hpp"
#include "fpx/fast_arith.hpp"
#include "fpx/round.hpp"

TEST_CASE("impossible format parameters are rejected with the reason") {
  CHECK_THROWS_WITH_AS(fpx::parse_format("e0m0"), doctest::Contains("exponent bits"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::parse_format("e5m53"), doctest::Contains("mantissa bits"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::parse_format("fixed:s:-1:4"), doctest::Contains("nonnegative"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_format("e4m0"), std::invalid_argument);  // IEEE needs M >= 1
  CHECK_THROWS_AS(fpx::parse_format("fp17"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_format("int4:zero=2"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_format("ternary:scale=0"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_format("e2m1:overflow=inf"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_format("fixed:s:3:4:overflow=nan"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_round_mode("nearest"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_rational("1.2.3"), std::invalid_argument);
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

TEST_CASE("misuse of grids and codes") {
  CHECK_THROWS_AS(fpx::add(fpx::parse_format("int4:scale=0.3"), 1, 1), std::invalid_argument);
  CHECK_THROWS_AS(fpx::from_double(fpx::parse_format("binary"), 0.5, {fpx::round_mode::rtz}),
                  std::invalid_argument);
  CHECK_THROWS_AS(fpx::to_rational(fpx::parse_format("ternary"), 0b10), std::invalid_argument);
  CHECK_THROWS_AS(fpx::to_rational(fpx::preset("e4m3"), 0x100), std::invalid_argument);
  CHECK_THROWS_AS(fpx::to_rational(fpx::preset("e4m3"), 0x7f), std::domain_error);
  const std::vector<fpx::code_t> a{1, 2}, b{1};
  CHECK_THROWS_WITH_AS(fpx::dot(fpx::preset("fp16"), a, b, fpx::preset("fp16")),
                       doctest::Contains("lengths differ"), std::invalid_argument);
}

TEST_CASE("the fast paths refuse codes the format does not have, wherever they sit in a batch") {
  struct bad_code {
    const char* format;
    fpx::arithmetic_path path;
    fpx::code_t code;
  };
  for (const auto& [name, path, code] : {bad_code{"e4m3", fpx::arithmetic_path::table, 0x100},
                                         bad_code{"e2m1", fpx::arithmetic_path::table, 0x10},
                                         bad_code{"int8", fpx::arithmetic_path::table, 0x80},  // level -128
                                         bad_code{"fixed:s:7:8", fpx::arithmetic_path::integer, 0x10000},
                                         bad_code{"int16", fpx::arithmetic_path::integer, 0x8000},
                                         bad_code{"fp16", fpx::arithmetic_path::float64, 0x10000},
                                         bad_code{"bf16", fpx::arithmetic_path::float64, 0x1ffff}}) {
    const auto f = fpx::parse_format(name);
    const fpx::fast_arith fast(f, {}, path);
    REQUIRE(fast.path() == path);
    CHECK_THROWS_AS(fpx::add(f, code, 1), std::invalid_argument);
    // Seven elements: the first four go through the vector loops, the rest through their tails.
    for (std::size_t at : {1, 6})
      for (bool left : {true, false}) {
        std::vector<fpx::code_t> a(7, 1), b(7, 2), out(7);
        (left ? a : b)[at] = code;
        const std::string label = name;
        CAPTURE(label);
        CAPTURE(at);
        CHECK_THROWS_AS(fast.add(a, b, out), std::invalid_argument);
        CHECK_THROWS_AS(fast.mul(a, b, out), std::invalid_argument);
        if (code > 0xff) continue;
        // The same codes stored in bytes.
        const std::vector<std::uint8_t> a8(a.begin(), a.end()), b8(b.begin(), b.end());
        std::vector<std::uint8_t> out8(7);
        CHECK_THROWS_AS(fast.add(a8, b8, out8), std::invalid_argument);
        CHECK_THROWS_AS(fast.mul(a8, b8, out8), std::invalid_argument);
      }
  }
}

TEST_CASE("codes in bytes: the table path only, operands and outputs of one length") {
  const std::vector<std::uint8_t> a(4, 1), b(4, 2), three(3);
  std::vector<std::uint8_t> out(4), short_out(3);
  CHECK_THROWS_WITH_AS(fpx::fast_arith(fpx::preset("fp16")).add(a, b, out),
                       "fast_arith: codes in bytes take the table path only; fp16 is on the float64 path",
                       std::invalid_argument);
  const fpx::fast_arith e4m3(fpx::preset("e4m3"));
  CHECK_THROWS_AS(e4m3.add(a, b, short_out), std::invalid_argument);
  CHECK_THROWS_AS(e4m3.mul(a, three, out), std::invalid_argument);
  e4m3.add(a, b, out);  // 2^-9 + 2^-8: the subnormals 1 and 2 add exactly to 3
  CHECK(out == std::vector<std::uint8_t>(4, 3));
}
