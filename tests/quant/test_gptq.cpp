// GPTQ: a hand-worked layer, the same weights as a direct implementation of its definition,
// every quantizer kind, equal to RTN when H is diagonal, and its errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

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
// With `order`, the columns are taken in that order (act_order) and the error goes to the
// columns not yet taken, wherever they lie.
static MatrixXd reference_gptq(const MatrixXd& w, MatrixXd h, double damping, std::vector<Eigen::Index> order = {}) {
  const Eigen::Index cols = w.cols();
  if (order.empty())
    for (Eigen::Index j = 0; j < cols; ++j) order.push_back(j);
  h.diagonal().array() += damping * h.diagonal().mean();
  MatrixXd inverse = h.inverse(), weights = w, q = w;
  std::vector<bool> done(static_cast<std::size_t>(cols), false);
  for (Eigen::Index j : order) {
    done[static_cast<std::size_t>(j)] = true;
    for (Eigen::Index r = 0; r < w.rows(); ++r) {
      q(r, j) = std::clamp(std::nearbyint(weights(r, j)), -127.0, 127.0);  // ties to even
      const double error = (weights(r, j) - q(r, j)) / inverse(j, j);
      for (Eigen::Index k = 0; k < cols; ++k)
        if (!done[static_cast<std::size_t>(k)]) weights(r, k) -= error * inverse(j, k);
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

TEST_CASE("act_order by hand: the input with the larger H(j, j) first changes the weights") {
  // W = [0.4 0.45], H = [[1 0.9] [0.9 4]] damped by 0.01 x 2.5: integer levels.
  // In order: 0.4 -> 0 feeds 0.4 x 0.9 / 4.025 to the second weight, 0.539 -> 1: [0 1].
  // act_order takes column 1 first (H = 4): 0.45 -> 0 feeds 0.45 x 0.9 / 1.025 to the first,
  // 0.795 -> 1: [1 0], whose objective 1/2 (0.36 - 0.486 + 0.81) beats 1/2 (0.16 - 0.396 + 1.21).
  MatrixXd w(1, 2), h(2, 2);
  w << 0.4, 0.45;
  h << 1, 0.9, 0.9, 4;
  const auto plain = fpx::gptq(w, h, "int8:noscale");
  CHECK(plain.weights.values == (MatrixXd(1, 2) << 0, 1).finished());
  CHECK(plain.order == std::vector<Eigen::Index>{0, 1});
  const auto act = fpx::gptq(w, h, "int8:noscale", {.act_order = true});
  CHECK(act.weights.values == (MatrixXd(1, 2) << 1, 0).finished());
  CHECK(act.order == std::vector<Eigen::Index>{1, 0});
  CHECK(act.objective == doctest::Approx(0.5 * 0.684));
  CHECK(plain.objective == doctest::Approx(0.5 * 0.974));
  CHECK(act.weights.bits_per_parameter == 8);  // no groups: the order needs no storage
  // Ties keep the input order: diagonal [1 3 3 2] gives 1, 2, 3, 0.
  const MatrixXd tied = (Eigen::VectorXd(4) << 1, 3, 3, 2).finished().asDiagonal();
  CHECK(fpx::gptq(MatrixXd::Zero(1, 4), tied, "int8:noscale", {.act_order = true}).order ==
        std::vector<Eigen::Index>{1, 2, 3, 0});
}

TEST_CASE("act_order is its definition, and with groups the groups follow the processing order") {
  std::mt19937_64 rng(5);
  const MatrixXd w = 8 * gaussian(4, 32, rng);
  MatrixXd x = gaussian(32, 32, rng) * gaussian(32, 100, rng);
  for (Eigen::Index j = 0; j < 32; ++j) x.row(j) *= 0.5 + static_cast<double>((j * 7) % 32) / 8;  // unsorted energies
  const MatrixXd h = fpx::gptq_hessian(x);
  std::vector<Eigen::Index> order(32);
  for (Eigen::Index j = 0; j < 32; ++j) order[static_cast<std::size_t>(j)] = j;
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return h(a, a) > h(b, b); });
  for (Eigen::Index block : {1, 5, 128}) {
    const auto r = fpx::gptq(w, h, "int8:noscale", {.block_size = block, .act_order = true});
    CHECK(r.order == order);
    CHECK((r.weights.values - reference_gptq(w, h, 0.01, order)).cwiseAbs().maxCoeff() == 0);
  }
  // Dynamic groups of 8 over the processing order: the same as GPTQ in order on the permuted
  // layer, permuted back; each input column's group index (2 bits, 4 groups) is stored, 2/4
  // bits per weight. Static groups fit on the original columns need no index.
  MatrixXd wp(4, 32), hp(32, 32);
  for (Eigen::Index i = 0; i < 32; ++i) {
    wp.col(i) = w.col(order[static_cast<std::size_t>(i)]);
    for (Eigen::Index k = 0; k < 32; ++k) hp(i, k) = h(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(k)]);
  }
  const auto permuted = fpx::gptq(wp, hp, "int4:group=8", {.block_size = 8});
  const auto act = fpx::gptq(w, h, "int4:group=8", {.block_size = 8, .act_order = true});
  for (Eigen::Index i = 0; i < 32; ++i)
    CHECK(act.weights.values.col(order[static_cast<std::size_t>(i)]) == permuted.weights.values.col(i));
  CHECK(act.weights.bits_per_parameter == doctest::Approx(permuted.weights.bits_per_parameter + 0.5));
  const auto fixed = fpx::gptq(w, h, "int4:group=8", {.block_size = 8, .act_order = true, .static_groups = true});
  CHECK(fixed.weights.bits_per_parameter == permuted.weights.bits_per_parameter);
}

