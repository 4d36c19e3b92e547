// Weight quantizers: the column quantizer fits each cell's grid (through its element kind,
// kinds/*.cpp) and rounds weights onto it; quantize() is fit-then-round over every span.
#include "fpx/quant/quantize.hpp"

#include "fpx/quant/matrix_methods.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <cmath>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"
#include "quantizer.hpp"

namespace fpx {
namespace detail {

rational rounded(const format& f, const rational& x) {
  const code_t c = from_rational(f, x);
  const number_class k = classify(f, c);
  if (k == number_class::nan || k == number_class::infinite) {
    throw std::range_error(fmt::format("the scale (or offset) {:.6g} is outside the range of {} (it rounds to {}): "
                                       "choose a wider scale format",
                                       static_cast<double>(x), f.name(), k == number_class::nan ? "nan" : "inf"));
  }
  return to_rational(f, c);
}

void cell_grid::prepare_fast(const rounding& rule) {
  const auto s = exactly_double(scale), o = exactly_double(offset);
  if (!s || !o || *s == 0) return;
  fast = fast_target::make(grid, rule);
  scale_double = *s;
  offset_double = *o;
}

// --- what an element kind does unless it says otherwise ---------------------------------------

void element_kind::layout(const quantizer& q, Index cols, Index& span, Index& cell_width) const {
  span = cell_width = q.groups == grouping::group ? q.group_size : std::max<Index>(cols, 1);
}

rational element_kind::exact_scale(const quantizer& q, const std::vector<rational>& w, const format& grid) const {
  if (q.noscale) return 1;
  rational max_abs = 0, sum_abs = 0;
  for (const rational& x : w) {
    max_abs = std::max(max_abs, rational(abs(x)));
    if (q.absmean) sum_abs += abs(x);  // a sum of doubles' rationals grows: only when needed
  }
  if (q.absmean) return sum_abs / static_cast<long>(w.size());
  return max_abs / max_value(grid);
}

std::vector<cell_grid> element_kind::fit(const quantizer& q, const std::vector<std::vector<rational>>& cells) const {
  std::vector<cell_grid> grids(cells.size());
  for (std::size_t k = 0; k < cells.size(); ++k) {
    const std::vector<rational>& values = cells[k];
    cell_grid& g = grids[k];
    g.grid = grid(q, 0, 1);
    if (values.empty()) continue;  // every weight is an outlier: scale 0
    rational min = values[0];
    for (const rational& x : values) min = std::min(min, x);
    g.scale = q.noscale ? rational(1) : rounded(q.scale_format, exact_scale(q, values, g.grid));
    g.grid = grid(q, std::min(min, rational(0)), g.scale);
  }
  return grids;
}

void element_kind::storage(const quantizer& q, Index rows, Index cols, double cells, double& bits,
                           double& information) const {
  const format g = grid(q, 0, 1);
  const double n = static_cast<double>(rows * cols);
  const double overhead = q.noscale ? 0 : cells * q.scale_format.bits();
  bits += n * g.bits() + overhead;
  information += n * g.information_bits() + overhead;
}

std::pair<rounding, std::uint64_t> element_kind::site(const quantizer& q, Index row, Index col, Index cols) const {
  return {q.rule, static_cast<std::uint64_t>(row * cols + col)};
}

}  // namespace detail

using Eigen::Index;

struct column_quantizer::state {
  detail::quantizer q;
  std::string name;
  Index rows = 0, cols = 0;
  Index span = 1;        // columns fitted together
  Index cell_width = 1;  // columns sharing one scale within a row (or all rows, per tensor)
  Index cells_per_row = 0;
  std::vector<std::optional<detail::cell_grid>> cells;  // [row group x cells_per_row + column / cell_width]
  std::vector<bool> outlier;                     // row-major
  double bits = 0, information_bits = 0;
  bool tensor_fitted = false;  // fit_tensor has run

  Index row_group(Index r) const { return q.groups == detail::grouping::tensor ? 0 : r; }
  /// The fitted cell of (row, col) for a finite value, after the checks round() and
  /// neighbours() share; `what` names the caller in the errors.
  const detail::cell_grid& checked_cell(Index row, Index col, double value, const char* what) const;
  std::optional<detail::cell_grid>& cell(Index r, Index c) { return cells[static_cast<std::size_t>(row_group(r) * cells_per_row + c / cell_width)]; }
  const std::optional<detail::cell_grid>& cell(Index r, Index c) const { return cells[static_cast<std::size_t>(row_group(r) * cells_per_row + c / cell_width)]; }

