// Every operand pair of every small format, every rounding mode, bit for bit against the oracle:
// the reference path (arith/ops.hpp) and each fast path (fast_arith's table, integer and
// float64 paths) on every kernel instruction set, on the same oracle results.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <span>

#include "formats_under_test.hpp"
#include "fpx/arith/ops.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/fast/elementwise.hpp"
#include "fpx/fast/isa.hpp"
#include "fpx/fast/values.hpp"
#include "oracle.hpp"
#include "oracle_values.hpp"
#include "fpx/exact/parallel.hpp"

using fpx::code_t;

namespace {

std::atomic<std::size_t> mismatches = 0;

// Called with each mode's oracle result, to compare other paths' results with it.
using also_check = std::function<void(fpx::round_mode, const oracle::expected&)>;

void report(const fpx::format& f, const std::string& what, code_t a, code_t b, fpx::round_mode mode,
            bool threw, code_t got, const oracle::expected& want) {
  if (threw == want.error && (threw || got == want.code)) return;
  if (++mismatches > 20) return;  // enough to diagnose; the count still fails the test
  FAIL_CHECK(fmt::format("{} {}({:#x}, {:#x}) mode {}: got {} oracle {}", f.name(), what, a, b,
                         fpx::to_string(mode), threw ? "throw" : fmt::format("{:#x}", got),
                         want.error ? "error" : fmt::format("{:#x}", want.code)));
}

// Runs the library operation and compares with the oracle's rounding of the exact result,
// under every rounding mode. Returns the number of cases checked.
std::size_t check(const fpx::format& f, const char* op, code_t a, code_t b,
                  const std::function<code_t(const fpx::rounding&, std::uint64_t)>& library,
                  const std::function<oracle::real(fpx::round_mode)>& exact,
                  const also_check& also = {}) {
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
    report(f, op, a, b, mode, threw, got, want);
    if (also) also(mode, want);
    ++n;
  }
  return n;
}

enum class op { add, sub, mul, div };

// One fast path's results for the row a (op) b, b over `codes`: in two batches, the pairs of
// finite operands and the rest (the plain loops take only batches without Inf or NaN; others
// go to the general loops), each redone element by element when it throws (an element must).
// `bytes`: through the overloads on codes stored in bytes (the table path has them).
struct fast_row {
  const fpx::fast_arith* path;
  std::string_view isa;  // the kernel instruction set it ran on
  bool bytes;
  std::vector<bool> threw;
  std::vector<code_t> codes;
};

// The fast path's operation on codes, through the byte overloads when `bytes`.
template <class Code>
void apply(const fpx::fast_arith& fast, op o, std::span<const code_t> x, std::span<const code_t> y,
           std::span<code_t> z) {
  const std::vector<Code> cx(x.begin(), x.end()), cy(y.begin(), y.end());
  std::vector<Code> cz(z.size());
  switch (o) {
    case op::add: fast.add(cx, cy, cz); break;
    case op::sub: fast.sub(cx, cy, cz); break;
    case op::mul: fast.mul(cx, cy, cz); break;
    case op::div: fast.div(cx, cy, cz); break;
  }
  std::copy(cz.begin(), cz.end(), z.begin());
}

// finite[j]: whether bs[j] is finite; a_finite: whether a is.
fast_row run_row(const fpx::fast_arith& fast, std::string_view isa, bool bytes, op o, code_t a,
                 bool a_finite, const std::vector<code_t>& bs, const std::vector<bool>& finite) {
  const fpx::fast_kernel_isa_scope scope(isa);
  fast_row row{&fast, isa, bytes, std::vector<bool>(bs.size()), std::vector<code_t>(bs.size())};
  for (bool finite_pairs : {true, false}) {
    std::vector<std::size_t> where;
    for (std::size_t j = 0; j < bs.size(); ++j)
      if ((a_finite && finite[j]) == finite_pairs) where.push_back(j);
    std::vector<code_t> as(where.size(), a), ys, out(where.size());
    for (std::size_t j : where) ys.push_back(bs[j]);
    auto call = [&](std::size_t first, std::size_t count) {
      const std::span x(as.data() + first, count), y(ys.data() + first, count);
      const std::span z(out.data() + first, count);
      if (bytes) apply<std::uint8_t>(fast, o, x, y, z);
      else apply<code_t>(fast, o, x, y, z);
    };
    std::vector<bool> threw(where.size());
    try {
      call(0, where.size());
    } catch (const std::exception&) {
      for (std::size_t k = 0; k < where.size(); ++k) {
        try {
          call(k, 1);
        } catch (const std::exception&) {
          threw[k] = true;
        }
      }
    }
    for (std::size_t k = 0; k < where.size(); ++k) {
      row.threw[where[k]] = threw[k];
      row.codes[where[k]] = out[k];
    }
  }
  return row;
}

