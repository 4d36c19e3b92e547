#include "fpx/arith/format.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "fpx/arith/detail/minifloat_layout.hpp"
#include "fpx/exact/detail/enum_names.hpp"

namespace fpx {
namespace {

[[noreturn]] void invalid(const std::string& what) {
  throw std::invalid_argument("invalid format: " + what);
}

overflow_policy default_policy(special_values v) {
  switch (v) {
    case special_values::ieee: return overflow_policy::inf;
    case special_values::fn:
    case special_values::fnuz: return overflow_policy::nan;
    case special_values::finite: return overflow_policy::saturate;
  }
  return overflow_policy::saturate;
}

void validate(const minifloat_spec& s) {
  if (s.exponent_bits < 1 || s.exponent_bits > 11)
    invalid(fmt::format("exponent bits E={} outside 1..11", s.exponent_bits));
  if (s.mantissa_bits < 0 || s.mantissa_bits > 52)
    invalid(fmt::format("mantissa bits M={} outside 0..52", s.mantissa_bits));
  if (s.bias < -(1 << 20) || s.bias > (1 << 20))
    invalid(fmt::format("bias {} outside [-2^20, 2^20]", s.bias));
  if (s.specials == special_values::ieee && s.mantissa_bits == 0)
    invalid("IEEE special values need M >= 1 (NaN needs a nonzero mantissa)");
  if (s.specials == special_values::fnuz && !s.has_sign)
    invalid("fnuz encodes NaN in the sign bit, so it needs a sign");
  if (!s.has_zero && s.subnormals) invalid("a format without zero cannot have subnormals");
  const detail::minifloat_layout l(s);
  if (l.ef_max < l.ef_min_normal) invalid("the format has no normal numbers");
}

void validate(const grid_spec& g) {
  if (g.bits < 1 || g.bits > 64) invalid(fmt::format("grid width {} outside 1..64", g.bits));
  if (g.scale <= 0) invalid("grid scale must be positive");
  if (g.kmin > g.kmax) invalid("grid level range is empty");
  if (g.binary && (g.kmin != -1 || g.kmax != 1 || g.bits != 1))
    invalid("the binary grid has levels -1 and +1 and one bit");
}

bool is_power_of_two(const rational& r) {
  const bigint& n = numerator(r);
  const bigint& d = denominator(r);
  return (n == 1 && (d & (d - 1)) == 0) || (d == 1 && n > 0 && (n & (n - 1)) == 0);
}

std::string exact_decimal(const rational& r) {
  // Dyadic rationals have a terminating decimal expansion; anything else prints as p/q.
  const bigint& d = denominator(r);
  if ((d & (d - 1)) != 0) return numerator(r).str() + "/" + d.str();
  const unsigned k = msb(d);  // r = n / 2^k = n * 5^k / 10^k
  bigint scaled = abs(numerator(r)) * boost::multiprecision::pow(bigint(5), k);
  std::string digits = scaled.str();
  if (k > 0) {
    if (digits.size() <= k) digits.insert(0, k - digits.size() + 1, '0');
    digits.insert(digits.size() - k, ".");
    while (digits.back() == '0') digits.pop_back();
    if (digits.back() == '.') digits.pop_back();
  }
  return (r < 0 ? "-" : "") + digits;
}

constexpr detail::enum_names<special_values, 4> special_names{
    "special-value variant",
    {{{special_values::ieee, "ieee"},
      {special_values::fn, "fn"},
      {special_values::fnuz, "fnuz"},
      {special_values::finite, "finite"}}}};

struct named_minifloat {
  const char* name;
  minifloat_spec spec;
};

const std::array<named_minifloat, 14>& minifloat_presets() {
  using sv = special_values;
  static const std::array<named_minifloat, 14> table{{
      {"fp64", {11, 52, 1023, sv::ieee}},
      {"fp32", {8, 23, 127, sv::ieee}},
      {"tf32", {8, 10, 127, sv::ieee}},
      {"bf16", {8, 7, 127, sv::ieee}},
      {"fp16", {5, 10, 15, sv::ieee}},
      {"e5m2", {5, 2, 15, sv::ieee}},
      {"e4m3", {4, 3, 7, sv::fn}},
      {"e4m3_ieee", {4, 3, 7, sv::ieee}},
      {"e4m3fnuz", {4, 3, 8, sv::fnuz}},
      {"e5m2fnuz", {5, 2, 16, sv::fnuz}},
      {"e3m2", {3, 2, 3, sv::finite}},
      {"e2m3", {2, 3, 1, sv::finite}},
      {"e2m1", {2, 1, 1, sv::finite}},
      {"e8m0", {8, 0, 127, sv::fn, false, false, false}},
  }};
  return table;
}

// Names users know from ml_dtypes and PyTorch (and OCP's "e4m3fn"), each another spelling of
// a preset with identical semantics; a format read through one is named by its preset.
struct format_alias {
  const char* alias;
  const char* preset;
};
constexpr format_alias format_aliases_table[] = {
    {"float8_e4m3fn", "e4m3"},     {"e4m3fn", "e4m3"},           {"float8_e5m2", "e5m2"},
    {"float8_e4m3fnuz", "e4m3fnuz"}, {"float8_e5m2fnuz", "e5m2fnuz"}, {"float8_e8m0fnu", "e8m0"},
    {"float6_e2m3fn", "e2m3"},     {"float6_e3m2fn", "e3m2"},     {"float4_e2m1fn", "e2m1"},
    {"bfloat16", "bf16"},          {"float16", "fp16"},           {"float32", "fp32"},
    {"float64", "fp64"},
};

// The preset an alias names, or the name itself.
std::string_view unaliased(std::string_view name) {
  for (const auto& a : format_aliases_table)
    if (name == a.alias) return a.preset;
  return name;
}

int default_bias(int exponent_bits, special_values v) {
  return (1 << (exponent_bits - 1)) - (v == special_values::fnuz ? 0 : 1);
}

std::string minifloat_name(const minifloat_spec& s, overflow_policy p) {
  std::string name;
  for (const auto& preset : minifloat_presets())
    if (preset.spec == s) name = preset.name;
  if (name.empty()) {
    name = fmt::format("e{}m{}", s.exponent_bits, s.mantissa_bits);
    // A bare eEmM names IEEE-style specials unless it is a preset with other specials (e2m3 is
    // OCP's finite FP6): then the IEEE-style format says so, and its name parses back to it.
    bool preset_differs = false;
    for (const auto& preset : minifloat_presets())
      preset_differs = preset_differs || (preset.name == name && preset.spec.specials != s.specials);
    if (s.specials != special_values::ieee || preset_differs) name += "_" + std::string(to_string(s.specials));
    if (s.bias != default_bias(s.exponent_bits, s.specials)) name += fmt::format(":bias={}", s.bias);
    if (!s.has_zero) name += ":nozero";
    else if (!s.subnormals) name += ":nosub";
    if (!s.has_sign) name += ":unsigned";
  }
  if (p != default_policy(s.specials)) name += ":overflow=" + std::string(to_string(p));
  return name;
}

std::string grid_name(const grid_spec& g, overflow_policy p) {
  std::string name;
  const std::string scale = g.scale == 1 ? "" : ":scale=" + exact_decimal(g.scale);
  const std::int64_t m = g.bits >= 64 ? INT64_MAX : g.bits >= 2 ? (std::int64_t{1} << (g.bits - 1)) - 1 : 0;
  if (g.binary) {
    name = "s1" + scale;
  } else if (!g.twos_complement && g.bits == 1 && g.zero_point == 0) {
    name = "u1" + scale;
  } else if (g.twos_complement && g.bits == 2 && g.kmin == -1 && g.kmax == 1) {
    name = "ternary" + scale;
  } else if (g.twos_complement && g.kmin == -m && g.kmax == m) {
    name = fmt::format("int{}{}", g.bits, scale);
  } else if (g.twos_complement && g.kmin == -m - 1 && g.kmax == m && is_power_of_two(g.scale) &&
             g.scale <= 1) {
    const unsigned f = msb(denominator(g.scale));
    name = fmt::format("fixed:s:{}:{}", g.bits - 1 - static_cast<int>(f), f);
  } else if (!g.twos_complement && g.zero_point == 0 && is_power_of_two(g.scale) && g.scale <= 1 &&
             g.kmin == 0) {
    const unsigned f = msb(denominator(g.scale));
    name = fmt::format("fixed:u:{}:{}", g.bits - static_cast<int>(f), f);
  } else if (!g.twos_complement) {
    name = fmt::format("uint{}", g.bits);
    if (g.zero_point != 0) name += fmt::format(":zero={}", g.zero_point);
    name += scale;
  } else {
    name = fmt::format("grid:{}:{}:{}{}", g.bits, g.kmin, g.kmax, scale);
  }
  if (p != overflow_policy::saturate) name += ":overflow=" + std::string(to_string(p));
  return name;
}

}  // namespace

std::string_view to_string(special_values v) { return special_names.name(v); }

std::string format_grammar() {
  std::string presets;
  for (const auto& p : minifloat_presets()) presets += std::string(presets.empty() ? "" : " ") + p.name;
  std::string aliases;
  for (const auto& a : format_aliases_table) aliases += fmt::format("{}{}={}", aliases.empty() ? "" : " ", a.alias, a.preset);
  return "presets " + presets + " (aliases " + aliases + "); eXmY[_" + special_names.list("|") +
         "][:bias=B][:nosub][:nozero][:unsigned] (IEEE specials by default); fixed:s:I:F | fixed:u:I:F "
         "(I integer and F fraction bits, plus a sign bit for s); intN[:scale=S] (symmetric, 2^N - 1 "
         "levels); uintN[:zero=Z][:scale=S]; ternary[:scale=S]; s1[:scale=S] ({-S, +S}); u1[:scale=S] "
         "({0, S}); any with :overflow=" + overflow_policy_names("|") + "; S exact (decimal, p/q or hex-float)";
}

format::format(std::variant<minifloat_spec, grid_spec> spec, overflow_policy policy,
               std::string name)
    : spec_(std::move(spec)), overflow_(policy), name_(std::move(name)) {}

format format::make_minifloat(const minifloat_spec& spec, std::optional<overflow_policy> policy) {
  validate(spec);
  format f(spec, overflow_policy::saturate, "");
  return f.with_overflow(policy.value_or(default_policy(spec.specials)));
}

format format::make_grid(const grid_spec& spec, std::optional<overflow_policy> policy) {
  validate(spec);
  format f(spec, overflow_policy::saturate, "");
  return f.with_overflow(policy.value_or(overflow_policy::saturate));
}

format format::with_overflow(overflow_policy policy) const {
  if (policy == overflow_policy::inf && !has_inf())
    invalid("overflow=inf needs a format with infinities (" + std::string(to_string(policy)) + ")");
  if (policy == overflow_policy::nan && !has_nan()) invalid("overflow=nan needs a format with NaN");
  format f = *this;
  f.overflow_ = policy;
  f.name_ = minifloat() ? minifloat_name(*minifloat(), policy) : grid_name(*grid(), policy);
  return f;
}

format format::fixed_point(bool is_signed, int int_bits, int frac_bits) {
  if (int_bits < 0 || frac_bits < 0)
    invalid(fmt::format("fixed point needs nonnegative bit counts, got I={} F={}", int_bits, frac_bits));
  // In 64 bits: I + F of two large ints overflowed an int (found by fuzz_format_name).
  const long long width = static_cast<long long>(int_bits) + frac_bits + (is_signed ? 1 : 0);
  if (width < 1 || width > 64) invalid(fmt::format("fixed point width {} outside 1..64", width));
  const int bits = static_cast<int>(width);
  grid_spec g;
  g.bits = bits;
  g.scale = pow2(-frac_bits);
  g.twos_complement = is_signed;
  if (is_signed) {
    g.kmin = bits == 64 ? INT64_MIN : -(std::int64_t{1} << (bits - 1));
    g.kmax = bits == 64 ? INT64_MAX : (std::int64_t{1} << (bits - 1)) - 1;
  } else {
    if (bits > 63) invalid("unsigned fixed point is limited to 63 bits");
    g.kmin = 0;
    g.kmax = bits == 63 ? INT64_MAX : (std::int64_t{1} << bits) - 1;  // (1 << 63 overflows)
  }
  return make_grid(g);
}

format format::u1(const rational& scale) { return int_asymmetric(1, 0, scale); }

format format::int_symmetric(int bits, const rational& scale) {
  if (bits < 2 || bits > 64) invalid(fmt::format("int{}: width outside 2..64", bits));
  grid_spec g;
  g.bits = bits;
  g.kmax = bits == 64 ? INT64_MAX : (std::int64_t{1} << (bits - 1)) - 1;
  g.kmin = -g.kmax;
  g.scale = scale;
  return make_grid(g);
}

format format::int_asymmetric(int bits, std::int64_t zero_point, const rational& scale) {
  if (bits < 1 || bits > 62) invalid(fmt::format("uint{}: width outside 1..62", bits));
  const std::int64_t top = (std::int64_t{1} << bits) - 1;
  if (zero_point < 0 || zero_point > top)
    invalid(fmt::format("uint{}: zero point {} outside 0..{}", bits, zero_point, top));
  grid_spec g;
  g.bits = bits;
  g.kmin = -zero_point;
  g.kmax = top - zero_point;
  g.zero_point = zero_point;
  g.twos_complement = false;
  g.scale = scale;
  return make_grid(g);
}

format format::ternary(const rational& scale) {
  grid_spec g;
  g.bits = 2;
  g.kmin = -1;
  g.kmax = 1;
  g.scale = scale;
  return make_grid(g);
}

format format::s1(const rational& scale) {
  grid_spec g;
  g.bits = 1;
  g.kmin = -1;
  g.kmax = 1;
  g.binary = true;
  g.twos_complement = false;
  g.scale = scale;
  return make_grid(g);
}

int format::bits() const {
  if (const auto* m = minifloat()) return (m->has_sign ? 1 : 0) + m->exponent_bits + m->mantissa_bits;
  return grid()->bits;
}

double format::information_bits() const {
  if (const auto* g = grid())
    return g->binary ? 1.0 : std::log2(static_cast<double>(g->kmax) - static_cast<double>(g->kmin) + 1.0);
  // Finite patterns per sign: full binades below the top finite one, then the top one's.
  const auto& m = *minifloat();
  const detail::minifloat_layout l(m);
  const double binade = std::ldexp(1.0, m.mantissa_bits);
  double per_sign = l.ef_max * binade + static_cast<double>(l.mant_max) + 1.0;
  if (m.has_zero && !m.subnormals) per_sign -= binade - 1.0;  // field 0 is zero only
  const double distinct = m.has_sign ? 2.0 * per_sign - (m.has_zero ? 1.0 : 0.0) : per_sign;
  return std::log2(distinct);
}

bool format::has_inf() const {
  const auto* m = minifloat();
  return m && m->specials == special_values::ieee;
}
bool format::has_nan() const {
  const auto* m = minifloat();
  return m && m->specials != special_values::finite;
}
bool format::has_negative_zero() const {
  const auto* m = minifloat();
  return m && m->has_sign && m->has_zero && m->specials != special_values::fnuz;
}
bool format::is_signed() const {
  if (const auto* m = minifloat()) return m->has_sign;
  return grid()->kmin < 0;
}
bool format::is_dyadic() const {
  const auto* g = grid();
  return !g || (!g->binary && is_power_of_two(g->scale));
}

rational max_value(const format& f) {
  if (const auto* g = f.grid()) return g->scale * g->kmax;
  const detail::minifloat_layout l(*f.minifloat());
  return l.value(l.ef_max, l.mant_max);
}

rational lowest_value(const format& f) {
  if (const auto* g = f.grid()) return g->scale * g->kmin;
  if (f.minifloat()->has_sign) return -max_value(f);
  return f.minifloat()->has_zero ? rational(0) : min_positive(f);
}

rational min_positive(const format& f) {
  if (const auto* g = f.grid()) return g->scale;
  const auto& m = *f.minifloat();
  const detail::minifloat_layout l(m);
  return m.subnormals ? pow2(l.emin - m.mantissa_bits) : pow2(l.emin);
}

rational min_normal(const format& f) {
  if (f.grid()) return min_positive(f);
  return pow2(detail::minifloat_layout(*f.minifloat()).emin);
}

rational epsilon(const format& f) {
  if (const auto* g = f.grid()) return g->binary ? 2 * g->scale : g->scale;
  return pow2(-f.minifloat()->mantissa_bits);
}

std::vector<std::pair<std::string, std::string>> format_aliases() {
  std::vector<std::pair<std::string, std::string>> v;
  for (const auto& a : format_aliases_table) v.emplace_back(a.alias, a.preset);
  return v;
}

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& p : minifloat_presets()) v.emplace_back(p.name);
    return v;
  }();
  return names;
}

