#include "fpx/arith/mx.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <utility>
#include <limits>
#include <stdexcept>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"

namespace fpx {
namespace {

struct named_mx {
  const char* name;
  const char* element;
};
constexpr named_mx mx_presets[] = {
    {"mxfp8_e4m3", "e4m3"}, {"mxfp8_e5m2", "e5m2"}, {"mxfp6_e3m2", "e3m2"},
    {"mxfp6_e2m3", "e2m3"}, {"mxfp4", "e2m1"},      {"mxint8", "fixed:s:1:6"},
};

const format& scale_format() {
  static const format e8m0 = preset("e8m0");
  return e8m0;
}

}  // namespace

const std::vector<std::string>& mx_preset_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& p : mx_presets) v.emplace_back(p.name);
    return v;
  }();
  return names;
}

namespace {

int parse_block(std::string_view digits, std::string_view name) {
  int block = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), block);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty())
    throw std::invalid_argument("MX format '" + std::string(name) + "': block size '" +
                                std::string(digits) + "' is not an integer");
  if (block < 1 || block > (1 << 20))
    throw std::invalid_argument("MX block size " + std::to_string(block) + " outside 1..2^20");
  return block;
}

// The element format of an MX name without its block suffix, or nothing.
std::optional<std::string> mx_element(std::string_view head) {
  for (const auto& p : mx_presets)
    if (head == p.name) return p.element;
  if (head.starts_with("mxint") && head.size() == 6 && head[5] >= '2' && head[5] <= '8')
    return "fixed:s:1:" + std::to_string(head[5] - '0' - 2);
  return std::nullopt;
}

constexpr std::pair<mx_scale_rule, std::string_view> scale_rule_names[] = {
    {mx_scale_rule::floor, "floor"}, {mx_scale_rule::ceil, "ceil"},
    {mx_scale_rule::even, "even"},   {mx_scale_rule::rceil, "rceil"}};

}  // namespace

std::string_view to_string(mx_scale_rule r) {
  for (const auto& [rule, text] : scale_rule_names)
    if (rule == r) return text;
  return "?";
}

mx_format parse_mx_format(std::string_view name) {
  const auto colon = name.find(':');
  std::string_view head = name.substr(0, colon);
  int block = 32;
  bool block_given = false;
  mx_scale_rule rule = mx_scale_rule::floor;
  for (std::size_t at = colon; at != std::string_view::npos;) {
    const auto next = name.find(':', at + 1);
    const std::string_view opt = name.substr(at + 1, next == std::string_view::npos ? std::string_view::npos : next - at - 1);
    if (opt.starts_with("block=")) {
      block = parse_block(opt.substr(6), name);
      block_given = true;
    } else if (opt.starts_with("scale_rule=")) {
      const std::string_view text = opt.substr(11);
      bool known = false;
      for (const auto& [r, t] : scale_rule_names)
        if (t == text) rule = r, known = true;
      if (!known)
        throw std::invalid_argument("MX format '" + std::string(name) + "': unknown scale rule '" + std::string(text) +
                                    "' (floor, ceil, even, rceil)");
    } else {
      throw std::invalid_argument("unknown MX option '" + std::string(opt) + "' (block=K, scale_rule=R)");
    }
    at = next;
  }
  auto element = mx_element(head);
  const auto underscore = head.rfind('_');
  const bool digits_after_underscore =
      underscore != std::string_view::npos && underscore + 1 < head.size() &&
      head.find_first_not_of("0123456789", underscore + 1) == std::string_view::npos;
  if (!element && digits_after_underscore && !block_given) {
    block = parse_block(head.substr(underscore + 1), name);
    head = head.substr(0, underscore);
    element = mx_element(head);
  }
  // Elements saturate to their largest normal, as the specification prescribes.
  if (element) {
    mx_format f{std::string(name), parse_format(*element).with_overflow(overflow_policy::saturate), block, rule};
    if (rule == mx_scale_rule::even && !f.element.minifloat())
      throw std::invalid_argument("MX format '" + std::string(name) +
                                  "': the scale rule even is defined for floating-point elements");
    return f;
  }
  throw std::invalid_argument("unknown MX format '" + std::string(name) + "' (" + mx_grammar() + ")");
}

