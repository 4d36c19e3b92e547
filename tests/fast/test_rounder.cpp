// Conversions from double at every rounding boundary, one double-ulp either side, for every
// format up to 16 bits and every mode, through the reference path and the fast kernels, on
// every kernel instruction set; and the fast rounder's batches and stochastic sites.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <cmath>

#include "formats_under_test.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/fast/isa.hpp"
#include "fpx/fast/rounder.hpp"
#include "fpx/arith/round.hpp"
#include "oracle.hpp"
#include "oracle_values.hpp"
#include "fpx/exact/parallel.hpp"

namespace {

std::atomic<std::size_t> mismatches = 0;

struct outcome {
  bool threw = false;
  fpx::code_t code = 0;
};

template <class Call>
outcome run(Call call) {
  try {
    return {false, call()};
  } catch (const std::exception&) {
    return {true, 0};
  }
}

oracle::real exact_double(double x) {
  oracle::real exact = std::isnan(x)   ? oracle::nan()
                       : std::isinf(x) ? oracle::infinity(x < 0)
                                       : oracle::from_rational(fpx::rational(x));
  exact.negative = std::signbit(x);
  return exact;
}

void compare(const fpx::format& f, const char* path, double x, const fpx::rounding& r, const outcome& got,
             const oracle::expected& want) {
  if (got.threw == want.error && (got.threw || got.code == want.code)) return;
  if (++mismatches <= 20)
    FAIL_CHECK(fmt::format("{} {}({:a}) {}: got {:#x}{} oracle {:#x}{}", f.name(), path, x,
                           fpx::rounding_name(r), got.code, got.threw ? " (threw)" : "", want.code,
                           want.error ? " (error)" : ""));
}

// One fast_rounder per rule, in rules_under_test order.
std::vector<fpx::fast_rounder> fast_rounders(const fpx::format& f, std::uint64_t seed) {
  std::vector<fpx::fast_rounder> v;
  for (const fpx::rounding& r : fpx_test::rules_under_test(seed)) v.emplace_back(f, r);
  return v;
}

// xs[j] at site first_site + j, in every mode: from_double, the fast rounder on one element,
// and the fast rounder on the whole batch (the vectorised loop) on every kernel instruction set,
// each against the oracle.
void check_doubles(const fpx::format& f, const std::vector<fpx::fast_rounder>& fast,
                   const std::vector<double>& xs, std::uint64_t first_site, std::uint64_t seed) {
  const auto rules = fpx_test::rules_under_test(seed);
  for (std::size_t k = 0; k < fast.size(); ++k) {
    const fpx::rounding& r = rules[k];
    std::vector<oracle::expected> want;
    bool any_error = false;
    for (std::size_t j = 0; j < xs.size(); ++j) {
      const std::uint64_t site = first_site + j;
      want.push_back(oracle::round(f, exact_double(xs[j]), r, site));
      any_error = any_error || want[j].error;
      compare(f, "from_double", xs[j], r, run([&] { return fpx::from_double(f, xs[j], r, site); }), want[j]);
      compare(f, "fast_rounder", xs[j], r, run([&] { return fast[k](xs[j], site); }), want[j]);
    }
    for (std::string_view isa : fpx::fast_kernel_isas()) {
      const fpx::fast_kernel_isa_scope scope(isa);
      std::vector<fpx::code_t> batch(xs.size());
      const bool batch_threw = run([&] { fast[k](xs, batch, first_site); return fpx::code_t{0}; }).threw;
      const std::string label = fmt::format("fast_rounder batch [{}]", isa);
      for (std::size_t j = 0; j < xs.size(); ++j)
        if (!batch_threw && !want[j].error) compare(f, label.c_str(), xs[j], r, {false, batch[j]}, want[j]);
      if (batch_threw != any_error && ++mismatches <= 20)
        FAIL_CHECK(fmt::format("{} {} {}: threw {} but oracle error {}", f.name(), label,
                               fpx::rounding_name(r), batch_threw, any_error));
      // round_values: the same roundings as values (the oracle's code decoded by the oracle).
      std::vector<double> values(xs.size());
      const bool values_threw = run([&] { fast[k].round_values(xs, values, first_site); return fpx::code_t{0}; }).threw;
      if (values_threw != any_error && ++mismatches <= 20)
        FAIL_CHECK(fmt::format("{} round_values [{}] {}: threw {} but oracle error {}", f.name(), isa,
                               fpx::rounding_name(r), values_threw, any_error));
      for (std::size_t j = 0; j < xs.size() && !values_threw; ++j)
        if (!oracle::value_is(f, want[j].code, values[j]) && ++mismatches <= 20)
          FAIL_CHECK(fmt::format("{} round_values [{}]({:a}) {}: got {:a}, oracle code {:#x}", f.name(), isa, xs[j],
                                 fpx::rounding_name(r), values[j], want[j].code));
    }
  }
}

}  // namespace