format preset(std::string_view name) {
  name = unaliased(name);
  for (const auto& p : minifloat_presets())
    if (name == p.name) return format::make_minifloat(p.spec);
  std::string list;
  for (const auto& n : preset_names()) list += (list.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown preset '" + std::string(name) + "'; presets: " + list);
}

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

long long to_int(std::string_view text, std::string_view whole) {
  long long v = 0;
  const char* first = text.data();
  if (!text.empty() && text[0] == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty())
    invalid("'" + std::string(text) + "' is not an integer in '" + std::string(whole) + "'");
  return v;
}

// Parses "eXmY[_variant]" into a spec with default bias; false if the head is not of that form.
bool parse_minifloat_head(std::string_view head, std::string_view whole, minifloat_spec& s) {
  if (head.size() < 4 || head[0] != 'e') return false;
  auto m = head.find('m');
  if (m == std::string_view::npos) return false;
  auto underscore = head.find('_');
  std::string_view variant = underscore == std::string_view::npos ? "" : head.substr(underscore + 1);
  std::string_view mbits = head.substr(m + 1, underscore == std::string_view::npos ? std::string_view::npos : underscore - m - 1);
  s.exponent_bits = static_cast<int>(to_int(head.substr(1, m - 1), whole));
  s.mantissa_bits = static_cast<int>(to_int(mbits, whole));
  s.specials = variant.empty() ? special_values::ieee : special_names.parse(variant);
  if (s.exponent_bits < 1 || s.exponent_bits > 11)
    invalid(fmt::format("exponent bits E={} outside 1..11", s.exponent_bits));
  s.bias = default_bias(s.exponent_bits, s.specials);
  return true;
}

}  // namespace

