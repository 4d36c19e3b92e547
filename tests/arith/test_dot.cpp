// Dot products: the accumulation rule decides the result, in hand-checked cases.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/dot.hpp"
#include "fpx/arith/round.hpp"

namespace {

const fpx::format& fp16() {
  static const fpx::format f = fpx::preset("fp16");
  return f;
}

std::vector<fpx::code_t> codes(std::initializer_list<double> xs) {
  std::vector<fpx::code_t> v;
  for (double x : xs) v.push_back(fpx::from_double(fp16(), x));
  return v;
}

double dot16(const std::vector<fpx::code_t>& a, const std::vector<fpx::code_t>& b,
             const fpx::accumulation& rule) {
  return fpx::to_double(fp16(), fpx::dot(fp16(), a, b, fp16(), rule));
}

}  // namespace

TEST_CASE("summation order changes the rounded sum; exact accumulation does not") {
  // Terms 1, 2^-11, 2^-11. Left to right: 1 + 2^-11 is a tie in fp16 and goes to 1 (even), and
  // again; so the sum stays 1. Summing the small terms first gives 2^-10 exactly, then 1 + 2^-10.
  const double tiny = std::ldexp(1.0, -11);
  const auto a = codes({1, tiny, tiny}), ones = codes({1, 1, 1});
  fpx::accumulation rule;
  CHECK(dot16(a, ones, rule) == 1.0);
  rule.sum_order = fpx::accumulation::order::given;
  rule.permutation = {1, 2, 0};
  CHECK(dot16(a, ones, rule) == 1 + 2 * tiny);
  rule = {};
  rule.where = fpx::accumulation::rounding_points::once_per_dot_product;
  CHECK(dot16(a, ones, rule) == 1 + 2 * tiny);
}

TEST_CASE("pairwise order: (a0 + a1) + (a2 + a3)") {
  const double tiny = std::ldexp(1.0, -11);
  const auto a = codes({1, 0, tiny, tiny}), ones = codes({1, 1, 1, 1});
  fpx::accumulation rule;
  CHECK(dot16(a, ones, rule) == 1.0);  // ((1 + 0) + tiny) + tiny: two ties to even
  rule.sum_order = fpx::accumulation::order::pairwise;
  CHECK(dot16(a, ones, rule) == 1 + 2 * tiny);  // (1 + 0) + (tiny + tiny)
}

TEST_CASE("products rounded into a narrower format, accumulator in a wider one") {
  // 1.1 * 1.1 = 1.2099... in fp16 operands 1.099609375^2 = 1.2091..., which e4m3 rounds to 1.25.
  const auto a = codes({1.1, 1.1}), b = codes({1.1, -1.1});
  fpx::accumulation rule;
  rule.product = fpx::preset("e4m3");
  rule.accumulator = fpx::preset("fp32");
  CHECK(dot16(a, b, rule) == 0.0);
  const auto c = codes({1.1}), d = codes({1.1});
  CHECK(dot16(c, d, rule) == 1.25);
  rule = {};
  // 1.099609375^2 = 1.20914... = 1238.16 * 2^-10: fp16 gives 1238 * 2^-10 (hand-derived).
  CHECK(dot16(c, d, rule) == 1238.0 / 1024);
}

TEST_CASE("fused accumulation rounds once per step") {
  // (1 + 2^-10)^2 = 1 + 2^-9 + 2^-20: rounded, the product is 1 + 2^-9 and the sum with
  // -(1 + 2^-9) is 0; fused, the exact product keeps 2^-20.
  const double e = 1 + std::ldexp(1.0, -10);
  const auto a = codes({1 + std::ldexp(1.0, -9), e}), b = codes({-1, e});
  fpx::accumulation rule;
  CHECK(dot16(a, b, rule) == 0.0);
  rule.where = fpx::accumulation::rounding_points::fused;
  CHECK(dot16(a, b, rule) == std::ldexp(1.0, -20));
}
