// u1: unsigned one-bit weights {0, 1}, scale max|w| (negative weights become 0).
#include "../quantizer.hpp"

namespace fpx::detail {
namespace {

struct unsigned_binary final : element_kind {
  std::string_view heads() const override { return "u1"; }
  bool parse(std::string_view head, quantizer&) const override { return head == "u1"; }
  std::string head(const quantizer&) const override { return "u1"; }
  format grid(const quantizer&, const rational&, const rational&) const override {
    return format::u1();
  }
};

}  // namespace

const element_kind& kind_u1() {
  static const unsigned_binary kind;
  return kind;
}

}  // namespace fpx::detail