format parse_format(std::string_view name) {
  const auto parts = split(name, ':');
  std::string_view head = parts[0];
  std::size_t first_option = 1;
  std::optional<overflow_policy> policy;
  std::optional<rational> scale;
  std::optional<long long> zero, bias;
  bool nosub = false, nozero = false, is_unsigned = false;

  // fixed:s:I:F carries positional fields before the options.
  std::optional<format> fixed;
  if (head == "fixed") {
    if (parts.size() < 4 || (parts[1] != "s" && parts[1] != "u"))
      invalid("fixed point is written fixed:s:I:F or fixed:u:I:F, got '" + std::string(name) + "'");
    // Read in 64 bits and bounded before narrowing: 4294967297 must not become 1.
    const auto field = [&](std::string_view text) {
      const long long v = to_int(text, name);
      if (v < 0) invalid(fmt::format("fixed point needs nonnegative bit counts, got {} in '{}'", v, name));
      if (v > 64) invalid(fmt::format("fixed point width above 64: {} bits in '{}'", v, name));
      return static_cast<int>(v);
    };
    fixed = format::fixed_point(parts[1] == "s", field(parts[2]), field(parts[3]));
    first_option = 4;
  }
  for (std::size_t i = first_option; i < parts.size(); ++i) {
    const auto opt = parts[i];
    const auto eq = opt.find('=');
    const auto key = opt.substr(0, eq);
    const auto val = eq == std::string_view::npos ? std::string_view{} : opt.substr(eq + 1);
    if (key == "overflow") policy = parse_overflow_policy(val);
    else if (key == "scale") scale = parse_rational(val);
    else if (key == "zero") zero = to_int(val, name);
    else if (key == "bias") bias = to_int(val, name);
    else if (opt == "nosub") nosub = true;
    else if (opt == "nozero") nozero = true;
    else if (opt == "unsigned") is_unsigned = true;
    else invalid("unknown option '" + std::string(opt) + "' in '" + std::string(name) + "'");
  }
  auto reject = [&](bool present, const char* option) {
    if (present) invalid(fmt::format("option '{}' does not apply to '{}'", option, head));
  };

  if (fixed) {
    reject(scale.has_value(), "scale");
    reject(zero.has_value(), "zero");
    reject(bias || nosub || nozero || is_unsigned, "minifloat options");
    return policy ? fixed->with_overflow(*policy) : *fixed;
  }
  auto grid_with = [&](const format& f) {
    reject(bias || nosub || nozero || is_unsigned, "minifloat options");
    return policy ? f.with_overflow(*policy) : f;
  };
  const rational s = scale.value_or(rational(1));
  if (head == "ternary") {
    reject(zero.has_value(), "zero");
    return grid_with(format::ternary(s));
  }
  if (head == "s1") {
    reject(zero.has_value(), "zero");
    return grid_with(format::s1(s));
  }
  if (head == "u1") {
    reject(zero.has_value(), "zero");
    return grid_with(format::u1(s));
  }
  if (head == "binary") invalid("format 'binary' is a retired spelling; use 's1' (the grid {-1, +1})");
  if (head.starts_with("uint")) {
    const int bits = static_cast<int>(to_int(head.substr(4), name));
    return grid_with(format::int_asymmetric(bits, zero.value_or(0), s));
  }
  if (head.starts_with("int")) {
    reject(zero.has_value(), "zero");
    return grid_with(format::int_symmetric(static_cast<int>(to_int(head.substr(3), name)), s));
  }
  reject(scale.has_value(), "scale");
  reject(zero.has_value(), "zero");
  minifloat_spec spec;
  bool is_preset = false;
  head = unaliased(head);
  for (const auto& p : minifloat_presets())
    if (head == p.name) {
      spec = p.spec;
      is_preset = true;
    }
  if (!is_preset && !parse_minifloat_head(head, name, spec))
    invalid("unknown format '" + std::string(name) +
            "' (a preset such as fp16 or e4m3, eXmY[_fn|_fnuz|_finite], fixed:s:I:F, intN, uintN, "
            "ternary, s1, u1)");
  if (bias) spec.bias = static_cast<int>(*bias);
  if (nosub) spec.subnormals = false;
  if (nozero) spec.has_zero = spec.subnormals = false;
  if (is_unsigned) spec.has_sign = false;
  return format::make_minifloat(spec, policy);
}

}  // namespace fpx