// The oracle's result against value_arith's double: both an error, or the oracle's code's value.
void report_value(const fpx::format& f, const std::string& what, code_t a, code_t b, fpx::round_mode mode,
                  bool threw, double got, const oracle::expected& want) {
  if (threw == want.error && (threw || oracle::value_is(f, want.code, got))) return;
  if (++mismatches > 20) return;
  FAIL_CHECK(fmt::format("{} {}({:#x}, {:#x}) mode {}: got {} oracle {}", f.name(), what, a, b, fpx::to_string(mode),
                         threw ? "throw" : fmt::format("{:a}", got),
                         want.error ? "error" : fmt::format("code {:#x}", want.code)));
}

// value_arith's results for the row a (op) b over the values of `bs`, split as run_row splits
// its batches (finite pairs, then the rest), each redone element by element when it throws.
struct value_row {
  const fpx::value_arith* arith;
  std::string_view isa;
  std::vector<bool> threw;
  std::vector<double> values;
};

// value_arith's results on the elements `where` of a row, one batch, redone element by element
// when it throws. call(indices, out) runs the operation on the elements at those indices.
template <class Call>
void value_batch(const std::vector<std::size_t>& where, value_row& row, Call call) {
  std::vector<double> out(where.size());
  std::vector<bool> threw(where.size());
  try {
    call(where, std::span(out));
  } catch (const std::exception&) {
    for (std::size_t k = 0; k < where.size(); ++k) {
      try {
        call(std::vector<std::size_t>{where[k]}, std::span(out).subspan(k, 1));
      } catch (const std::exception&) {
        threw[k] = true;
      }
    }
  }
  for (std::size_t k = 0; k < where.size(); ++k) {
    row.threw[where[k]] = threw[k];
    row.values[where[k]] = out[k];
  }
}

// The same over a whole row, split as run_row splits its batches: the elements whose operands
// are all finite (finite[j]), where the plain kernels run, then the rest.
template <class Call>
value_row run_value_row(const fpx::value_arith& arith, std::string_view isa, const std::vector<bool>& finite,
                        Call call) {
  const fpx::fast_kernel_isa_scope scope(isa);
  value_row row{&arith, isa, std::vector<bool>(finite.size()), std::vector<double>(finite.size())};
  for (bool finite_elements : {true, false}) {
    std::vector<std::size_t> where;
    for (std::size_t j = 0; j < finite.size(); ++j)
      if (finite[j] == finite_elements) where.push_back(j);
    value_batch(where, row, call);
  }
  return row;
}

value_row run_value_row(const fpx::value_arith& arith, std::string_view isa, op o, double a, bool a_finite,
                        const std::vector<double>& bs, const std::vector<bool>& finite) {
  std::vector<bool> both(finite.size());
  for (std::size_t j = 0; j < finite.size(); ++j) both[j] = a_finite && finite[j];
  return run_value_row(arith, isa, both, [&](const std::vector<std::size_t>& where, std::span<double> z) {
    const std::vector<double> x(where.size(), a);
    std::vector<double> y;
    for (std::size_t j : where) y.push_back(bs[j]);
    switch (o) {
      case op::add: arith.add(x, y, z); break;
      case op::sub: arith.sub(x, y, z); break;
      case op::mul: arith.mul(x, y, z); break;
      case op::div: arith.div(x, y, z); break;
    }
  });
}

// The doubles holding the values of codes, as the oracle decodes them.
std::vector<double> values_of(const fpx::format& f, const std::vector<code_t>& codes) {
  std::vector<double> v;
  for (code_t c : codes) v.push_back(oracle::double_of(f, c));
  return v;
}

