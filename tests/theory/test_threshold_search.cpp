// The exhaustive search for the largest n at which a tiny class separates equality.
#include <doctest/doctest.h>

#include <set>

#include "fpx/arith/codec.hpp"
#include "fpx/theory/protocol.hpp"
#include "fpx/theory/threshold_search.hpp"

using namespace fpx;

TEST_CASE("search: 3-bit fixed point separates EQ_3, and the witness checks out in the evaluator") {
  const format f = parse_format("fixed:s:1:1");
  const auto s = search_equality_separation(f, 3, 0, 2);
  REQUIRE(s.found);
  REQUIRE(s.values.size() == 13);
  CHECK(search_equality_separation(f, 3, 0, 1).nodes == s.nodes);  // thread count does not matter
  // The witness as a transformer: token (position, bit) embeds its value, scores 0, no
  // residual, the attention output read directly.
  transformer t;
  t.token_embedding = rmatrix::Zero(13, 1);
  for (int i = 0; i < 13; ++i) t.token_embedding(i, 0) = to_rational(f, s.values[static_cast<std::size_t>(i)]);
  attention_layer att;
  rmatrix zero = rmatrix::Zero(1, 1), one = rmatrix::Constant(1, 1, rational(1));
  att.heads.push_back({{zero, {}}, {zero, {}}, {one, {}}});
  t.blocks.push_back({att, false, {}, true});
  split_input in;
  in.alice_bits = in.bob_bits = 3;
  for (int j = 0; j < 6; ++j) in.tokens.push_back({2 * j, 2 * j + 1});
  in.suffix = {12};
  const protocol p(t, spec_preset("uniform(fixed:s:1:1)"), in);
  std::set<rational> diagonal, off;
  for (std::uint64_t x = 0; x < 8; ++x)
    for (std::uint64_t y = 0; y < 8; ++y) {
      const auto e = p.evaluate_pair(x, y);
      REQUIRE(e.exact_output);
      (x == y ? diagonal : off).insert((*e.exact_output)(0, 0));
    }
  for (const auto& v : diagonal) CHECK(off.count(v) == 0);
  // With one value of 2^2 per state, the counting bound forbids n = 3 in 2 bits: the search
  // agrees without being told.
  CHECK_FALSE(search_equality_separation(parse_format("fixed:s:1:0"), 3, 0, 2).found);
}
