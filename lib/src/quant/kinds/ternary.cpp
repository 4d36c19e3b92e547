// ternary: levels {-1, 0, 1}, scale mean|w| (BitNet b1.58's absmean) unless :absmax.
#include "../quantizer.hpp"

namespace fpx::detail {
namespace {

struct ternary_grid final : element_kind {
  std::string_view heads() const override { return "ternary"; }
  bool parse(std::string_view head, quantizer&) const override { return head == "ternary"; }
  bool absmean_by_default() const override { return true; }
  std::string head(const quantizer&) const override { return "ternary"; }
  format grid(const quantizer&, const rational&, const rational&) const override { return format::ternary(); }
};

}  // namespace

const element_kind& kind_ternary() {
  static const ternary_grid kind;
  return kind;
}

}  // namespace fpx::detail
