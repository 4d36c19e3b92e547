#include "fpx/quantize.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "fpx/codec.hpp"
#include "fpx/mx.hpp"
#include "fpx/round.hpp"
#include "fast_scalar.hpp"

namespace fpx {
namespace {

using Eigen::Index;

enum class element_kind { int_symmetric, int_asymmetric, ternary, binary, unsigned_binary, minifloat, mx, kquant };
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
  double outliers = 0;             // fraction of each span kept in fp16

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
  } else if (head.size() == 4 && head[0] == 'q' && head[1] >= '2' && head[1] <= '6' &&
             head.substr(2) == "_k") {
    q.kind = element_kind::kquant;
    q.bits = head[1] - '0';
    q.scale_format = preset("fp16");
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
                "minifloat preset, an MX format, or q2_k..q6_k)");
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
    } else if (opt.starts_with("outliers=")) {
      const auto f = opt.substr(9);
      const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), q.outliers);
      if (ec != std::errc{} || end != f.data() + f.size() || !(q.outliers >= 0 && q.outliers < 1))
        bad(name, "outliers= takes a fraction in [0, 1)");
    } else if (auto b = integer_suffix(opt, "block=")) {
      if (q.kind != element_kind::mx) bad(name, "block= applies to MX formats; use group=");
      block = *b;
    } else {
      bad(name, "unknown option '" + std::string(opt) + "'");
    }
  }
  const bool own_scales = q.kind == element_kind::mx || q.kind == element_kind::kquant;
  if (own_scales && (q.groups != grouping::tensor || q.noscale || q.absmean ||
                     q.scale_format != preset(q.kind == element_kind::mx ? "e8m0" : "fp16")))
    bad(name, "MX formats and k-quants fix their own blocks and scales");
  if (own_scales) q.groups = grouping::channel;  // their blocks lie within a row
  if (q.kind == element_kind::mx) {
    if (block) q.mx = parse_mx_format(std::string(head) + ":block=" + std::to_string(*block));
  }
  if (q.kind == element_kind::int_asymmetric && q.absmean)
    bad(name, "asymmetric grids take their scale from the range (max - min)");
  return q;
}

std::string outlier_option(double fraction) {
  if (fraction == 0) return "";
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, fraction).ptr;
  return ":outliers=" + std::string(text, end);
}

std::string quantizer::name() const {
  const std::string seed = rule.mode == round_mode::stochastic ? ":stochastic=" + std::to_string(rule.seed) : "";
  if (kind == element_kind::mx) return mx->name + outlier_option(outliers) + seed;
  if (kind == element_kind::kquant) return "q" + std::to_string(bits) + "_k" + outlier_option(outliers) + seed;
  std::string n;
  switch (kind) {
    case element_kind::int_symmetric: n = "int" + std::to_string(bits); break;
    case element_kind::int_asymmetric: n = "uint" + std::to_string(bits); break;
    case element_kind::ternary: n = "ternary"; break;
    case element_kind::binary: n = "binary"; break;
    case element_kind::unsigned_binary: n = "u1"; break;
    case element_kind::minifloat: n = element->with_overflow(overflow_policy::saturate).name(); break;
    default: break;
  }
  if (groups == grouping::channel) n += ":channel";
  if (groups == grouping::group) n += ":group=" + std::to_string(group_size);
  const bool default_absmean = kind == element_kind::ternary || kind == element_kind::binary;
  if (absmean != default_absmean) n += absmean ? ":absmean" : ":absmax";
  if (noscale) n += ":noscale";
  else n += ":scale=" + scale_format.name();
  return n + outlier_option(outliers) + seed;
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
    case element_kind::mx: return q.mx->element;
    default: return *q.element;
  }
}

