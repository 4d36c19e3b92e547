// Format properties against hand-derived values, and names that parse back to the same format.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <optional>
#include <random>

#include "formats_under_test.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/arith/format.hpp"
#include "fpx/arith/rounding.hpp"

using fpx::pow2;
using fpx::rational;

TEST_CASE("preset properties match their specifications") {
  struct row {
    const char* name;
    int bits;
    rational max, min_normal, min_positive, epsilon;
  };
  // Values from the IEEE 754, OCP FP8 and OCP MX specifications.
  const row rows[] = {
      {"fp64", 64, (2 - pow2(-52)) * pow2(1023), pow2(-1022), pow2(-1074), pow2(-52)},
      {"fp32", 32, (2 - pow2(-23)) * pow2(127), pow2(-126), pow2(-149), pow2(-23)},
      {"tf32", 19, (2 - pow2(-10)) * pow2(127), pow2(-126), pow2(-136), pow2(-10)},
      {"bf16", 16, (2 - pow2(-7)) * pow2(127), pow2(-126), pow2(-133), pow2(-7)},
      {"fp16", 16, 65504, pow2(-14), pow2(-24), pow2(-10)},
      {"e5m2", 8, 57344, pow2(-14), pow2(-16), pow2(-2)},
      {"e4m3", 8, 448, pow2(-6), pow2(-9), pow2(-3)},
      {"e4m3_ieee", 8, 240, pow2(-6), pow2(-9), pow2(-3)},
      {"e4m3fnuz", 8, 240, pow2(-7), pow2(-10), pow2(-3)},
      {"e5m2fnuz", 8, 57344, pow2(-15), pow2(-17), pow2(-2)},
      {"e3m2", 6, 28, pow2(-2), pow2(-4), pow2(-2)},
      {"e2m3", 6, rational(15, 2), 1, pow2(-3), pow2(-3)},
      {"e2m1", 4, 6, 1, rational(1, 2), rational(1, 2)},
      {"e8m0", 8, pow2(127), pow2(-127), pow2(-127), 1},
  };
  for (const auto& r : rows) {
    CAPTURE(r.name);
    const auto f = fpx::preset(r.name);
    CHECK(f.bits() == r.bits);
    CHECK(fpx::max_value(f) == r.max);
    CHECK(fpx::min_normal(f) == r.min_normal);
    CHECK(fpx::min_positive(f) == r.min_positive);
    CHECK(fpx::epsilon(f) == r.epsilon);
    CHECK(f.name() == r.name);
  }
  CHECK(fpx::preset("e4m3").has_nan());
  CHECK_FALSE(fpx::preset("e4m3").has_inf());
  CHECK_FALSE(fpx::preset("e4m3fnuz").has_negative_zero());
  CHECK_FALSE(fpx::preset("e2m1").has_nan());
  CHECK(fpx::preset("fp16").overflow() == fpx::overflow_policy::inf);
  CHECK(fpx::preset("e2m1").overflow() == fpx::overflow_policy::saturate);
}

