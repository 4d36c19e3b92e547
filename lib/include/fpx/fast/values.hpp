#pragma once
/// Arrays of doubles that hold values of a format, as numpy's float64 arrays do: codes read
/// into them, doubles rounded into them, and correctly rounded arithmetic and dot products on
/// them, at the fast paths' speed with the reference path's bits and exceptions.
///
///   const auto f = fpx::preset("e4m3");
///   fpx::value_arith e4m3(f);                    // rne
///   e4m3.add(a, b, sums);                        // a, b: values of e4m3 held in doubles
///   fpx::fast_rounder(f).round_values(x, v);     // (rounder.hpp) any doubles into values
///
/// Every batch function takes `threads` (0: every core, default 1): the array is cut into
/// ranges of fixed size, each thread uses the caller's kernel set (fast/isa.hpp), and results
/// and errors do not depend on the thread count (an error names the lowest element that
/// fails). Element i of a batch is stochastic rounding site first_site + i.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "fpx/arith/dot.hpp"
#include "fpx/arith/format.hpp"
#include "fpx/fast/elementwise.hpp"

namespace fpx {

namespace kernels {
struct encoder;
struct decoder;
}  // namespace kernels

/// Codes into values: NaN and infinities as such, values of grids with a non-dyadic scale as
/// the nearest double, every other value exactly (to_double's results, at kernel speed).
class fast_decoder {
 public:
  explicit fast_decoder(const format& f);

  const format& source() const { return format_; }
  /// False when every code goes through the reference path (formats the kernels do not cover).
  bool is_fast() const { return decoder_ != nullptr; }

  /// out[i] = the value of codes[i]. Throws std::invalid_argument when the sizes differ or for
  /// the first code f does not use ("codes[3] = 0x80 is not a code of int8").
  void operator()(std::span<const code_t> codes, std::span<double> out, unsigned threads = 1) const;
  double operator()(code_t code) const;

 private:
  format format_;
  std::shared_ptr<const kernels::decoder> decoder_;
};

/// The codes of doubles that must hold values of a format: operands are never rounded
/// silently. -0 is read as +0 where the format has no -0.
class value_reader {
 public:
  explicit value_reader(const format& f);

  const format& source() const { return format_; }

  /// out[i] = the code of x[i]. Throws std::invalid_argument when the sizes differ, or naming
  /// the first element that is not a value of the format: "a[7] = 0.1 is not a value of e4m3;
  /// round it first", "a[2] is NaN, which int8 does not have" (`what` names the array,
  /// `first_index` is the index of x[0] in it).
  void operator()(std::span<const double> x, std::span<code_t> out, std::string_view what = "x",
                  std::uint64_t first_index = 0, unsigned threads = 1) const;
  code_t operator()(double x, std::string_view what = "x", std::uint64_t index = 0) const;

 private:
  format format_;
  std::shared_ptr<const kernels::encoder> encoder_;  // toward zero
  std::shared_ptr<const kernels::decoder> decoder_;
};

/// Correctly rounded element-wise arithmetic on values of one format held in doubles: each
/// operand must be a value (value_reader's errors, naming a, b or c), each result is rounded
/// once under the rule and comes back as its value (fast_decoder). The operations run on
/// fast_arith's path for the format and rule (table, integer, float64 or reference); sqrt has
/// a 256-entry table for formats of 8 bits or fewer and fma the float64 path (an exact product
/// plus c, rounded to odd); stochastic rounding and formats no fast path covers run on
/// arith/ops.hpp. Throws std::invalid_argument when sizes differ, and the reference path's
/// exceptions (std::domain_error for NaN in a format without NaN, std::overflow_error under the
/// `error` policy), for the lowest element that raises one.
class value_arith {
 public:
  explicit value_arith(const format& f, const rounding& r = {});
  ~value_arith();
  value_arith(const value_arith&);
  value_arith& operator=(const value_arith&);

  const format& operand_format() const { return format_; }
  const rounding& rule() const { return rule_; }
  /// The path of add, sub, mul and div.
  arithmetic_path path() const { return arith_.path(); }

  void add(std::span<const double> a, std::span<const double> b, std::span<double> out,
           std::uint64_t first_site = 0, unsigned threads = 1) const;
  void sub(std::span<const double> a, std::span<const double> b, std::span<double> out,
           std::uint64_t first_site = 0, unsigned threads = 1) const;
  void mul(std::span<const double> a, std::span<const double> b, std::span<double> out,
           std::uint64_t first_site = 0, unsigned threads = 1) const;
  void div(std::span<const double> a, std::span<const double> b, std::span<double> out,
           std::uint64_t first_site = 0, unsigned threads = 1) const;
  /// a * b + c rounded once.
  void fma(std::span<const double> a, std::span<const double> b, std::span<const double> c,
           std::span<double> out, std::uint64_t first_site = 0, unsigned threads = 1) const;
  void sqrt(std::span<const double> a, std::span<double> out, std::uint64_t first_site = 0,
            unsigned threads = 1) const;

 private:
  struct state;
  void binary(int op, std::span<const double> a, std::span<const double> b, std::span<double> out,
              std::uint64_t first_site, unsigned threads) const;

  format format_;
  rounding rule_;
  fast_arith arith_;
  std::shared_ptr<const state> state_;
};

/// Dot products of values of `in` held in doubles, rounded into `out` under `rule`: the
/// results, rounding sites (first_site, first_site + 1, ... in the order the roundings happen)
/// and exceptions of fpx::dot (arith/dot.hpp) on their codes, from the fast evaluator's dot
/// where every format of the rule allows it (deterministic modes, formats whose values a double
/// holds with room to spare) and from fpx::dot otherwise.
class value_dot {
 public:
  value_dot(const format& in, const format& out, const accumulation& rule = {}, const rounding& r = {});
  ~value_dot();
  value_dot(const value_dot&);
  value_dot& operator=(const value_dot&);

  /// True when the fast evaluator's dot applies.
  bool is_fast() const;
  /// The value of the dot product of a and b (operands named "a" and "b" in errors, with
  /// indices from first_index).
  double operator()(std::span<const double> a, std::span<const double> b, std::uint64_t first_site = 0,
                    std::uint64_t first_index = 0) const;
  /// rows dot products of length n: out[i] = dot(a[i n, (i+1) n), b[i n, (i+1) n)), row i's
  /// sites starting at first_site + i (2n + 1), past every rounding a dot product of length n
  /// makes. Throws std::invalid_argument unless a and b hold rows x n values.
  void rows(std::span<const double> a, std::span<const double> b, std::size_t n, std::span<double> out,
            std::uint64_t first_site = 0, unsigned threads = 1) const;

 private:
  struct state;
  std::shared_ptr<const state> state_;
};

}  // namespace fpx
