// The protocol view of one-layer transformers: the equality constructions, the simulation
// lemma, certificates at p - 1, the counting bound and the exhaustive search.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "fpx/arith/codec.hpp"
#include "fpx/construct/equality.hpp"
#include "fpx/theory/protocol_checks.hpp"
#include "fpx/theory/threshold_search.hpp"

using namespace fpx;

namespace {

// A float with precision p (p - 1 stored significand bits) and an 8-bit exponent.
precision_spec float_spec(int p, bool subtract_max = false) {
  precision_spec s = spec_preset("uniform(e8m" + std::to_string(p - 1) + ")");
  s.subtract_max = subtract_max;
  return s;
}

bool is_bit(const evaluation& e, bool b) {
  return e.exact_output && (*e.exact_output)(0, 0) == (b ? 1 : 0);
}

// Random one-layer transformers over tokens {0, 1} and a query token 2, weights in quarters.
transformer random_transformer(std::mt19937& rng) {
  std::uniform_int_distribution<int> q(-8, 8), heads(1, 2), dv(1, 2);
  auto matrix = [&](Eigen::Index r, Eigen::Index c) {
    rmatrix m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m(i / c, i % c) = rational(q(rng), 4);
    return m;
  };
  transformer t;
  t.token_embedding = matrix(3, 2);
  t.positional = matrix(8, 2);
  attention_layer att;
  Eigen::Index width = 0;
  for (int h = heads(rng); h > 0; --h) {
    const Eigen::Index d = dv(rng);
    att.heads.push_back({{matrix(2, 2), {}}, {matrix(2, 2), {}}, {matrix(d, 2), {}}});
    width += d;
  }
  att.output = {matrix(2, width), {}};
  t.blocks.push_back({att, true, {}, true});
  t.readout.layers.push_back({{matrix(1, 2), matrix(1, 1).col(0)}, activation::identity});
  return t;
}

}  // namespace


TEST_CASE("verify agrees with the evaluator on every pair, for any thread count") {
  const auto c = dyadic_equality(4);
  const protocol p(c.model, float_spec(3), c.split);
  std::vector<input_pair> failing;
  for (std::uint64_t x = 0; x < 16; ++x)
    for (std::uint64_t y = 0; y < 16; ++y)
      if (!is_bit(p.evaluate_pair(x, y), x == y)) failing.emplace_back(x, y);
  const auto one = verify(p, equality, 100, 1), three = verify(p, equality, 100, 3);
  CHECK(failing.size() == 7);
  CHECK(one.failures == failing.size());
  CHECK(one.failing == failing);
  CHECK(three.failing == one.failing);
  CHECK(three.final_states == one.final_states);
}


TEST_CASE("simulation lemma: equal Alice states give equal outputs on random transformers") {
  std::mt19937 rng(20261122);
  std::size_t collisions = 0;  // without colliding states the lemma would be checked vacuously
  for (int trial = 0; trial < 6; ++trial) {
    CAPTURE(trial);
    const transformer t = random_transformer(rng);
    for (const bool sm : {false, true}) {
      precision_spec s = spec_preset("uniform(e3m1)");
      s.subtract_max = sm;
      const protocol p(t, s, split_input::binary(3, 3, {2}));
      const auto check = check_simulation(p);
      CHECK(check.pairs == 64);
      CHECK_MESSAGE(!check.violation, check.violation.value_or(""));
      collisions += 8 - check.alice_states;
    }
  }
  CHECK(collisions > 0);
}

TEST_CASE("simulation lemma: a summation order that interleaves Alice and Bob leaks") {
  // Precision 2, n = 3: x = 1 and x = 5 meet left to right (1/2 + 1/8 rounds to 1/2), but summed
  // as x0 y0 x1 y1 x2 y2 q the y terms cancel first, so at y = 1 their outputs differ.
  const auto c = dyadic_equality(3);
  precision_spec s = float_spec(2);
  CHECK_FALSE(check_simulation(protocol(c.model, s, c.split)).violation);
  s.position_order = accumulation::order::given;
  s.position_permutation = {0, 3, 1, 4, 2, 5, 6};
  const auto leak = check_simulation(protocol(c.model, s, c.split));
  REQUIRE(leak.violation);
  CHECK(leak.violation->find("Alice inputs 1 and 5") != std::string::npos);
}

