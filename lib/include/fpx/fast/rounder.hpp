#pragma once
/// Rounding arrays of doubles or floats into a format at hardware speed.
///
/// The kernels are branch-free integer code (vectorised with AVX2 where the CPU has it) and
/// give from_double's codes bit for bit, in every rounding mode including stochastic (element
/// i at site first_site + i). Formats they do not cover (minifloats without subnormals, a sign
/// or a zero; non-dyadic, binary or over-50-bit grids) go through from_double, and so does any
/// batch with an element that must throw (NaN into a format without NaN, overflow under the
/// `error` policy), so the exception is the reference path's own.
///
///   fpx::fast_rounder to_e4m3(fpx::preset("e4m3"));
///   to_e4m3(xs, codes);   // std::span<const double> in, std::span<fpx::code_t> out

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "fpx/arith/format.hpp"

namespace fpx {

namespace kernels {
struct encoder;
struct decoder;
}

class fast_rounder {
 public:
  explicit fast_rounder(const format& f, const rounding& r = {});

  /// False when every element goes through from_double.
  bool is_fast() const { return encoder_ != nullptr; }
  const format& target() const { return format_; }
  const rounding& rule() const { return rule_; }
  /// The same rounder with another stochastic seed, without building the kernels' parameters
  /// again (for work that derives a seed per row).
  fast_rounder with_seed(std::uint64_t seed) const;

  code_t operator()(double x, std::uint64_t site = 0) const;
  /// out[i] = xs[i] rounded; throws std::invalid_argument when the sizes differ. threads: as
  /// in values.hpp (0: every core; the codes do not depend on it).
  void operator()(std::span<const double> xs, std::span<code_t> out, std::uint64_t first_site = 0,
                  unsigned threads = 1) const;
  void operator()(std::span<const float> xs, std::span<code_t> out, std::uint64_t first_site = 0) const;

  /// values[i] = the value of xs[i] rounded, as a double (NaN and infinities as such; a grid
  /// with a non-dyadic scale gives the nearest double): rounding and fast_decoder (values.hpp)
  /// in one pass.
  void round_values(std::span<const double> xs, std::span<double> values, std::uint64_t first_site = 0,
                    unsigned threads = 1) const;

 private:
  format format_;
  rounding rule_;
  std::shared_ptr<const kernels::encoder> encoder_;
  std::shared_ptr<const kernels::decoder> decoder_;
};

/// Rounds every element through a fast_rounder (from_double's codes, at hardware speed);
/// element i uses stochastic site first_site + i.
std::vector<code_t> from_doubles(const format& f, std::span<const double> xs,
                                 const rounding& r = {}, std::uint64_t first_site = 0);

}  // namespace fpx
