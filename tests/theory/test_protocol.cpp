// The protocol view of one-layer transformers: the equality constructions, the simulation
// lemma, certificates at p - 1, the counting bound and the exhaustive search.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "fpx/arith/codec.hpp"
#include "fpx/construct/equality.hpp"
#include "fpx/theory/protocol_checks.hpp"
#include "fpx/theory/threshold_search.hpp"
#include "models.hpp"

using namespace fpx;
using fpx_test::float_spec;
using fpx_test::random_transformer;

namespace {

bool is_bit(const evaluation& e, bool b) {
  return e.exact_output && (*e.exact_output)(0, 0) == (b ? 1 : 0);
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


// A collision of the dyadic construction at precision p - 1, confirmed by the evaluator alone
// (no protocol state): the proof's pair (x = 1, x' = 2^(p-1) + 1: Alice's sums 1/2 and
// 1/2 + 2^-p round alike at precision p - 1) has equal outputs for every y, and brute force over
// every pair finds exactly the failures verify counts, the certificate's pair among them.
TEST_CASE("collisions at p - 1: the proof's pair, and the evaluator's own count of wrong answers") {
  for (int p = 3; p <= 5; ++p) {
    CAPTURE(p);
    const auto c = dyadic_equality(p);
    const protocol proto(c.model, float_spec(p - 1), c.split);
    const auto cert = find_collision(proto, equality);
    REQUIRE(cert);
    CHECK(cert->x == 1);
    CHECK(cert->x_other == (std::uint64_t{1} << (p - 1)) + 1);
    const std::uint64_t inputs = std::uint64_t{1} << p;
    for (std::uint64_t y = 0; y < inputs; ++y) {
      const auto a = proto.evaluate_pair(cert->x, y), b = proto.evaluate_pair(cert->x_other, y);
      REQUIRE(a.exact_output);
      REQUIRE(b.exact_output);
      CHECK(equal(*a.exact_output, *b.exact_output));
    }
    std::uint64_t wrong = 0;
    bool certificate_pair_wrong = false;
    for (std::uint64_t x = 0; x < inputs; ++x)
      for (std::uint64_t y = 0; y < inputs; ++y)
        if (!is_bit(proto.evaluate_pair(x, y), x == y)) {
          ++wrong;
          certificate_pair_wrong = certificate_pair_wrong || input_pair{x, y} == cert->wrong;
        }
    CHECK(wrong > 0);
    CHECK(certificate_pair_wrong);
    CHECK(verify(proto, equality).failures == wrong);
    // At p bits: no collision, and the evaluator gets every pair right.
    const protocol enough(c.model, float_spec(p), c.split);
    CHECK_FALSE(find_collision(enough, equality));
    for (std::uint64_t x = 0; x < inputs; ++x)
      for (std::uint64_t y = 0; y < inputs; ++y) CHECK(is_bit(enough.evaluate_pair(x, y), x == y));
  }
}


// The counting bound's verdict checked against every model of the class: in b-bit signed fixed
// point (every split), the bound rules out EQ_(b+1), and the exhaustive search finds no setting
// that separates it; at EQ_b the bound allows it, and the search finds a setting.
TEST_CASE("counting bound: its verdict on EQ_(b+1) is the exhaustive search's, for every split") {
  auto eq = [](int n) {
    return communication_bounds(communication_matrix(std::size_t{1} << n, std::size_t{1} << n,
                                                     [](std::uint64_t x, std::uint64_t y) { return x == y; }));
  };
  for (int b = 2; b <= 3; ++b) {
    CAPTURE(b);
    bool found_at_b = false;
    for (int i = 0; i < b; ++i) {
      const format f = format::fixed_point(true, i, b - 1 - i);
      CAPTURE(f.name());
      const auto bound = simulation_bound(separation_spec(f), 1, 1, true);
      CHECK(bound.rules_out(eq(b + 1)));
      const auto above = search_equality_separation(f, b + 1, 0, 2);
      CHECK(above.complete);
      CHECK_FALSE(above.found);
      CHECK_FALSE(bound.rules_out(eq(b)));
      found_at_b = found_at_b || search_equality_separation(f, b, 0, 2).found;
    }
    CHECK(found_at_b);
  }
  // The construction's own states, by hand: at precision p its partial sums x_j 2^-j are exact,
  // so the 2^p Alice inputs reach 2^p states; at p - 1 the collision x = 1, 2^(p-1) + 1 (and
  // its like) leaves fewer.
  const auto c = dyadic_equality(3);
  const protocol p(c.model, float_spec(3), c.split);
  CHECK(p.scores_position_only());
  CHECK(verify(p, equality).alice_states == 8);
  CHECK(verify(protocol(c.model, float_spec(2), c.split), equality).alice_states < 8);
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
