#include "fpx/model/precision.hpp"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <stdexcept>

#include "fpx/exact/detail/enum_names.hpp"

namespace fpx {
namespace {

using points = accumulation::rounding_points;
using order = accumulation::order;

constexpr detail::enum_names<quantity, quantity_count> quantity_names{
    "quantity",
    {{{quantity::weight, "weight"},
      {quantity::bias, "bias"},
      {quantity::embedding, "embedding"},
      {quantity::position, "position"},
      {quantity::activation, "activation"},
      {quantity::product, "product"},
      {quantity::accumulator, "accumulator"},
      {quantity::logit, "logit"},
      {quantity::exponential, "exponential"},
      {quantity::denominator, "denominator"},
      {quantity::attention_weight, "attention_weight"},
      {quantity::output, "output"}}}};

constexpr detail::enum_names<arithmetic, 3> arithmetic_names{
    "arithmetic",
    {{{arithmetic::rounded, "rounded"}, {arithmetic::exact, "exact"}, {arithmetic::float64, "float64"}}}};

constexpr detail::enum_names<softmax_normalization, 2> normalization_names{
    "softmax normalization",
    {{{softmax_normalization::divide_once, "divide_once"},
      {softmax_normalization::normalize_first, "normalize_first"}}}};

constexpr detail::enum_names<hard_attention_rule, 3> hard_attention_names{
    "hard attention rule",
    {{{hard_attention_rule::leftmost, "leftmost"},
      {hard_attention_rule::rightmost, "rightmost"},
      {hard_attention_rule::average, "average"}}}};

// The integers between the parentheses of "name(a,b)"; empty optional when `text` is not a
// call of `name`.
std::optional<std::vector<int>> preset_arguments(std::string_view text, std::string_view name) {
  if (!text.starts_with(name) || text.size() < name.size() + 2 || text[name.size()] != '(' ||
      text.back() != ')')
    return std::nullopt;
  std::string_view rest = text.substr(name.size() + 1, text.size() - name.size() - 2);
  std::vector<int> args;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    int v = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc{} || end != item.data() + item.size())
      throw std::invalid_argument("precision preset '" + std::string(text) +
                                  "': arguments must be integers");
    args.push_back(v);
    if (comma == std::string_view::npos) return args;
    rest = rest.substr(comma + 1);
  }
}

precision_spec uniform_spec(std::string name, const format& f) {
  precision_spec s;
  s.name = std::move(name);
  s.set_all_formats(f);
  return s;
}

}  // namespace

const std::array<quantity, quantity_count>& all_quantities() {
  static const auto all = [] {
    std::array<quantity, quantity_count> a{};
    for (std::size_t i = 0; i < quantity_count; ++i) a[i] = quantity_names.table[i].first;
    return a;
  }();
  return all;
}

std::string_view to_string(quantity q) { return quantity_names.name(q); }
quantity parse_quantity(std::string_view name) { return quantity_names.parse(name); }
std::string_view to_string(arithmetic a) { return arithmetic_names.name(a); }
arithmetic parse_arithmetic(std::string_view name) { return arithmetic_names.parse(name); }
std::string_view to_string(softmax_normalization n) { return normalization_names.name(n); }
softmax_normalization parse_softmax_normalization(std::string_view name) {
  return normalization_names.parse(name);
}
std::string_view to_string(hard_attention_rule t) { return hard_attention_names.name(t); }
hard_attention_rule parse_hard_attention_rule(std::string_view name) {
  return hard_attention_names.parse(name);
}

const format& precision_spec::format_of(quantity q) const {
  const auto& f = formats[static_cast<std::size_t>(q)];
  if (!f)
    throw std::invalid_argument("precision spec '" + name + "' gives no format for " +
                                std::string(to_string(q)));
  return *f;
}

void precision_spec::set_all_formats(const format& f) { formats.fill(f); }

void precision_spec::validate() const {
  const std::string where_ = "precision spec '" + name + "': ";
  try {
    check_rule(rule);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(where_ + e.what());
  }
  if (arithmetic == fpx::arithmetic::rounded) {
    for (quantity q : all_quantities()) {
      const format& f = format_of(q);
      if (!f.is_dyadic())
        throw std::invalid_argument(where_ + std::string(to_string(q)) + " format " + f.name() +
                                    " has no arithmetic (not dyadic); use it as a quantizer "
                                    "target, and a dyadic format in the spec");
    }
  }
  if (feature_order == order::given)
    throw std::invalid_argument(where_ + "feature_order cannot be 'given' (feature counts differ "
                                         "between layers); use left_to_right or pairwise");
  if (this->where == points::fused &&
      (feature_order == order::pairwise || position_order == order::pairwise))
    throw std::invalid_argument(where_ + "fused accumulation is sequential; pairwise order "
                                         "does not apply");
  if (position_order == order::given) {
    std::vector<std::size_t> sorted = position_permutation, idx(sorted.size());
    std::sort(sorted.begin(), sorted.end());
    std::iota(idx.begin(), idx.end(), 0);
    if (sorted.empty() || sorted != idx)
      throw std::invalid_argument(where_ + "position_permutation is not a permutation of 0..n-1");
  } else if (!position_permutation.empty()) {
    throw std::invalid_argument(where_ + "position_permutation given but position_order is " +
                                std::string(to_string(position_order)));
  }
  if (exact_exp_bits < 16 || exact_exp_bits > 100000)
    throw std::invalid_argument(where_ + "exact_exp_bits must be in [16, 100000]");
}

precision_spec precision_spec::with_arithmetic(fpx::arithmetic a) const {
  precision_spec s = *this;
  s.arithmetic = a;
  if (a != arithmetic) s.name = name + "/" + std::string(to_string(a));
  return s;
}

std::string_view spec_preset_grammar() {
  return "exact | float64 | fixed(p) | fixed(p,f) | float(e,m) | uniform(FORMAT)";
}

precision_spec spec_preset(std::string_view name) {
  const std::string text(name);
  if (name == "exact" || name == "float64") {
    precision_spec s;
    s.name = text;
    s.arithmetic = parse_arithmetic(name);
    return s;
  }
  if (auto args = preset_arguments(name, "fixed")) {
    const int p = (*args)[0];
    const int f = args->size() == 2 ? (*args)[1] : p / 2;
    if (args->size() > 2 || p < 2 || f < 0 || f > p - 1)
      throw std::invalid_argument("precision preset '" + text +
                                  "': need fixed(p) or fixed(p,f) with p >= 2 and 0 <= f < p");
    return uniform_spec(text, format::fixed_point(true, p - 1 - f, f));
  }
  if (auto args = preset_arguments(name, "float")) {
    if (args->size() != 2)
      throw std::invalid_argument("precision preset '" + text + "': need float(e,m)");
    const int e = (*args)[0], m = (*args)[1];
    if (e < 1 || e > 11) throw std::invalid_argument("precision preset '" + text + "': e in 1..11");
    return uniform_spec(text, format::make_minifloat({e, m, (1 << (e - 1)) - 1}));
  }
  if (name.starts_with("uniform(") && name.ends_with(")"))
    return uniform_spec(text, parse_format(name.substr(8, name.size() - 9)));
  throw std::invalid_argument("unknown precision preset '" + text + "' (" +
                              std::string(spec_preset_grammar()) + ")");
}

}  // namespace fpx
