// intN_mse: the symmetric intN grid with each cell's scale searched for the least squared
// rounding error, as GPTQ's reference quantizer searches it: the candidates are
// p * max|w| / (2^(N-1) - 1) for p = 1, 0.99, ..., 0.20, each rounded into the scale format;
// the first (largest) of the best is kept. The errors that rank the candidates are computed in
// double; the weights are then rounded onto the chosen grid exactly, as every kind's are.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "../quantizer.hpp"

namespace fpx::detail {
namespace {

struct mse_integer final : element_kind {
  std::string_view heads() const override { return "intN_mse"; }
  bool parse(std::string_view head, quantizer& q) const override {
    if (!head.starts_with("int") || !head.ends_with("_mse") || head.size() <= 7) return false;
    const std::string_view digits = head.substr(3, head.size() - 7);
    q.bits = 0;
    for (char c : digits) {
      if (c < '0' || c > '9' || q.bits > 100) return false;
      q.bits = q.bits * 10 + (c - '0');
    }
    return true;
  }
  void check(const quantizer& q, std::string_view name) const override {
    if (q.bits < 2 || q.bits > 16) bad_quantizer(name, "integer grids take 2..16 bits");
    if (q.absmean) bad_quantizer(name, "the scale is searched; :absmean does not apply");
    if (q.noscale) bad_quantizer(name, "the scale is searched; :noscale does not apply");
  }
  std::string head(const quantizer& q) const override { return "int" + std::to_string(q.bits) + "_mse"; }
  format grid(const quantizer& q, const rational&, const rational&) const override {
    return format::int_symmetric(q.bits);
  }
  std::vector<cell_grid> fit(const quantizer& q, const std::vector<std::vector<rational>>& cells) const override {
    const double top = static_cast<double>((std::int64_t{1} << (q.bits - 1)) - 1);
    std::vector<cell_grid> grids(cells.size());
    for (std::size_t k = 0; k < cells.size(); ++k) {
      grids[k].grid = format::int_symmetric(q.bits);
      if (cells[k].empty()) continue;  // every weight is an outlier: scale 0
      std::vector<double> w;
      rational amax = 0;
      for (const rational& x : cells[k]) {
        w.push_back(static_cast<double>(x));
        amax = std::max(amax, rational(abs(x)));
      }
      double best = std::numeric_limits<double>::infinity();
      for (int percent = 100; percent >= 20; --percent) {
        const rational s = rounded(q.scale_format, rational(percent, 100) * amax / static_cast<long>(top));
        const double sd = static_cast<double>(s);
        double error = 0;
        for (double x : w) {
          const double level = sd == 0 ? 0 : std::clamp(std::nearbyint(x / sd), -top, top);
          error += (x - level * sd) * (x - level * sd);
        }
        if (error < best) {
          best = error;
          grids[k].scale = s;
        }
      }
    }
    return grids;
  }
};

}  // namespace

const element_kind& kind_int_mse() {
  static const mse_integer kind;
  return kind;
}

}  // namespace fpx::detail