TEST_CASE("certificate at p - 1: two inputs share a state, so one answer is wrong") {
  for (int p = 3; p <= 6; ++p) {
    CAPTURE(p);
    const auto c = dyadic_equality(p);
    const protocol proto(c.model, float_spec(p - 1), c.split);
    const auto cert = find_collision(proto, equality);
    REQUIRE(cert);
    CHECK(cert->x != cert->x_other);
    CHECK(proto.alice_state(cert->x, {}) == proto.alice_state(cert->x_other, {}));
    CHECK(cert->target != cert->target_other);
    // Both pairs really give the same output, and the named one really is wrong.
    const auto a = proto.evaluate_pair(cert->x, cert->y), b = proto.evaluate_pair(cert->x_other, cert->y);
    REQUIRE(a.exact_output);
    REQUIRE(b.exact_output);
    CHECK(equal(*a.exact_output, *b.exact_output));
    const auto [wx, wy] = cert->wrong;
    CHECK_FALSE(is_bit(proto.evaluate_pair(wx, wy), wx == wy));
    // At p bits there is no such pair.
    const protocol enough(c.model, float_spec(p), c.split);
    CHECK_FALSE(find_collision(enough, equality));
  }
}

TEST_CASE("counting bound: b-bit states rule out EQ_(b+1) for every setting of the class") {
  for (int b = 3; b <= 6; ++b) {
    CAPTURE(b);
    const precision_spec s = spec_preset("uniform(fixed:s:1:" + std::to_string(b - 2) + ")");
    const auto position_only = simulation_bound(s, 1, 1, true);
    const auto any = simulation_bound(s, 1, 1, false);
    CHECK(position_only.total_bits() == b);
    CHECK(any.total_bits() == 2 * b);
    auto eq = [](int n) {
      return communication_bounds(communication_matrix(std::size_t{1} << n, std::size_t{1} << n,
                                               [](std::uint64_t x, std::uint64_t y) { return x == y; }));
    };
    CHECK(position_only.rules_out(eq(b + 1)));
    CHECK_FALSE(position_only.rules_out(eq(b)));
    CHECK_FALSE(any.rules_out(eq(b + 1)));
  }
  // The construction's scores depend on position only, as the class requires.
  const auto c = dyadic_equality(3);
  CHECK(protocol(c.model, float_spec(3), c.split).scores_position_only());
}


TEST_CASE("the protocol refuses models and specs it cannot simulate") {
  const auto c = dyadic_equality(2);
  auto two_blocks = c.model;
  two_blocks.blocks.push_back(two_blocks.blocks[0]);
  CHECK_THROWS_WITH_AS(protocol(two_blocks, float_spec(3), c.split),
                       doctest::Contains("exactly one block"), std::invalid_argument);
  auto stochastic = float_spec(3);
  stochastic.rule.mode = round_mode::stochastic;
  CHECK_THROWS_WITH_AS(protocol(c.model, stochastic, c.split),
                       doctest::Contains("stochastic"), std::invalid_argument);
  auto first = float_spec(3);
  first.normalization = softmax_normalization::normalize_first;
  CHECK_THROWS_WITH_AS(protocol(c.model, first, c.split),
                       doctest::Contains("divide_once"), std::invalid_argument);
  auto no_query = c.split;
  no_query.suffix.clear();
  CHECK_THROWS_WITH_AS(protocol(c.model, float_spec(3), no_query),
                       doctest::Contains("suffix"), std::invalid_argument);
  auto pairwise = float_spec(3);
  pairwise.position_order = accumulation::order::pairwise;
  CHECK_THROWS_WITH_AS(verify(protocol(c.model, pairwise, c.split), equality),
                       doctest::Contains("left to right"), std::invalid_argument);
}
