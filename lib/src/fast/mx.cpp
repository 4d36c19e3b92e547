#include "fpx/fast/mx.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/fast/rounder.hpp"
#include "fpx/fast/values.hpp"

namespace fpx {

namespace {

const format& scale_format() {
  static const format e8m0 = preset("e8m0");
  return e8m0;
}

}  // namespace

fast_mx_quantizer::fast_mx_quantizer(const mx_format& f, const rounding& r)
    : format_(f), rule_(r), emax_(mx_emax_element(f)), rounder_(f.element, r) {}

mx_tensor fast_mx_quantizer::operator()(std::span<const double> values, std::uint64_t seed) const {
  const mx_format& f = format_;
  rounding r = rule_;
  r.seed = seed;
  mx_tensor t{f, {}, std::vector<code_t>(values.size(), 0)};
  const std::size_t k = static_cast<std::size_t>(f.block_size);
  t.scales.reserve((values.size() + k - 1) / k);
  // Every element divided by its block's scale (a power of two: exact unless the quotient is
  // subnormal in double), then one rounding pass over the whole tensor, element i at site i.
  thread_local std::vector<double> scaled;
  scaled.assign(values.size(), 0.0);
  bool exact = true;
  for (std::size_t start = 0; start < values.size(); start += k) {
    const std::size_t end = std::min(values.size(), start + k);
    double amax = 0;
    bool finite = true;
    for (std::size_t i = start; i < end; ++i) {
      finite = finite && std::isfinite(values[i]);
      amax = std::max(amax, std::abs(values[i]));
    }
    if (!finite) {
      t.scales.push_back(nan_code(scale_format()));
      continue;  // elements 0 (scaled 0), as quantize_mx leaves them
    }
    const int shared = mx_shared_exponent(format_, emax_, amax, start);
    t.scales.push_back(static_cast<code_t>(shared + 127));
    const double down = std::ldexp(1.0, -shared), up = std::ldexp(1.0, shared);  // both normal doubles
    for (std::size_t i = start; i < end; ++i) {
      scaled[i] = values[i] * down;
      exact = exact && scaled[i] * up == values[i];
    }
  }
  const fast_rounder rounder = seed == rule_.seed ? rounder_ : rounder_.with_seed(seed);
  rounder(std::span<const double>(scaled.data(), values.size()), t.elements, 0);
  for (std::size_t b = 0; b < t.scales.size(); ++b)  // NaN blocks keep element codes 0
    if (t.scales[b] == nan_code(scale_format()))
      std::fill_n(t.elements.begin() + static_cast<std::ptrdiff_t>(b * k),
                  std::min(k, values.size() - b * k), code_t{0});
  if (!exact)  // the elements a double cannot divide exactly, from their exact quotients
    for (std::size_t i = 0; i < values.size(); ++i) {
      const code_t scale = t.scales[i / k];
      if (scale == nan_code(scale_format())) continue;
      const int shared = static_cast<int>(scale) - 127;
      if (std::ldexp(scaled[i], shared) != values[i])
        t.elements[i] = from_rational(f.element, rational(values[i]) * pow2(-shared), r, i);
    }
  return t;
}

mx_tensor fast_quantize_mx(const mx_format& f, std::span<const double> values, const rounding& r) {
  return fast_mx_quantizer(f, r)(values);
}

void fast_dequantize_mx(const mx_tensor& t, std::span<double> out) {
  if (out.size() != t.elements.size())
    throw std::invalid_argument("fast_dequantize_mx: " + std::to_string(t.elements.size()) + " elements, " +
                                std::to_string(out.size()) + " outputs");
  fast_decoder(t.fmt.element)(t.elements, out);
  const std::size_t k = static_cast<std::size_t>(t.fmt.block_size);
  for (std::size_t b = 0; b < t.scales.size(); ++b) {
    const std::size_t start = b * k, end = std::min(out.size(), start + k);
    if (classify(scale_format(), t.scales[b]) == number_class::nan) {
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(start), out.begin() + static_cast<std::ptrdiff_t>(end),
                std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    // Element values times 2^(scale - 127): exact in double (elements of at most 8 bits).
    const double scale = std::ldexp(1.0, static_cast<int>(t.scales[b]) - 127);
    for (std::size_t i = start; i < end; ++i) out[i] *= scale;
  }
}

}  // namespace fpx
