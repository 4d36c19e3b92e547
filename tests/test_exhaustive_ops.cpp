// Every operand pair of every small format, every rounding mode, bit for bit against the oracle.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <functional>

#include "formats_under_test.hpp"
#include "fpx/arith.hpp"
#include "fpx/codec.hpp"
#include "oracle.hpp"
#include "parallel.hpp"

using fpx::code_t;

namespace {

std::atomic<std::size_t> mismatches = 0;

// Runs the library operation and compares with the oracle's rounding of the exact result,
// under every rounding mode. Returns the number of cases checked.
std::size_t check(const fpx::format& f, const char* op, code_t a, code_t b,
                  const std::function<code_t(const fpx::rounding&, std::uint64_t)>& library,
                  const std::function<oracle::real(fpx::round_mode)>& exact) {
  std::size_t n = 0;
  for (fpx::round_mode mode : fpx::all_round_modes) {
    const fpx::rounding r{mode, 0x5eed};
    const std::uint64_t site = (a << 20) ^ b;
    const oracle::expected want = oracle::round(f, exact(mode), r, site);
    bool threw = false;
    code_t got = 0;
    try {
      got = library(r, site);
    } catch (const std::overflow_error&) {
      threw = true;
    } catch (const std::domain_error&) {
      threw = true;
    } catch (const std::invalid_argument&) {
      threw = true;
    }
    if (threw != want.error || (!threw && got != want.code)) {
      if (++mismatches > 20) continue;  // enough to diagnose; the count below still fails
      FAIL_CHECK(fmt::format("{} {}({:#x}, {:#x}) mode {}: library {} oracle {}", f.name(), op, a, b,
                             fpx::to_string(mode), threw ? "threw" : fmt::format("{:#x}", got),
                             want.error ? "error" : fmt::format("{:#x}", want.code)));
    }
    ++n;
  }
  return n;
}

std::vector<code_t> all_codes(const fpx::format& f) {
  std::vector<code_t> codes;
  for (code_t c = 0; c < (code_t{1} << f.bits()); ++c)
    if (fpx::is_valid_code(f, c)) codes.push_back(c);
  return codes;
}

}  // namespace

TEST_CASE("binary operations agree with the oracle on every operand pair") {
  for (const auto& f : fpx_test::small_formats()) {
    if (!f.is_dyadic()) continue;  // arithmetic is defined on dyadic formats
    const auto codes = all_codes(f);
    // fma(a, b, z) with each zero z the format has (E8M0 has none).
    std::vector<code_t> zeros;
    if (fpx::min_positive(f) > 0 && fpx::lowest_value(f) <= 0) zeros.push_back(fpx::zero_code(f, false));
    if (f.has_negative_zero()) zeros.push_back(fpx::zero_code(f, true));
    std::atomic<std::size_t> cases = 0;
    fpx_test::parallel_for(codes.size(), [&](std::size_t i) {
      const code_t a = codes[i];
      for (code_t b : codes) {
        cases += check(f, "add", a, b, [&](auto r, auto s) { return fpx::add(f, a, b, r, s); },
                       [&](auto m) { return oracle::op_add(f, a, b, m); });
        cases += check(f, "sub", a, b, [&](auto r, auto s) { return fpx::sub(f, a, b, r, s); },
                       [&](auto m) { return oracle::op_sub(f, a, b, m); });
        cases += check(f, "mul", a, b, [&](auto r, auto s) { return fpx::mul(f, a, b, r, s); },
                       [&](auto) { return oracle::op_mul(f, a, b); });
        cases += check(f, "div", a, b, [&](auto r, auto s) { return fpx::div(f, a, b, r, s); },
                       [&](auto) { return oracle::op_div(f, a, b); });
        // fma with a zero addend of either sign: the product rounded once, signed-zero rules.
        for (code_t z : zeros) {
          cases += check(f, "fma", a, b, [&](auto r, auto s) { return fpx::fma(f, a, b, z, r, s); },
                         [&](auto m) { return oracle::op_fma(f, a, b, z, m); });
        }
      }
    });
    MESSAGE(fmt::format("{}: {} binary-operation cases", f.name(), cases.load()));
    CHECK(cases >= 4 * 7 * codes.size() * codes.size());
  }
  CHECK(mismatches == 0);
}

TEST_CASE("fma agrees with the oracle on all triples of a 6-bit format") {
  const auto f = fpx::parse_format("e3m2");
  const auto codes = all_codes(f);
  fpx_test::parallel_for(codes.size(), [&](std::size_t i) {
    const code_t a = codes[i];
    for (code_t b : codes)
      for (code_t c : codes)
        check(f, "fma", a, b, [&](auto r, auto s) { return fpx::fma(f, a, b, c, r, s); },
              [&](auto m) { return oracle::op_fma(f, a, b, c, m); });
  });
  CHECK(mismatches == 0);
}

TEST_CASE("unary operations agree with the oracle on every value") {
  for (const auto& f : fpx_test::small_formats()) {
    if (!f.is_dyadic()) continue;
    std::atomic<std::size_t> cases = 0;
    const auto codes = all_codes(f);
    fpx_test::parallel_for(codes.size(), [&](std::size_t i) {
      const code_t a = codes[i];
      cases += check(f, "sqrt", a, 0, [&](auto r, auto s) { return fpx::sqrt(f, a, r, s); },
                     [&](auto) { return oracle::op_sqrt(f, a); });
      cases += check(f, "exp", a, 0, [&](auto r, auto s) { return fpx::exp(f, a, r, s); },
                     [&](auto) { return oracle::op_exp(f, a); });
      cases += check(f, "log", a, 0, [&](auto r, auto s) { return fpx::log(f, a, r, s); },
                     [&](auto) { return oracle::op_log(f, a); });
      cases += check(f, "reciprocal", a, 0,
                     [&](auto r, auto s) { return fpx::reciprocal(f, a, r, s); },
                     [&](auto) { return oracle::op_reciprocal(f, a); });
    });
    MESSAGE(fmt::format("{}: {} unary cases", f.name(), cases.load()));
    CHECK(cases > 0);
  }
  CHECK(mismatches == 0);
}
