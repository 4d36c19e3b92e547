// Seeded random operands for formats too wide to enumerate pairs of: fp16, bf16, tf32 and fixed
// point up to 32 bits, every mode, against the oracle.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <random>

#include "fpx/arith.hpp"
#include "fpx/codec.hpp"
#include "oracle.hpp"
#include "parallel.hpp"

namespace {

std::atomic<std::size_t> mismatches = 0;

template <class Library, class Exact>
void check(const fpx::format& f, const char* op, fpx::code_t a, fpx::code_t b, Library library,
           Exact exact) {
  for (fpx::round_mode mode : fpx::all_round_modes) {
    const fpx::rounding r{mode, 2024};
    const std::uint64_t site = a * 31 + b;
    const auto want = oracle::round(f, exact(mode), r, site);
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
                               b, fpx::to_string(mode), got, want.code));
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
    fpx_test::parallel_for(pairs, [&](std::size_t i) {
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