// The exact (unrounded) scale of a group.
rational group_scale(const quantizer& q, const std::vector<rational>& w, const format& grid_for_max) {
  if (q.noscale) return 1;
  rational max_abs = 0, sum_abs = 0, lo = w[0], hi = w[0];
  for (const rational& x : w) {
    max_abs = std::max(max_abs, rational(abs(x)));
    if (q.absmean) sum_abs += abs(x);  // a sum of doubles' rationals grows: only when needed
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


// llama.cpp's k-quant layouts: sub-block length, bits of a stored sub-block scale, and whether
// a sub-block also stores a minimum.
struct kquant_layout {
  Index sub_block;
  int scale_bits;
  bool asymmetric;
};
constexpr Index super_block = 256;

kquant_layout kquant(int bits) {
  switch (bits) {
    case 2: return {16, 4, true};
    case 3: return {16, 6, false};
    case 4: return {32, 6, true};
    case 5: return {32, 6, true};
    default: return {16, 8, false};
  }
}

// The grid of one cell (the weights that share a scale): value = level x scale + offset.
struct cell_grid {
  rational scale = 0;
  rational offset = 0;  // minus the sub-block minimum of an asymmetric k-quant, 0 otherwise
  format grid = format::ternary();
  // The fast path: scale and offset as doubles, and the grid's encoder (deterministic rules).
  const detail::fast_target* fast = nullptr;
  double scale_double = 0, offset_double = 0;

  void prepare_fast(const rounding& rule) {
    const auto s = detail::exactly_double(scale), o = detail::exactly_double(offset);
    if (!s || !o || *s == 0) return;
    fast = detail::fast_target::make(grid, rule);
    scale_double = *s;
    offset_double = *o;
  }
};

rational rounded(const format& f, const rational& x) { return to_rational(f, from_rational(f, x)); }

// A k-quant's per-sub-block (scale, minimum) pairs in one row of a super-block, stored as
// multiples of the super-block's fp16 scales.
std::vector<cell_grid> fit_kquant(int bits, const std::vector<std::vector<rational>>& subs) {
  const kquant_layout layout = kquant(bits);
  const format fp16 = preset("fp16");
  const format multiple = format::int_asymmetric(layout.scale_bits, 0);  // 0..2^K-1, saturating
  const long top = (1L << layout.scale_bits) - 1;
  std::vector<rational> scale(subs.size(), 0), minimum(subs.size(), 0);
  rational max_scale = 0, max_minimum = 0;
  for (std::size_t j = 0; j < subs.size(); ++j) {
    if (subs[j].empty()) continue;
    const auto [lo, hi] = std::minmax_element(subs[j].begin(), subs[j].end());
    if (layout.asymmetric) {
      minimum[j] = -std::min(*lo, rational(0));  // the grid reaches down to min(0, min w)
      scale[j] = (*hi + minimum[j]) / ((1L << bits) - 1);
    } else {
      scale[j] = std::max(abs(*lo), abs(*hi)) / ((1L << (bits - 1)) - 1);
    }
    max_scale = std::max(max_scale, scale[j]);
    max_minimum = std::max(max_minimum, minimum[j]);
  }
  const rational d = rounded(fp16, max_scale / top), dmin = rounded(fp16, max_minimum / top);
  const format levels = layout.asymmetric ? format::int_asymmetric(bits, 0) : format::int_symmetric(bits);
  std::vector<cell_grid> cells(subs.size());
  for (std::size_t j = 0; j < subs.size(); ++j) {
    cells[j].grid = levels;
    if (d != 0 && scale[j] != 0)  // a nonzero sub-block keeps a nonzero scale
      cells[j].scale = d * std::max(rational(1), rounded(multiple, scale[j] / d));
    if (dmin != 0) cells[j].offset = -dmin * rounded(multiple, minimum[j] / dmin);
  }
  return cells;
}

}  // namespace

struct column_quantizer::state {
  quantizer q;
  std::string name;
  Index rows = 0, cols = 0;
  Index span = 1;        // columns fitted together
  Index cell_width = 1;  // columns sharing one scale within a row (or all rows, per tensor)
  Index cells_per_row = 0;
  std::vector<std::optional<cell_grid>> cells;  // [row group x cells_per_row + column / cell_width]
  std::vector<bool> outlier;                     // row-major
  double bits = 0, information_bits = 0;
  int mx_emax = 0;  // the MX element's largest exponent, once

  Index row_group(Index r) const { return q.groups == grouping::tensor ? 0 : r; }
  std::optional<cell_grid>& cell(Index r, Index c) { return cells[static_cast<std::size_t>(row_group(r) * cells_per_row + c / cell_width)]; }
  const std::optional<cell_grid>& cell(Index r, Index c) const { return cells[static_cast<std::size_t>(row_group(r) * cells_per_row + c / cell_width)]; }

  void count_bits();
  void mark_outliers(const Eigen::MatrixXd& w, Index first, Index end);
  cell_grid fit_cell(const std::vector<rational>& values) const;
};

namespace {

Index ceil_div(Index a, Index b) { return (a + b - 1) / b; }

std::size_t outliers_in(double fraction, Index weights) {
  return static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(weights)));
}

}  // namespace