  void count_bits();
};

namespace {

Index ceil_div(Index a, Index b) { return (a + b - 1) / b; }

}  // namespace

// Storage depends only on the shape, so it is counted once.
void column_quantizer::state::count_bits() {
  const double n = static_cast<double>(rows * cols);
  if (n == 0) return;
  double storage = 0, information = 0;
  q.kind->storage(q, rows, cols, static_cast<double>(cells.size()), storage, information);
  const double sparse = detail::outlier_bits(q.outliers, rows, cols, span);
  storage += sparse;
  information += sparse;
  bits = storage / n;
  information_bits = information / n;
}

column_quantizer::column_quantizer(std::string_view quantizer_name, Index rows, Index cols)
    : state_(std::make_unique<state>()) {
  state& s = *state_;
  if (detail::is_matrix_method(quantizer_name))
    detail::bad_quantizer(quantizer_name, "it codes the whole matrix at once, not column by column "
                                          "(use fpx::quantize; GPTQ cannot use it)");
  s.q = detail::parse_quantizer(quantizer_name);
  s.name = s.q.name();
  if (rows < 0 || cols < 0) throw std::invalid_argument("column_quantizer: negative shape");
  s.rows = rows;
  s.cols = cols;
  s.q.kind->layout(s.q, cols, s.span, s.cell_width);
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
  if (!s.tensor_fitted) {  // (GPTQ's first fit sees the weights before any update)
    for (Index i = 0; i < w.size(); ++i)
      if (!std::isfinite(w(i / s.cols, i % s.cols)))
        throw std::invalid_argument("quantize: weight " + std::to_string(i) + " is not finite");
    s.q.kind->fit_tensor(s.q, w);
    s.tensor_fitted = true;
  }
  if (s.q.outliers > 0) detail::mark_outliers(w, first, end, s.q.outliers, s.outlier);

  // The values of each cell of the span, outliers left out, cell by cell in row-major order.
  const Index rows_per_group = s.q.groups == detail::grouping::tensor ? s.rows : 1;
  const Index row_groups = s.rows / rows_per_group;
  for (Index g = 0; g < row_groups; ++g) {
    std::vector<std::vector<rational>> cell_values;
    for (Index c0 = first; c0 < end; c0 += s.cell_width) {
      std::vector<rational>& values = cell_values.emplace_back();
      for (Index r = g * rows_per_group; r < (g + 1) * rows_per_group; ++r)
        for (Index c = c0; c < std::min(end, c0 + s.cell_width); ++c)
          if (!s.outlier[static_cast<std::size_t>(r * s.cols + c)]) values.emplace_back(w(r, c));
    }
    std::vector<detail::cell_grid> grids = s.q.kind->fit(s.q, cell_values);
    for (std::size_t k = 0; k < grids.size(); ++k) {
      grids[k].prepare_fast(s.q.rule);
      s.cell(g * rows_per_group, first + static_cast<Index>(k) * s.cell_width) = std::move(grids[k]);
    }
  }
}

const detail::cell_grid& column_quantizer::state::checked_cell(Index row, Index col, double value,
                                                              const char* what) const {
  if (row < 0 || row >= rows || col < 0 || col >= cols)
    throw std::invalid_argument(std::string("column_quantizer::") + what + ": position outside the matrix");
  if (!std::isfinite(value))
    throw std::invalid_argument("quantize: weight " + std::to_string(row * cols + col) + " is not finite");
  const auto& c = cell(row, col);
  if (!c) throw std::logic_error(std::string("column_quantizer::") + what + ": column " + std::to_string(col) + " was not fitted");
  return *c;
}

namespace {

// A level of a cell's grid as the weight's value: level x scale + offset, rounded once to double.
double value_of(const detail::cell_grid& cell, code_t level) {
  static const format fp64 = preset("fp64");
  return to_double(fp64, from_rational(fp64, to_rational(cell.grid, level) * cell.scale + cell.offset));
}

}  // namespace

std::pair<double, double> column_quantizer::neighbours(Index row, Index col, double value) const {
  static const format fp64 = preset("fp64"), fp16 = preset("fp16");
  const state& s = *state_;
  const detail::cell_grid* cell = &s.checked_cell(row, col, value, "neighbours");
  if (s.outlier[static_cast<std::size_t>(row * s.cols + col)]) {
    const double kept = to_double(fp16, from_double(fp16, value));
    return {kept, kept};
  }
  if (s.q.kind->round(s.q, *cell, 0.0))
    throw std::invalid_argument("quantizer '" + s.name + "' rounds by its own arithmetic: it has no neighbour grid values");
  if (cell->scale == 0) {
    const double offset = to_double(fp64, from_rational(fp64, cell->offset));
    return {offset, offset};
  }
  const rational q = (rational(value) - cell->offset) / cell->scale;
  auto at = [&](round_mode mode) { return value_of(*cell, from_rational(cell->grid, q, {mode})); };
  return {at(round_mode::down), at(round_mode::up)};
}

double column_quantizer::round(Index row, Index col, double value) const {
  static const format fp64 = preset("fp64"), fp16 = preset("fp16");
  const state& s = *state_;
  const detail::cell_grid* cell = &s.checked_cell(row, col, value, "round");
  if (s.outlier[static_cast<std::size_t>(row * s.cols + col)]) return to_double(fp16, from_double(fp16, value));
  if (const auto own = s.q.kind->round(s.q, *cell, value)) return *own;
  if (cell->scale == 0) return to_double(fp64, from_rational(fp64, cell->offset));
  const auto [rule, site] = s.q.kind->site(s.q, row, col, s.cols);
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
  return value_of(*cell, from_rational(cell->grid, (rational(value) - cell->offset) / cell->scale, rule, site));
}

quantized_weights quantize(const Eigen::MatrixXd& w, std::string_view quantizer_name) {
  if (auto whole = detail::matrix_method(w, quantizer_name)) return *std::move(whole);
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