// Every fast path that applies to f, in every deterministic mode.
std::vector<fpx::fast_arith> fast_paths(const fpx::format& f) {
  std::vector<fpx::fast_arith> paths;
  for (fpx::round_mode mode : fpx::all_round_modes)
    for (auto p : {fpx::arithmetic_path::table, fpx::arithmetic_path::integer, fpx::arithmetic_path::float64}) {
      try {
        paths.emplace_back(f, fpx::rounding{mode, 0}, p);
      } catch (const std::invalid_argument&) {
      }
    }
  return paths;
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
    const auto fast = fast_paths(f);
    const auto isas = fpx::fast_kernel_isas();  // the fast paths run on every kernel set
    std::vector<bool> finite;
    for (code_t c : codes) finite.push_back(std::isfinite(fpx::to_double(f, c)));
    // value_arith (arithmetic on values held in doubles) in each deterministic mode.
    const auto values = values_of(f, codes);
    std::vector<fpx::value_arith> on_values;
    for (fpx::round_mode mode : fpx::all_round_modes)
      if (mode != fpx::round_mode::stochastic) on_values.emplace_back(f, fpx::rounding{mode, 0});
    std::atomic<std::size_t> cases = 0, fast_cases = 0, value_cases = 0;
    fpx::parallel_for(codes.size(), 0, [&](std::uint64_t i) {
      const code_t a = codes[i];
      std::vector<std::vector<fast_row>> rows(4);
      for (op o : {op::add, op::sub, op::mul, op::div})
        for (const auto& path : fast)
          for (std::string_view isa : isas)
            for (bool bytes : {false, true})
              if (!bytes || path.path() == fpx::arithmetic_path::table)
                rows[static_cast<int>(o)].push_back(run_row(path, isa, bytes, o, a, finite[i], codes, finite));
      std::vector<std::vector<value_row>> value_rows(4);
      for (op o : {op::add, op::sub, op::mul, op::div})
        for (const auto& arith : on_values)
          for (std::string_view isa : isas)
            value_rows[static_cast<int>(o)].push_back(run_value_row(arith, isa, o, values[i], finite[i], values, finite));
      for (std::size_t j = 0; j < codes.size(); ++j) {
        const code_t b = codes[j];
        auto fast_check = [&](op o, const char* name) -> also_check {
          return [&, o, name](fpx::round_mode mode, const oracle::expected& want) {
            for (const fast_row& row : rows[static_cast<int>(o)]) {
              if (row.path->rule().mode != mode) continue;
              report(f, fmt::format("{} [{}]{} {}", fpx::to_string(row.path->path()), row.isa,
                                    row.bytes ? " (bytes)" : "", name), a, b, mode,
                     row.threw[j], row.codes[j], want);
              ++fast_cases;
            }
            for (const value_row& row : value_rows[static_cast<int>(o)]) {
              if (row.arith->rule().mode != mode) continue;
              report_value(f, fmt::format("value_arith [{}] {}", row.isa, name), a, b, mode, row.threw[j],
                           row.values[j], want);
              ++value_cases;
            }
          };
        };
        cases += check(f, "add", a, b, [&](auto r, auto s) { return fpx::add(f, a, b, r, s); },
                       [&](auto m) { return oracle::op_add(f, a, b, m); }, fast_check(op::add, "add"));
        cases += check(f, "sub", a, b, [&](auto r, auto s) { return fpx::sub(f, a, b, r, s); },
                       [&](auto m) { return oracle::op_sub(f, a, b, m); }, fast_check(op::sub, "sub"));
        cases += check(f, "mul", a, b, [&](auto r, auto s) { return fpx::mul(f, a, b, r, s); },
                       [&](auto) { return oracle::op_mul(f, a, b); }, fast_check(op::mul, "mul"));
        cases += check(f, "div", a, b, [&](auto r, auto s) { return fpx::div(f, a, b, r, s); },
                       [&](auto) { return oracle::op_div(f, a, b); }, fast_check(op::div, "div"));
        // fma with a zero addend of either sign: the product rounded once, signed-zero rules.
        for (code_t z : zeros) {
          cases += check(f, "fma", a, b, [&](auto r, auto s) { return fpx::fma(f, a, b, z, r, s); },
                         [&](auto m) { return oracle::op_fma(f, a, b, z, m); });
        }
      }
    });
    MESSAGE(fmt::format("{}: {} binary-operation cases, {} on {} fast paths x {} kernel sets, {} on values", f.name(),
                        cases.load(), fast_cases.load(), fast.size(), isas.size(), value_cases.load()));
    CHECK(value_cases == isas.size() * 4 * 6 * codes.size() * codes.size());
    CHECK(cases >= 4 * 7 * codes.size() * codes.size());
    // Every format of 8 bits or fewer has its table in each of the six deterministic modes,
    // on codes in code_t and in bytes.
    CHECK(fast_cases >= isas.size() * 2 * 4 * 6 * codes.size() * codes.size());
  }
  CHECK(mismatches == 0);
}

