// s1: signed one-bit weights {-1, +1}, scale mean|w| (the sign of w, sign(0) = +1). The name
// "binary" is retired.
#include "../quantizer.hpp"

namespace fpx::detail {
namespace {

struct signed_binary final : element_kind {
  std::string_view heads() const override { return "s1"; }
  bool parse(std::string_view head, quantizer&) const override {
    if (head == "binary")
      throw std::invalid_argument("quantizer 'binary' is a retired spelling; use 's1' (signed one-bit weights)");
    return head == "s1";
  }
  bool absmean_by_default() const override { return true; }
  std::string head(const quantizer&) const override { return "s1"; }
  format grid(const quantizer&, const rational&, const rational&) const override { return format::s1(); }
};

}  // namespace

const element_kind& kind_s1() {
  static const signed_binary kind;
  return kind;
}

}  // namespace fpx::detail
