// The U1 collapse: the monotone certificate, its floor, the best U1 networks against it.
#include <doctest/doctest.h>

#include "fpx/construct/monotone.hpp"
#include "fpx/exact/random_stream.hpp"
#include "fpx/construct/ternary.hpp"
#include "fpx/construct/weight_grid.hpp"
#include "fpx/model/evaluate.hpp"

using fpx::rational;

TEST_CASE("the monotone floor: 1/2 for 1 - x, 1/4 for |x - 1/2|, 1 for sin 2 pi x, 0 for x^2") {
  CHECK(fpx::monotone_floor(fpx::target("descending")) == 0.5);
  CHECK(fpx::monotone_floor(fpx::target("abs")) == 0.25);
  CHECK(fpx::monotone_floor(fpx::target("sine")) == doctest::Approx(1));
  CHECK(fpx::monotone_floor(fpx::target("square")) == 0);
  CHECK(fpx::monotone_floor(fpx::target("bump")) == doctest::Approx(0.5));
}

TEST_CASE("U1 networks are in the monotone class and non-decreasing; a ternary one is not") {
  const fpx::target_function f = fpx::target("abs");
  const fpx::mlp u = fpx::unsigned_interpolant(f, 16, rational(1, 64));
  CHECK(fpx::in_monotone_class(u));
  CHECK(fpx::grid_scales(u, fpx::weight_grid::unsigned_binary));
  const fpx::piecewise_linear g = fpx::network_function(u, 0, 1);
  for (std::size_t i = 1; i < g.values.size(); ++i) CHECK(g.values[i - 1] <= g.values[i]);
  CHECK_FALSE(fpx::in_monotone_class(fpx::construct_ternary(f, 0.1).model));
}

TEST_CASE("the collapse needs positive scales: a U1 layer with a negative tensor scale computes 1 - x exactly") {
  // relu(-1 * x + 1), read with output weight 1: both layers are on U1 (levels {0, 1}); the first
  // has scale -1. The network is 1 - x on [0, 1], error 0, below the floor 1/2 of positive scales.
  fpx::mlp m;
  m.layers.push_back({{fpx::rmatrix::Constant(1, 1, rational(-1)), fpx::rvector::Constant(1, rational(1))},
                      fpx::activation::relu});
  m.layers.push_back({{fpx::rmatrix::Constant(1, 1, rational(1)), fpx::rvector::Constant(1, rational(0))},
                      fpx::activation::identity});
  // grid_scales reads U1 with positive scales, as the collapse does: it refuses this network,
  // and accepts it once the first layer's scale -1 is moved into the weights' sign.
  CHECK_FALSE(fpx::grid_scales(m, fpx::weight_grid::unsigned_binary));
  fpx::mlp positive = m;
  positive.layers[0].map.weight(0, 0) = 1;
  CHECK(fpx::grid_scales(positive, fpx::weight_grid::unsigned_binary));
  CHECK_FALSE(fpx::in_monotone_class(m));
  const fpx::target_function f = fpx::target("descending");
  const fpx::certificate c = fpx::certify(m, f);
  CHECK(c.kind == "exact");
  CHECK(c.sup_error == 0);
  CHECK(fpx::monotone_floor(f) == 0.5);
}

namespace {

// One attention layer, no residual, weights in {0, 1} times a positive scale (U1): rows are
// tokens (a, b); the query reads b (scale `query_scale`), keys read a, values read b.
fpx::transformer u1_attention(fpx::attention_kind kind, int query_scale) {
  fpx::attention_layer att;
  fpx::rmatrix q(1, 2), k(1, 2), v(1, 2);
  q << rational(0), rational(query_scale);
  k << rational(1), rational(0);
  v << rational(0), rational(1);
  att.heads.push_back({{q, {}}, {k, {}}, {v, {}}});
  att.kind = kind;
  fpx::transformer t;
  t.blocks.push_back({att, false, {}, true});
  return t;
}

rational last_output(const fpx::transformer& t, const rational& a2, const fpx::precision_spec& spec) {
  // Tokens (1/2, 1), (a2, 0), then the query token (0, 1), whose own key 0 is the smallest.
  fpx::rmatrix x(3, 2);
  x << rational(1, 2), rational(1), a2, rational(0), rational(0), rational(1);
  return fpx::evaluate(t, x, spec).exact_output.value()(2, 0);
}

}  // namespace

