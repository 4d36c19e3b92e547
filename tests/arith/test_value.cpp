// The typed path gives the same bits as the runtime path, and works as an Eigen scalar.
#include <doctest/doctest.h>

#include <Eigen/Core>
#include <random>

#include "fpx/arith/value.hpp"

using half = fpx::value<"fp16">;
using fp8 = fpx::value<"e4m3", fpx::round_mode::rtz>;

TEST_CASE("typed arithmetic equals the runtime functions bit for bit") {
  const auto& f = fpx::preset("fp16");
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-100, 100);
  for (int i = 0; i < 2000; ++i) {
    const double x = dist(rng), y = dist(rng);
    const half a(x), b(y);
    CHECK(a.code() == fpx::from_double(f, x));
    CHECK((a + b).code() == fpx::add(f, a.code(), b.code()));
    CHECK((a * b).code() == fpx::mul(f, a.code(), b.code()));
    CHECK((a / b).code() == fpx::div(f, a.code(), b.code()));
    CHECK(sqrt(abs(a)).code() == fpx::sqrt(f, abs(a).code()));
  }
}

TEST_CASE("the rounding mode is part of the type") {
  // 1 + 2^-4 lies between e4m3 neighbours 1 and 1.125: rtz keeps 1, rne's tie goes to 1 (even).
  const fp8 one(1.0), step(0.0625);
  CHECK(static_cast<double>(one + step) == 1.0);
  CHECK(static_cast<double>(fp8(1.1) ) == 1.0);
  CHECK(static_cast<double>(fpx::value<"e4m3">(1.1)) == 1.125);
}

TEST_CASE("value_cast converts with one rounding") {
  const half h(0.1);  // 0.0999755859375 in fp16
  const auto b = fpx::value_cast<fpx::value<"bf16">>(h);
  CHECK(b.code() == fpx::convert(fpx::preset("fp16"), h.code(), fpx::preset("bf16")));
  CHECK(static_cast<double>(b) == 0.10009765625);
}

TEST_CASE("comparisons follow IEEE 754") {
  const half nan(std::numeric_limits<double>::quiet_NaN()), zero(0.0), neg_zero(-0.0);
  CHECK_FALSE(nan == nan);
  CHECK(zero == neg_zero);
  CHECK(half(-1e9) < half(-65504.0));  // -inf < -max
}

TEST_CASE("Eigen stores values and applies element-wise operations through fpx") {
  Eigen::Matrix<half, 2, 2> m, n;
  m << half(1.0), half(2.0), half(3.0), half(2049.0);  // 2049 rounds to 2048 in fp16
  n << half(0.5), half(0.5), half(0.5), half(1.0);
  const Eigen::Matrix<half, 2, 2> sum = m + n;
  CHECK(static_cast<double>(m(1, 1)) == 2048.0);
  CHECK(static_cast<double>(sum(0, 0)) == 1.5);
  CHECK(static_cast<double>(sum(1, 1)) == 2048.0);  // 2049 is a tie, to even
  const Eigen::Matrix<half, 2, 2> prod = m.cwiseProduct(n);
  CHECK(static_cast<double>(prod(1, 0)) == 1.5);
  CHECK(static_cast<double>(Eigen::NumTraits<half>::highest()) == 65504.0);
}