// Storage depends only on the shape, so it is counted once, span by span.
void column_quantizer::state::count_bits() {
  const double n = static_cast<double>(rows * cols);
  if (n == 0) return;
  double storage = 0, information = 0;
  if (q.kind == element_kind::kquant) {
    const kquant_layout layout = kquant(q.bits);
    const double stored = layout.asymmetric ? 2 : 1;  // scale, and minimum if asymmetric
    for (Index c0 = 0; c0 < cols; c0 += super_block) {
      const Index length = std::min(super_block, cols - c0);
      const double overhead = stored * (static_cast<double>(ceil_div(length, layout.sub_block) * layout.scale_bits) + 16);
      storage += static_cast<double>(rows) * (static_cast<double>(q.bits * length) + overhead);
      const double levels = layout.asymmetric ? std::ldexp(1.0, q.bits) : std::ldexp(1.0, q.bits) - 1;
      information += static_cast<double>(rows) * (std::log2(levels) * static_cast<double>(length) + overhead);
    }
  } else {
    const format grid = element_format(q, 0, 1);
    const double cell_count = static_cast<double>(cells.size());
    double overhead = q.noscale ? 0 : cell_count * q.scale_format.bits();
    if (q.kind == element_kind::int_asymmetric) overhead += cell_count * q.bits;  // the zero points
    storage = n * grid.bits() + overhead;
    information = n * grid.information_bits() + overhead;
  }
  if (q.outliers > 0) {
    double kept = 0;
    for (Index c0 = 0; c0 < cols; c0 += span) kept += static_cast<double>(outliers_in(q.outliers, rows * std::min(span, cols - c0)));
    const double sparse = 32 * kept + 32 * static_cast<double>(rows);  // fp16 value + column; row starts
    storage += sparse;
    information += sparse;
  }
  bits = storage / n;
  information_bits = information / n;
}

// The largest |w| of the span (ties: the lower row-major index) stay in fp16.
void column_quantizer::state::mark_outliers(const Eigen::MatrixXd& w, Index first, Index end) {
  std::vector<Index> index;
  for (Index r = 0; r < rows; ++r)
    for (Index c = first; c < end; ++c) {
      outlier[static_cast<std::size_t>(r * cols + c)] = false;
      index.push_back(r * cols + c);
    }
  const std::size_t keep = std::min(index.size(), outliers_in(q.outliers, static_cast<Index>(index.size())));
  if (keep == 0) return;
  const auto magnitude = [&](Index i) { return std::abs(w(i / cols, i % cols)); };
  std::partial_sort(index.begin(), index.begin() + static_cast<std::ptrdiff_t>(keep), index.end(),
                    [&](Index a, Index b) { return magnitude(a) != magnitude(b) ? magnitude(a) > magnitude(b) : a < b; });
  for (std::size_t k = 0; k < keep; ++k) outlier[static_cast<std::size_t>(index[k])] = true;
}

