// uintN: asymmetric levels [0, 2^N-1] with a zero point; scale (max - min) / (2^N - 1), the
// range always holding 0 so that 0 stays exact; the zero point costs N bits per cell.
#include <charconv>

#include "../quantizer.hpp"
#include "fpx/arith/round.hpp"

namespace fpx::detail {
namespace {

struct asymmetric_integer final : element_kind {
  std::string_view heads() const override { return "uintN"; }
  bool parse(std::string_view head, quantizer& q) const override {
    if (!head.starts_with("uint") || head.size() == 4) return false;
    const auto [end, ec] = std::from_chars(head.data() + 4, head.data() + head.size(), q.bits);
    return ec == std::errc{} && end == head.data() + head.size();
  }
  void check(const quantizer& q, std::string_view name) const override {
    if (q.bits < 2 || q.bits > 16) bad_quantizer(name, "integer grids take 2..16 bits (use ternary, s1 or u1 below 2)");
    if (q.absmean) bad_quantizer(name, "asymmetric grids take their scale from the range (max - min)");
  }
  std::string head(const quantizer& q) const override { return "uint" + std::to_string(q.bits); }
  format grid(const quantizer& q, const rational& min, const rational& scale) const override {
    const format zero_grid = format::int_asymmetric(q.bits, 0);
    // zero point = round(-min / scale) (ties to even), saturated into [0, 2^N - 1].
    const code_t z = from_rational(zero_grid, scale == 0 ? rational(0) : rational(-min / scale));
    return format::int_asymmetric(q.bits, static_cast<std::int64_t>(z));
  }
  rational exact_scale(const quantizer& q, const std::vector<rational>& w, const format&) const override {
    if (q.noscale) return 1;
    rational lo = 0, hi = 0;  // the range always holds 0, so 0 stays exact
    for (const rational& x : w) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    return (hi - lo) / ((std::int64_t{1} << q.bits) - 1);
  }
  void storage(const quantizer& q, Index rows, Index cols, double cells, double& bits,
               double& information) const override {
    element_kind::storage(q, rows, cols, cells, bits, information);
    bits += cells * q.bits;  // the zero points
    information += cells * q.bits;
  }
};

}  // namespace

const element_kind& kind_uint() {
  static const asymmetric_integer kind;
  return kind;
}

}  // namespace fpx::detail
