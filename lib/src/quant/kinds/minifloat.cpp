// FORMAT: any minifloat (e4m3, e2m1, fp16, ...), scale max|w| / max_value, saturating.
#include "../quantizer.hpp"

namespace fpx::detail {
namespace {

struct minifloat_elements final : element_kind {
  std::string_view heads() const override { return "a minifloat (e4m3, e2m1, fp16, eXmY, ...)"; }
  bool parse(std::string_view head, quantizer& q) const override {
    try {
      const format f = preset(head);
      if (!f.minifloat()) return false;
      q.element = f.with_overflow(overflow_policy::saturate);
      return true;
    } catch (const std::invalid_argument&) {
      return false;
    }
  }
  std::string head(const quantizer& q) const override { return q.element->name(); }
  format grid(const quantizer& q, const rational&, const rational&) const override { return *q.element; }
};

}  // namespace

const element_kind& kind_minifloat() {
  static const minifloat_elements kind;
  return kind;
}

}  // namespace fpx::detail
