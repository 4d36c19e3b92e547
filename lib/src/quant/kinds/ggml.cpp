// llama.cpp's formats as quantizers: q4_0, q8_0 and the k-quants q2_k..q6_k (ggml's q2_K..q6_K,
// the K in either case), block for block what ggml's reference quantizers write (quant/ggml.hpp).
// A row is cut into blocks of 32 (q4_0, q8_0) or 256 (k-quants); a row whose length is not a
// whole number of blocks is padded with zeros in its last block, which is stored whole (ggml
// itself refuses such a row). Weights are float32 to ggml: each is rounded to float32 first.
// Each sub-block is a cell whose grid is ggml's last pass: the weight's code by ggml's float32
// rule against the stored scales, the value as ggml's dequantizer computes it.
#include <cmath>
#include <limits>
#include <stdexcept>

#include "../quantizer.hpp"

namespace fpx::detail {
namespace {

struct ggml_blocks final : element_kind {
  std::string_view heads() const override { return "q4_0 | q8_0 | q2_k..q6_k"; }
  bool parse(std::string_view head, quantizer& q) const override {
    const auto t = ggml::type_named(head);
    if (!t) return false;
    q.ggml_type = *t;
    q.bits = ggml::layout_of(*t).bits;
    q.scale_format = preset("fp16");
    return true;
  }
  void check(const quantizer& q, std::string_view name) const override {
    if (q.outliers > 0 || q.rule.mode != round_mode::rne)
      bad_quantizer(name, "ggml's formats round to nearest with their own scales: no :outliers or :stochastic");
  }
  bool own_blocks() const override { return true; }
  std::string head(const quantizer& q) const override {
    std::string n(ggml::layout_of(*q.ggml_type).name);
    if (n.back() == 'K') n.back() = 'k';
    return n;
  }
  void layout(const quantizer& q, Index, Index& span, Index& cell_width) const override {
    span = ggml::layout_of(*q.ggml_type).block_weights;
    cell_width = ggml::layout_of(*q.ggml_type).sub_block;
  }
  format grid(const quantizer& q, const rational&, const rational&) const override {
    return format::int_asymmetric(q.bits, 0);  // (the codes; values come from round() below)
  }

  std::vector<cell_grid> fit(const quantizer& q, const std::vector<std::vector<rational>>& cells) const override {
    const ggml::layout& shape = ggml::layout_of(*q.ggml_type);
    std::vector<float> x(static_cast<std::size_t>(shape.block_weights), 0.0f);  // zeros pad a short row
    std::size_t at = 0;
    for (const auto& cell : cells)
      for (const rational& w : cell) x[at++] = to_float(static_cast<double>(w));
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(shape.block_bytes));
    const std::vector<ggml::sub_block_rule> rules = ggml::quantize_block(*q.ggml_type, x.data(), bytes.data());
    std::vector<cell_grid> grids(cells.size());
    for (std::size_t k = 0; k < cells.size(); ++k) {
      grids[k].grid = grid(q, 0, 1);
      grids[k].ggml_rule = rules[k];
      grids[k].scale = rational(static_cast<double>(rules[k].d));
      grids[k].offset = -rational(static_cast<double>(rules[k].dm));
    }
    return grids;
  }

  std::optional<double> round(const quantizer& q, const cell_grid& cell, double value) const override {
    const float x = to_float(value);
    return ggml::value_of(*q.ggml_type, cell.ggml_rule, ggml::code_of(*q.ggml_type, cell.ggml_rule, x));
  }

  // Whole blocks per row (a padded last block counts whole); information bits count log2 of the
  // values a code can give (255 for q8_0, whose code -128 is never written).
  void storage(const quantizer& q, Index rows, Index cols, double, double& bits, double& information) const override {
    const ggml::layout& shape = ggml::layout_of(*q.ggml_type);
    const double blocks = static_cast<double>(rows * ((cols + shape.block_weights - 1) / shape.block_weights));
    bits += blocks * 8 * shape.block_bytes;
    information += blocks * (8 * shape.block_bytes - shape.block_weights * (shape.bits - std::log2(shape.levels)));
  }

 private:
  static float to_float(double w) {
    if (std::abs(w) > std::numeric_limits<float>::max())
      throw std::range_error("ggml's formats take float32 weights: " + std::to_string(w) + " is beyond its range");
    return static_cast<float>(w);
  }
};

}  // namespace

const element_kind& kind_ggml() {
  static const ggml_blocks kind;
  return kind;
}

}  // namespace fpx::detail
