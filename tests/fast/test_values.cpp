// Values held in doubles (fast/values.hpp): decoding every code, reading values back to codes,
// dot products, and what the batch functions promise about threads. The element-wise
// operations on values are checked on every operand pair against the oracle in
// test_elementwise.cpp, and rounding into values at every boundary in test_rounder.cpp.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <span>

#include "formats_under_test.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/arith/dot.hpp"
#include "fpx/arith/ops.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/fast/isa.hpp"
#include "fpx/fast/rounder.hpp"
#include "fpx/fast/values.hpp"
#include "oracle.hpp"
#include "oracle_values.hpp"

using fpx::code_t;

namespace {

// Formats up to 16 bits: the small ones and wider grids and minifloats of each kind.
std::vector<fpx::format> formats_to_16_bits() {
  auto v = fpx_test::small_formats();
  for (const char* name : {"fp16", "bf16", "e5m10_fnuz", "e6m9_fn", "int16", "fixed:s:7:8", "uint12:zero=100",
                           "fixed:u:3:9:overflow=error"})
    v.push_back(fpx::parse_format(name));
  return v;
}

}  // namespace

TEST_CASE("fast_decoder: every code of every format up to 16 bits, on every kernel set") {
  std::size_t checked = 0, fast = 0;
  for (const auto& f : formats_to_16_bits()) {
    const code_t count = code_t{1} << f.bits();
    std::vector<code_t> codes, unused{count};  // and one code beyond the width
    for (code_t c = 0; c < count; ++c) (fpx::is_valid_code(f, c) ? codes : unused).push_back(c);
    const fpx::fast_decoder decoder(f);
    fast += decoder.is_fast();
    for (std::string_view isa : fpx::fast_kernel_isas()) {
      const fpx::fast_kernel_isa_scope scope(isa);
      std::vector<double> out(codes.size());
      decoder(codes, out);
      for (std::size_t i = 0; i < codes.size(); ++i, ++checked)
        if (!oracle::value_is(f, codes[i], out[i]))
          FAIL_CHECK(fmt::format("{} [{}] code {:#x}: got {:a}", f.name(), isa, codes[i], out[i]));
      // Codes the format does not use, wherever they sit in a batch.
      for (code_t bad : unused)
        for (std::size_t at : {std::size_t{0}, std::size_t{6}}) {
          std::vector<code_t> batch(9, codes.front());
          batch[at] = bad;
          std::vector<double> values(9);
          CHECK_THROWS_WITH_AS(decoder(batch, values),
                               fmt::format("codes[{}] = {:#x} is not a code of {}", at, bad, f.name()).c_str(),
                               std::invalid_argument);
        }
    }
  }
  MESSAGE(fmt::format("{} codes decoded; {} formats on the kernels", checked, fast));
  CHECK(fast >= 24);  // all but e8m0, e2m2:nosub, e4m3:unsigned and the grids of non-dyadic or one-bit scale
}

TEST_CASE("value_reader: every value reads back to its code; anything else is refused by index") {
  for (const auto& f : formats_to_16_bits()) {
    const fpx::value_reader reader(f);
    const auto codes = fpx::finite_codes(f);
    std::vector<double> values;
    for (code_t c : codes) values.push_back(oracle::double_of(f, c));
    const bool dyadic = f.is_dyadic();
    for (std::string_view isa : fpx::fast_kernel_isas()) {
      const fpx::fast_kernel_isa_scope scope(isa);
      if (dyadic) {
        std::vector<code_t> got(values.size());
        reader(values, got);
        for (std::size_t i = 0; i < values.size(); ++i)
          CHECK_MESSAGE(got[i] == codes[i], fmt::format("{} [{}] {:a}", f.name(), isa, values[i]));
        // Specials read to codes whose oracle value is the same special.
        std::vector<double> specials;
        if (f.has_nan()) specials.push_back(NAN);
        if (f.has_inf()) specials.insert(specials.end(), {HUGE_VAL, -HUGE_VAL});
        if (f.has_negative_zero()) specials.push_back(-0.0);
        std::vector<code_t> special_codes(specials.size());
        reader(specials, special_codes);
        for (std::size_t i = 0; i < specials.size(); ++i)
          CHECK_MESSAGE(oracle::value_is(f, special_codes[i], specials[i]), fmt::format("{} special {}", f.name(), i));
      }
      // Not values: midpoints (for a non-dyadic grid every nonzero value), beyond the range,
      // and specials the format lacks, at the head, the tail and past a chunk of a batch.
      std::vector<double> bad;
      for (std::size_t i = 0; i + 1 < values.size(); i += std::max<std::size_t>(1, values.size() / 8))
        bad.push_back(values[i] + (values[i + 1] - values[i]) / 2);
      bad.push_back(values.back() * 2 + 1);
      if (!f.has_nan()) bad.push_back(NAN);
      if (!f.has_inf()) bad.push_back(-HUGE_VAL);
      double filler = values.front();  // the value nearest 0 (0 itself where f has it)
      for (double v : values)
        if (std::abs(v) < std::abs(filler)) filler = v;
      for (double x : bad)
        for (std::size_t at : {std::size_t{0}, std::size_t{511}, std::size_t{700}}) {
          std::vector<double> batch(703, filler);
          batch[at] = x;
          std::vector<code_t> out(batch.size());
          const std::string expected =
              std::isnan(x)   ? fmt::format("w[{}] is NaN, which {} does not have", at + 5, f.name())
              : std::isinf(x) ? fmt::format("w[{}] is infinite, which {} does not have", at + 5, f.name())
                              : fmt::format("w[{}] = {} is not a value of {}; round it first", at + 5, x, f.name());
          CHECK_THROWS_WITH_AS(reader(batch, out, "w", 5), expected.c_str(), std::invalid_argument);
        }
    }
    if (f.is_signed() && !f.has_negative_zero() && f.is_dyadic()) {  // -0 reads as +0
      std::vector<code_t> out(1);
      reader(std::vector<double>{-0.0}, out);
      CHECK(oracle::value_is(f, out[0], 0.0));
    }
  }
}

