// MX block formats: the shared scale rule of OCP MX v1.0 and element rounding, checked against
// hand-derived blocks and against the oracle.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/mx.hpp"
#include "fpx/arith/round.hpp"
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

namespace {

// The scale rules from their definitions (mx.hpp), by exact comparisons with powers of two.
int floor_log2(const fpx::rational& x) {
  int k = 0;
  while (fpx::pow2(k) > x) --k;
  while (fpx::pow2(k + 1) <= x) ++k;
  return k;
}
int ceil_log2(const fpx::rational& x) { return fpx::pow2(floor_log2(x)) == x ? floor_log2(x) : floor_log2(x) + 1; }

int oracle_shared(const fpx::mx_format& f, double amax) {
  if (amax == 0) return -127;
  const fpx::rational a(amax);
  const int e = fpx::mx_emax_element(f);
  int s = 0;
  switch (f.scale_rule) {
    case fpx::mx_scale_rule::floor: s = floor_log2(a) - e; break;
    case fpx::mx_scale_rule::ceil: s = ceil_log2(a) - e; break;
    case fpx::mx_scale_rule::even: {
      const int k = floor_log2(a), m = f.element.minifloat()->mantissa_bits;
      const fpx::rational t = a / fpx::pow2(k) * fpx::pow2(m) + fpx::rational(1, 2);  // halves up
      const fpx::rational rounded = fpx::rational(numerator(t) / denominator(t)) / fpx::pow2(m) * fpx::pow2(k);
      s = floor_log2(rounded) - e;
      break;
    }
    case fpx::mx_scale_rule::rceil: {
      const fpx::format fp32 = fpx::preset("fp32");
      const fpx::rational q = fpx::to_rational(fp32, fpx::from_rational(fp32, a / fpx::max_value(f.element)));
      s = q == 0 ? -127 : ceil_log2(q);
      break;
    }
  }
  return std::max(s, -127);
}

}  // namespace

TEST_CASE("scale rules: floor (OCP) clips the block maximum, ceil, even and rceil do not, by hand") {
  // mxfp4 (E2M1: 0, 0.5, 1, 1.5, 2, 3, 4, 6; emax 2, M = 6, one fraction bit). Shared exponents:
  //   amax   floor  ceil  even                          rceil (ceil log2 fp32(amax / 6))
  //   5      0      1     1.25 -> 1.5: 0                 5/6: 0
  //   6      0      1     1.5 -> 1.5: 0                  1: 0
  //   6.5    0      1     1.625 -> 1.5 (3.25 + 1/2): 0   1.083: 1
  //   7      0      1     1.75 -> 2 (half up): 1         1.167: 1
  //   8      1      1     1                              1.333: 1
  //   12     1      2     1.5 -> 1.5: 1                  2: 1
  const std::vector<double> amax{5, 6, 6.5, 7, 8, 12};
  const std::vector<std::pair<const char*, std::vector<int>>> table{
      {"floor", {0, 0, 0, 0, 1, 1}}, {"ceil", {1, 1, 1, 1, 1, 2}},
      {"even", {0, 0, 0, 1, 1, 1}},  {"rceil", {0, 0, 1, 1, 1, 1}}};
  for (const auto& row : table) {
    const std::string rule = row.first;
    CAPTURE(rule);
    const auto f = fpx::parse_mx_format("mxfp4:scale_rule=" + rule);
    CHECK(fpx::to_string(f.scale_rule) == rule);
    for (std::size_t i = 0; i < amax.size(); ++i) CHECK(fpx::mx_shared_exponent(f, 2, amax[i]) == row.second[i]);
  }
  // The block 7, 1.1, -0.3, 0.2: floor's X = 1 clips 7 to 6; with X = 2 (ceil, even, rceil)
  // 7/2 = 3.5 is a tie and goes to 4 (even), 1.1/2 -> 0.5, -0.3/2 -> -0, 0.2/2 -> 0.
  const std::vector<double> v{7, 1.1, -0.3, 0.2};
  CHECK(fpx::dequantize_mx(fpx::quantize_mx(fpx::parse_mx_format("mxfp4"), v)) == std::vector<double>{6, 1, -0.5, 0});
  for (const char* rule : {"ceil", "even", "rceil"})
    CHECK(fpx::dequantize_mx(fpx::quantize_mx(fpx::parse_mx_format(std::string("mxfp4:scale_rule=") + rule), v)) ==
          std::vector<double>{8, 1, 0, 0});
  CHECK(fpx::parse_mx_format("mxfp4:block=16:scale_rule=rceil").block_size == 16);
  CHECK_THROWS_AS(fpx::parse_mx_format("mxfp4:scale_rule=round"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_mx_format("mxint8:scale_rule=even"), std::invalid_argument);
}

TEST_CASE("scale rules against their definitions, at powers of two, at even's thresholds and at random") {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> magnitude(0.0, 6.0);
  for (const char* element : {"mxfp4", "mxfp6_e3m2", "mxfp8_e4m3", "mxfp8_e5m2", "mxint8"})
    for (const char* rule : {"floor", "ceil", "even", "rceil"}) {
      if (std::string_view(element) == "mxint8" && std::string_view(rule) == "even") continue;
      const std::string name = std::string(element) + ":scale_rule=" + rule;
      CAPTURE(name);
      const auto f = fpx::parse_mx_format(name);
      const int e = fpx::mx_emax_element(f);
      std::vector<double> amax{0, 5e-324, 1e-300, 1.0, 6.0, 448.0, 0x1.fffffffffffffp+0};
      for (int k = -20; k <= 20; k += 3) {
        const double p = std::ldexp(1.0, k);
        amax.insert(amax.end(), {p, std::nextafter(p, 0.0), std::nextafter(p, 4 * p)});
        // rceil's edge: M 2^k and just above, where amax / M rounds to 2^k in fp32 but not in double
        const double mk = std::ldexp(static_cast<double>(fpx::max_value(f.element)), k);
        amax.insert(amax.end(), {mk, std::nextafter(mk, 4 * mk), std::nextafter(mk, 0.0)});
        if (const auto* m = f.element.minifloat()) {  // even's threshold 2^(k+1) - 2^(k-m-1) and its neighbours
          const double t = std::ldexp(2.0, k) - std::ldexp(1.0, k - m->mantissa_bits - 1);
          amax.insert(amax.end(), {t, std::nextafter(t, 0.0), std::nextafter(t, 4 * t)});
        }
      }
      for (int i = 0; i < 200; ++i) amax.push_back(magnitude(rng));
      for (double a : amax) {
        CAPTURE(a);
        const int want = oracle_shared(f, a);
        if (want > 127)
          CHECK_THROWS_AS(fpx::mx_shared_exponent(f, e, a), std::overflow_error);
        else
          CHECK(fpx::mx_shared_exponent(f, e, a) == want);
      }
    }
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
