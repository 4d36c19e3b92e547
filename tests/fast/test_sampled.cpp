// Seeded random operands for formats too wide to enumerate pairs of: fp16, bf16, tf32 and fixed
// point up to 32 bits, every mode, against the oracle; through the reference path (arith/ops.hpp)
// and through the fast paths on every kernel instruction set (fast_arith's batches,
// fast_rounder on random doubles).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <cfenv>
#include <cmath>
#include <random>

#include "fpx/arith/ops.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/fast/elementwise.hpp"
#include "fpx/fast/isa.hpp"
#include "fpx/fast/rounder.hpp"
#include "fpx/arith/round.hpp"
#include "formats_under_test.hpp"
#include "oracle.hpp"
#include "fpx/exact/parallel.hpp"

namespace {

std::atomic<std::size_t> mismatches = 0;

template <class Library, class Exact>
void check(const fpx::format& f, const char* op, fpx::code_t a, fpx::code_t b, Library library,
           Exact exact) {
  for (const fpx::rounding& r : fpx_test::rules_under_test(2024)) {
    const std::uint64_t site = a * 31 + b;
    const auto want = oracle::round(f, exact(r.mode), r, site);
    bool threw = false;
    fpx::code_t got = 0;
    try {
      got = library(r, site);
    } catch (const std::exception&) {
      threw = true;
    }
    if (threw != want.error || (!threw && got != want.code))
      if (++mismatches <= 20)
        FAIL_CHECK(fmt::format("{} {}({:#x}, {:#x}) {}: library {:#x} oracle {:#x}", f.name(), op, a,
                               b, fpx::rounding_name(r), got, want.code));
  }
}

// A random valid code; half the draws come from near the extremes and near 1 where the
// interesting roundings (overflow, subnormals, carries) live.
fpx::code_t random_code(const fpx::format& f, std::mt19937_64& rng) {
  const fpx::code_t top = f.bits() == 64 ? ~fpx::code_t{0} : (fpx::code_t{1} << f.bits()) - 1;
  for (;;) {
    fpx::code_t c = rng() & top;
    if (rng() & 1) c = (rng() & 1) ? c & 0xff : top - (c & 0xff);  // near the ends of the code space
    if (fpx::is_valid_code(f, c)) return c;
  }
}

}  // namespace

TEST_CASE("random operands against the oracle") {
  constexpr std::size_t pairs = 1000;
  for (const char* name : {"fp16", "bf16", "tf32", "fixed:s:15:16", "fixed:u:20:12",
                           "fixed:s:7:24:overflow=error"}) {
    const auto f = fpx::parse_format(name);
    std::atomic<std::size_t> cases = 0;
    fpx::parallel_for(pairs, 0, [&](std::uint64_t i) {
      std::mt19937_64 rng(i);  // one stream per index: the same cases whatever the split
      const fpx::code_t a = random_code(f, rng), b = random_code(f, rng), c = random_code(f, rng);
      check(f, "add", a, b, [&](auto r, auto s) { return fpx::add(f, a, b, r, s); },
            [&](auto m) { return oracle::op_add(f, a, b, m); });
      check(f, "mul", a, b, [&](auto r, auto s) { return fpx::mul(f, a, b, r, s); },
            [&](auto) { return oracle::op_mul(f, a, b); });
      check(f, "div", a, b, [&](auto r, auto s) { return fpx::div(f, a, b, r, s); },
            [&](auto) { return oracle::op_div(f, a, b); });
      check(f, "fma", a, b, [&](auto r, auto s) { return fpx::fma(f, a, b, c, r, s); },
            [&](auto m) { return oracle::op_fma(f, a, b, c, m); });
      check(f, "sqrt", a, 0, [&](auto r, auto s) { return fpx::sqrt(f, a, r, s); },
            [&](auto) { return oracle::op_sqrt(f, a); });
      if (i % 8 == 0)  // transcendental oracle enclosures are costly
        check(f, "exp", a, 0, [&](auto r, auto s) { return fpx::exp(f, a, r, s); },
              [&](auto) { return oracle::op_exp(f, a); });
      cases += (i % 8 == 0 ? 6 : 5) * 7;
    });
    MESSAGE(fmt::format("{}: {} random cases", name, cases.load()));
    CHECK(cases > 5 * 7 * pairs);
  }
  CHECK(mismatches == 0);
}