TEST_CASE("the collapse does not carry over to attention: U1 weights, and the output falls as an input rises") {
  // Hard attention returns the value of the largest key: raising a2 from 1/4 to 3/4 (every
  // input up or equal) moves the choice from token 1 (value 1) to token 2 (value 0), exactly.
  // So no non-decreasing function is within 1/2 of it: below the monotone argument's reach.
  const auto exact = fpx::spec_preset("exact");
  const auto hard = u1_attention(fpx::attention_kind::hard, 1);
  CHECK(last_output(hard, rational(1, 4), exact) == 1);
  CHECK(last_output(hard, rational(3, 4), exact) == 0);
  // Softmax with query scale 8: weights e^4, e^2, 1 become e^4, e^6, 1, and the output falls
  // from (e^4 + 1) / (e^4 + e^2 + 1) = 0.8827 to (e^4 + 1) / (e^4 + e^6 + 1) = 0.1211 (exp to 200
  // bits in exact mode: the gap is far above that).
  const auto soft = u1_attention(fpx::attention_kind::softmax, 8);
  const rational before = last_output(soft, rational(1, 4), exact);
  const rational after = last_output(soft, rational(3, 4), exact);
  CHECK(before - after > rational(3, 4));
  CHECK(static_cast<double>(before) == doctest::Approx(0.8827).epsilon(1e-3));
  // In one coordinate (keys and values both read a), hard attention is a max, non-decreasing.
  fpx::transformer one = hard;
  auto& head = one.blocks[0].attention->heads[0];
  head.value.weight << rational(1), rational(0);
  CHECK(last_output(one, rational(1, 4), exact) == rational(1, 2));
  CHECK(last_output(one, rational(3, 4), exact) == rational(3, 4));
}

// Smooth targets are compared on a grid in double: allow its rounding.
constexpr double rounding_slack = 1e-12;

// The floor is a theorem for every U1 network, so a search "never beating" it is no evidence;
// what can fail is the search itself: its best error must be the hand-derived best (a constant
// network, output shifted, already attains each floor: 1/4 for |x - 1/2|, 1/2 for 1 - x, and 1
// for sin 2 pi x), and the U1 construction must come within 0.02 of the floor from above.
TEST_CASE("the exhaustive U1 search finds the floor exactly, and the construction approaches it") {
  const std::pair<const char*, double> best[] = {{"abs", 0.25}, {"descending", 0.5}, {"sine", 1.0}};
  for (const auto& [name, value] : best) {
    const std::string label = name;  // (clang cannot capture a structured binding)
    CAPTURE(label);
    const fpx::target_function f = fpx::target(name);
    const double floor = fpx::monotone_floor(f);
    CHECK(floor == doctest::Approx(value).epsilon(1e-12));
    const auto all = fpx::search_unsigned_exhaustive(f, 1, 2);
    CHECK(all.networks == 2 * 3 * 3 * 36);
    CHECK(all.best_error == doctest::Approx(value).epsilon(1e-12));
    const double constructed = fpx::certify(fpx::unsigned_interpolant(f, 64, rational(1, 256)), f).sup_error;
    CHECK(constructed >= floor - rounding_slack);
    CHECK(constructed <= floor + 0.02);
  }
  // Exact arithmetic for piecewise-linear targets: the search's values are exact.
  CHECK(fpx::search_unsigned_exhaustive(fpx::target("descending"), 1, 2).best_error == 0.5);
  CHECK(fpx::search_unsigned_exhaustive(fpx::target("abs"), 2, 2).best_error == 0.25);
}

TEST_CASE("searches give the same answer on any number of threads") {
  const fpx::target_function f = fpx::target("abs");
  const auto one = fpx::search_unsigned_random(f, 3, 500, 11, 1);
  const auto two = fpx::search_unsigned_random(f, 3, 500, 11, 2);
  CHECK(one.best_error == two.best_error);
  CHECK(one.best_index == two.best_index);
}
