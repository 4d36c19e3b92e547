#include "fpx/construct/equality.hpp"

#include <stdexcept>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/theory/communication.hpp"

namespace fpx {
namespace {

linear linear_map(std::initializer_list<std::initializer_list<rational>> rows,
                  std::initializer_list<rational> bias = {}) {
  linear l;
  l.weight.resize(static_cast<Eigen::Index>(rows.size()),
                  static_cast<Eigen::Index>(rows.begin()->size()));
  Eigen::Index i = 0;
  for (const auto& r : rows) {
    Eigen::Index k = 0;
    for (const auto& v : r) l.weight(i, k++) = v;
    ++i;
  }
  l.bias.resize(static_cast<Eigen::Index>(bias.size()));
  i = 0;
  for (const auto& b : bias) l.bias(i++) = b;
  return l;
}

// The readout deciding o = 0 (equality.hpp), with 2^-least_exponent at most the least nonzero |o|.
mlp readout(equality_readout r, long least_exponent) {
  mlp m;
  const rational k = pow2(least_exponent);
  switch (r) {
    case equality_readout::step:
      m.layers = {{linear_map({{1}, {-1}}), activation::step},
                  {linear_map({{1, 1}}, {-1}), activation::identity}};
      break;
    case equality_readout::relu:
      m.layers = {{linear_map({{k}, {-k}}), activation::relu},
                  {linear_map({{-1, -1}}, {1}), activation::relu}};
      break;
    case equality_readout::difference:
      m.layers = {{linear_map({{-1}, {-1}}, {0, -pow2(-least_exponent)}), activation::step},
                  {linear_map({{1, -1}}), activation::identity}};
      break;
  }
  return m;
}

// What every construction here shares: tokens 2j + b for bit b at position j (Alice's n, then
// Bob's), the query token 4n; d_model 1 with every embedding 0 until the caller sets them; one
// head with query and key weights 0 (every score 0) and value 1; the readout deciding o = 0,
// with 2^-least_exponent at most the least nonzero |o|.
equality_construction uniform_attention(std::string name, int n, bool attention_residual,
                                        equality_readout r, long least_exponent) {
  equality_construction c;
  c.name = std::move(name);
  const auto un = static_cast<std::size_t>(n);
  c.split.alice_bits = c.split.bob_bits = un;
  for (std::size_t j = 0; j < 2 * un; ++j) c.split.tokens.push_back({int(2 * j), int(2 * j + 1)});
  c.split.suffix = {4 * n};
  transformer& t = c.model;
  t.token_embedding = rmatrix::Zero(4 * n + 1, 1);
  attention_layer att;
  att.heads.push_back({linear_map({{0}}), linear_map({{0}}), linear_map({{1}})});
  t.blocks.push_back({att, attention_residual, {}, true});
  t.readout = readout(r, least_exponent);
  return c;
}

// Alice's bit j carries +value(j), Bob's -value(j); `least` bounds the least nonzero |a| / Z
// from below by a power of two for the ReLU readout.
template <class Value>
equality_construction build(std::string name, int n, equality_readout r, Value value,
                            long least_exponent) {
  if (n < 1 || n > 31) throw std::invalid_argument("equality construction: n must be in 1..31");
  equality_construction c = uniform_attention(std::move(name), n, true, r, least_exponent);
  for (int j = 0; j < n; ++j) {
    c.model.token_embedding(2 * j + 1, 0) = value(j + 1);
    c.model.token_embedding(2 * n + 2 * j + 1, 0) = -value(j + 1);
  }
  return c;
}

long log2_ceil(int v) { return static_cast<long>(ceil_log2(static_cast<std::size_t>(v))); }

}  // namespace

std::string_view to_string(equality_readout r) {
  switch (r) {
    case equality_readout::step:
      return "step";
    case equality_readout::relu:
      return "relu";
    case equality_readout::difference:
      return "difference";
  }
  return "?";
}

equality_construction dyadic_equality(int n, equality_readout r) {
  // Least nonzero |o| = 2^-n / (2n + 1) > 2^-(n + ceil(log2(2n + 1))).
  return build(
      "dyadic", n, r, [](int j) { return pow2(-j); }, n + log2_ceil(2 * n + 1));
}

equality_construction integer_equality(int n, equality_readout r) {
  // Least nonzero |o| = 1 / (2n + 1) > 2^-ceil(log2(2n + 1)).
  return build(
      "integer", n, r, [](int j) { return pow2(j - 1); }, log2_ceil(2 * n + 1));
}

equality_construction saturating_equality(int n, int bits, equality_readout r) {
  if (bits < 2 || bits > 31)
    throw std::invalid_argument("saturating_equality: bits must be in 2..31");
  if (n < 1 || n > bits)
    throw std::invalid_argument("saturating_equality: n must be in 1..bits (" +
                                std::to_string(bits) + ")");
  const rational u = pow2(-(bits - 2));             // the ulp of fixed:s:1:(bits-2)
  const rational m = rational(pow2(bits - 1)) * u;  // M u = 2
  // The attention's residual is off; the least nonzero |o| is u = 2^-(bits-2).
  equality_construction c = uniform_attention("saturating", n, false, r, bits - 2);
  transformer& t = c.model;
  // Alice's position 1: -M u or 0; position j >= 2: 0 or 2^(j-2) u.
  t.token_embedding(0, 0) = -m;
  for (int j = 2; j <= n; ++j) t.token_embedding(2 * (j - 1) + 1, 0) = pow2(j - 2) * u;
  // Bob's position 1: (M - 1) u or -u; position j >= 2: 0 or -2^(j-2) u; the query u.
  t.token_embedding(2 * n, 0) = m - u;
  t.token_embedding(2 * n + 1, 0) = -u;
  for (int j = 2; j <= n; ++j) t.token_embedding(2 * n + 2 * (j - 1) + 1, 0) = -pow2(j - 2) * u;
  t.token_embedding(4 * n, 0) = u;
  return c;
}

class_setting saturating_class_equality(int heads, int value_dim, int bits, bool token_scores) {
  if (heads < 1 || value_dim < 1)
    throw std::invalid_argument("saturating_class_equality: heads and value_dim must be >= 1");
  const equality_construction one = saturating_equality(bits, bits);
  class_setting s{parse_format("fixed:s:1:" + std::to_string(bits - 2)),
                  {heads, value_dim, token_scores},
                  heads * value_dim * bits,
                  {},
                  {}};
  const int n = s.n, b = bits, slots = 4 * n + 1;
  const code_t zero = from_rational(s.f, rational(0));
  s.logits.assign(static_cast<std::size_t>(slots * heads), zero);
  s.values.assign(static_cast<std::size_t>(slots * heads * value_dim), zero);
  // The value of slot `slot` of the one-block construction (its tokens: 2j + bit for Alice's
  // j < b, 2(b + k) + bit for Bob's, 4b for the query).
  const auto value = [&](int slot) { return from_rational(s.f, one.model.token_embedding(slot, 0)); };
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < value_dim; ++i) {
      const int r = h * value_dim + i;
      for (int j = 0; j < b; ++j)
        for (int bit = 0; bit < 2; ++bit) {
          const std::size_t alice = static_cast<std::size_t>(((2 * (r * b + j) + bit) * heads + h) * value_dim + i);
          const std::size_t bob =
              static_cast<std::size_t>(((2 * (n + r * b + j) + bit) * heads + h) * value_dim + i);
          s.values[alice] = value(2 * j + bit);
          s.values[bob] = value(2 * (b + j) + bit);
        }
      s.values[static_cast<std::size_t>((4 * n * heads + h) * value_dim + i)] = value(4 * b);
    }
  return s;
}

}  // namespace fpx
