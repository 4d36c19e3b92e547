// Weight quantizers: hand-derived levels and scales, bits per parameter, errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/mx.hpp"
#include "fpx/quant/quantize.hpp"
#include "fpx/arith/round.hpp"

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

TEST_CASE("absmean ternary (BitNet b1.58) and sign binary (s1)") {
  const auto t = fpx::quantize(row({0.9, -0.05, -0.6, 0.3}), "ternary");
  const double s = fp32((0.9 + 0.05 + 0.6 + 0.3) / 4);  // w/s = 1.95, -0.11, -1.30, 0.65
  CHECK(t.values.row(0) == row({s, 0, -s, s}).row(0));
  CHECK(t.bits_per_parameter == 2 + 32.0 / 4);
  CHECK(t.information_bits_per_parameter == doctest::Approx(std::log2(3.0) + 32.0 / 4));
  const auto b = fpx::quantize(row({0.9, -0.05, 0, 0.3}), "s1:noscale");
  CHECK(b.values.row(0) == row({1, -1, 1, 1}).row(0));  // sign(0) = +1
  CHECK(b.bits_per_parameter == 1);
  const auto bs = fpx::quantize(row({0.9, -0.05, 0, 0.3}), "s1");
  CHECK(bs.values.row(0) == row({0.3125, -0.3125, 0.3125, 0.3125}).row(0));
}