TEST_CASE("fma agrees with the oracle on all triples of a 6-bit format") {
  // The reference path, and value_arith (on values in doubles) in each deterministic mode on
  // every kernel set.
  for (const char* name : {"e3m2", "fixed:s:2:3"}) {
    const auto f = fpx::parse_format(name);
    const auto codes = all_codes(f);
    const auto values = values_of(f, codes);
    std::vector<bool> finite;
    for (double v : values) finite.push_back(std::isfinite(v));
    std::vector<fpx::value_arith> on_values;
    for (fpx::round_mode mode : fpx::all_round_modes)
      if (mode != fpx::round_mode::stochastic) on_values.emplace_back(f, fpx::rounding{mode, 0});
    std::atomic<std::size_t> value_cases = 0;
    fpx::parallel_for(codes.size(), 0, [&](std::uint64_t i) {
      const code_t a = codes[i];
      for (std::size_t jb = 0; jb < codes.size(); ++jb) {
        const code_t b = codes[jb];
        std::vector<bool> all_finite(codes.size());
        for (std::size_t k = 0; k < codes.size(); ++k) all_finite[k] = finite[i] && finite[jb] && finite[k];
        std::vector<value_row> rows;
        for (const auto& arith : on_values)
          for (std::string_view isa : fpx::fast_kernel_isas())
            rows.push_back(run_value_row(arith, isa, all_finite, [&](const std::vector<std::size_t>& where, std::span<double> out) {
              const std::vector<double> x(where.size(), values[i]), y(where.size(), values[jb]);
              std::vector<double> z;
              for (std::size_t k : where) z.push_back(values[k]);
              arith.fma(x, y, z, out);
            }));
        for (std::size_t k = 0; k < codes.size(); ++k) {
          const code_t c = codes[k];
          check(f, "fma", a, b, [&](auto r, auto s) { return fpx::fma(f, a, b, c, r, s); },
                [&](auto m) { return oracle::op_fma(f, a, b, c, m); },
                [&](fpx::round_mode mode, const oracle::expected& want) {
                  for (const value_row& row : rows) {
                    if (row.arith->rule().mode != mode) continue;
                    report_value(f, fmt::format("value_arith [{}] fma(., ., {:#x})", row.isa, c), a, b, mode,
                                 row.threw[k], row.values[k], want);
                    ++value_cases;
                  }
                });
        }
      }
    });
    CHECK(value_cases == fpx::fast_kernel_isas().size() * 6 * codes.size() * codes.size() * codes.size());
  }
  CHECK(mismatches == 0);
}

TEST_CASE("unary operations agree with the oracle on every value") {
  for (const auto& f : fpx_test::small_formats()) {
    if (!f.is_dyadic()) continue;
    std::atomic<std::size_t> cases = 0, value_cases = 0;
    const auto codes = all_codes(f);
    // value_arith's sqrt of every value at once, in each deterministic mode on every kernel set.
    const auto values = values_of(f, codes);
    std::vector<bool> finite;
    for (double v : values) finite.push_back(std::isfinite(v));
    std::vector<fpx::value_arith> on_values;
    for (fpx::round_mode mode : fpx::all_round_modes)
      if (mode != fpx::round_mode::stochastic) on_values.emplace_back(f, fpx::rounding{mode, 0});
    std::vector<value_row> roots;
    for (const auto& arith : on_values)
      for (std::string_view isa : fpx::fast_kernel_isas())
        roots.push_back(run_value_row(arith, isa, finite, [&](const std::vector<std::size_t>& where, std::span<double> out) {
          std::vector<double> x;
          for (std::size_t k : where) x.push_back(values[k]);
          arith.sqrt(x, out);
        }));
    fpx::parallel_for(codes.size(), 0, [&](std::uint64_t i) {
      const code_t a = codes[i];
      cases += check(f, "sqrt", a, 0, [&](auto r, auto s) { return fpx::sqrt(f, a, r, s); },
                     [&](auto) { return oracle::op_sqrt(f, a); },
                     [&](fpx::round_mode mode, const oracle::expected& want) {
                       for (const value_row& row : roots) {
                         if (row.arith->rule().mode != mode) continue;
                         report_value(f, fmt::format("value_arith [{}] sqrt", row.isa), a, 0, mode, row.threw[i],
                                      row.values[i], want);
                         ++value_cases;
                       }
                     });
      cases += check(f, "exp", a, 0, [&](auto r, auto s) { return fpx::exp(f, a, r, s); },
                     [&](auto) { return oracle::op_exp(f, a); });
      cases += check(f, "log", a, 0, [&](auto r, auto s) { return fpx::log(f, a, r, s); },
                     [&](auto) { return oracle::op_log(f, a); });
      cases += check(f, "reciprocal", a, 0,
                     [&](auto r, auto s) { return fpx::reciprocal(f, a, r, s); },
                     [&](auto) { return oracle::op_reciprocal(f, a); });
    });
    MESSAGE(fmt::format("{}: {} unary cases, {} sqrt cases on values", f.name(), cases.load(), value_cases.load()));
    CHECK(cases > 0);
    CHECK(value_cases == fpx::fast_kernel_isas().size() * 6 * codes.size());
  }
  CHECK(mismatches == 0);
}

