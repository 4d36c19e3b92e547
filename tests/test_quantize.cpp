// Weight quantizers: hand-derived levels and scales, bits per parameter, errors.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "fpx/codec.hpp"
#include "fpx/quantize.hpp"
#include "fpx/round.hpp"

namespace {

// x rounded to fp32 (nearest even), as a double: what a scale stored in fp32 is.
double fp32(double x) { return static_cast<double>(static_cast<float>(x)); }

Eigen::MatrixXd row(std::initializer_list<double> v) {
  Eigen::MatrixXd m(1, static_cast<Eigen::Index>(v.size()));
  Eigen::Index k = 0;
  for (double x : v) m(0, k++) = x;
  return m;
}

}  // namespace

TEST_CASE("int4 per tensor: scale max|w|/7 stored in fp32, levels from the rounded scale") {
  // s = fp32(1/7) = 0x1.24924ap-3, a little above 1/7, so w/s = 6.9999997, -3.49999985,
  // 1.7499999, 0.6999999 -> levels 7, -3 (not a tie), 2, 1.
  const auto q = fpx::quantize(row({1, -0.5, 0.25, 0.1}), "int4");
  const double s = fp32(1.0 / 7);
  CHECK(q.values(0, 0) == 7 * s);
  CHECK(q.values(0, 1) == -3 * s);
  CHECK(q.values(0, 2) == 2 * s);
  CHECK(q.values(0, 3) == 1 * s);
  CHECK(q.bits_per_parameter == 4 + 32.0 / 4);
  CHECK(q.information_bits_per_parameter == doctest::Approx(std::log2(15.0) + 32.0 / 4));
  CHECK(q.name == "int4:scale=fp32");
}

TEST_CASE("groups and channels each get their own scale; ties go to the even level") {
  Eigen::MatrixXd w(2, 4);
  w << 1, 0.5, 8, 4,  //
      2, -1, 0.25, 0.125;
  // int2 has levels {-1, 0, 1}; a ratio of exactly 1/2 is a tie and goes to level 0.
  const auto channel = fpx::quantize(w, "int2:channel:scale=fp16");  // scales 8 and 2
  CHECK(channel.values.row(0) == row({0, 0, 8, 0}).row(0));
  CHECK(channel.values.row(1) == row({2, 0, 0, 0}).row(0));
  CHECK(channel.bits_per_parameter == 2 + 16.0 / 4);
  const auto groups = fpx::quantize(w, "int2:group=3:scale=fp16");  // groups of 3, then 1
  CHECK(groups.values.row(0) == row({0, 0, 8, 4}).row(0));
  CHECK(groups.values.row(1) == row({2, 0, 0, 0.125}).row(0));
  CHECK(groups.bits_per_parameter == 2 + 16.0 * 4 / 8);
}

TEST_CASE("absmean ternary (BitNet b1.58) and sign binary") {
  const auto t = fpx::quantize(row({0.9, -0.05, -0.6, 0.3}), "ternary");
  const double s = fp32((0.9 + 0.05 + 0.6 + 0.3) / 4);  // w/s = 1.95, -0.11, -1.30, 0.65
  CHECK(t.values.row(0) == row({s, 0, -s, s}).row(0));
  CHECK(t.bits_per_parameter == 2 + 32.0 / 4);
  CHECK(t.information_bits_per_parameter == doctest::Approx(std::log2(3.0) + 32.0 / 4));
  const auto b = fpx::quantize(row({0.9, -0.05, 0, 0.3}), "binary:noscale");
  CHECK(b.values.row(0) == row({1, -1, 1, 1}).row(0));  // sign(0) = +1
  CHECK(b.bits_per_parameter == 1);
  const auto bs = fpx::quantize(row({0.9, -0.05, 0, 0.3}), "binary");
  CHECK(bs.values.row(0) == row({0.3125, -0.3125, 0.3125, 0.3125}).row(0));
}

