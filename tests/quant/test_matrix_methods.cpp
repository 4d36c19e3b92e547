// Whole-matrix quantizers (matrix_methods.hpp): BitStack-style blocks and entropy-coded
// ternary, worked by hand, with the properties that define them, and their names.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <random>
#include <stdexcept>

#include "fpx/quant/gptq.hpp"
#include "fpx/quant/matrix_methods.hpp"

namespace {

using Eigen::MatrixXd;

MatrixXd gaussian(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

}  // namespace

TEST_CASE("bitstack by hand: a signed rank-1 magnitude is one block, exactly") {
  // |W| = [[2 4] [1 2]] = u vᵀ with v = [1/2 1] (largest entry 1), u = [4 2], signs of W.
  MatrixXd w(2, 2);
  w << 2, -4, -1, 2;
  const auto q = fpx::quantize(w, "bitstack:blocks=1");
  CHECK(q.values == w);
  CHECK(q.bits_per_parameter == 17);  // (4 sign bits + 16 x (2 + 2)) / 4
  // [[3 1] [1 3]]: the top singular pair gives 2 everywhere; the residual [[1 -1] [-1 1]] is a
  // sign matrix times ones, so the second block ends it.
  MatrixXd a(2, 2);
  a << 3, 1, 1, 3;
  CHECK(fpx::quantize(a, "bitstack:blocks=1").values == MatrixXd::Constant(2, 2, 2));
  CHECK(fpx::quantize(a, "bitstack:blocks=2").values == a);
}

TEST_CASE("bitstack: every block lowers the error, and costs about one bit per weight") {
  // Block k removes the best rank-1 part of |R|, whose signs it carries: ‖R_k‖² = ‖R_{k-1}‖² -
  // σ1(|R_{k-1}|)² up to the fp16 rounding of the factors, so the error falls with every block.
  const MatrixXd w = gaussian(16, 32, 4);
  double previous = w.squaredNorm();
  for (int k = 1; k <= 6; ++k) {
    const auto q = fpx::bitstack(w, k);
    const double error = (w - q.values).squaredNorm();
    CAPTURE(k);
    CHECK(error < previous);
    previous = error;
    CHECK(q.bits_per_parameter == doctest::Approx(k * (1 + 16.0 * 48 / 512)));
  }
  CHECK(previous < 0.5 * w.squaredNorm());
}

TEST_CASE("huffman_bits: the optimal code's length, by hand") {
  CHECK(fpx::huffman_bits({4, 2, 1, 1}) == 4 * 1 + 2 * 2 + 1 * 3 + 1 * 3);
  CHECK(fpx::huffman_bits({2, 1, 1}) == 2 + 2 + 2);
  CHECK(fpx::huffman_bits({1, 1}) == 2);
  CHECK(fpx::huffman_bits({0, 5, 0}) == 5);  // one symbol: one bit each
  CHECK(fpx::huffman_bits({0, 0}) == 0);
  CHECK(fpx::huffman_bits({1, 1, 1, 1, 1, 1, 1, 1}) == 8 * 3);
}

TEST_CASE("ternary_ec by hand: the threshold, the scale, the groups and the code") {
  // mean |w| = (2 + 13 x 0.01) / 15 = 0.142, t = 0.7 x that = 0.0994: only 1 and -1 are kept,
  // a = 1. Digits in groups of 5: (1, 2, 0, 0, 0) = 1 + 2 x 3 = symbol 7 once, symbol 0 twice:
  // a Huffman code of 1 bit each, 3 bits; plus 243 lengths x 6 bits and the fp32 scale.
  MatrixXd w = MatrixXd::Constant(1, 15, 0.01);
  w(0, 0) = 1;
  w(0, 1) = -1;
  const auto q = fpx::quantize(w, "ternary_ec");
  MatrixXd want = MatrixXd::Zero(1, 15);
  want(0, 0) = 1;
  want(0, 1) = -1;
  CHECK(q.values == want);
  CHECK(q.bits_per_parameter == doctest::Approx((3.0 + 243 * 6 + 32) / 15));
  CHECK(q.name == "ternary_ec:threshold=0.7");
}

TEST_CASE("ternary_ec goes below one bit on sparse ternary weights, within the entropy bounds") {
  // 5% of the weights large, 95% tiny: about 5% of the digits are nonzero. The Huffman code of
  // the groups lies between their entropy and their entropy plus one bit per group.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uniform(0, 1);
  MatrixXd w(100, 100);
  for (Eigen::Index i = 0; i < w.size(); ++i) {
    const double sign = uniform(rng) < 0.5 ? -1 : 1;
    w.data()[i] = sign * (uniform(rng) < 0.05 ? 1 + uniform(rng) : 0.001 * uniform(rng));
  }
  const auto q = fpx::quantize(w, "ternary_ec");
  CHECK(q.bits_per_parameter < 1);
  // The groups as the code sees them (row-major, 5 digits), counted from the values.
  std::map<int, double> counts;
  int group = 0, place = 1, digit = 0;
  for (Eigen::Index r = 0; r < 100; ++r)
    for (Eigen::Index c = 0; c < 100; ++c) {
      group += place * (q.values(r, c) > 0 ? 1 : q.values(r, c) < 0 ? 2 : 0);
      place *= 3;
      if (++digit == 5) {
        counts[group] += 1;
        group = digit = 0;
        place = 1;
      }
    }
  double entropy = 0;
  for (const auto& [symbol, n] : counts) entropy -= n * std::log2(n / 2000);
  const double payload = q.bits_per_parameter * 10000 - 243 * 6 - 32;
  CHECK(payload >= entropy - 1e-6);
  CHECK(payload < entropy + 2000);
}

TEST_CASE("whole-matrix names: options, errors, and no GPTQ") {
  const MatrixXd w = gaussian(2, 8, 1);
  CHECK(fpx::quantize(w, "bitstack:blocks=3").name == "bitstack:blocks=3");
  CHECK(fpx::quantize(w, "ternary_ec:threshold=1.5").name == "ternary_ec:threshold=1.5");
  for (const char* bad : {"bitstack", "bitstack:blocks=0", "bitstack:blocks=33", "bitstack:blocks=x", "bitstack:threshold=1",
                          "ternary_ec:threshold=-1", "ternary_ec:bogus", "ternary_ec:threshold="})
    CHECK_THROWS_AS(fpx::quantize(w, bad), std::invalid_argument);
  MatrixXd nan = w;
  nan(1, 3) = std::nan("");
  CHECK_THROWS_AS(fpx::quantize(nan, "bitstack:blocks=1"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::quantize(nan, "ternary_ec"), std::invalid_argument);
  // Empty matrices are empty; weights beyond fp16's range (bitstack's factors) or whose |w| sum
  // overflows (ternary_ec's threshold) are refused, not zeroed.
  CHECK(fpx::quantize(MatrixXd(2, 0), "bitstack:blocks=1").values.size() == 0);
  CHECK(fpx::quantize(MatrixXd(0, 0), "ternary_ec").values.size() == 0);
  CHECK_THROWS_AS(fpx::quantize(MatrixXd::Constant(1, 1, 1e5), "bitstack:blocks=1"), std::range_error);
  CHECK_THROWS_AS(fpx::quantize(MatrixXd::Constant(2, 2, 1e300), "bitstack:blocks=1"), std::range_error);
  CHECK_THROWS_AS(fpx::quantize(MatrixXd::Constant(2, 2, 1e308), "ternary_ec"), std::range_error);
  CHECK_THROWS_WITH_AS(fpx::gptq(w, MatrixXd::Identity(8, 8), "bitstack:blocks=2"),
                       doctest::Contains("whole matrix"), std::invalid_argument);
}
