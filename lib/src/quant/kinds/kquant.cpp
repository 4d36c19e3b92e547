// qN_k, N = 2..6: two-level block scales as llama.cpp's k-quants lay them out. Rows are cut into
// super-blocks of 256 weights and those into sub-blocks of 16 (q2, q3, q6) or 32 (q4, q5). Each
// sub-block has its own scale, stored as a K-bit unsigned multiple of the super-block's fp16
// scale d = max sub-block scale / (2^K - 1) (rounded to nearest, at least 1 for a nonzero
// sub-block). q3_k and q6_k are symmetric (levels +-(2^(N-1)-1), K = 6 and 8); q2_k, q4_k and
// q5_k asymmetric (levels 0..2^N-1 minus a sub-block minimum, stored like the scale with its own
// fp16 dmin; K = 4, 6, 6).
#include <algorithm>
#include <cmath>

#include "../quantizer.hpp"

namespace fpx::detail {
namespace {

constexpr Index super_block = 256;

// The layout of one k-quant: sub-block length, bits of a stored sub-block scale, and whether a
// sub-block also stores a minimum.
struct layout_of {
  Index sub_block;
  int scale_bits;
  bool asymmetric;
};

layout_of kquant(int bits) {
  switch (bits) {
    case 2: return {16, 4, true};
    case 3: return {16, 6, false};
    case 4: return {32, 6, true};
    case 5: return {32, 6, true};
    default: return {16, 8, false};
  }
}

struct k_quants final : element_kind {
  std::string_view heads() const override { return "q2_k..q6_k"; }
  bool parse(std::string_view head, quantizer& q) const override {
    if (head.size() != 4 || head[0] != 'q' || head[1] < '2' || head[1] > '6' || head.substr(2) != "_k") return false;
    q.bits = head[1] - '0';
    q.scale_format = preset("fp16");
    return true;
  }
  bool own_blocks() const override { return true; }
  std::string head(const quantizer& q) const override { return "q" + std::to_string(q.bits) + "_k"; }
  void layout(const quantizer& q, Index, Index& span, Index& cell_width) const override {
    span = super_block;
    cell_width = kquant(q.bits).sub_block;
  }
  format grid(const quantizer& q, const rational&, const rational&) const override {
    return kquant(q.bits).asymmetric ? format::int_asymmetric(q.bits, 0) : format::int_symmetric(q.bits);
  }

  // A row's (scale, minimum) pairs in one super-block, stored as multiples of its fp16 scales.
  std::vector<cell_grid> fit(const quantizer& q, const std::vector<std::vector<rational>>& subs) const override {
    const int bits = q.bits;
    const layout_of layout = kquant(bits);
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
    const format levels = grid(q, 0, 1);
    std::vector<cell_grid> cells(subs.size());
    for (std::size_t j = 0; j < subs.size(); ++j) {
      cells[j].grid = levels;
      if (d != 0 && scale[j] != 0)  // a nonzero sub-block keeps a nonzero scale
        cells[j].scale = d * std::max(rational(1), rounded(multiple, scale[j] / d));
      if (dmin != 0) cells[j].offset = -dmin * rounded(multiple, minimum[j] / dmin);
    }
    return cells;
  }

  // Per super-block and row: N bits a weight, K bits a sub-block scale (and minimum), and 16
  // bits for d (and dmin): 2.625, 3.4375, 4.5, 5.5, 6.5625 bits per weight in whole blocks.
  void storage(const quantizer& q, Index rows, Index cols, double, double& bits, double& information) const override {
    const layout_of layout = kquant(q.bits);
    const double stored = layout.asymmetric ? 2 : 1;  // scale, and minimum if asymmetric
    for (Index c0 = 0; c0 < cols; c0 += super_block) {
      const Index length = std::min(super_block, cols - c0);
      const Index subs = (length + layout.sub_block - 1) / layout.sub_block;
      const double overhead = stored * (static_cast<double>(subs * layout.scale_bits) + 16);
      bits += static_cast<double>(rows) * (static_cast<double>(q.bits * length) + overhead);
      const double levels = layout.asymmetric ? std::ldexp(1.0, q.bits) : std::ldexp(1.0, q.bits) - 1;
      information += static_cast<double>(rows) * (std::log2(levels) * static_cast<double>(length) + overhead);
    }
  }
};

}  // namespace

const element_kind& kind_kquant() {
  static const k_quants kind;
  return kind;
}

}  // namespace fpx::detail