TEST_CASE("asymmetric uintN: range scale and a zero point that keeps 0 exact") {
  const double s = fp32(0.1);
  const auto pos = fpx::quantize(row({0, 1.5, 0.3}), "uint4");  // z = 0; levels 0, 15, 3
  CHECK(pos.values.row(0) == row({0, 15 * s, 3 * s}).row(0));
  CHECK(pos.bits_per_parameter == 4 + (32.0 + 4) / 3);
  const auto mixed = fpx::quantize(row({-1, 0.5, 0}), "uint4");  // z = 10; levels -10, 5, 0
  CHECK(mixed.values.row(0) == row({-10 * s, 5 * s, 0}).row(0));
}

TEST_CASE("minifloat elements with an absmax scale, and MX blocks") {
  // Scale 896 / 448 = 2; 1.1 / 2 = 0.55 rounds in E4M3 (spacing 1/16 in [1/2, 1)) to 9/16.
  const auto e = fpx::quantize(row({1.1, 896, -3}), "e4m3:channel");
  CHECK(e.values.row(0) == row({1.125, 896, -3}).row(0));
  CHECK(e.bits_per_parameter == doctest::Approx(8 + 32.0 / 3));

  // MXFP4 (E2M1 elements 0, 0.5, 1, 1.5, 2, 3, 4, 6; emax 2), one short block per row.
  // Row 0: max 6, scale 2^(2-2) = 1: 1.1 -> 1, -0.3 -> -0.5 (0.2 away vs 0.3), 0.2 -> 0.
  // Row 1: max 12, scale 2: 2.2/2 = 1.1 -> 1, -0.6/2 -> -0.5. Row 2: max 0.75, scale 2^-3:
  // 0.75/0.125 = 6, 0.1/0.125 = 0.8 -> 1, 0 -> 0, -0.05/0.125 = -0.4 -> -0.5.
  Eigen::MatrixXd w(3, 4);
  w << 6, 1.1, -0.3, 0.2,  //
      12, 2.2, -0.6, 0.4,  //
      0.75, 0.1, 0, -0.05;
  const auto mx = fpx::quantize(w, "mxfp4");
  CHECK(mx.values.row(0) == row({6, 1, -0.5, 0}).row(0));
  CHECK(mx.values.row(1) == row({12, 2, -1, 0}).row(0));
  CHECK(mx.values.row(2) == row({0.75, 0.125, 0, -0.0625}).row(0));
  CHECK(mx.bits_per_parameter == 4 + 8.0 / 4);  // one scale per row of 4
}

TEST_CASE("stochastic weight rounding: reproducible, and unbiased on average") {
  const Eigen::MatrixXd w = row({1, 0.3});  // 0.3 / (1/7) = 2.1: level 3 with probability 0.1
  const auto a = fpx::quantize(w, "int4:stochastic=5");
  CHECK(a.values == fpx::quantize(w, "int4:stochastic=5").values);
  double sum = 0;
  const int seeds = 400;
  for (int seed = 0; seed < seeds; ++seed)
    sum += fpx::quantize(w, "int4:stochastic=" + std::to_string(seed)).values(0, 1);
  const double s = fp32(1.0 / 7);
  CHECK(sum / seeds / s == doctest::Approx(2.1).epsilon(0.04));
}

TEST_CASE("bad quantizers and weights are refused") {
  const Eigen::MatrixXd w = row({1, 2});
  for (const char* name : {"int17", "int1", "u1:channel:group=-1", "float8", "int4:group=0", "int4:block=32",
                           "mxfp4:channel", "uint4:absmean", "int4:bogus", "int4:stochastic=x", "fp17"})
    CHECK_THROWS_AS(fpx::quantize(w, name), std::invalid_argument);
  CHECK_THROWS_AS(fpx::quantize(row({1, std::nan("")}), "int4"), std::invalid_argument);
}
