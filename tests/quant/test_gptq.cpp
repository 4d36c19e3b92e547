// GPTQ: a hand-worked layer, never worse than RTN on random layers, equal to RTN when H is
// diagonal, and its errors.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include "fpx/quant/gptq.hpp"

namespace {

using Eigen::MatrixXd;

MatrixXd gaussian(Eigen::Index rows, Eigen::Index cols, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

// Quantizers of every kind; the layers have 96 inputs, so groups, MX blocks and a short
// k-quant super-block all span several columns.
const char* const quantizers[] = {"int2:channel", "int3:channel", "int4:channel", "int8", "int4:group=16",
                                  "uint3:group=32", "ternary:channel", "e2m1:channel", "e4m3:channel",
                                  "mxint3_32", "mxfp4", "mxfp6_e3m2", "q2_k", "q3_k", "q4_k",
                                  "q6_k", "int3:channel:outliers=0.01"};

}  // namespace

TEST_CASE("GPTQ on one row by hand: the first column's error moves the second onto a new level") {
  // W = [0.4 0.4], H = [[2 1] [1 2]] damped by 0.01 x 2 on the diagonal. Integer levels: RTN
  // gives [0 0]. GPTQ rounds 0.4 to 0 and adds 0.4 x (-H^-1(0,1) / H^-1(0,0)) = 0.4 / 2.02 to
  // the second weight: 0.598 rounds to 1.
  MatrixXd w(1, 2), h(2, 2);
  w << 0.4, 0.4;
  h << 2, 1, 1, 2;
  const auto r = fpx::gptq(w, h, "int8:noscale");
  CHECK(r.weights.values(0, 0) == 0);
  CHECK(r.weights.values(0, 1) == 1);
  // 1/2 (d H d^T) for d = [0.4 -0.6] and for RTN's d = [0.4 0.4].
  CHECK(r.objective == doctest::Approx(0.5 * (2 * 0.16 - 2 * 0.24 + 2 * 0.36)));
  CHECK(r.rtn_objective == doctest::Approx(0.5 * (3 * 2 * 0.16)));
  CHECK(r.weights.bits_per_parameter == 8);
}

TEST_CASE("GPTQ is never worse than RTN on random layers with correlated inputs") {
  int better = 0, cases = 0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    std::mt19937_64 rng(seed);
    const MatrixXd w = gaussian(16, 96, rng);
    // Inputs mixed by a random matrix, so H = 2 X X^T is far from diagonal.
    const MatrixXd x = gaussian(96, 96, rng) * gaussian(96, 400, rng);
    const MatrixXd h = fpx::gptq_hessian(x);
    CHECK(fpx::layer_objective(w, MatrixXd::Zero(16, 96), h) == doctest::Approx((w * x).squaredNorm()));
    for (const char* name : quantizers) {
      CAPTURE(seed);
      CAPTURE(name);
      const auto r = fpx::gptq(w, h, name, {.block_size = 32});
      CHECK(r.objective <= r.rtn_objective);
      CHECK(r.objective == doctest::Approx(((w - r.weights.values) * x).squaredNorm()));
      CHECK(r.weights.values.allFinite());
      const auto rtn = fpx::quantize(w, name);
      CHECK(r.rtn_values == rtn.values);
      CHECK(r.weights.bits_per_parameter == rtn.bits_per_parameter);
      better += r.objective < 0.9 * r.rtn_objective;
      ++cases;
    }
  }
  CHECK(better > cases / 2);  // and usually clearly better
}

TEST_CASE("GPTQ equals RTN when H is diagonal: no error is fed forward") {
  std::mt19937_64 rng(7);
  const MatrixXd w = gaussian(8, 96, rng);
  MatrixXd h = MatrixXd::Zero(96, 96);
  std::uniform_real_distribution<double> positive(0.1, 10);
  for (Eigen::Index j = 0; j < 96; ++j) h(j, j) = positive(rng);
  for (const char* name : quantizers) {
    CAPTURE(name);
    const auto r = fpx::gptq(w, h, name, {.block_size = 16});
    CHECK(r.weights.values == fpx::quantize(w, name).values);
    CHECK(r.objective == r.rtn_objective);
  }
  // Stochastic rounding uses the same sites in both.
  CHECK(fpx::gptq(w, h, "int3:channel:stochastic=4").weights.values ==
        fpx::quantize(w, "int3:channel:stochastic=4").values);
}

TEST_CASE("GPTQ: inputs that are always zero keep their RTN weights; bad arguments are refused") {
  MatrixXd w(2, 3), h = MatrixXd::Zero(3, 3);
  w << 1.2, 7, 2.4, -1, 0.5, 7;  // row 0 has scale 1: levels are integers
  h(0, 0) = h(2, 2) = 4;
  h(0, 2) = h(2, 0) = 3;
  const auto r = fpx::gptq(w, h, "int4:channel");
  CHECK(r.weights.values.col(1) == r.rtn_values.col(1));
  // The live inputs do get feedback: 1.2 rounds to 1, and 0.2 x 3 / (4 + lambda) moves 2.4
  // past 2.5.
  CHECK(r.rtn_values(0, 2) == 2);
  CHECK(r.weights.values(0, 2) == 3);
  CHECK(r.objective <= r.rtn_objective);
  CHECK(fpx::gptq(w, MatrixXd::Zero(3, 3), "int4:channel").weights.values == r.rtn_values);

  CHECK_THROWS_AS(fpx::gptq(w, MatrixXd::Identity(2, 2), "int4"), std::invalid_argument);
  MatrixXd skew = MatrixXd::Identity(3, 3);
  skew(0, 1) = 1;
  CHECK_THROWS_AS(fpx::gptq(w, skew, "int4"), std::invalid_argument);
  MatrixXd nan = MatrixXd::Identity(3, 3);
  nan(1, 1) = std::nan("");
  CHECK_THROWS_AS(fpx::gptq(w, nan, "int4"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::gptq(w, h, "int4", {.block_size = 0}), std::invalid_argument);
  CHECK_THROWS_AS(fpx::gptq(w, h, "int4", {.damping = 0}), std::invalid_argument);
  CHECK_THROWS_AS(fpx::gptq(w, h, "int99"), std::invalid_argument);
  MatrixXd indefinite = MatrixXd::Identity(3, 3);
  indefinite(1, 1) = -50;
  CHECK_THROWS_AS(fpx::gptq(w, indefinite, "int4"), std::domain_error);
}

TEST_CASE("column_quantizer refuses spans it was not made for") {
  fpx::column_quantizer q("int4:group=4:noscale", 2, 8);
  CHECK(q.span() == 4);
  const MatrixXd w = MatrixXd::Ones(2, 8);
  CHECK_THROWS_AS(q.fit(w, 2), std::invalid_argument);
  CHECK_THROWS_AS(q.fit(MatrixXd::Ones(3, 8), 0), std::invalid_argument);
  CHECK_THROWS_AS(q.round(0, 5, 1.0), std::logic_error);  // span 4..7 not fitted yet
  q.fit(w, 4);
  CHECK(q.round(0, 5, 1.0) == 1.0);
  CHECK_THROWS_AS(q.round(0, 5, std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS(q.round(2, 5, 1.0), std::invalid_argument);
}