namespace {

void report(const fpx::format& f, const std::string& what, const fpx::rounding& r, bool threw,
            fpx::code_t got, const oracle::expected& want) {
  if (threw == want.error && (threw || got == want.code)) return;
  if (++mismatches <= 20)
    FAIL_CHECK(fmt::format("{} {} {}: got {:#x}{} oracle {:#x}{}", f.name(), what, fpx::rounding_name(r),
                           got, threw ? " (threw)" : "", want.code, want.error ? " (error)" : ""));
}

// The results of op on every pair, in two batches: pairs of finite operands, whose results the
// plain loops decide, and the rest (a batch with an Inf or NaN operand is redone by the general
// loop, so that mixing them would leave the plain loops untested). A batch that throws is run
// again element by element (one element must throw).
template <class Op>
std::vector<std::pair<bool, fpx::code_t>> run_batch(const fpx::format& f, const std::vector<fpx::code_t>& a,
                                                    const std::vector<fpx::code_t>& b, Op op) {
  auto finite = [&](fpx::code_t c) { return std::isfinite(fpx::to_double(f, c)); };
  std::vector<std::size_t> batches[2];
  for (std::size_t i = 0; i < a.size(); ++i) batches[finite(a[i]) && finite(b[i]) ? 0 : 1].push_back(i);
  std::vector<std::pair<bool, fpx::code_t>> results(a.size());
  for (const auto& where : batches) {
    std::vector<fpx::code_t> x, y, out(where.size());
    for (std::size_t i : where) {
      x.push_back(a[i]);
      y.push_back(b[i]);
    }
    try {
      op(std::span(x), std::span(y), std::span(out), 0);
      for (std::size_t k = 0; k < where.size(); ++k) results[where[k]] = {false, out[k]};
    } catch (const std::exception&) {
      for (std::size_t k = 0; k < where.size(); ++k) {
        try {
          op(std::span(x).subspan(k, 1), std::span(y).subspan(k, 1), std::span(out).subspan(k, 1), 0);
          results[where[k]] = {false, out[k]};
        } catch (const std::exception&) {
          results[where[k]] = {true, 0};
        }
      }
    }
  }
  return results;
}

// Operand pairs of a grid of scale 2^-F whose exact products lie in range, need more than 53
// bits and sit one unit of 2^-2F off a multiple or a midpoint of 2^-F (or on the midpoint): a
// product rounded to a double first lands on that boundary and then rounds the wrong way.
// Empty where every in-range product fits a double.
std::vector<std::pair<fpx::code_t, fpx::code_t>> near_boundary_products(const fpx::format& f) {
  const auto* g = f.grid();
  if (!g) return {};
  const auto fraction_bits = static_cast<int>(msb(denominator(g->scale)));
  const double target = std::ldexp(static_cast<double>(g->kmax), fraction_bits) / 2;  // k1 k2, in range
  if (target < 0x1p53) return {};
  const std::uint64_t quantum = std::uint64_t{1} << fraction_bits, mask = (std::uint64_t{1} << g->bits) - 1;
  const std::uint64_t k1 = (std::uint64_t{1} << (std::ilogb(target) / 2)) + 1;  // odd
  std::uint64_t inverse = k1;  // of k1 modulo 2^64, by Newton's iteration
  for (int i = 0; i < 6; ++i) inverse *= 2 - k1 * inverse;
  std::vector<std::pair<fpx::code_t, fpx::code_t>> pairs;
  for (std::uint64_t residue : {std::uint64_t{1}, quantum - 1, quantum / 2 - 1, quantum / 2, quantum / 2 + 1}) {
    const std::uint64_t low = (residue * inverse) & (quantum - 1);  // k1 * low = residue mod 2^F
    const auto above = static_cast<std::uint64_t>(target / static_cast<double>(k1)) / quantum * quantum;
    const std::uint64_t k2 = above + low;
    REQUIRE(k2 <= static_cast<std::uint64_t>(g->kmax));
    pairs.emplace_back(k1, k2);
    pairs.emplace_back((0 - k1) & mask, k2);
  }
  return pairs;
}

}  // namespace



