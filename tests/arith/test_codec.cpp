// Decoding against the oracle's textbook decoder, for every code of every format up to 16 bits.
#include <doctest/doctest.h>

#include <cmath>

#include "formats_under_test.hpp"
#include "fpx/arith/codec.hpp"
#include "oracle.hpp"
#include "fpx/arith/ops.hpp"
#include "fpx/arith/dot.hpp"
#include "fpx/arith/round.hpp"

TEST_CASE("every code decodes as the textbook formula says") {
  auto formats = fpx_test::small_formats();
  for (const char* wide : {"fp16", "bf16", "fixed:s:7:8", "e5m10_fnuz", "e6m9_finite"})
    formats.push_back(fpx::parse_format(wide));
  for (const auto& f : formats) {
    CAPTURE(f.name());
    std::size_t finite = 0;
    for (fpx::code_t c = 0; c < (fpx::code_t{1} << f.bits()); ++c) {
      const auto want = oracle::decode(f, c);
      if (!fpx::is_valid_code(f, c)) {
        CHECK_FALSE(want.has_value());
        continue;
      }
      const auto cls = fpx::classify(f, c);
      if (oracle::decode_is_nan(f, c)) {
        REQUIRE(cls == fpx::number_class::nan);
      } else if (!want) {
        REQUIRE(cls == fpx::number_class::infinite);
      } else {
        REQUIRE(fpx::to_rational(f, c) == *want);
        // to_double is exact for dyadic formats, within half a double-ulp for the others.
        const double d = fpx::to_double(f, c);
        if (f.is_dyadic()) REQUIRE(fpx::rational(d) == *want);
        else REQUIRE(abs(fpx::rational(d) - *want) <= fpx::rational(std::ldexp(std::abs(d), -53)));
        ++finite;
      }
    }
    CHECK(finite > 0);
    // finite_codes lists each distinct value once, sorted.
    const auto codes = fpx::finite_codes(f);
    CHECK(static_cast<double>(codes.size()) == doctest::Approx(std::exp2(f.information_bits())));
    for (std::size_t i = 1; i < codes.size(); ++i)
      REQUIRE(fpx::to_rational(f, codes[i - 1]) < fpx::to_rational(f, codes[i]));
  }
}

TEST_CASE("special codes") {
  CHECK(fpx::nan_code(fpx::preset("e4m3")) == 0x7f);
  CHECK(fpx::nan_code(fpx::preset("e4m3fnuz")) == 0x80);
  CHECK(fpx::nan_code(fpx::preset("e5m2")) == 0x7e);
  CHECK(fpx::nan_code(fpx::preset("e8m0")) == 0xff);
  CHECK(fpx::inf_code(fpx::preset("fp16"), true) == 0xfc00);
  CHECK(fpx::max_code(fpx::preset("e4m3"), false) == 0x7e);
  CHECK(fpx::zero_code(fpx::preset("fp16"), true) == 0x8000);
  CHECK(fpx::zero_code(fpx::preset("e4m3fnuz"), true) == 0x00);
  CHECK_THROWS_AS(fpx::inf_code(fpx::preset("e4m3"), false), std::domain_error);
  CHECK_THROWS_AS(fpx::zero_code(fpx::preset("e8m0"), false), std::domain_error);
}

TEST_CASE("misuse of grids and codes") {
  CHECK_THROWS_AS(fpx::add(fpx::parse_format("int4:scale=0.3"), 1, 1), std::invalid_argument);
  CHECK_THROWS_AS(fpx::from_double(fpx::parse_format("s1"), 0.5, {fpx::round_mode::rtz}),
                  std::invalid_argument);
  CHECK_THROWS_AS(fpx::to_rational(fpx::parse_format("ternary"), 0b10), std::invalid_argument);
  CHECK_THROWS_AS(fpx::to_rational(fpx::preset("e4m3"), 0x100), std::invalid_argument);
  CHECK_THROWS_AS(fpx::to_rational(fpx::preset("e4m3"), 0x7f), std::domain_error);
  const std::vector<fpx::code_t> a{1, 2}, b{1};
  CHECK_THROWS_WITH_AS(fpx::dot(fpx::preset("fp16"), a, b, fpx::preset("fp16")),
                       doctest::Contains("lengths differ"), std::invalid_argument);
}