TEST_CASE("the fast paths refuse codes the format does not have, wherever they sit in a batch") {
  struct bad_code {
    const char* format;
    fpx::arithmetic_path path;
    fpx::code_t code;
  };
  for (const auto& [name, path, code] : {bad_code{"e4m3", fpx::arithmetic_path::table, 0x100},
                                         bad_code{"e2m1", fpx::arithmetic_path::table, 0x10},
                                         bad_code{"int8", fpx::arithmetic_path::table, 0x80},  // level -128
                                         bad_code{"fixed:s:7:8", fpx::arithmetic_path::integer, 0x10000},
                                         bad_code{"int16", fpx::arithmetic_path::integer, 0x8000},
                                         bad_code{"fp16", fpx::arithmetic_path::float64, 0x10000},
                                         bad_code{"bf16", fpx::arithmetic_path::float64, 0x1ffff}}) {
    const auto f = fpx::parse_format(name);
    const fpx::fast_arith fast(f, {}, path);
    REQUIRE(fast.path() == path);
    for (std::string_view isa : fpx::fast_kernel_isas()) {
    const fpx::fast_kernel_isa_scope scope(isa);
    CHECK_THROWS_AS(fpx::add(f, code, 1), std::invalid_argument);
    // Seven elements: the first four go through the vector loops, the rest through their tails.
    for (std::size_t at : {1, 6})
      for (bool left : {true, false}) {
        std::vector<fpx::code_t> a(7, 1), b(7, 2), out(7);
        (left ? a : b)[at] = code;
        const std::string label = name;
        CAPTURE(label);
        CAPTURE(at);
        CHECK_THROWS_AS(fast.add(a, b, out), std::invalid_argument);
        CHECK_THROWS_AS(fast.mul(a, b, out), std::invalid_argument);
        if (code > 0xff) continue;
        // The same codes stored in bytes.
        const std::vector<std::uint8_t> a8(a.begin(), a.end()), b8(b.begin(), b.end());
        std::vector<std::uint8_t> out8(7);
        CHECK_THROWS_AS(fast.add(a8, b8, out8), std::invalid_argument);
        CHECK_THROWS_AS(fast.mul(a8, b8, out8), std::invalid_argument);
      }
    }
  }
}

TEST_CASE("codes in bytes: the table path only, operands and outputs of one length") {
  const std::vector<std::uint8_t> a(4, 1), b(4, 2), three(3);
  std::vector<std::uint8_t> out(4), short_out(3);
  CHECK_THROWS_WITH_AS(fpx::fast_arith(fpx::preset("fp16")).add(a, b, out),
                       "fast_arith: codes in bytes take the table path only; fp16 is on the float64 path",
                       std::invalid_argument);
  const fpx::fast_arith e4m3(fpx::preset("e4m3"));
  CHECK_THROWS_AS(e4m3.add(a, b, short_out), std::invalid_argument);
  CHECK_THROWS_AS(e4m3.mul(a, three, out), std::invalid_argument);
  e4m3.add(a, b, out);  // 2^-9 + 2^-8: the subnormals 1 and 2 add exactly to 3
  CHECK(out == std::vector<std::uint8_t>(4, 3));
}
