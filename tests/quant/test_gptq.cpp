// GPTQ: a hand-worked layer, the same weights as a direct implementation of its definition,
// every quantizer kind, equal to RTN when H is diagonal, and its errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include <Eigen/LU>

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


// GPTQ against an independent implementation of its definition: the columns in order, each
// rounded (here onto the integers: int8:noscale fits no scale), its error divided by the
// diagonal of the current inverse Hessian and fed to the later columns through that inverse's
// row, and the inverse updated by removing the column (the Schur complement). fpx's version
// takes a Cholesky factor of H^-1 and updates lazily in blocks; both must give the same weights.
// (GPTQ is not guaranteed to beat RTN on the layer objective, so that is not asserted.)
static MatrixXd reference_gptq(const MatrixXd& w, MatrixXd h, double damping) {
  const Eigen::Index cols = w.cols();
  h.diagonal().array() += damping * h.diagonal().mean();
  MatrixXd inverse = h.inverse(), weights = w, q = w;
  for (Eigen::Index j = 0; j < cols; ++j) {
    for (Eigen::Index r = 0; r < w.rows(); ++r) {
      q(r, j) = std::clamp(std::nearbyint(weights(r, j)), -127.0, 127.0);  // ties to even
      const double error = (weights(r, j) - q(r, j)) / inverse(j, j);
      for (Eigen::Index k = j + 1; k < cols; ++k) weights(r, k) -= error * inverse(j, k);
    }
    const Eigen::VectorXd column = inverse.col(j);
    inverse -= column * column.transpose() / column(j);
  }
  return q;
}

TEST_CASE("GPTQ is its definition: the same weights as a direct implementation, on correlated inputs") {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    const MatrixXd w = 8 * gaussian(6, 40, rng);  // many integer levels between weights
    // Inputs mixed by a random matrix, so H = 2 X X^T is far from diagonal.
    const MatrixXd x = gaussian(40, 40, rng) * gaussian(40, 200, rng);
    const MatrixXd h = fpx::gptq_hessian(x);
    CHECK(fpx::layer_objective(w, MatrixXd::Zero(6, 40), h) == doctest::Approx((w * x).squaredNorm()));
    for (Eigen::Index block : {1, 7, 32, 128}) {
      CAPTURE(block);
      const auto r = fpx::gptq(w, h, "int8:noscale", {.block_size = block});
      const MatrixXd want = reference_gptq(w, h, 0.01);
      CHECK((r.weights.values - want).cwiseAbs().maxCoeff() == 0);
      CHECK(r.objective == doctest::Approx(((w - want) * x).squaredNorm()));
      CHECK(r.weights.values != r.rtn_values);  // the feedback changed something
    }
  }
}

// Every quantizer kind runs through GPTQ on correlated inputs; the objective it reports is
// 1/2 tr(D H D^T), which for H = 2 X X^T must equal ||D X||^2 computed from the inputs.
TEST_CASE("GPTQ runs every quantizer kind, and reports the layer objective of its weights") {
  std::mt19937_64 rng(11);
  const MatrixXd w = gaussian(16, 96, rng);
  const MatrixXd x = gaussian(96, 96, rng) * gaussian(96, 400, rng);
  const MatrixXd h = fpx::gptq_hessian(x);
  for (const char* name : quantizers) {
    CAPTURE(name);
    const auto r = fpx::gptq(w, h, name, {.block_size = 32});
    CHECK(r.weights.values.allFinite());
    CHECK(r.objective == doctest::Approx(((w - r.weights.values) * x).squaredNorm()));
  }
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