TEST_CASE("fast paths on random operands against the oracle") {
  // The oracle is the cost here (rational arithmetic), so fewer pairs than above, each oracle
  // result shared by every path that applies.
  constexpr std::size_t pairs = 250;
  // fixed:s:7:24 saturates, so the plain loops run it, and has in-range products beyond 53 bits.
  for (const char* name : {"fp16", "bf16", "tf32", "fixed:s:15:16", "fixed:u:20:12", "fixed:s:7:24",
                           "fixed:s:7:24:overflow=error", "int16:scale=1/8"}) {
    const auto f = fpx::parse_format(name);
    std::vector<fpx::code_t> a(pairs), b(pairs);
    for (std::size_t i = 0; i < pairs; ++i) {
      std::mt19937_64 rng(i);
      a[i] = random_code(f, rng);
      b[i] = random_code(f, rng);
    }
    for (auto [x, y] : near_boundary_products(f)) {
      a.push_back(x);
      b.push_back(y);
    }
    std::size_t checked = 0;
    for (fpx::round_mode mode : fpx::all_round_modes) {
      if (mode == fpx::round_mode::stochastic) continue;  // the fast paths defer to the reference
      const fpx::rounding r{mode, 0};
      std::vector<fpx::fast_arith> paths;
      for (auto path : {fpx::arithmetic_path::integer, fpx::arithmetic_path::float64}) {
        try {
          paths.emplace_back(f, r, path);
        } catch (const std::invalid_argument&) {
        }
      }
      auto check_op = [&](const char* op, auto call, auto exact) {
        std::vector<std::vector<std::pair<bool, fpx::code_t>>> results;
        std::vector<std::string> labels;
        for (std::string_view isa : fpx::fast_kernel_isas()) {  // every kernel instruction set
          const fpx::fast_kernel_isa_scope scope(isa);
          for (const auto& fast : paths) {
            results.push_back(run_batch(f, a, b, [&](auto x, auto y, auto o, auto s) { call(fast, x, y, o, s); }));
            labels.push_back(fmt::format("{} [{}] {}", fpx::to_string(fast.path()), isa, op));
          }
        }
        fpx::parallel_for(a.size(), 0, [&](std::uint64_t i) {
          const auto want = oracle::round(f, exact(a[i], b[i]), r, i);
          for (std::size_t k = 0; k < results.size(); ++k)
            report(f, fmt::format("{}({:#x}, {:#x})", labels[k], a[i], b[i]), r, results[k][i].first,
                   results[k][i].second, want);
        });
        checked += a.size() * results.size();
      };
      check_op("add", [](const auto& fast, auto x, auto y, auto o, auto s) { fast.add(x, y, o, s); },
               [&](auto x, auto y) { return oracle::op_add(f, x, y, mode); });
      check_op("sub", [](const auto& fast, auto x, auto y, auto o, auto s) { fast.sub(x, y, o, s); },
               [&](auto x, auto y) { return oracle::op_sub(f, x, y, mode); });
      check_op("mul", [](const auto& fast, auto x, auto y, auto o, auto s) { fast.mul(x, y, o, s); },
               [&](auto x, auto y) { return oracle::op_mul(f, x, y); });
      check_op("div", [](const auto& fast, auto x, auto y, auto o, auto s) { fast.div(x, y, o, s); },
               [&](auto x, auto y) { return oracle::op_div(f, x, y); });
    }
    MESSAGE(fmt::format("{}: {} fast-path cases", name, checked));
    CHECK(checked >= 4 * 6 * pairs);
  }
  CHECK(mismatches == 0);
}
TEST_CASE("fast_rounder on random doubles against the oracle") {
  constexpr std::size_t count = 600;
  // The oracle tabulates a minifloat's values, so its minifloats stop at tf32; fp32 is checked
  // against the hardware below.
  for (const char* name : {"tf32", "e6m9:overflow=error", "fixed:s:15:16", "fixed:s:31:16",
                           "int32:scale=1/1024", "uint16:zero=100"}) {
    const auto f = fpx::parse_format(name);
    std::vector<double> xs(count);
    std::mt19937_64 rng(17);
    const double top = fpx::to_double(f, fpx::max_code(f, false));
    for (std::size_t i = 0; i < count; ++i) {
      switch (i % 4) {
        case 0: xs[i] = std::bit_cast<double>(rng()); break;  // anything, NaN and Inf included
        case 1: xs[i] = std::ldexp(static_cast<double>(rng() >> 11), -static_cast<int>(rng() % 80)); break;
        case 2: xs[i] = top * std::ldexp(static_cast<double>(rng() >> 11), -52); break;
        default: {  // a value of f, or next to one
          const double v = fpx::to_double(f, fpx::from_double(f, static_cast<double>(static_cast<std::int64_t>(rng())) * 0x1p-50));
          xs[i] = std::nextafter(v, (rng() & 1) ? -INFINITY : INFINITY);
        }
      }
      if (rng() & 1) xs[i] = -xs[i];
      if (std::isnan(xs[i]) && !f.has_nan()) xs[i] = 0;
    }
    const fpx::fast_rounder fast_check(f);
    CHECK_MESSAGE(fast_check.is_fast(), name);
    for (std::string_view isa : fpx::fast_kernel_isas())
    for (const fpx::rounding& r : fpx_test::rules_under_test(5)) {
      const fpx::fast_kernel_isa_scope scope(isa);
      const fpx::fast_rounder fast(f, r);
      // In blocks, so an element that must throw spoils only its block.
      for (std::size_t first = 0; first < count; first += 100) {
        const std::vector<double> block(xs.begin() + first, xs.begin() + first + 100);
        std::vector<fpx::code_t> out(block.size());
        bool threw = false;
        try {
          fast(block, out, first);
        } catch (const std::exception&) {
          threw = true;
        }
        bool any_error = false;
        for (std::size_t j = 0; j < block.size(); ++j) {
          oracle::real exact = std::isnan(block[j])   ? oracle::nan()
                               : std::isinf(block[j]) ? oracle::infinity(block[j] < 0)
                                                      : oracle::from_rational(fpx::rational(block[j]));
          exact.negative = std::signbit(block[j]);
          const auto want = oracle::round(f, exact, r, first + j);
          any_error = any_error || want.error;
          if (!threw) report(f, fmt::format("fast_rounder [{}] ({:a})", isa, block[j]), r, false, out[j], want);
        }
        if (threw != any_error && ++mismatches <= 20)
          FAIL_CHECK(fmt::format("{} fast_rounder {}: batch threw {} oracle error {}", name,
                                 fpx::rounding_name(r), threw, any_error));
      }
    }
  }
  CHECK(mismatches == 0);
}

