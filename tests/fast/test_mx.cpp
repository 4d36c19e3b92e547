// MX quantization at kernel speed (fast/mx.hpp): quantize_mx's scales and exceptions, every
// element the oracle's rounding of its exact quotient, and dequantized values as exact doubles.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <string_view>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/mx.hpp"
#include "fpx/fast/isa.hpp"
#include "fpx/fast/mx.hpp"
#include "oracle.hpp"
#include "oracle_values.hpp"

TEST_CASE("fast_quantize_mx: every element is the oracle's rounding of v / X, in every mode and kernel set") {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> magnitude(0.0, 4.0);
  std::size_t underflows = 0;
  std::vector<std::string> names;
  for (const auto& preset : fpx::mx_preset_names())
    for (const char* rule : {"floor", "ceil", "even", "rceil"})
      if (preset != "mxint8" || std::string_view(rule) != "even")  // (even: float elements only)
        names.push_back(preset + ":scale_rule=" + rule);
  for (const auto& name : names) {
    const auto f = fpx::parse_mx_format(name);
    std::vector<double> v(320);
    for (auto& x : v) x = (rng() & 1 ? -1 : 1) * magnitude(rng);
    v[3] = 1e38;    // a block whose tiny elements are subnormal in double once divided by its scale
    v[4] = 3e-300;
    v[5] = -5e-324;
    v[40] = 0.0;
    v[41] = -0.0;
    for (fpx::round_mode mode : fpx::all_round_modes) {
      const fpx::rounding r{mode, 17};
      const auto reference = fpx::quantize_mx(f, v, r);
      for (std::string_view isa : fpx::fast_kernel_isas()) {
        const fpx::fast_kernel_isa_scope scope(isa);
        const auto t = fpx::fast_quantize_mx(f, v, r);
        CHECK(t.scales == reference.scales);
        for (std::size_t i = 0; i < v.size(); ++i) {
          const auto scale = fpx::to_rational(fpx::preset("e8m0"), t.scales[i / 32]);
          auto exact = oracle::from_rational(fpx::rational(v[i]) / scale);
          exact.negative = std::signbit(v[i]);  // -0.0 stays -0
          const auto want = oracle::round(f.element, exact, r, i);
          REQUIRE_FALSE(want.error);
          if (t.elements[i] != want.code)
            FAIL_CHECK(fmt::format("{} {} [{}] element {} = {:a}: code {:#x}, oracle {:#x}", name,
                                   fpx::to_string(mode), isa, i, v[i], t.elements[i], want.code));
          underflows += i == 4 || i == 5;
        }
        // Values: the element's oracle value times the scale, exactly (and -0 for -0).
        std::vector<double> values(v.size());
        fpx::fast_dequantize_mx(t, values);
        CHECK(values == fpx::dequantize_mx(t));
        for (std::size_t i = 0; i < v.size(); ++i) {
          const int shared = static_cast<int>(t.scales[i / 32]) - 127;
          CHECK(oracle::value_is(f.element, t.elements[i], std::ldexp(values[i], -shared)));
        }
      }
    }
  }
  CHECK(underflows > 0);
}

TEST_CASE("fast MX: non-finite blocks, impossible scales and sizes as quantize_mx") {
  const auto f = fpx::parse_mx_format("mxfp8_e4m3");
  std::vector<double> v(40, 1.0);
  v[35] = std::numeric_limits<double>::infinity();
  const auto t = fpx::fast_quantize_mx(f, v);
  CHECK(t.scales == fpx::quantize_mx(f, v).scales);
  std::vector<double> values(40);
  fpx::fast_dequantize_mx(t, values);
  CHECK(std::isnan(values[32]));
  CHECK(values[31] == 1.0);
  CHECK_THROWS_AS(fpx::fast_quantize_mx(f, std::vector<double>{1e300, std::ldexp(1.0, 1000)}), std::overflow_error);
  std::vector<double> short_out(39);
  CHECK_THROWS_AS(fpx::fast_dequantize_mx(t, short_out), std::invalid_argument);
}
