#include "fpx/quantize.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "fpx/codec.hpp"
#include "fpx/mx.hpp"
#include "fpx/round.hpp"

namespace fpx {
namespace {

using Eigen::Index;

enum class element_kind { int_symmetric, int_asymmetric, ternary, binary, unsigned_binary, minifloat, mx };
enum class grouping { tensor, channel, group };

struct quantizer {
  element_kind kind = element_kind::int_symmetric;
  int bits = 0;                    // intN / uintN
  std::optional<format> element;   // minifloat
  std::optional<mx_format> mx;
  grouping groups = grouping::tensor;
  Index group_size = 0;            // grouping::group
  bool absmean = false;
  bool noscale = false;
  format scale_format = preset("fp32");
  rounding rule;

  std::string name() const;
};

[[noreturn]] void bad(std::string_view name, const std::string& why) {
  throw std::invalid_argument("quantizer '" + std::string(name) + "': " + why);
}

std::optional<int> integer_suffix(std::string_view text, std::string_view prefix) {
  if (!text.starts_with(prefix)) return std::nullopt;
  int v = 0;
  const auto rest = text.substr(prefix.size());
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc{} || end != rest.data() + rest.size() || rest.empty()) return std::nullopt;
  return v;
}

quantizer parse_quantizer(std::string_view name) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const auto colon = name.find(':', start);
    parts.push_back(name.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  quantizer q;
  const std::string_view head = parts[0];
  std::optional<int> block;
  if (auto n = integer_suffix(head, "int")) {
    q.kind = element_kind::int_symmetric;
    q.bits = *n;
  } else if (auto u = integer_suffix(head, "uint")) {
    q.kind = element_kind::int_asymmetric;
    q.bits = *u;
  } else if (head == "ternary") {
    q.kind = element_kind::ternary;
    q.absmean = true;
  } else if (head == "binary") {
    q.kind = element_kind::binary;
    q.absmean = true;
  } else if (head == "u1") {
    q.kind = element_kind::unsigned_binary;
  } else if (head.starts_with("mx")) {
    q.kind = element_kind::mx;
    q.mx = parse_mx_format(head);
    q.scale_format = preset("e8m0");
  } else {
    q.kind = element_kind::minifloat;
    try {
      q.element = preset(head);
    } catch (const std::invalid_argument&) {
      bad(name, "unknown element '" + std::string(head) + "' (intN, uintN, ternary, binary, u1, a "
                "minifloat preset, or an MX format)");
    }
    if (!q.element->minifloat()) bad(name, "'" + std::string(head) + "' is not a minifloat");
    q.element = q.element->with_overflow(overflow_policy::saturate);
  }
  if ((q.kind == element_kind::int_symmetric || q.kind == element_kind::int_asymmetric) &&
      (q.bits < 2 || q.bits > 16))
    bad(name, "integer grids take 2..16 bits (use ternary, binary or u1 below 2)");

  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string_view opt = parts[i];
    if (opt == "tensor") q.groups = grouping::tensor;
    else if (opt == "channel") q.groups = grouping::channel;
    else if (auto g = integer_suffix(opt, "group=")) {
      if (*g <= 0) bad(name, "group size must be positive");
      q.groups = grouping::group;
      q.group_size = *g;
    } else if (opt == "absmax") q.absmean = false;
    else if (opt == "absmean") q.absmean = true;
    else if (opt == "noscale") q.noscale = true;
    else if (opt.starts_with("scale=")) q.scale_format = parse_format(opt.substr(6));
    else if (opt.starts_with("stochastic=")) {
      std::uint64_t seed = 0;
      const auto s = opt.substr(11);
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seed);
      if (ec != std::errc{} || end != s.data() + s.size()) bad(name, "seed must be an integer");
      q.rule = {round_mode::stochastic, seed};
    } else if (auto b = integer_suffix(opt, "block=")) {
      if (q.kind != element_kind::mx) bad(name, "block= applies to MX formats; use group=");
      block = *b;
    } else {
      bad(name, "unknown option '" + std::string(opt) + "'");
    }
  }
  if (q.kind == element_kind::mx) {
    if (q.groups != grouping::tensor || q.noscale || q.absmean)
      bad(name, "MX formats fix their own blocks and scales; use block=K");
    if (block) q.mx = parse_mx_format(std::string(head) + ":block=" + std::to_string(*block));
  }
  if (q.kind == element_kind::int_asymmetric && q.absmean)
    bad(name, "asymmetric grids take their scale from the range (max - min)");
  return q;
}

std::string quantizer::name() const {
  std::string n;
  switch (kind) {
    case element_kind::int_symmetric: n = "int" + std::to_string(bits); break;
    case element_kind::int_asymmetric: n = "uint" + std::to_string(bits); break;
    case element_kind::ternary: n = "ternary"; break;
    case element_kind::binary: n = "binary"; break;
    case element_kind::unsigned_binary: n = "u1"; break;
    case element_kind::minifloat: n = element->with_overflow(overflow_policy::saturate).name(); break;
    case element_kind::mx: return mx->name + (rule.mode == round_mode::stochastic
                                                   ? ":stochastic=" + std::to_string(rule.seed)
                                                   : "");
  }
  if (groups == grouping::channel) n += ":channel";
  if (groups == grouping::group) n += ":group=" + std::to_string(group_size);
  const bool default_absmean = kind == element_kind::ternary || kind == element_kind::binary;
  if (absmean != default_absmean) n += absmean ? ":absmean" : ":absmax";
  if (noscale) n += ":noscale";
  else n += ":scale=" + scale_format.name();
  if (rule.mode == round_mode::stochastic) n += ":stochastic=" + std::to_string(rule.seed);
  return n;
}