TEST_CASE("intN_mse: the scale with the least squared error, by hand") {
  // int2 (levels -1, 0, 1) on (1, 0.5 x 5). absmax: scale 1, the 0.5s tie to the even 0: error
  // 5/4. A scale p (0.5 < p < 1) puts every weight on p: error (1 - p)^2 + 5 (p - 1/2)^2, least
  // at p = 7/12; of the candidates p = 1, 0.99, ..., 0.20 the best is 0.58 (0.2084 against
  // 0.2094 at 0.57 and 0.2086 at 0.59).
  const Eigen::MatrixXd w = row({1, 0.5, 0.5, 0.5, 0.5, 0.5});
  const auto absmax = fpx::quantize(w, "int2");
  CHECK(absmax.values.row(0) == row({1, 0, 0, 0, 0, 0}).row(0));
  const auto mse = fpx::quantize(w, "int2_mse");
  const double s = fp32(0.58);
  CHECK(mse.values.row(0) == row({s, s, s, s, s, s}).row(0));
  CHECK(mse.name == "int2_mse:scale=fp32");
  CHECK(mse.bits_per_parameter == absmax.bits_per_parameter);  // the same storage: one scale
  // Per channel and in groups, each cell searches its own scale; a cell whose absmax is best
  // keeps it.
  const auto groups = fpx::quantize(row({1, 0.5, 0.5, 0.5, 1, 0, 0, 0}), "int2_mse:group=4");
  CHECK(groups.values(0, 4) == 1);
  CHECK(groups.values(0, 5) == 0);
  CHECK_THROWS_WITH_AS(fpx::quantize(w, "int2_mse:absmean"), doctest::Contains("searched"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::quantize(w, "int1_mse"), std::invalid_argument);
}

TEST_CASE("a scale outside its format's range is refused, not decoded") {
  // Found by fuzz_quantizer_name: fp64 elements with an E8M0 scale put the scale near 2^-1020,
  // which E8M0 (no zero) rounds to NaN; decoding it escaped as "decode: code is NaN". A k-quant's
  // fp16 super-scale overflows to infinity for weights near 1e9.
  const Eigen::MatrixXd w = row({0.5, -1.25, 3, 0});
  CHECK_THROWS_WITH_AS(fpx::quantize(w, "fp64:scale=e8m0"),
                       doctest::Contains("is outside the range of e8m0 (it rounds to nan)"), std::range_error);
  const Eigen::MatrixXd large = Eigen::MatrixXd::Constant(1, 256, 1e9);
  CHECK_THROWS_WITH_AS(fpx::quantize(large, "q4_k"), doctest::Contains("(it rounds to inf)"), std::range_error);
  // In range, the same names quantize: an E8M0 scale for e4m3 elements, q4_k for weights near 1.
  CHECK(fpx::quantize(w, "e4m3:scale=e8m0").values.allFinite());
  CHECK(fpx::quantize(Eigen::MatrixXd::Constant(1, 256, 1.0), "q4_k").values.allFinite());
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

TEST_CASE("nvfp4: E2M1 in blocks of 16, an E4M3 scale per block and an fp32 scale per tensor") {
  // amax 2688 = 448 x 6, so s_tensor = fp32(1) = 1.
  // Block 0: s_b = e4m3(2688 / 6) = 448. 2688/448 = 6; 1/448 -> 0; -448/448 = -1;
  //   100/448 = 0.223 -> 0 (below 0.25); 700/448 = 1.5625 -> 1.5 (E2M1: 1, 1.5, 2), x 448 = 672.
  // Block 1: amax 5, 5/6 = 0.8333 -> e4m3 0.8125 (spacing 1/16 in [1/2, 1)). 5/0.8125 = 6.15
  //   saturates at 6 -> 4.875; 1/0.8125 = 1.23 -> 1; -2.5/0.8125 = -3.08 -> -3 -> -2.4375;
  //   0.7/0.8125 = 0.86 -> 1 -> 0.8125.
  // Block 2: amax 0.001, 0.001/6 is below half of e4m3's least subnormal 2^-9: s_b = 0, zeros.
  Eigen::MatrixXd w = Eigen::MatrixXd::Zero(1, 48);
  w(0, 0) = 2688, w(0, 1) = 1, w(0, 2) = -448, w(0, 3) = 100, w(0, 4) = 700;
  w(0, 16) = 5, w(0, 17) = 1, w(0, 18) = -2.5, w(0, 19) = 0.7;
  w(0, 32) = 0.001, w(0, 33) = -0.0005;
  const auto q = fpx::quantize(w, "nvfp4");
  Eigen::MatrixXd expected = Eigen::MatrixXd::Zero(1, 48);
  expected(0, 0) = 2688, expected(0, 2) = -448, expected(0, 4) = 672;
  expected(0, 16) = 4.875, expected(0, 17) = 0.8125, expected(0, 18) = -2.4375, expected(0, 19) = 0.8125;
  CHECK(q.values == expected);
  CHECK(q.name == "nvfp4");
  CHECK(q.bits_per_parameter == doctest::Approx(4 + (8.0 * 3 + 32) / 48));

  // Against the recipe written out with the format's rounding, on random tensors whose amax
  // is not a multiple of 2688 (s_tensor is then an inexact fp32 quotient) and rows of 40 (a
  // short last block). Both E4M3 and E2M1 saturate, as the recipe says.
  const fpx::format fp32f = fpx::preset("fp32"),
                    e4m3 = fpx::preset("e4m3").with_overflow(fpx::overflow_policy::saturate),
                    e2m1 = fpx::preset("e2m1").with_overflow(fpx::overflow_policy::saturate);
  const auto rd = [](const fpx::format& f, const fpx::rational& x) {
    return fpx::to_rational(f, fpx::from_rational(f, x));
  };
  std::mt19937_64 gen(11);
  std::normal_distribution<double> normal(0, 1);
  for (int trial = 0; trial < 4; ++trial) {
    Eigen::MatrixXd m(3, 40);
    for (Eigen::Index i = 0; i < m.size(); ++i) m(i / 40, i % 40) = normal(gen) * (trial + 1) * 0.37;
    const fpx::rational s_t = rd(fp32f, fpx::rational(m.cwiseAbs().maxCoeff()) / 2688);
    Eigen::MatrixXd want(3, 40);
    for (Eigen::Index r = 0; r < 3; ++r)
      for (Eigen::Index c0 = 0; c0 < 40; c0 += 16) {
        const Eigen::Index len = std::min<Eigen::Index>(16, 40 - c0);
        const fpx::rational s_b = rd(e4m3, fpx::rational(m.row(r).segment(c0, len).cwiseAbs().maxCoeff()) / (6 * s_t));
        for (Eigen::Index c = c0; c < c0 + len; ++c) {
          const fpx::rational x = s_b == 0 ? fpx::rational(0) : rd(e2m1, fpx::rational(m(r, c)) / (s_b * s_t)) * s_b * s_t;
          want(r, c) = static_cast<double>(x);
        }
      }
    CHECK(fpx::quantize(m, "nvfp4").values == want);
  }
  CHECK_THROWS_AS(fpx::quantize(w, "nvfp4:outliers=0.1"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::quantize(w, "nvfp4:group=16"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::quantize(w, "nvfp4:scale=fp16"), std::invalid_argument);
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

TEST_CASE("stochastic weight rounding with K random bits: floor(2^K f) / 2^K, and the name") {
  const Eigen::MatrixXd w = row({1, 0.3});  // 2.1 levels of 1/7: f = 0.1
  const double s = fp32(1.0 / 7);
  // One bit: floor(0.2) = 0, so 0.3 never rounds up (the exact rule does, one time in ten).
  for (int seed = 0; seed < 200; ++seed)
    CHECK(fpx::quantize(w, "int4:stochastic=" + std::to_string(seed) + ":stochastic_bits=1").values(0, 1) == 2 * s);
  // Four bits: floor(1.6) / 16 = 1/16 up, a mean of 2.0625 levels (5 sd over 4000 seeds: 0.019).
  double sum = 0;
  const int seeds = 4000;
  for (int seed = 0; seed < seeds; ++seed)
    sum += fpx::quantize(w, "int4:stochastic_bits=4:stochastic=" + std::to_string(seed)).values(0, 1);
  CHECK(std::abs(sum / seeds / s - 2.0625) < 0.019);
  CHECK(fpx::quantize(w, "int4:stochastic_bits=4:stochastic=9").name == "int4:scale=fp32:stochastic=9:stochastic_bits=4");
  // MX rounds row by row with its own sites; the K bits must reach them. mxint8 on a block whose
  // largest weight is 64: scale 2^6 over elements of 2^-6, so 0.3 is 0.3 of a step above 0.
  Eigen::MatrixXd block = Eigen::MatrixXd::Zero(1, 32);
  block(0, 0) = 64;
  block(0, 1) = 0.3;
  bool exact_rule_rounds_up = false;
  for (int seed = 0; seed < 100; ++seed) {
    const std::string rule = "mxint8:stochastic=" + std::to_string(seed);
    CHECK(fpx::quantize(block, rule + ":stochastic_bits=1").values(0, 1) == 0);
    exact_rule_rounds_up = exact_rule_rounds_up || fpx::quantize(block, rule).values(0, 1) == 1;
  }
  CHECK(exact_rule_rounds_up);
  for (const char* bad : {"int4:stochastic_bits=4", "int4:stochastic=1:stochastic_bits=0",
                          "int4:stochastic=1:stochastic_bits=33", "int4:stochastic=1:stochastic_bits=x"})
    CHECK_THROWS_AS(fpx::quantize(w, bad), std::invalid_argument);
}

TEST_CASE("bad quantizers and weights are refused") {
  const Eigen::MatrixXd w = row({1, 2});
  for (const char* name : {"int17", "int1", "u1:channel:group=-1", "float8", "int4:group=0", "int4:block=32",
                           "mxfp4:channel", "uint4:absmean", "int4:bogus", "int4:stochastic=x", "fp17"})
    CHECK_THROWS_AS(fpx::quantize(w, name), std::invalid_argument);
  CHECK_THROWS_AS(fpx::quantize(row({1, std::nan("")}), "int4"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::quantize(w, "binary"), doctest::Contains("retired spelling; use 's1'"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::quantize(w, "int4x"), doctest::Contains("unknown element 'int4x' (q4_0 | q8_0 | q2_k..q6_k, intN,"),
                       std::invalid_argument);
}

TEST_CASE("ggml's q4_0 and q8_0 worked by hand: the unrounded scale codes, ties go up or away") {
  // q4_0: d = (the weight of largest magnitude, signed) / -8 = 1 here; a weight's code is
  // trunc(w / d + 8.5), capped at 15, so a half goes up (0.5 -> 9, -0.5 -> 8): not to even.
  const auto a = fpx::quantize(row({-8, 4, 1, 0.25, 0.5, -0.5, 1.5, -7.9}), "q4_0");
  CHECK(a.values.row(0) == row({-8, 4, 1, 0, 1, 0, 2, -8}).row(0));
  CHECK(a.name == "q4_0");
  // A positive largest weight makes d negative: 8 is code 0, and -8 is out of reach (-7).
  const auto b = fpx::quantize(row({8, -8, 2}), "q4_0");
  CHECK(b.values.row(0) == row({8, -7, 2}).row(0));
  // q8_0: d = amax / 127 = 2 for amax 254, stored in fp16; codes roundf(w / d): halves away
  // from zero (3 / 2 -> 2, -3 / 2 -> -2, 1 / 2 -> 1).
  const auto c = fpx::quantize(row({254, 3, -3, 1, -254}), "q8_0");
  CHECK(c.values.row(0) == row({254, 4, -4, 2, -254}).row(0));
  // The code uses the unrounded d, the value the fp16 one: amax 1 gives d = 1/127, which fp16
  // stores as 0x2008 = 1032 x 2^-17; 1 codes to 127 and decodes to 127 x 1032 x 2^-17.
  const auto e = fpx::quantize(row({1, 0.5}), "q8_0");
  CHECK(e.values(0, 0) == 127 * 1032 * std::ldexp(1.0, -17));
  CHECK(e.values(0, 1) == 64 * 1032 * std::ldexp(1.0, -17));  // 63.5 -> 64, away from zero
}

TEST_CASE("k-quant storage per weight matches llama.cpp's for whole super-blocks") {
  const Eigen::MatrixXd w = Eigen::MatrixXd::Ones(3, 512);
  const std::pair<const char*, double> expected[] = {
      {"q2_k", 2.625}, {"q3_k", 3.4375}, {"q4_k", 4.5}, {"q5_k", 5.5}, {"q6_k", 6.5625}};
  for (const auto& [name, bits] : expected) {
    const std::string label = name;  // (clang cannot capture a structured binding)
    CAPTURE(label);
    CHECK(fpx::quantize(w, name).bits_per_parameter == bits);
  }
  // A short last super-block is padded and stored whole: 300 weights take two blocks of 210 bytes.
  const auto short_row = fpx::quantize(Eigen::MatrixXd::Ones(1, 300), "q6_k");
  CHECK(short_row.bits_per_parameter == 2 * 210 * 8 / 300.0);
}

TEST_CASE("MX integer elements of any width and the _K block suffix") {
  const auto f = fpx::parse_mx_format("mxint3_128");
  CHECK(f.block_size == 128);
  CHECK(f.element == fpx::parse_format("fixed:s:1:1").with_overflow(fpx::overflow_policy::saturate));
  CHECK(fpx::parse_mx_format("mxfp4_16").block_size == 16);
  CHECK(fpx::parse_mx_format("mxfp8_e4m3").block_size == 32);
  CHECK_THROWS_AS(fpx::parse_mx_format("mxint9"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_mx_format("mxint3_0"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::parse_mx_format("mxint3_128:block=32"), std::invalid_argument);
  // mxint3: levels -2..1.5 in steps of 1/2, times 2^floor(log2 max|v|). Max 7.9: scale 4;
  // 7.9/4 = 1.975 saturates to 1.5; 1/4 is a tie -> 0 (even); -3/4 a tie -> -1; -5/4 a tie
  // between -1 and -1.5 -> -1.
  const auto q = fpx::quantize(row({7.9, 1, -3, -5}), "mxint3_128");
  CHECK(q.values.row(0) == row({6, 0, -4, -4}).row(0));
  CHECK(q.bits_per_parameter == 3 + 8.0 / 4);
}

TEST_CASE("outliers: the largest weights stay in fp16 and leave the scale fit") {
  // Without the outlier the scale is fp32(1/7); 100.1 is kept as fp16(100.1) = 100.125.
  const auto q = fpx::quantize(row({100.1, 1, -0.5, 0.25}), "int4:outliers=0.25");
  const double s = fp32(1.0 / 7);
  CHECK(q.values.row(0) == row({100.125, 7 * s, -3 * s, 2 * s}).row(0));
  CHECK(q.bits_per_parameter == 4 + (32.0 + 32 + 32) / 4);  // scale, one outlier, one row start
  CHECK(q.name == "int4:scale=fp32:outliers=0.25");
  CHECK_THROWS_AS(fpx::quantize(row({1}), "int4:outliers=1"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::quantize(row({1, std::nan("")}), "int4:outliers=0.5"), std::invalid_argument);
}

TEST_CASE("SQNR of uniform grids grows by about 6 dB per bit") {
  // Gaussian weights, int4..int10 per channel: 20 log10(2) = 6.02 dB per bit of levels.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal;
  Eigen::MatrixXd w(64, 256);
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = normal(rng);
  std::vector<double> bits, sqnr;
  for (int n = 4; n <= 10; ++n) {
    const auto q = fpx::quantize(w, "int" + std::to_string(n) + ":channel");
    bits.push_back(n);
    sqnr.push_back(10 * std::log10(w.squaredNorm() / (w - q.values).squaredNorm()));
  }
  const double slope = (sqnr.back() - sqnr.front()) / (bits.back() - bits.front());
  CHECK(slope > 5.8);
  CHECK(slope < 6.3);
}

TEST_CASE("weights on and next to a rounding boundary: ties to even, neighbours to their side") {
  // The quotient w / s is formed in double first; at a tie or one ulp from it, the double
  // quotient can land on the boundary, and only the exact quotient may decide.
  const double s = fp32(1.0 / 7);
  const double tie = 2.5 * s;  // exact: 2.5 x a 24-bit significand
  const auto q = fpx::quantize(row({1, tie, std::nextafter(tie, 9.0), std::nextafter(tie, 0.0),
                                    -tie, 0.5 * s, std::nextafter(0.5 * s, 1.0)}),
                               "int4");
  CHECK(q.values.row(0) == row({7 * s, 2 * s, 3 * s, 2 * s, -2 * s, 0, s}).row(0));
}
