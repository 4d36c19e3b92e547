#pragma once
/// Number formats as runtime descriptors, so a sweep can loop over bit-widths.
///
/// Two families cover every scalar format:
///  - minifloat: sign, E exponent bits, M mantissa bits, a bias, optional subnormals, and one of
///    four special-value variants (IEEE, OCP "fn", "fnuz", finite-only);
///  - grid: integer levels k in [kmin, kmax] times a scale s (fixed point is the grid with
///    s = 2^-F stored in two's complement; INTn, ternary and the asymmetric uintN with a zero
///    point are grids too), plus the signed one-bit grid S1 = {-s, +s}.
/// Block-scaled MX formats share a scale across elements and live in mx.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "fpx/exact/rational.hpp"
#include "fpx/arith/rounding.hpp"

namespace fpx {

/// A bit pattern of some format, right-aligned.
using code_t = std::uint64_t;

/// Which patterns of the all-ones exponent field are special.
enum class special_values {
  ieee,    ///< exponent all ones: mantissa 0 is infinity, anything else NaN
  fn,      ///< OCP "finite + NaN": no infinity; only the all-ones pattern (each sign) is NaN
  fnuz,    ///< no infinity, no negative zero; the negative-zero pattern is the single NaN
  finite   ///< every pattern is a finite number (OCP FP6 and FP4)
};
std::string_view to_string(special_values v);

struct minifloat_spec {
  int exponent_bits = 0;
  int mantissa_bits = 0;
  int bias = 0;
  special_values specials = special_values::ieee;
  bool subnormals = true;  ///< false: exponent field 0 encodes (only) zero
  bool has_sign = true;    ///< false for unsigned formats such as E8M0
  bool has_zero = true;    ///< false: exponent field 0 is a normal binade (E8M0)

  bool operator==(const minifloat_spec&) const = default;
};

struct grid_spec {
  int bits = 0;            ///< width of a code
  std::int64_t kmin = 0;   ///< smallest level
  std::int64_t kmax = 0;   ///< largest level
  rational scale = 1;      ///< value = scale * level
  std::int64_t zero_point = 0;  ///< unsigned storage: level = code - zero_point
  bool twos_complement = true;  ///< signed storage (code = level mod 2^bits) or offset storage
  bool binary = false;          ///< the two-level grid {-1, +1}: codes 0 and 1

  bool operator==(const grid_spec&) const = default;
};

enum class format_kind { minifloat, grid };

/// A scalar number format with its overflow policy. Cheap to copy; compare with ==.
class format {
 public:
  /// Validates the parameters; throws std::invalid_argument naming the bad one.
  static format make_minifloat(const minifloat_spec& spec, std::optional<overflow_policy> = {});
  static format make_grid(const grid_spec& spec, std::optional<overflow_policy> = {});

  /// Signed or unsigned fixed point Q(int_bits, frac_bits); signed adds a sign bit, so the
  /// signed range is [-2^int_bits, 2^int_bits - 2^-frac_bits].
  static format fixed_point(bool is_signed, int int_bits, int frac_bits);
  /// INTn: symmetric levels [-(2^(n-1)-1), 2^(n-1)-1] times scale.
  static format int_symmetric(int bits, const rational& scale = 1);
  /// uintN with zero point z: levels [-z, 2^n-1-z] times scale (asymmetric quantization).
  static format int_asymmetric(int bits, std::int64_t zero_point, const rational& scale = 1);
  /// {-1, 0, 1} * scale: the 1.58-bit grid.
  static format ternary(const rational& scale = 1);
  /// {-1, +1} * scale: the signed 1-bit grid S1 (format name "s1"). Ties at 0 go to +scale;
  /// rtz and rto are undefined.
  static format s1(const rational& scale = 1);
  /// {0, 1} * scale: the unsigned 1-bit grid U1 (format name "u1"; uint1 with zero point 0).
  static format u1(const rational& scale = 1);

  format_kind kind() const { return std::holds_alternative<minifloat_spec>(spec_) ? format_kind::minifloat : format_kind::grid; }
  const minifloat_spec* minifloat() const { return std::get_if<minifloat_spec>(&spec_); }
  const grid_spec* grid() const { return std::get_if<grid_spec>(&spec_); }

  /// Canonical name, parseable by parse_format.
  const std::string& name() const { return name_; }
  /// Bits in one code (the storage width; ternary is 2 though it carries log2(3) bits).
  int bits() const;
  /// log2 of the number of distinct finite values: the information a value carries.
  double information_bits() const;
  overflow_policy overflow() const { return overflow_; }
  /// The same format with another overflow policy (validated against its special values).
  format with_overflow(overflow_policy policy) const;

  bool has_inf() const;
  bool has_nan() const;
  bool has_negative_zero() const;
  bool is_signed() const;
  /// True when every value is a dyadic rational (minifloats, grids with a power-of-two scale):
  /// the formats on which fpx defines arithmetic.
  bool is_dyadic() const;

  bool operator==(const format& other) const {
    return spec_ == other.spec_ && overflow_ == other.overflow_;
  }

 private:
  format(std::variant<minifloat_spec, grid_spec> spec, overflow_policy policy, std::string name);
  std::variant<minifloat_spec, grid_spec> spec_;
  overflow_policy overflow_;
  std::string name_;
};

/// Properties every format reports, as exact rationals.
rational max_value(const format& f);      ///< largest finite value
rational lowest_value(const format& f);   ///< most negative finite value (0 or min if unsigned)
rational min_positive(const format& f);   ///< smallest positive value (subnormal if any)
rational min_normal(const format& f);     ///< smallest positive normal (grids: min_positive)
rational epsilon(const format& f);        ///< distance from 1 to the next larger value;
                                          ///< grids: the scale

/// A preset by the name users know: fp64, fp32, tf32, bf16, fp16, e5m2, e4m3 (OCP, max 448),
/// e4m3_ieee (max 240), e4m3fnuz, e5m2fnuz, e3m2, e2m3, e2m1, e8m0, or an alias of one
/// (format_aliases()). Also any custom name: see parse_format.
format preset(std::string_view name);
/// Names of every preset, in listing order.
const std::vector<std::string>& preset_names();
/// The other spellings of presets, as (alias, preset): ml_dtypes' and PyTorch's names
/// (float8_e4m3fn, float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, float8_e8m0fnu,
/// float6_e2m3fn, float6_e3m2fn, float4_e2m1fn, bfloat16, float16, float32, float64) and
/// OCP's e4m3fn. An alias is the preset: the format it names is named by the preset.
std::vector<std::pair<std::string, std::string>> format_aliases();

/// Parses a format name. Grammar (options after ':' in any order):
///   preset                                e.g. fp16, e4m3, or an alias (float8_e4m3fn)
///   eXmY[_fn|_fnuz|_finite]               custom minifloat, IEEE specials by default
///       [:bias=B][:nosub][:unsigned]
///   fixed:s:I:F | fixed:u:I:F             fixed point, I integer and F fraction bits
///   intN[:scale=S]                        symmetric INTn
///   uintN[:zero=Z][:scale=S]              asymmetric, levels [-Z, 2^N-1-Z]
///   ternary[:scale=S] | s1[:scale=S] | u1[:scale=S]    ("binary" is the retired name of s1)
///   any of the above + [:overflow=saturate|inf|nan|error]
/// S is read exactly (decimal, p/q or hex-float). Throws std::invalid_argument with the reason.
format parse_format(std::string_view name);
/// The grammar above as one line, from the tables parse_format reads (help texts use it).
std::string format_grammar();

}  // namespace fpx