TEST_CASE("from_double and fast_rounder at every boundary and one double-ulp either side") {
  auto formats = fpx_test::small_formats();
  for (const char* wide : {"fp16", "bf16"}) formats.push_back(fpx::parse_format(wide));
  for (const auto& f : formats) {
    const auto codes = fpx::finite_codes(f);
    const auto fast = fast_rounders(f, 99);
    std::atomic<std::size_t> points = 0;
    fpx::parallel_for(codes.size(), 0, [&](std::uint64_t i) {
      const double v = fpx::to_double(f, codes[i]);
      std::vector<double> xs{v, -v};
      if (i + 1 < codes.size()) {
        // The midpoint to the next value; beyond the largest, the midpoint to the next value
        // the unbounded grid would have (where overflow starts).
        const double next = fpx::to_double(f, codes[i + 1]);
        xs.push_back(v + (next - v) / 2);
      } else {
        xs.push_back(v + (v - fpx::to_double(f, codes[i - 1])) / 2);
        xs.push_back(2 * v);
      }
      for (double x : std::vector<double>(xs))
        for (double y : {std::nextafter(x, -double(INFINITY)), std::nextafter(x, double(INFINITY))}) xs.push_back(y);
      check_doubles(f, fast, xs, i * 16, 99);
      points += xs.size();
    });
    MESSAGE(fmt::format("{}: {} boundary points x {} rules (fast kernels: {})", f.name(), points.load(), fast.size(),
                        fast[0].is_fast()));
    CHECK(points > 3 * codes.size());
    const std::vector<double> specials{0.0, -0.0, double(INFINITY), -double(INFINITY), double(NAN), 1e-320, -1e308};
    for (double special : specials) check_doubles(f, fast, {special}, 0, 99);
  }
  CHECK(mismatches == 0);
}

TEST_CASE("fast_rounder refuses a rule no name gives") {
  const auto fp16 = fpx::preset("fp16");
  CHECK_THROWS_AS(fpx::fast_rounder(fp16, {fpx::round_mode::stochastic, 1, 40}), std::invalid_argument);
  CHECK_THROWS_AS(fpx::fast_rounder(fp16, {fpx::round_mode::rne, 0, 5}), std::invalid_argument);
}

TEST_CASE("fast_rounder covers the formats it should") {
  for (const char* name : {"fp16", "bf16", "e5m2", "e4m3", "e2m1", "fp32", "fp64", "fixed:s:15:16", "int8", "ternary"})
    CHECK_MESSAGE(fpx::fast_rounder(fpx::parse_format(name)).is_fast(), name);
  for (const char* name : {"e8m0", "e2m2:nosub", "e4m3:unsigned", "s1", "ternary:scale=0.7"})
    CHECK_MESSAGE(!fpx::fast_rounder(fpx::parse_format(name)).is_fast(), name);
}

TEST_CASE("fast_rounder batches: sizes must match, floats are read exactly") {
  const fpx::fast_rounder to_fp16(fpx::preset("fp16"));
  std::vector<double> xs(5, 1.0);
  std::vector<fpx::code_t> out(4);
  CHECK_THROWS_AS(to_fp16(xs, out), std::invalid_argument);
  // 1 + 2^-11 + 2^-23 is a float just above fp16's tie between 1 and 1 + 2^-10.
  const std::vector<float> fs{1.0f + 0x1p-11f + 0x1p-23f, 1.0f + 0x1p-11f};
  std::vector<fpx::code_t> codes(2);
  to_fp16(fs, codes);
  CHECK(codes[0] == 0x3c01);
  CHECK(codes[1] == 0x3c00);
}



TEST_CASE("fast_rounder where a carry reaches the next binade, for mantissas up to 52 bits") {
  // Too wide for the oracle's tables: the reference path (checked against the oracle above on
  // every narrower format) is the comparison. Values just below 2^k round up to 2^k in the
  // modes that round up; a kernel that mishandles the carry (n = 2^(M+1)) fails here.
  for (int m = 44; m <= 52; ++m) {
    const auto f = fpx::parse_format(fmt::format("e8m{}", m));
    for (const fpx::rounding& r : fpx_test::rules_under_test(1)) {
      const fpx::fast_rounder fast(f, r);
      std::vector<double> xs;
      for (int k = -20; k <= 20; ++k)
        for (int ulps = 1; ulps <= 3; ++ulps) {
          const double below = std::ldexp(1.0 - std::ldexp(static_cast<double>(ulps), -53), k);
          xs.push_back(below);
          xs.push_back(-below);
        }
      std::vector<fpx::code_t> out(xs.size());
      fast(xs, out, 0);
      for (std::size_t i = 0; i < xs.size(); ++i)
        CHECK_MESSAGE(out[i] == fpx::from_double(f, xs[i], r, i),
                      fmt::format("{} {} {:a}", f.name(), fpx::rounding_name(r), xs[i]));
    }
  }
}

TEST_CASE("same seed, same bits: independent of thread split and order") {
  const auto f = fpx::preset("bf16");
  std::vector<double> xs(50'000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = std::sin(static_cast<double>(i)) * 1000;
  const fpx::rounding r{fpx::round_mode::stochastic, 12345};
  const auto sequential = fpx::from_doubles(f, xs, r);
  std::vector<fpx::code_t> parallel(xs.size()), reversed(xs.size());
  fpx::parallel_for(xs.size(), 0, [&](std::uint64_t i) { parallel[i] = fpx::from_double(f, xs[i], r, i); });
  for (std::size_t i = xs.size(); i-- > 0;) reversed[i] = fpx::from_double(f, xs[i], r, i);
  CHECK(sequential == parallel);
  CHECK(sequential == reversed);
  const auto other_seed = fpx::from_doubles(f, xs, {fpx::round_mode::stochastic, 12346});
  CHECK(sequential != other_seed);
}
