// nvfp4: NVIDIA's FP4 recipe. E2M1 elements (OCP FP4, saturating at +-6) in blocks of 16 along a
// row, an E4M3 scale per block and an fp32 scale per tensor:
//   s_tensor = fp32(amax(|W|) / (448 * 6))
//   s_b      = e4m3(amax_block / (6 * s_tensor)), round to nearest even, saturating at 448
//   element  = e2m1(x / (s_b * s_tensor)), round to nearest even, saturating at +-6
// A block whose s_b rounds to 0 (or a tensor whose s_tensor does) is all zeros. Dequantized
// values are element x s_b x s_tensor, exactly. Storage: 4 bits a weight, 8 a block, 32 a tensor.
#include <algorithm>
#include <cmath>

#include "../quantizer.hpp"

namespace fpx::detail {
namespace {

constexpr Index block = 16;

struct nvfp4 final : element_kind {
  std::string_view heads() const override { return "nvfp4"; }
  bool parse(std::string_view head, quantizer& q) const override {
    if (head != "nvfp4") return false;
    q.element = preset("e2m1").with_overflow(overflow_policy::saturate);
    q.scale_format = preset("e4m3").with_overflow(overflow_policy::saturate);
    return true;
  }
  void check(const quantizer& q, std::string_view name) const override {
    if (q.outliers > 0) bad_quantizer(name, "nvfp4 takes no outliers (its tensor scale is the whole tensor's amax)");
  }
  bool own_blocks() const override { return true; }
  std::string head(const quantizer&) const override { return "nvfp4"; }
  void layout(const quantizer&, Index, Index& span, Index& cell_width) const override {
    span = cell_width = block;
  }
  format grid(const quantizer& q, const rational&, const rational&) const override { return *q.element; }
  void fit_tensor(quantizer& q, const Eigen::MatrixXd& w) const override {
    const double amax = w.size() ? w.cwiseAbs().maxCoeff() : 0.0;
    q.tensor_scale = rounded(preset("fp32"), rational(amax) / (448 * 6));
  }
  std::vector<cell_grid> fit(const quantizer& q, const std::vector<std::vector<rational>>& cells) const override {
    std::vector<cell_grid> grids(cells.size());
    for (std::size_t k = 0; k < cells.size(); ++k) {
      grids[k].grid = *q.element;
      if (cells[k].empty() || !q.tensor_scale || *q.tensor_scale == 0) continue;  // scale 0: zeros
      rational amax = 0;
      for (const rational& x : cells[k]) amax = std::max(amax, rational(abs(x)));
      const rational s_b = rounded(q.scale_format, amax / (6 * *q.tensor_scale));
      grids[k].scale = s_b * *q.tensor_scale;
    }
    return grids;
  }
  void storage(const quantizer&, Index rows, Index cols, double cells, double& bits,
               double& information) const override {
    const double n = static_cast<double>(rows * cols), overhead = 8 * cells + (n > 0 ? 32 : 0);
    bits += 4 * n + overhead;
    information += std::log2(15.0) * n + overhead;  // E2M1 has 15 distinct values (+0 = -0)
  }
};

}  // namespace

const element_kind& kind_nvfp4() {
  static const nvfp4 kind;
  return kind;
}

}  // namespace fpx::detail