cell_grid column_quantizer::state::fit_cell(const std::vector<rational>& values) const {
  cell_grid g;
  g.grid = element_format(q, 0, 1);
  if (values.empty()) return g;  // every weight is an outlier: scale 0
  if (q.kind == element_kind::mx) {
    double amax = 0;
    for (const rational& x : values) amax = std::max(amax, std::abs(static_cast<double>(x)));
    g.scale = pow2(mx_shared_exponent(mx_emax, amax));
    return g;
  }
  rational min = values[0];
  for (const rational& x : values) min = std::min(min, x);
  g.scale = q.noscale ? rational(1) : rounded(q.scale_format, group_scale(q, values, g.grid));
  g.grid = element_format(q, std::min(min, rational(0)), g.scale);
  return g;
}

column_quantizer::column_quantizer(std::string_view quantizer_name, Index rows, Index cols)
    : state_(std::make_unique<state>()) {
  state& s = *state_;
  s.q = parse_quantizer(quantizer_name);
  s.name = s.q.name();
  if (rows < 0 || cols < 0) throw std::invalid_argument("column_quantizer: negative shape");
  s.rows = rows;
  s.cols = cols;
  const Index all = std::max<Index>(cols, 1);
  switch (s.q.kind) {
    case element_kind::mx:
      s.span = s.cell_width = s.q.mx->block_size;
      s.mx_emax = mx_emax_element(*s.q.mx);
      break;
    case element_kind::kquant:
      s.span = super_block;
      s.cell_width = kquant(s.q.bits).sub_block;
      break;
    default: s.span = s.cell_width = s.q.groups == grouping::group ? s.q.group_size : all;
  }
  s.cells_per_row = ceil_div(cols, s.cell_width);
  const Index row_groups = rows == 0 ? 0 : s.row_group(rows - 1) + 1;
  s.cells.resize(static_cast<std::size_t>(row_groups * s.cells_per_row));
  s.outlier.assign(static_cast<std::size_t>(rows * cols), false);
  s.count_bits();
}

column_quantizer::~column_quantizer() = default;
column_quantizer::column_quantizer(column_quantizer&&) noexcept = default;
column_quantizer& column_quantizer::operator=(column_quantizer&&) noexcept = default;

Index column_quantizer::span() const { return state_->span; }
double column_quantizer::bits_per_parameter() const { return state_->bits; }
double column_quantizer::information_bits_per_parameter() const { return state_->information_bits; }
const std::string& column_quantizer::name() const { return state_->name; }

void column_quantizer::fit(const Eigen::MatrixXd& w, Index first) {
  state& s = *state_;
  if (w.rows() != s.rows || w.cols() != s.cols)
    throw std::invalid_argument("column_quantizer::fit: weights are " + std::to_string(w.rows()) + "x" +
                                std::to_string(w.cols()) + ", the quantizer was made for " +
                                std::to_string(s.rows) + "x" + std::to_string(s.cols));
  if (first < 0 || first >= s.cols || first % s.span != 0)
    throw std::invalid_argument("column_quantizer::fit: column " + std::to_string(first) +
                                " does not start a span of " + std::to_string(s.span));
  const Index end = std::min(s.cols, first + s.span);
  for (Index r = 0; r < s.rows; ++r)
    for (Index c = first; c < end; ++c)
      if (!std::isfinite(w(r, c)))
        throw std::invalid_argument("quantize: weight " + std::to_string(r * s.cols + c) + " is not finite");
  if (s.q.outliers > 0) s.mark_outliers(w, first, end);

  // The values of each cell of the span, outliers left out, cell by cell in row-major order.
  const Index rows_per_group = s.q.groups == grouping::tensor ? s.rows : 1;
  const Index row_groups = s.rows / rows_per_group;
  for (Index g = 0; g < row_groups; ++g) {
    std::vector<std::vector<rational>> cell_values;
    for (Index c0 = first; c0 < end; c0 += s.cell_width) {
      std::vector<rational>& values = cell_values.emplace_back();
      for (Index r = g * rows_per_group; r < (g + 1) * rows_per_group; ++r)
        for (Index c = c0; c < std::min(end, c0 + s.cell_width); ++c)
          if (!s.outlier[static_cast<std::size_t>(r * s.cols + c)]) values.emplace_back(w(r, c));
    }
    std::vector<cell_grid> grids;
    if (s.q.kind == element_kind::kquant) grids = fit_kquant(s.q.bits, cell_values);
    else
      for (const auto& values : cell_values) grids.push_back(s.fit_cell(values));
    for (std::size_t k = 0; k < grids.size(); ++k) {
      grids[k].prepare_fast(s.q.rule);
      s.cell(g * rows_per_group, first + static_cast<Index>(k) * s.cell_width) = std::move(grids[k]);
    }
  }
}

