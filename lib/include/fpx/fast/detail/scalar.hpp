#pragma once
// Rounded arithmetic on doubles that hold values of formats exactly: the fast path behind the
// evaluator and fpx::dot. Each operation forms its exact result rounded to odd in double
// (kernels/exact_double.hpp) and rounds it once into the target with the branch-free encoder,
// giving the reference path's value bit for bit. What only the reference path can decide goes
// there, with the same operands and site: an exception (NaN into a format without NaN,
// overflow under `error`), exp near a rounding boundary, a fused product inexact in double,
// exact accumulation.

#include <cstdint>
#include <optional>
#include <span>

#include "fpx/arith/dot.hpp"
#include "fpx/fast/detail/codec_kernel.hpp"

namespace fpx::detail {

/// A format the fast path rounds into: its encoder for one deterministic rule, and decoder.
struct fast_target {
  format f;
  kernels::encoder encoder;
  kernels::decoder decoder;

  /// The process-wide target for f under r (built once, never freed), or nullptr unless
  /// kernels::double_arithmetic_is_exact(f) and r is not stochastic.
  static const fast_target* make(const format& f, const rounding& r);
};

/// x as a double when that is exact (a dyadic with a 53-bit numerator), else nullopt.
std::optional<double> exactly_double(const rational& x);

/// Results are values of the target as doubles. `site` is the reference path's rounding site
/// (the rule is deterministic, so it only matters to keep the numbering identical).
namespace fast {

double convert(const fast_target& t, double x, const rounding& r, std::uint64_t site);
double add(const fast_target& t, double x, double y, const rounding& r, std::uint64_t site);
double mul(const fast_target& t, double x, double y, const rounding& r, std::uint64_t site);
double div(const fast_target& t, double x, double y, const rounding& r, std::uint64_t site);
/// exp through std::exp with a 2^-50 relative enclosure (glibc's exp is within 1 ulp): when
/// both ends round alike, so does the exact value; otherwise MPFR decides.
double exp(const fast_target& t, double x, const rounding& r, std::uint64_t site);
/// sqrt(x) for x > 0, a finite value of t's format.
double sqrt(const fast_target& t, double x, const rounding& r, std::uint64_t site);
/// a * b + c rounded once.
double fma(const fast_target& t, double a, double b, double c, const rounding& r, std::uint64_t site);

/// detail::dot on doubles: the same order, roundings and site numbering. The caller says once
/// whether the product and accumulator formats are equal (the reference dot then skips a
/// rounding); comparing grid formats compares rationals, too slow for every dot.
double dot(std::span<const double> a, std::span<const double> b, const double* bias,
           const fast_target& out, const fast_target& product, const fast_target& accumulator,
           bool product_is_accumulator, const accumulation& rule, const rounding& r, std::uint64_t& site);

}  // namespace fast
}  // namespace fpx::detail