TEST_CASE("value_dot: the reference dot's bits and sites, from values, on the fast path where it applies") {
  using order = fpx::accumulation::order;
  using points = fpx::accumulation::rounding_points;
  std::mt19937_64 random(7);
  struct rule_case {
    const char* in;
    const char* out;
    const char* product;
    const char* accumulator;
    points where;
    order sum_order;
  };
  const rule_case cases[] = {
      {"e4m3", "e4m3", nullptr, nullptr, points::every_operation, order::left_to_right},
      {"e4m3", "fp32", "fp16", "fp32", points::every_operation, order::pairwise},
      {"e2m1", "bf16", nullptr, "bf16", points::fused, order::left_to_right},
      {"fp16", "fp16", nullptr, nullptr, points::once_per_dot_product, order::left_to_right},
      {"int8", "fixed:s:15:0", nullptr, nullptr, points::every_operation, order::given},
      {"fixed:s:3:4", "fixed:s:3:4:overflow=saturate", nullptr, nullptr, points::every_operation, order::pairwise},
      {"e8m0", "fp32", nullptr, nullptr, points::every_operation, order::left_to_right},  // not on the kernels
  };
  std::size_t fast_rules = 0;
  for (const auto& c : cases) {
    const auto in = fpx::parse_format(c.in), out = fpx::parse_format(c.out);
    const auto codes = fpx::finite_codes(in);
    for (fpx::round_mode mode : fpx::all_round_modes) {
      const fpx::rounding r{mode, 42};
      for (std::size_t n : {1, 5, 16}) {
        fpx::accumulation rule;
        rule.where = c.where;
        rule.sum_order = c.sum_order;
        if (c.product) rule.product = fpx::parse_format(c.product);
        if (c.accumulator) rule.accumulator = fpx::parse_format(c.accumulator);
        if (c.sum_order == order::given)
          for (std::size_t k = 0; k < n; ++k) rule.permutation.push_back(n - 1 - k);
        const fpx::value_dot dot(in, out, rule, r);
        fast_rules += dot.is_fast();
        const std::size_t rows = 40;
        std::vector<code_t> ca(rows * n), cb(rows * n);
        std::vector<double> a(rows * n), b(rows * n);
        for (std::size_t i = 0; i < rows * n; ++i) {
          ca[i] = codes[random() % codes.size()];
          cb[i] = codes[random() % codes.size()];
          a[i] = oracle::double_of(in, ca[i]);
          b[i] = oracle::double_of(in, cb[i]);
        }
        std::vector<double> got(rows);
        bool threw = false;
        try {
          dot.rows(a, b, n, got, 1000);
        } catch (const std::exception&) {
          threw = true;
        }
        bool any_reference_throw = false;
        for (std::size_t i = 0; i < rows; ++i) {
          const std::uint64_t site = 1000 + i * (2 * n + 1);
          try {
            const code_t want = fpx::dot(in, std::span(ca).subspan(i * n, n), std::span(cb).subspan(i * n, n), out,
                                         rule, r, site);
            if (!threw)
              CHECK_MESSAGE(oracle::value_is(out, want, got[i]),
                            fmt::format("{} -> {} {} n = {} row {}: {:a}", c.in, c.out, fpx::to_string(mode), n, i, got[i]));
          } catch (const std::exception&) {
            any_reference_throw = true;
          }
        }
        CHECK(threw == any_reference_throw);
      }
    }
  }
  CHECK(fast_rules >= 4 * 6 * 3);  // the kernels take the dyadic rules in the deterministic modes
}