TEST_CASE("the names users know from ml_dtypes and PyTorch: the published numbers") {
  // Largest value, smallest normal, smallest subnormal and the special values, as the OCP FP8
  // (E4M3, E5M2) and MX v1.0 (FP6, FP4, E8M0) specifications, IEEE 754 (binary16/32/64),
  // bfloat16 and the FNUZ FP8 formats (no -0, NaN is the -0 pattern 0x80, bias one larger)
  // publish them; the alias must name exactly that format.
  struct row {
    const char* alias;
    rational max, min_normal, min_subnormal;
    bool inf, nan, negative_zero;
    std::optional<fpx::code_t> nan_pattern, inf_pattern;
  };
  using code = std::optional<fpx::code_t>;
  const row rows[] = {
      {"float8_e4m3fn", 448, pow2(-6), pow2(-9), false, true, true, code{0x7f}, {}},
      {"e4m3fn", 448, pow2(-6), pow2(-9), false, true, true, code{0x7f}, {}},
      {"float8_e5m2", 57344, pow2(-14), pow2(-16), true, true, true, {}, code{0x7c}},
      {"float8_e4m3fnuz", 240, pow2(-7), pow2(-10), false, true, false, code{0x80}, {}},
      {"float8_e5m2fnuz", 57344, pow2(-15), pow2(-17), false, true, false, code{0x80}, {}},
      {"float8_e8m0fnu", pow2(127), pow2(-127), pow2(-127), false, true, false, code{0xff}, {}},
      {"float6_e2m3fn", rational(15, 2), 1, pow2(-3), false, false, true, {}, {}},
      {"float6_e3m2fn", 28, pow2(-2), pow2(-4), false, false, true, {}, {}},
      {"float4_e2m1fn", 6, 1, rational(1, 2), false, false, true, {}, {}},
      {"bfloat16", (2 - pow2(-7)) * pow2(127), pow2(-126), pow2(-133), true, true, true, {}, code{0x7f80}},
      {"float16", 65504, pow2(-14), pow2(-24), true, true, true, {}, code{0x7c00}},
      {"float32", (2 - pow2(-23)) * pow2(127), pow2(-126), pow2(-149), true, true, true, {}, code{0x7f800000}},
      {"float64", (2 - pow2(-52)) * pow2(1023), pow2(-1022), pow2(-1074), true, true, true, {}, code{0x7ff0000000000000}},
  };
  for (const auto& r : rows) {
    CAPTURE(r.alias);
    const auto f = fpx::parse_format(r.alias);
    CHECK(fpx::max_value(f) == r.max);
    CHECK(fpx::lowest_value(f) == (r.alias == std::string("float8_e8m0fnu") ? pow2(-127) : rational(-r.max)));
    CHECK(fpx::min_normal(f) == r.min_normal);
    CHECK(fpx::min_positive(f) == r.min_subnormal);
    CHECK(f.has_inf() == r.inf);
    CHECK(f.has_nan() == r.nan);
    CHECK(f.has_negative_zero() == r.negative_zero);
    if (r.nan_pattern) CHECK(fpx::nan_code(f) == *r.nan_pattern);
    if (r.inf_pattern) CHECK(fpx::inf_code(f, false) == *r.inf_pattern);
    // The alias is the preset: the same format, named by the preset, from parse_format and preset().
    CHECK(fpx::preset(r.alias) == f);
    CHECK(fpx::parse_format(f.name()) == f);
    CHECK(f.name() != r.alias);
    CHECK(fpx::parse_format(std::string(r.alias) + ":overflow=error") == f.with_overflow(fpx::overflow_policy::error));
  }
  // e4m3fn is OCP's E4M3 (max 448), not the IEEE-style e4m3_ieee (max 240, with infinities).
  CHECK(fpx::parse_format("e4m3fn") != fpx::preset("e4m3_ieee"));
  const auto names = fpx::format_aliases();
  CHECK(names.size() == std::size(rows));
}

TEST_CASE("grids: fixed point, INTn, asymmetric, ternary, S1 and U1") {
  const auto q = fpx::parse_format("fixed:s:3:12");
  CHECK(q.bits() == 16);
  CHECK(fpx::max_value(q) == 8 - pow2(-12));
  CHECK(fpx::lowest_value(q) == -8);
  const auto u = fpx::parse_format("fixed:u:4:4");
  CHECK(fpx::lowest_value(u) == 0);
  CHECK(fpx::max_value(u) == 16 - pow2(-4));
  const auto i4 = fpx::parse_format("int4:scale=0.5");
  CHECK(fpx::max_value(i4) == rational(7, 2));
  CHECK(fpx::lowest_value(i4) == rational(-7, 2));
  const auto a = fpx::parse_format("uint4:zero=3:scale=1/3");
  CHECK(fpx::lowest_value(a) == -1);
  CHECK(fpx::max_value(a) == 4);
  CHECK_FALSE(a.is_dyadic());
  const auto t = fpx::parse_format("ternary");
  CHECK(t.bits() == 2);
  CHECK(t.information_bits() == doctest::Approx(std::log2(3.0)));
  const auto b = fpx::parse_format("s1:scale=0.25");
  CHECK(b.bits() == 1);
  CHECK(fpx::lowest_value(b) == rational(-1, 4));
  CHECK(fpx::max_value(b) == rational(1, 4));
  // U1 = {0, s}: one bit, no negative values; it is uint1 with zero point 0.
  const auto u1 = fpx::parse_format("u1:scale=1/2");
  CHECK(u1.bits() == 1);
  CHECK(fpx::lowest_value(u1) == 0);
  CHECK(fpx::max_value(u1) == rational(1, 2));
  CHECK(u1 == fpx::format::int_asymmetric(1, 0, rational(1, 2)));
  CHECK(u1.name() == "u1:scale=0.5");
  CHECK_THROWS_WITH_AS(fpx::parse_format("binary"), doctest::Contains("retired spelling; use 's1'"),
                       std::invalid_argument);
  // The widest unsigned fixed point: its largest level 2^63 - 1 was computed as (1 << 63) - 1, a
  // signed overflow (found by fuzz_format_name under UBSan).
  const auto wide = fpx::parse_format("fixed:u:0:63");
  CHECK(wide.bits() == 63);
  CHECK(fpx::max_value(wide) == 1 - pow2(-63));
  CHECK(fpx::max_value(fpx::parse_format("fixed:u:62:1")) == pow2(62) - pow2(-1));
  // The 64-bit signed grids: naming them computed -(2^63) - 1 (found by fuzz_format_name,
  // fuzz_quantizer_name and fuzz_spec_json under UBSan, from fixed:s:63:0, int64 and fixed(64)).
  const auto s64 = fpx::parse_format("fixed:s:63:0");
  CHECK(s64.name() == "fixed:s:63:0");
  CHECK(fpx::lowest_value(s64) == -pow2(63));
  CHECK(fpx::max_value(s64) == pow2(63) - 1);
  const auto int64 = fpx::parse_format("int64");
  CHECK(int64.name() == "int64");
  CHECK(fpx::lowest_value(int64) == 1 - pow2(63));
  CHECK(fpx::parse_format(int64.name()) == int64);
  CHECK(fpx::parse_format(s64.name()) == s64);
}