double column_quantizer::round(Index row, Index col, double value) const {
  static const format fp64 = preset("fp64"), fp16 = preset("fp16");
  const state& s = *state_;
  if (row < 0 || row >= s.rows || col < 0 || col >= s.cols)
    throw std::invalid_argument("column_quantizer::round: position outside the matrix");
  if (!std::isfinite(value))
    throw std::invalid_argument("quantize: weight " + std::to_string(row * s.cols + col) + " is not finite");
  const auto& cell = s.cell(row, col);
  if (!cell) throw std::logic_error("column_quantizer::round: column " + std::to_string(col) + " was not fitted");
  if (s.outlier[static_cast<std::size_t>(row * s.cols + col)]) return to_double(fp16, from_double(fp16, value));
  if (cell->scale == 0) return to_double(fp64, from_rational(fp64, cell->offset));
  // MX rounds row by row with seed + row, sites numbered within the row.
  const bool mx = s.q.kind == element_kind::mx;
  const rounding rule{s.q.rule.mode, s.q.rule.seed + (mx ? static_cast<std::uint64_t>(row) : 0)};
  const auto site = static_cast<std::uint64_t>(mx ? col : row * s.cols + col);
  if (cell->fast) {
    // (value - offset) / scale in double is within 2^-52 (relative) of the exact quotient.
    // Rounding is monotone, so when both ends of a 2^-50 enclosure round to the same level,
    // the exact quotient does too; level x scale + offset is then rounded once by the fma,
    // as the exact path rounds it. Near a boundary (a tie included) the exact path decides.
    const double q = (value - cell->offset_double) / cell->scale_double;
    if (q == 0 || std::abs(q) > 0x1p-1000) {
      const double slack = std::abs(q) * 0x1p-50;
      const double lo = detail::fast::convert(*cell->fast, q - slack, rule, site);
      const double hi = detail::fast::convert(*cell->fast, q + slack, rule, site);
      const double result = std::fma(lo, cell->scale_double, cell->offset_double);
      if (lo == hi && (result == 0 || std::isnormal(result))) return result;
    }
  }
  const code_t level = from_rational(cell->grid, (rational(value) - cell->offset) / cell->scale, rule, site);
  return to_double(fp64, from_rational(fp64, to_rational(cell->grid, level) * cell->scale + cell->offset));
}

quantized_weights quantize(const Eigen::MatrixXd& w, std::string_view quantizer_name) {
  column_quantizer quantizer(quantizer_name, w.rows(), w.cols());
  quantized_weights out;
  out.name = quantizer.name();
  out.values.resize(w.rows(), w.cols());
  for (Index c0 = 0; c0 < w.cols(); c0 += quantizer.span()) {
    quantizer.fit(w, c0);
    for (Index r = 0; r < w.rows(); ++r)
      for (Index c = c0; c < std::min(w.cols(), c0 + quantizer.span()); ++c)
        out.values(r, c) = quantizer.round(r, c, w(r, c));
  }
  out.bits_per_parameter = quantizer.bits_per_parameter();
  out.information_bits_per_parameter = quantizer.information_bits_per_parameter();
  return out;
}

}  // namespace fpx