// The element grid, given the group's rounded scale (asymmetric grids need it for the zero point).
format element_format(const quantizer& q, const rational& min, const rational& scale) {
  switch (q.kind) {
    case element_kind::int_symmetric: return format::int_symmetric(q.bits);
    case element_kind::int_asymmetric: {
      const format zero_grid = format::int_asymmetric(q.bits, 0);
      // zero point = round(-min / scale) (ties to even), saturated into [0, 2^N - 1].
      const code_t z = from_rational(zero_grid, scale == 0 ? rational(0) : rational(-min / scale));
      return format::int_asymmetric(q.bits, static_cast<std::int64_t>(z));
    }
    case element_kind::ternary: return format::ternary();
    case element_kind::binary: return format::binary();
    case element_kind::unsigned_binary: return format::int_asymmetric(1, 0);  // levels {0, 1}
    default: return *q.element;
  }
}

// The exact (unrounded) scale of a group.
rational group_scale(const quantizer& q, const std::vector<rational>& w, const format& grid_for_max) {
  if (q.noscale) return 1;
  rational max_abs = 0, sum_abs = 0, lo = w[0], hi = w[0];
  for (const rational& x : w) {
    max_abs = std::max(max_abs, rational(abs(x)));
    sum_abs += abs(x);
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  if (q.kind == element_kind::int_asymmetric) {
    lo = std::min(lo, rational(0));  // the range always holds 0, so 0 stays exact
    hi = std::max(hi, rational(0));
    return (hi - lo) / ((std::int64_t{1} << q.bits) - 1);
  }
  if (q.absmean) return sum_abs / static_cast<long>(w.size());
  return max_abs / max_value(grid_for_max);
}

}  // namespace

quantized_weights quantize(const Eigen::MatrixXd& w, std::string_view quantizer_name) {
  const quantizer q = parse_quantizer(quantizer_name);
  for (Index i = 0; i < w.size(); ++i)
    if (!std::isfinite(w.data()[i]))
      throw std::invalid_argument("quantize: weight " + std::to_string(i) + " is not finite");
  quantized_weights out;
  out.name = q.name();
  out.values.resize(w.rows(), w.cols());
  if (w.size() == 0) return out;

  if (q.kind == element_kind::mx) {
    for (Index r = 0; r < w.rows(); ++r) {
      std::vector<double> row(static_cast<std::size_t>(w.cols()));
      for (Index c = 0; c < w.cols(); ++c) row[static_cast<std::size_t>(c)] = w(r, c);
      const rounding rule{q.rule.mode, q.rule.seed + static_cast<std::uint64_t>(r)};
      const auto values = dequantize_mx(quantize_mx(*q.mx, row, rule));
      for (Index c = 0; c < w.cols(); ++c) out.values(r, c) = values[static_cast<std::size_t>(c)];
    }
    const double blocks_per_row = std::ceil(static_cast<double>(w.cols()) / q.mx->block_size);
    const double overhead = 8.0 * blocks_per_row / static_cast<double>(w.cols());
    out.bits_per_parameter = q.mx->element.bits() + overhead;
    out.information_bits_per_parameter = q.mx->element.information_bits() + overhead;
    return out;
  }

  // Groups as (row range, column range) over the row-major index space.
  const Index cols = w.cols();
  const Index width = q.groups == grouping::group ? q.group_size : cols;
  const Index row_span = q.groups == grouping::tensor ? w.rows() : 1;
  const format reference = element_format(q, 0, 1);  // for max_value in the absmax scale
  const format fp64 = preset("fp64");
  double overhead_bits = 0, element_bits = 0, element_information = 0;
  for (Index r0 = 0; r0 < w.rows(); r0 += row_span)
    for (Index c0 = 0; c0 < cols; c0 += width) {
      const Index r1 = std::min(w.rows(), r0 + row_span), c1 = std::min(cols, c0 + width);
      std::vector<rational> group;
      for (Index r = r0; r < r1; ++r)
        for (Index c = c0; c < c1; ++c) group.push_back(rational(w(r, c)));
      rational min = group[0];
      for (const rational& x : group) min = std::min(min, x);
      const rational scale =
          q.noscale ? rational(1)
                    : to_rational(q.scale_format,
                                  from_rational(q.scale_format, group_scale(q, group, reference)));
      const format grid = element_format(q, std::min(min, rational(0)), scale);
      for (Index r = r0; r < r1; ++r)
        for (Index c = c0; c < c1; ++c) {
          double& v = out.values(r, c);
          if (scale == 0) {  // an all-zero group (or a scale below the scale format's range)
            v = 0;
            continue;
          }
          const code_t level = from_rational(grid, rational(w(r, c)) / scale, q.rule,
                                             static_cast<std::uint64_t>(r * cols + c));
          v = to_double(fp64, from_rational(fp64, to_rational(grid, level) * scale));
        }
      const double n = static_cast<double>(group.size());
      if (!q.noscale) overhead_bits += q.scale_format.bits();
      if (q.kind == element_kind::int_asymmetric) overhead_bits += q.bits;  // the zero point
      element_bits += n * grid.bits();
      element_information += n * grid.information_bits();
    }
  const double total = static_cast<double>(w.size());
  out.bits_per_parameter = (element_bits + overhead_bits) / total;
  out.information_bits_per_parameter = (element_information + overhead_bits) / total;
  return out;
}

}  // namespace fpx
