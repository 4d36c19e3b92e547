// MX block formats as quantizers (arith/mx.hpp): mxfp8_e4m3, mxfp6_e3m2, mxfp4, mxint8,
// mxint3_128, ... with E8M0 scales along rows; stochastic rounding row by row with seed + row,
// sites numbered within the row.
#include <cmath>

#include "../quantizer.hpp"

namespace fpx::detail {
namespace {

struct mx_elements final : element_kind {
  std::string_view heads() const override { return "an MX format (mxfp4, mxint8, mxint3_128, ...)"; }
  bool parse(std::string_view head, quantizer& q) const override {
    if (!head.starts_with("mx")) return false;
    q.mx = parse_mx_format(head);
    q.mx_emax = mx_emax_element(*q.mx);
    q.scale_format = preset("e8m0");
    return true;
  }
  bool own_blocks() const override { return true; }
  std::string head(const quantizer& q) const override { return q.mx->name; }
  void layout(const quantizer& q, Index, Index& span, Index& cell_width) const override {
    span = cell_width = q.mx->block_size;
  }
  format grid(const quantizer& q, const rational&, const rational&) const override { return q.mx->element; }
  std::vector<cell_grid> fit(const quantizer& q, const std::vector<std::vector<rational>>& cells) const override {
    std::vector<cell_grid> grids(cells.size());
    for (std::size_t k = 0; k < cells.size(); ++k) {
      grids[k].grid = q.mx->element;
      if (cells[k].empty()) continue;  // every weight is an outlier: scale 0
      double amax = 0;
      for (const rational& x : cells[k]) amax = std::max(amax, std::abs(static_cast<double>(x)));
      grids[k].scale = pow2(mx_shared_exponent(*q.mx, q.mx_emax, amax));
    }
    return grids;
  }
  std::pair<rounding, std::uint64_t> site(const quantizer& q, Index row, Index col, Index) const override {
    rounding r = q.rule;
    r.seed += static_cast<std::uint64_t>(row);
    return {r, static_cast<std::uint64_t>(col)};
  }
};

}  // namespace

const element_kind& kind_mx() {
  static const mx_elements kind;
  return kind;
}

}  // namespace fpx::detail
