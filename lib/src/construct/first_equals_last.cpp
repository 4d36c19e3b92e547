#include "fpx/construct/first_equals_last.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace fpx {

int first_equals_last_scale(int vocabulary, int length) {
  if (vocabulary < 2 || length < 2)
    throw std::invalid_argument("first_equals_last: at least 2 tokens and length 2");
  // (n-1)(V-1) / (e^s + n - 1) < 1/4  <=>  e^s > 4 (n-1)(V-1) - (n-1); the smallest integer s.
  const double need = 4.0 * (length - 1) * (vocabulary - 1) - (length - 1);
  int s = 1;
  while (std::exp(static_cast<double>(s)) <= need) ++s;
  return s;
}

transformer first_equals_last(int vocabulary, int length, int scale) {
  if (scale == 0) scale = first_equals_last_scale(vocabulary, length);
  if (vocabulary < 2 || length < 2 || scale < 1)
    throw std::invalid_argument("first_equals_last: V >= 2, n >= 2 and a logit scale s >= 1, not V = " +
                                std::to_string(vocabulary) + ", n = " + std::to_string(length) + ", s = " +
                                std::to_string(scale));
  // Filled entry by entry: Eigen's expressions (Zero, Constant) do not compile for rationals.
  const auto matrix = [](Eigen::Index rows, Eigen::Index cols) {
    rmatrix m(rows, cols);
    for (Eigen::Index i = 0; i < rows; ++i)
      for (Eigen::Index k = 0; k < cols; ++k) m(i, k) = 0;
    return m;
  };
  const auto one = [](const rational& x) {
    rvector v(1);
    v(0) = x;
    return v;
  };
  transformer t;
  t.token_embedding = matrix(vocabulary, 2);
  for (int v = 0; v < vocabulary; ++v) t.token_embedding(v, 0) = v;
  t.positional = matrix(length, 2);
  t.positional(0, 1) = 1;
  attention_layer a;
  attention_head h;
  h.query.weight = matrix(1, 2);
  h.query.bias = one(scale);
  h.key.weight = matrix(1, 2);
  h.key.weight(0, 1) = 1;
  h.value.weight = matrix(1, 2);
  h.value.weight(0, 0) = 1;
  a.heads.push_back(std::move(h));
  a.output.weight = matrix(2, 1);
  a.output.weight(0, 0) = -1;
  mlp absolute;
  linear first{matrix(2, 2), {}};
  first.weight(0, 0) = 1;
  first.weight(1, 0) = -1;
  absolute.layers.push_back({std::move(first), activation::relu});
  linear second{matrix(2, 2), {}};
  second.weight(0, 0) = -1;
  second.weight(0, 1) = -1;
  absolute.layers.push_back({std::move(second), activation::identity});
  t.blocks.push_back({std::move(a), true, std::move(absolute), false});
  linear readout{matrix(1, 2), one(rational(1, 2))};
  readout.weight(0, 0) = 1;
  t.readout.layers.push_back({std::move(readout), activation::identity});
  validate(t);
  return t;
}

}  // namespace fpx