std::string mx_grammar() {
  std::string text;
  for (const auto& p : mx_presets) text += std::string(text.empty() ? "" : ", ") + p.name + " (" + p.element + ")";
  return text + ", mxintN for N = 2..8 (fixed:s:1:N-2); blocks of 32 with one E8M0 scale, or of K "
                "with a _K or :block=K suffix (mxint3_128, mxfp4:block=16); :scale_rule=floor (OCP, the default) "
                "| ceil | even | rceil (mxfp4:scale_rule=rceil)";
}

int mx_emax_element(const mx_format& f) {
  const rational m = max_value(f.element);
  // floor(log2 m) for a positive rational.
  int e = static_cast<int>(msb(numerator(m))) - static_cast<int>(msb(denominator(m)));
  if (pow2(e) > m) --e;
  return e;
}

int mx_shared_exponent(const mx_format& f, int emax_element, double amax, std::size_t start) {
  int shared = -127;
  if (amax != 0) {
    // ilogb is exact for every finite double, subnormals included.
    const int k = std::ilogb(amax);
    const bool power_of_two = std::ldexp(1.0, k) == amax;
    switch (f.scale_rule) {
      case mx_scale_rule::floor:
        shared = k - emax_element;
        break;
      case mx_scale_rule::ceil:
        shared = k + (power_of_two ? 0 : 1) - emax_element;
        break;
      case mx_scale_rule::even: {
        // amax / 2^k in [1, 2), rounded to m fraction bits with halves up (all exact in double:
        // m <= 23 and the significand has 53 bits); reaching 2 moves to the next binade.
        const int m = f.element.minifloat()->mantissa_bits;
        const double scaled = std::ldexp(std::ldexp(amax, -k), m);
        shared = k + (std::floor(scaled + 0.5) >= std::ldexp(2.0, m) ? 1 : 0) - emax_element;
        break;
      }
      case mx_scale_rule::rceil: {
        static const format fp32 = preset("fp32");
        const rational q = to_rational(fp32, from_rational(fp32, rational(amax) / max_value(f.element)));
        if (q == 0) break;  // below fp32's least subnormal: the least scale
        const double d = static_cast<double>(q);  // exact: an fp32 value
        const int kq = std::ilogb(d);
        shared = kq + (std::ldexp(1.0, kq) == d ? 0 : 1);
        break;
      }
    }
    shared = std::max(shared, -127);
  }
  if (shared > 127)
    throw std::overflow_error("MX block at " + std::to_string(start) + ": scale 2^" +
                              std::to_string(shared) + " exceeds E8M0's 2^127");
  return shared;
}

mx_tensor quantize_mx(const mx_format& f, std::span<const double> values, const rounding& r) {
  mx_tensor t{f, {}, std::vector<code_t>(values.size(), 0)};
  const int emax = mx_emax_element(f);
  const std::size_t k = static_cast<std::size_t>(f.block_size);
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
      continue;
    }
    const int shared = mx_shared_exponent(f, emax, amax, start);
    t.scales.push_back(static_cast<code_t>(shared + 127));
    for (std::size_t i = start; i < end; ++i)  // a zero keeps its sign, as from_double keeps it
      t.elements[i] = values[i] == 0 ? from_double(f.element, values[i], r, i)
                                     : from_rational(f.element, rational(values[i]) * pow2(-shared), r, i);
  }
  return t;
}

rational mx_value(const mx_tensor& t, std::size_t i) {
  const code_t scale = t.scales.at(i / static_cast<std::size_t>(t.fmt.block_size));
  if (classify(scale_format(), scale) == number_class::nan)
    throw std::domain_error("MX element " + std::to_string(i) + " is in a NaN block");
  return to_rational(t.fmt.element, t.elements.at(i)) * to_rational(scale_format(), scale);
}

std::vector<double> dequantize_mx(const mx_tensor& t) {
  static const format binary64 = preset("fp64");
  std::vector<double> out(t.elements.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const code_t scale = t.scales[i / static_cast<std::size_t>(t.fmt.block_size)];
    if (classify(scale_format(), scale) == number_class::nan) {
      out[i] = std::numeric_limits<double>::quiet_NaN();
      continue;
    }
    out[i] = to_double(binary64, from_rational(binary64, mx_value(t, i)));
    if (out[i] == 0 && is_negative(t.fmt.element, t.elements[i])) out[i] = -0.0;  // -0 times a scale is -0
  }
  return out;
}

}  // namespace fpx
