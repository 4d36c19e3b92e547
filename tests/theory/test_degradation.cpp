// Degradation with bits: the perturbation bound, exact deviations, and the line fit.
#include <doctest/doctest.h>

#include <cmath>

#include "fpx/theory/degradation.hpp"
#include "fpx/quant/quantize.hpp"

using fpx::rational;

TEST_CASE("the product-of-norms bound is never below the exact deviation") {
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    const fpx::mlp m = fpx::random_mlp({8, 8}, seed);
    for (const char* q : {"ternary", "int2", "int3", "int4", "int6", "int8", "int12", "int4:channel"}) {
      CAPTURE(seed);
      CAPTURE(q);
      const fpx::mlp quantized = fpx::quantize_weights(m, q);
      const fpx::deviation d = fpx::measure_deviation(m, quantized);
      const rational bound = fpx::perturbation_bound(m, quantized, 1);
      CHECK(d.sup <= bound);
    }
  }
}

TEST_CASE("deviation by hand: relu(x) against the constant 1/2 is |x - 1/2|") {
  // sup over [0, 1] is 1/2; the root mean square is sqrt(int_0^1 (x - 1/2)^2) = sqrt(1/12).
  fpx::mlp identity;
  identity.layers.push_back({{fpx::rmatrix::Constant(1, 1, 1), fpx::rvector::Zero(1)}, fpx::activation::relu});
  identity.layers.push_back({{fpx::rmatrix::Constant(1, 1, 1), fpx::rvector::Zero(1)}, fpx::activation::identity});
  fpx::mlp half = identity;
  half.layers.back().map.weight(0, 0) = 0;
  half.layers.back().map.bias(0) = rational(1, 2);
  const fpx::deviation d = fpx::measure_deviation(identity, half);
  CHECK(d.sup == rational(1, 2));
  CHECK(d.rms == doctest::Approx(std::sqrt(1.0 / 12)).epsilon(1e-14));
}

TEST_CASE("deviation is exact: a shifted copy deviates by the shift everywhere") {
  const fpx::mlp m = fpx::random_mlp({4}, 3);
  fpx::mlp shifted = m;
  shifted.layers.back().map.bias(0) += rational(1, 8);
  const fpx::deviation d = fpx::measure_deviation(m, shifted);
  CHECK(d.sup == rational(1, 8));
  CHECK(d.rms == 0.125);
  CHECK(fpx::perturbation_bound(m, shifted, 1) == rational(1, 8));
}

TEST_CASE("u1 and wide integer quantizers") {
  Eigen::MatrixXd w(1, 4);
  w << 0.9, -0.5, 0.4, 0.2;
  const auto u = fpx::quantize(w, "u1:scale=fp64");
  CHECK(u.values(0, 0) == 0.9);
  CHECK(u.values(0, 1) == 0);  // negative weights have no level but 0
  CHECK(u.values(0, 2) == 0);  // 0.4 / 0.9 rounds to 0
  CHECK(u.values(0, 3) == 0);
  CHECK(u.information_bits_per_parameter == 1 + 64.0 / 4);
  CHECK(fpx::quantize(w, "int12").name == "int12:scale=fp32");
  CHECK_THROWS_AS(fpx::quantize(w, "int17"), std::invalid_argument);
}


TEST_CASE("an interpolant network quantizes the same per channel as per tensor (why bit_degradation has no channel rows for it)") {
  // Hidden weights are all 1 (one per row) and the output layer is one row: every channel scale
  // equals the tensor scale's effect, so the quantized networks agree exactly, at more bits.
  for (const char* name : {"sine", "square"}) {
    const fpx::mlp m = fpx::interpolant_network(fpx::target(name), 16);
    for (const char* q : {"ternary", "int3", "int5"}) {
      double tensor_bits = 0, channel_bits = 0;
      const fpx::mlp t = fpx::quantize_weights(m, std::string(q) + ":tensor", &tensor_bits);
      const fpx::mlp c = fpx::quantize_weights(m, std::string(q) + ":channel", &channel_bits);
      CHECK(fpx::measure_deviation(t, c).sup == 0);
      CHECK(fpx::measure_deviation(m, t).sup > 0);  // the quantization did move the network
      CHECK(channel_bits > tensor_bits);
    }
  }
}