TEST_CASE("fast_rounder into fp32 agrees with the hardware's conversion in the four IEEE modes") {
  // The CPU's double-to-float conversion is correctly rounded in the current IEEE mode: an
  // oracle independent of fpx for a format too wide for the rational one.
  const auto fp32 = fpx::preset("fp32");
  std::mt19937_64 rng(3);
  std::vector<double> xs(200000);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    xs[i] = (i % 2) ? std::bit_cast<double>(rng())
                    : std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(rng() % 400) - 250);
    if (std::isnan(xs[i])) xs[i] = 1;
  }
  const std::pair<fpx::round_mode, int> modes[] = {{fpx::round_mode::rne, FE_TONEAREST},
                                                    {fpx::round_mode::rtz, FE_TOWARDZERO},
                                                    {fpx::round_mode::up, FE_UPWARD},
                                                    {fpx::round_mode::down, FE_DOWNWARD}};
  for (std::string_view isa : fpx::fast_kernel_isas())
  for (const auto& [mode, ieee] : modes) {
    const fpx::fast_kernel_isa_scope scope(isa);
    std::vector<fpx::code_t> codes(xs.size());
    fpx::fast_rounder(fp32.with_overflow(fpx::overflow_policy::inf), {mode, 0})(xs, codes);
    std::size_t bad = 0;
    std::fesetround(ieee);
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const volatile double x = xs[i];
      const volatile float hardware = static_cast<float>(x);
      if (codes[i] != std::bit_cast<std::uint32_t>(static_cast<float>(hardware)) && bad++ < 5)
        FAIL_CHECK(fmt::format("fp32 [{}] {} {:a}: {:#x}", isa, fpx::to_string(mode), xs[i], codes[i]));
    }
    std::fesetround(FE_TONEAREST);
    CHECK(bad == 0);
  }
}
