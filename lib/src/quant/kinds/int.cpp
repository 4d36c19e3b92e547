// intN: symmetric levels [-(2^(N-1)-1), 2^(N-1)-1], scale max|w| / (2^(N-1)-1); N = 2..16.
#include <charconv>

#include "../quantizer.hpp"

namespace fpx::detail {
namespace {

struct symmetric_integer final : element_kind {
  std::string_view heads() const override { return "intN"; }
  bool parse(std::string_view head, quantizer& q) const override {
    if (!head.starts_with("int") || head.size() == 3) return false;
    const auto [end, ec] = std::from_chars(head.data() + 3, head.data() + head.size(), q.bits);
    return ec == std::errc{} && end == head.data() + head.size();
  }
  void check(const quantizer& q, std::string_view name) const override {
    if (q.bits < 2 || q.bits > 16) bad_quantizer(name, "integer grids take 2..16 bits (use ternary, s1 or u1 below 2)");
  }
  std::string head(const quantizer& q) const override { return "int" + std::to_string(q.bits); }
  format grid(const quantizer& q, const rational&, const rational&) const override {
    return format::int_symmetric(q.bits);
  }
};

}  // namespace

const element_kind& kind_int() {
  static const symmetric_integer kind;
  return kind;
}

}  // namespace fpx::detail
