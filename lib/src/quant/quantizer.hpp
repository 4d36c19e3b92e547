#pragma once
// The parts of a quantizer (quantize.hpp): what a name says (names.cpp), the element kinds
// (kinds/*.cpp, one file a kind, found by the build), outliers (outliers.cpp), and the
// column quantizer that fits and rounds (quantize.cpp). A new kind of element is a new file in
// kinds/ that defines `const element_kind& kind_<file>()`; nothing else lists the kinds.

#include <Eigen/Core>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fpx/arith/format.hpp"
#include "fpx/arith/mx.hpp"
#include "fpx/arith/rounding.hpp"
#include "fpx/fast/detail/scalar.hpp"
#include "fpx/quant/ggml.hpp"
#include "fpx/quant/quantize.hpp"

namespace fpx::detail {

using Eigen::Index;

struct element_kind;

/// Which weights share a scale: the whole tensor, a row (output channel), or runs of G
/// consecutive weights within a row.
enum class grouping { tensor, channel, group };

/// What a quantizer name says.
struct quantizer {
  const element_kind* kind = nullptr;
  int bits = 0;                   ///< intN, uintN, ggml's formats
  std::optional<format> element;  ///< minifloat elements
  std::optional<ggml::type> ggml_type;  ///< ggml's formats (q4_0, q8_0, q2_k..q6_k)
  std::optional<mx_format> mx;    ///< MX elements
  int mx_emax = 0;                ///< the MX element's largest exponent, computed once
  grouping groups = grouping::tensor;
  Index group_size = 0;           ///< grouping::group
  bool absmean = false;
  bool noscale = false;
  format scale_format = preset("fp32");
  rounding rule;
  double outliers = 0;            ///< fraction of each span kept in fp16
  /// A scale for the whole tensor (nvfp4), set by element_kind::fit_tensor from the weights the
  /// first fit() sees; not part of the name.
  std::optional<rational> tensor_scale;

  /// The canonical name, which parses back to the same quantizer.
  std::string name() const;
};

/// Parses a quantizer name (grammar in quantize.hpp); throws std::invalid_argument naming the
/// quantizer and the reason.
quantizer parse_quantizer(std::string_view name);
[[noreturn]] void bad_quantizer(std::string_view name, const std::string& why);

/// The grid of one cell (the weights that share a scale): value = level x scale + offset.
struct cell_grid {
  rational scale = 0;
  rational offset = 0;  ///< minus the sub-block minimum of an asymmetric k-quant, 0 otherwise
  format grid = format::ternary();
  // The fast path: scale and offset as doubles, and the grid's encoder (deterministic rules).
  const fast_target* fast = nullptr;
  double scale_double = 0, offset_double = 0;
  ggml::sub_block_rule ggml_rule;  ///< ggml's formats: the float32 numbers ggml rounds this cell by

  void prepare_fast(const rounding& rule);
};

/// A value of f nearest x (ties to even): a scale rounded into its storage format. Throws
/// std::range_error when x rounds to NaN or an infinity of f (a scale outside its range).
rational rounded(const format& f, const rational& x);

/// One kind of element grid: how its names read, its grid, and how a cell's scale is fitted.
struct element_kind {
  virtual ~element_kind() = default;
  /// The heads of names this kind reads, for help texts and errors ("intN", "q2_k..q6_k").
  virtual std::string_view heads() const = 0;
  /// Fills q (kind, bits, element, defaults) when `head` names this kind; false otherwise.
  virtual bool parse(std::string_view head, quantizer& q) const = 0;
  /// Checks q once its options are read (throws through bad_quantizer).
  virtual void check(const quantizer&, std::string_view /*name*/) const {}
  /// The head of q's canonical name.
  virtual std::string head(const quantizer& q) const = 0;
  /// Whether the scale is the mean |w| unless a name says :absmax (ternary and S1 grids).
  virtual bool absmean_by_default() const { return false; }
  /// True when the kind fixes its own blocks and scales (MX, k-quants): its names take no
  /// grouping or scale options, and its blocks lie within a row.
  virtual bool own_blocks() const { return false; }
  /// Columns fitted together (span) and columns sharing one scale within a row (cell width).
  virtual void layout(const quantizer& q, Index cols, Index& span, Index& cell_width) const;
  /// The element grid of a cell, given its rounded scale and the minimum of its weights (an
  /// asymmetric grid needs both for its zero point).
  virtual format grid(const quantizer& q, const rational& min, const rational& scale) const = 0;
  /// The exact (unrounded) scale of a cell's weights; `grid` is the cell's grid at scale 1.
  virtual rational exact_scale(const quantizer& q, const std::vector<rational>& w, const format& grid) const;
  /// Called once, by the first column_quantizer::fit, with the whole matrix (a kind with a
  /// per-tensor scale sets q.tensor_scale); by default nothing.
  virtual void fit_tensor(quantizer& /*q*/, const Eigen::MatrixXd& /*w*/) const {}
  /// The grids of the cells of one row group within one span, from their weights (outliers
  /// left out); by default each cell on its own.
  virtual std::vector<cell_grid> fit(const quantizer& q, const std::vector<std::vector<rational>>& cells) const;
  /// Storage bits and information bits of a rows x cols matrix whose scales fill `cells` cells
  /// (outliers aside): each element's code (or log2 of its levels) plus each cell's scale.
  virtual void storage(const quantizer& q, Index rows, Index cols, double cells, double& bits,
                       double& information) const;
  /// A kind that rounds by its own arithmetic (ggml's float32 rules) returns weight `value`
  /// rounded in `cell`; by default nullopt: the rounding onto cell.grid with the kind's rule.
  virtual std::optional<double> round(const quantizer&, const cell_grid&, double /*value*/) const {
    return std::nullopt;
  }
  /// The rounding of weight (row, col) and its stochastic site: by default the quantizer's
  /// rule, site row * cols + col.
  virtual std::pair<rounding, std::uint64_t> site(const quantizer& q, Index row, Index col, Index cols) const;
};

/// The checks every layer-wise method (GPTQ, discquant, gsq) makes of W (out x in) and H
/// (in x in): shapes, finite, H symmetric; std::invalid_argument naming `method`.
void check_layer(const Eigen::MatrixXd& w, const Eigen::MatrixXd& h, std::string_view method);

/// Every element kind, in the order names are tried (generated from kinds/*.cpp).
const std::vector<const element_kind*>& element_kinds();

/// Outliers (SpQR-style): in every span, the ceil(fraction x weights) largest |w| stay in fp16.
std::size_t outliers_in(double fraction, Index weights);
/// Marks the outliers of w's columns [first, end) in `outlier` (row-major, rows x cols).
void mark_outliers(const Eigen::MatrixXd& w, Index first, Index end, double fraction, std::vector<bool>& outlier);
/// The storage of the outliers of a rows x cols matrix fitted in spans: fp16 value and column
/// index per outlier, plus 32 bits per row.
double outlier_bits(double fraction, Index rows, Index cols, Index span);

}  // namespace fpx::detail