TEST_CASE("static_groups: every group's grid is fitted on the original weights") {
  // int4 groups of 8: RTN's largest magnitude in a group is 7 steps of its scale, so the step
  // of group g is s_g = max |RTN value| / 7. With static groups every GPTQ weight is an integer
  // number of those steps; fitted as reached (on corrected weights), some are not.
  std::mt19937_64 rng(8);
  const MatrixXd w = gaussian(3, 32, rng);
  const MatrixXd h = fpx::gptq_hessian(gaussian(32, 32, rng) * gaussian(32, 100, rng));
  auto on_rtn_grids = [&](const MatrixXd& q, const MatrixXd& rtn) {
    for (Eigen::Index r = 0; r < 3; ++r)
      for (Eigen::Index g = 0; g < 4; ++g) {
        const double step = rtn.row(r).segment(8 * g, 8).cwiseAbs().maxCoeff() / 7;
        for (Eigen::Index c = 8 * g; c < 8 * g + 8; ++c) {
          const double level = q(r, c) / step;
          if (std::abs(level - std::nearbyint(level)) > 1e-6 || std::abs(level) > 7 + 1e-6) return false;
        }
      }
    return true;
  };
  for (bool act_order : {false, true}) {
    CAPTURE(act_order);
    const auto fixed = fpx::gptq(w, h, "int4:group=8", {.block_size = 8, .act_order = act_order, .static_groups = true});
    CHECK(on_rtn_grids(fixed.weights.values, fixed.rtn_values));
    CHECK(fixed.weights.values != fixed.rtn_values);
  }
  const auto dynamic = fpx::gptq(w, h, "int4:group=8", {.block_size = 8});
  CHECK(!on_rtn_grids(dynamic.weights.values, dynamic.rtn_values));
}

TEST_CASE("damping retry: tenfold while the factorisation fails, then a clear error") {
  // H = [[1 1.05] [1.05 1]] has eigenvalues -0.05 and 2.05: damping 0.01 leaves it indefinite,
  // 0.1 makes the diagonal 1.1 (determinant 1.21 - 1.1025 > 0).
  MatrixXd w(2, 2), h(2, 2);
  w << 0.4, 1.7, -2.2, 0.9;
  h << 1, 1.05, 1.05, 1;
  const auto r = fpx::gptq(w, h, "int8:noscale");
  CHECK(r.damping == doctest::Approx(0.1));
  CHECK(r.weights.values == fpx::gptq(w, h, "int8:noscale", {.damping = 0.1}).weights.values);
  CHECK(r.weights.values == reference_gptq(w, h, 0.1));
  CHECK_THROWS_WITH_AS(fpx::gptq(w, h, "int8:noscale", {.max_damping = 0.05}),
                       doctest::Contains("not positive definite for damping 0.01 ("), std::domain_error);
  // [[1 3] [3 1]] (eigenvalue -2) stays indefinite through damping 1 (diagonal 2, determinant
  // 4 - 9); damping 10 makes the diagonal 11.
  h << 1, 3, 3, 1;
  CHECK_THROWS_WITH_AS(fpx::gptq(w, h, "int8:noscale"), doctest::Contains("damping 0.01, 0.1, 1 ("), std::domain_error);
  CHECK(fpx::gptq(w, h, "int8:noscale", {.max_damping = 10}).damping == doctest::Approx(10));
  CHECK_THROWS_AS(fpx::gptq(w, h, "int8:noscale", {.damping = 0.1, .max_damping = 0.05}), std::invalid_argument);
  // A damping above 1 needs no max_damping (the default limit is max(1, damping)).
  CHECK(fpx::gptq(w, h, "int8:noscale", {.damping = 20}).damping == 20);
  // No damping helps an H that no 2 X X^T equals: a zero diagonal with a nonzero entry, or a
  // negative mean diagonal.
  h << 0, 1, 1, 0;
  CHECK_THROWS_WITH_AS(fpx::gptq(w, h, "int8:noscale"), doctest::Contains("zero or negative mean"), std::domain_error);
  h << -1, 0, 0, -2;
  CHECK_THROWS_WITH_AS(fpx::gptq(w, h, "int8:noscale"), doctest::Contains("zero or negative mean"), std::domain_error);
}

TEST_CASE("act_order that moves whole groups needs no group index") {
  // Groups of 8 over 16 columns; H(j, j) = 8 - j on the first group, 100 - j on the second:
  // act_order takes columns 8..15, then 0..7, each group whole and in place, so no index is stored.
  Eigen::VectorXd d(16);
  for (int j = 0; j < 16; ++j) d(j) = j < 8 ? 8 - j : 100 - j;
  const MatrixXd h = d.asDiagonal();
  std::mt19937_64 rng(2);
  const MatrixXd w = gaussian(2, 16, rng);
  const auto r = fpx::gptq(w, h, "int4:group=8", {.act_order = true});
  CHECK(r.order == std::vector<Eigen::Index>{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(r.weights.bits_per_parameter == fpx::quantize(w, "int4:group=8").bits_per_parameter);
  // Swapping two columns of different groups mixes them: 1 bit (2 groups) per column, 1/2 per weight.
  d(3) = 1000;
  const auto mixed = fpx::gptq(w, MatrixXd(d.asDiagonal()), "int4:group=8", {.act_order = true});
  CHECK(mixed.weights.bits_per_parameter == r.weights.bits_per_parameter + 0.5);
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