TEST_CASE("an IEEE-style minifloat whose bare name is a preset with other specials says so") {
  // e2m3, e3m2 and e2m1 are OCP's finite FP6 and FP4; "e02m3" is the IEEE-style e2m3, which was
  // named "e2m3" and so parsed back as the OCP format (found by fuzz_format_name).
  for (const char* text : {"e02m3", "e03m2", "e02m1", "e2m3_ieee:bias=2"}) {
    CAPTURE(text);
    const auto f = fpx::parse_format(text);
    REQUIRE(f.minifloat());
    CHECK(f.minifloat()->specials == fpx::special_values::ieee);
    CHECK(f.name().find("_ieee") != std::string::npos);
    CHECK(fpx::parse_format(f.name()) == f);
  }
  CHECK(fpx::parse_format("e02m3").name() == "e2m3_ieee");
  fpx::minifloat_spec ieee_fp4{2, 1, 1, fpx::special_values::ieee};
  CHECK(fpx::format::make_minifloat(ieee_fp4).name() == "e2m1_ieee");
  CHECK(fpx::parse_format("e2m3").name() == "e2m3");
  CHECK(fpx::parse_format("e5m2:bias=14").name() == "e5m2:bias=14");  // a preset of the same specials
}

TEST_CASE("information bits count distinct finite values") {
  CHECK(fpx::preset("e4m3").information_bits() == doctest::Approx(std::log2(253.0)));  // 256 - 2 NaN - (-0)
  CHECK(fpx::preset("e2m1").information_bits() == doctest::Approx(std::log2(15.0)));
  CHECK(fpx::preset("e4m3fnuz").information_bits() == doctest::Approx(std::log2(255.0)));
  CHECK(fpx::preset("e8m0").information_bits() == doctest::Approx(std::log2(255.0)));
  CHECK(fpx::parse_format("fixed:s:3:4").information_bits() == doctest::Approx(8.0));
}

TEST_CASE("every name parses back to the same format") {
  for (const auto& f : fpx_test::small_formats()) {
    CAPTURE(f.name());
    CHECK(fpx::parse_format(f.name()) == f);
  }
  for (const auto& name : fpx::preset_names()) CHECK(fpx::parse_format(name) == fpx::preset(name));
  CHECK(fpx::parse_format("e4m3_fn").name() == "e4m3");
  CHECK(fpx::parse_format("e5m10").name() == "fp16");
  CHECK(fpx::parse_format("e3m4").name() == "e3m4");
  CHECK(fpx::parse_format("e4m3:overflow=saturate").overflow() == fpx::overflow_policy::saturate);
}

TEST_CASE("impossible format parameters are rejected with the reason") {
  CHECK_THROWS_WITH_AS(fpx::parse_format("e0m0"), doctest::Contains("exponent bits"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::parse_format("e5m53"), doctest::Contains("mantissa bits"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::parse_format("fixed:s:-1:4"), doctest::Contains("nonnegative"), std::invalid_argument);
  // Found by fuzz_format_name: I + F overflowed an int; and a count beyond int was narrowed
  // (4294967297 read as 1, so the name parsed as fixed:s:1:0).
  CHECK_THROWS_WITH_AS(fpx::parse_format("fixed:s:1474146532:2001503971"), doctest::Contains("above 64"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::parse_format("fixed:s:4294967297:0"), doctest::Contains("above 64"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::format::fixed_point(true, 2147483647, 2147483647), doctest::Contains("outside 1..64"),
                       std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_format("e4m0"), std::invalid_argument);  // IEEE needs M >= 1
  CHECK_THROWS_AS(fpx::parse_format("fp17"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_format("int4:zero=2"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_format("ternary:scale=0"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_format("e2m1:overflow=inf"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_format("fixed:s:3:4:overflow=nan"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_round_mode("nearest"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_rational("1.2.3"), std::invalid_argument);
}
