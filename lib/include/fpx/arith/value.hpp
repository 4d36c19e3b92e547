#pragma once
/// A typed value whose format is part of its type: fpx::value<"fp16">, value<"fixed:s:3:12">.
/// Arithmetic goes through the same runtime functions as the sweep path, so both give the same
/// bits. Values of different formats do not mix: convert explicitly with fpx::value_cast.
/// Usable as an Eigen scalar for storage and element-wise work (see NumTraits below); matrix
/// products would accumulate in Eigen's own order, so precision-model loops use fpx::dot.

#include <Eigen/Core>
#include <algorithm>
#include <cstddef>
#include <string_view>

#include "fpx/arith/ops.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"

namespace fpx {

/// A string usable as a template argument.
template <std::size_t N>
struct fixed_string {
  constexpr fixed_string(const char (&s)[N]) { std::copy_n(s, N, text); }
  constexpr std::string_view view() const { return {text, N - 1}; }
  char text[N];
};

template <fixed_string Name, round_mode Mode = round_mode::rne>
class value {
  static_assert(Mode != round_mode::stochastic,
                "typed values carry no rounding-site counter; use the runtime API with explicit "
                "sites for stochastic rounding");

 public:
  /// The format, parsed once.
  static const format& fmt() {
    static const format f = parse_format(Name.view());
    return f;
  }
  static constexpr rounding rule{Mode, 0};

  value() : code_(zero_code(fmt(), false)) {}
  /// Rounds a double once into the format.
  value(double x) : code_(from_double(fmt(), x, rule)) {}  // NOLINT: implicit, like a float
  static value from_code(code_t c) {
    value v;
    v.code_ = c;
    return v;
  }

  code_t code() const { return code_; }
  explicit operator double() const { return to_double(fmt(), code_); }
  rational exact() const { return to_rational(fmt(), code_); }

  friend value operator+(value a, value b) { return from_code(add(fmt(), a.code_, b.code_, rule)); }
  friend value operator-(value a, value b) { return from_code(sub(fmt(), a.code_, b.code_, rule)); }
  friend value operator*(value a, value b) { return from_code(mul(fmt(), a.code_, b.code_, rule)); }
  friend value operator/(value a, value b) { return from_code(div(fmt(), a.code_, b.code_, rule)); }
  friend value operator-(value a) { return from_code(negate(fmt(), a.code_, rule)); }
  value& operator+=(value b) { return *this = *this + b; }
  value& operator-=(value b) { return *this = *this - b; }
  value& operator*=(value b) { return *this = *this * b; }
  value& operator/=(value b) { return *this = *this / b; }

  /// IEEE comparisons: NaN is unordered, +0 == -0.
  friend bool operator==(value a, value b) { return a.ordered(b) && a.exact_or_inf() == b.exact_or_inf(); }
  friend bool operator<(value a, value b) { return a.ordered(b) && a.exact_or_inf() < b.exact_or_inf(); }
  friend bool operator>(value a, value b) { return b < a; }
  friend bool operator<=(value a, value b) { return a < b || a == b; }
  friend bool operator>=(value a, value b) { return b <= a; }

  friend value sqrt(value a) { return from_code(fpx::sqrt(fmt(), a.code_, rule)); }
  friend value exp(value a) { return from_code(fpx::exp(fmt(), a.code_, rule)); }
  friend value log(value a) { return from_code(fpx::log(fmt(), a.code_, rule)); }
  friend value abs(value a) { return is_negative(fmt(), a.code_) ? -a : a; }
  friend value fma(value a, value b, value c) {
    return from_code(fpx::fma(fmt(), a.code_, b.code_, c.code_, rule));
  }

 private:
  bool ordered(value b) const {
    return classify(fmt(), code_) != number_class::nan && classify(fmt(), b.code_) != number_class::nan;
  }
  // Infinities compare beyond every finite value.
  rational exact_or_inf() const {
    if (classify(fmt(), code_) != number_class::infinite) return exact();
    const rational beyond = 2 * max_value(fmt()) + 1;
    return is_negative(fmt(), code_) ? rational(-beyond) : beyond;
  }
  code_t code_;
};

/// The explicit conversion between formats: one rounding, in the target's mode.
template <class To, fixed_string From, round_mode M>
To value_cast(value<From, M> v) {
  return To::from_code(convert(value<From, M>::fmt(), v.code(), To::fmt(), To::rule));
}

}  // namespace fpx

namespace Eigen {
template <fpx::fixed_string Name, fpx::round_mode Mode>
struct NumTraits<fpx::value<Name, Mode>> : GenericNumTraits<fpx::value<Name, Mode>> {
  using Real = fpx::value<Name, Mode>;
  using NonInteger = Real;
  using Literal = Real;
  using Nested = Real;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    IsSigned = 1,
    RequireInitialization = 1,
    ReadCost = 1,
    AddCost = 10,
    MulCost = 10
  };
  static Real epsilon() { return Real(fpx::to_double(Real::fmt(), fpx::from_rational(Real::fmt(), fpx::epsilon(Real::fmt())))); }
  static Real dummy_precision() { return epsilon(); }
  static Real highest() { return Real::from_code(fpx::max_code(Real::fmt(), false)); }
  static Real lowest() { return Real::from_code(fpx::max_code(Real::fmt(), true)); }
  static int digits10() { return 0; }
};
}  // namespace Eigen
