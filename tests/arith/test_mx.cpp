// MX block formats: the shared scale rule of OCP MX v1.0 and element rounding, checked against
// hand-derived blocks and against the oracle.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/mx.hpp"
#include "oracle.hpp"

TEST_CASE("the scale is 2^(floor(log2 max) - emax_elem)") {
  const auto f = fpx::parse_mx_format("mxfp4");
  CHECK(fpx::mx_emax_element(f) == 2);  // E2M1: largest normal 6 = 1.5 * 2^2
  CHECK(fpx::mx_emax_element(fpx::parse_mx_format("mxfp8_e4m3")) == 8);
  CHECK(fpx::mx_emax_element(fpx::parse_mx_format("mxfp8_e5m2")) == 15);
  CHECK(fpx::mx_emax_element(fpx::parse_mx_format("mxint8")) == 0);
  // max 3.0: floor(log2 3) = 1, scale 2^(1 - 2) = 1/2; elements 3/0.5 = 6, 0.7/0.5 = 1.4 -> 1.5.
  const std::vector<double> v{3.0, 0.7, -0.26, 0.0};
  const auto t = fpx::quantize_mx(f, v);
  REQUIRE(t.scales.size() == 1);
  CHECK(t.scales[0] == 126);  // E8M0 code of 2^-1
  CHECK(fpx::dequantize_mx(t) == std::vector<double>{3.0, 0.75, -0.25, 0.0});
}

TEST_CASE("elements saturate to the largest normal; blocks are independent") {
  // max 7.9: scale 2^(2 - 2) = 1, 7.9 rounds past 6 and clamps to 6.
  std::vector<double> v(40, 0.1);
  v[0] = 7.9;
  for (std::size_t i = 32; i < v.size(); ++i) v[i] = 1e-3;
  const auto t = fpx::quantize_mx(fpx::parse_mx_format("mxfp4"), v);
  REQUIRE(t.scales.size() == 2);
  CHECK(fpx::dequantize_mx(t)[0] == 6.0);
  CHECK(t.scales[1] == static_cast<fpx::code_t>(127 + (-10 - 2)));  // floor(log2 1e-3) = -10
}

TEST_CASE("every element is v / X rounded once into the element format") {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> mag(0.0, 3.0);
  for (const auto& name : fpx::mx_preset_names()) {
    const auto f = fpx::parse_mx_format(name);
    std::vector<double> v(256);
    for (auto& x : v) x = (rng() & 1 ? -1 : 1) * mag(rng);
    const auto t = fpx::quantize_mx(f, v);
    for (std::size_t i = 0; i < v.size(); ++i) {
      const auto scale = fpx::to_rational(fpx::preset("e8m0"), t.scales[i / 32]);
      const auto want = oracle::round(f.element, oracle::from_rational(fpx::rational(v[i]) / scale), {}, 0);
      REQUIRE_FALSE(want.error);
      CAPTURE(name);
      CHECK(t.elements[i] == want.code);
    }
  }
}

TEST_CASE("non-finite blocks get the NaN scale; impossible scales throw") {
  std::vector<double> v{1.0, std::numeric_limits<double>::infinity()};
  const auto t = fpx::quantize_mx(fpx::parse_mx_format("mxfp8_e4m3"), v);
  CHECK(t.scales[0] == 0xff);
  CHECK(std::isnan(fpx::dequantize_mx(t)[0]));
  CHECK_THROWS_AS(fpx::mx_value(t, 0), std::domain_error);
  CHECK_THROWS_AS(fpx::quantize_mx(fpx::parse_mx_format("mxfp4"), std::vector<double>{1e300}),
                  std::overflow_error);
  // A block of tiny values clamps its scale at 2^-127.
  const auto z = fpx::quantize_mx(fpx::parse_mx_format("mxfp4"), std::vector<double>{1e-300});
  CHECK(z.scales[0] == 0);
  CHECK_THROWS_AS(fpx::parse_mx_format("mxfp5"), std::invalid_argument);
}