TEST_CASE("batches: the same bits and the same error at any thread count") {
  const auto f = fpx::preset("e4m3");
  const std::size_t n = 200'000;  // about three ranges of 2^16
  std::vector<double> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = std::sin(static_cast<double>(i)) * 300;
    y[i] = std::cos(static_cast<double>(i) * 0.7) * 3;
  }
  for (fpx::round_mode mode : {fpx::round_mode::rne, fpx::round_mode::stochastic}) {
    const fpx::rounding r{mode, 9};
    const fpx::fast_rounder rounder(f, r);
    std::vector<double> a(n), b(n);
    rounder.round_values(x, a, 0, 1);
    rounder.round_values(y, b, n, 1);
    const fpx::value_arith arith(f, r);
    std::vector<double> sum1(n), prod1(n), root1(n);
    arith.add(a, b, sum1, 5, 1);
    arith.mul(a, b, prod1, 5, 1);
    arith.sqrt(b, root1, 5, 1);  // negative b: NaN, which e4m3 has
    for (unsigned threads : {2u, 3u, 0u}) {
      std::vector<double> a2(n), sum(n), prod(n), root(n);
      rounder.round_values(x, a2, 0, threads);
      CHECK(std::memcmp(a.data(), a2.data(), n * sizeof(double)) == 0);
      arith.add(a, b, sum, 5, threads);
      arith.mul(a, b, prod, 5, threads);
      arith.sqrt(b, root, 5, threads);
      CHECK(std::memcmp(sum.data(), sum1.data(), n * sizeof(double)) == 0);
      CHECK(std::memcmp(prod.data(), prod1.data(), n * sizeof(double)) == 0);
      CHECK(std::memcmp(root.data(), root1.data(), n * sizeof(double)) == 0);
    }
    // Stochastic sites are element indices from first_site: element i alone gives the same.
    for (std::size_t i : {std::size_t{0}, std::size_t{70'001}, n - 1}) {
      const code_t ca = fpx::from_double(f, a[i]), cb = fpx::from_double(f, b[i]);
      CHECK(sum1[i] == fpx::to_double(f, fpx::add(f, ca, cb, r, 5 + i)));
    }
    // Two bad operands: the lower one is named whatever the split.
    auto bad = a;
    bad[150'000] = 0.1;
    bad[70'000] = 0.3;
    for (unsigned threads : {1u, 2u, 3u}) {
      std::vector<double> out(n);
      CHECK_THROWS_WITH_AS(arith.add(bad, b, out, 0, threads), "a[70000] = 0.3 is not a value of e4m3; round it first",
                           std::invalid_argument);
    }
  }
  // An operation that must throw, under the error policy, past the first range.
  const auto strict = fpx::parse_format("e4m3:overflow=error");
  std::vector<double> big(n, 256.0);
  std::vector<double> out(n);
  for (unsigned threads : {1u, 3u}) {
    const fpx::value_arith arith(strict);
    std::vector<double> small(n, 1.0);
    CHECK_NOTHROW(arith.add(small, small, out, 0, threads));
    CHECK_THROWS_AS(arith.add(big, big, out, 0, threads), std::overflow_error);
  }
}

TEST_CASE("value_arith refuses mismatched sizes and names operands") {
  const fpx::value_arith arith(fpx::preset("fp16"));
  std::vector<double> a(4, 1.0), b(3, 1.0), out(4);
  CHECK_THROWS_AS(arith.add(a, b, out), std::invalid_argument);
  CHECK_THROWS_AS(arith.fma(a, a, b, out), std::invalid_argument);
  std::vector<double> c{1.0, 2.0, 1.0 / 3, 4.0};
  CHECK_THROWS_WITH_AS(arith.fma(a, a, c, out), "c[2] = 0.3333333333333333 is not a value of fp16; round it first",
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(arith.sqrt(c, out), "a[2] = 0.3333333333333333 is not a value of fp16; round it first",
                       std::invalid_argument);
}

TEST_CASE("value_arith on random values of wide formats: the reference path's bits") {
  // Formats too wide for exhaustive tables; the reference path is checked against the oracle on
  // random operands in test_sampled.cpp. e8m40's products are not exact in double, so its fma
  // cannot take the exact-product kernel; fp32's can.
  std::mt19937_64 random(11);
  for (const char* name : {"fp32", "e8m40", "bf16", "fixed:s:20:20", "int32", "e5m10_fnuz"}) {
    const auto f = fpx::parse_format(name);
    const std::size_t n = 3000;
    std::vector<double> x(n), y(n), z(n);
    std::uniform_real_distribution<double> u(-4, 4);
    const fpx::fast_rounder to_f(f);
    for (auto* v : {&x, &y, &z}) {
      for (double& e : *v) e = std::ldexp(u(random), static_cast<int>(random() % 9) - 4);
      to_f.round_values(*v, *v);
    }
    std::vector<double> positive(n);
    for (std::size_t i = 0; i < n; ++i) {
      positive[i] = std::abs(x[i]);
      if (y[i] == 0) y[i] = 1;  // no division by zero (grids have no NaN for 0 / 0)
    }
    for (fpx::round_mode mode : fpx::all_round_modes) {
      const fpx::rounding r{mode, 3};
      const fpx::value_arith arith(f, r);
      std::vector<double> add(n), mul(n), div(n), fma(n), root(n);
      arith.add(x, y, add, 100);
      arith.mul(x, y, mul, 100);
      arith.div(x, y, div, 100);
      arith.fma(x, y, z, fma, 100);
      arith.sqrt(positive, root, 100);
      std::size_t wrong = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const code_t a = fpx::from_double(f, x[i]), b = fpx::from_double(f, y[i]), c = fpx::from_double(f, z[i]);
        const code_t p = fpx::from_double(f, positive[i]);
        const std::uint64_t site = 100 + i;
        wrong += !oracle::value_is(f, fpx::add(f, a, b, r, site), add[i]);
        wrong += !oracle::value_is(f, fpx::mul(f, a, b, r, site), mul[i]);
        wrong += !oracle::value_is(f, fpx::div(f, a, b, r, site), div[i]);
        wrong += !oracle::value_is(f, fpx::fma(f, a, b, c, r, site), fma[i]);
        wrong += !oracle::value_is(f, fpx::sqrt(f, p, r, site), root[i]);
      }
      CHECK_MESSAGE(wrong == 0, fmt::format("{} {}: {} results differ from the reference path", name,
                                            fpx::to_string(mode), wrong));
    }
  }
}

TEST_CASE("value_arith: operands beyond the range or between values are refused on every kernel set") {
  // Each bad operand in a batch of finite values, where the plain kernels run: above the
  // largest value (with a mantissa the format has: 512 and 480 in e4m3), below the smallest
  // subnormal, between two subnormals, between two normals,
  // and for a grid a fraction of its step and a level beyond its range.
  struct bad_case {
    const char* format;
    double x;
  };
  for (const bad_case& bad : {bad_case{"e4m3", 1000.0}, bad_case{"e4m3", 512.0}, bad_case{"e4m3", 480.0},
                                bad_case{"e4m3", 0x1p-10}, bad_case{"e4m3", 0x3p-10}, bad_case{"fp16", 0x1p17},
                                bad_case{"e4m3", 1.0625}, bad_case{"fp16", 0x1.002p0}, bad_case{"fp16", 0x1p-25},
                                bad_case{"fp16", 65520.0}, bad_case{"fixed:s:3:4", 0.03125},
                                bad_case{"fixed:s:3:4", 8.0}, bad_case{"fixed:s:3:4", -8.0625}}) {
    // Named copies, not structured bindings: clang 14 cannot capture a binding in CAPTURE's lambda.
    const std::string name = bad.format;
    const double x = bad.x;
    const auto f = fpx::parse_format(name);
    for (std::string_view isa : fpx::fast_kernel_isas()) {
      const fpx::fast_kernel_isa_scope scope(isa);
      for (fpx::round_mode mode : {fpx::round_mode::rne, fpx::round_mode::down}) {
        const fpx::value_arith arith(f, {mode, 0});
        std::vector<double> a(40, 1.0), b(40, 0.5), c(40, 0.25), out(40);
        a[17] = x;
        const std::string message = fmt::format("a[17] = {} is not a value of {}; round it first", x, f.name());
        CAPTURE(name);
        CHECK_THROWS_WITH_AS(arith.add(a, b, out), message.c_str(), std::invalid_argument);
        CHECK_THROWS_WITH_AS(arith.mul(a, b, out), message.c_str(), std::invalid_argument);
        CHECK_THROWS_WITH_AS(arith.fma(a, b, c, out), message.c_str(), std::invalid_argument);
        CHECK_THROWS_WITH_AS(arith.sqrt(a, out), message.c_str(), std::invalid_argument);
      }
    }
  }
}
