#pragma once
// Field-level facts about a minifloat, derived once from its spec.

#include <cstdint>

#include "fpx/arith/format.hpp"

namespace fpx::detail {

struct minifloat_layout {
  explicit minifloat_layout(const minifloat_spec& s)
      : M(s.mantissa_bits),
        bias(s.bias),
        ef_all_ones((std::int64_t{1} << s.exponent_bits) - 1),
        ef_min_normal(s.has_zero ? 1 : 0),
        emin(ef_min_normal - s.bias),
        mant_all_ones((std::uint64_t{1} << s.mantissa_bits) - 1),
        sign_shift(s.exponent_bits + s.mantissa_bits) {
    switch (s.specials) {
      case special_values::ieee:  // the all-ones exponent is Inf/NaN
        ef_max = ef_all_ones - 1;
        mant_max = mant_all_ones;
        break;
      case special_values::fn:  // only the all-ones pattern is NaN
        ef_max = M == 0 ? ef_all_ones - 1 : ef_all_ones;
        mant_max = M == 0 ? 0 : mant_all_ones - 1;
        break;
      case special_values::fnuz:
      case special_values::finite:
        ef_max = ef_all_ones;
        mant_max = mant_all_ones;
        break;
    }
  }

  /// The exact value of a positive normal pattern.
  rational value(std::int64_t ef, std::uint64_t mant) const {
    return rational((bigint(1) << M) + mant) * pow2(ef - bias - M);
  }

  int M;
  int bias;
  std::int64_t ef_all_ones;
  std::int64_t ef_min_normal;  ///< 1, or 0 when field 0 is a normal binade (no zero)
  std::int64_t emin;           ///< exponent of the smallest normal binade
  std::uint64_t mant_all_ones;
  int sign_shift;
  std::int64_t ef_max = 0;     ///< exponent field of the largest finite value
  std::uint64_t mant_max = 0;  ///< its mantissa
};

}  // namespace fpx::detail
