// The exhaustive search for the largest n at which a tiny class separates equality.
#include <doctest/doctest.h>

#include <algorithm>
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
  for (int i = 0; i < 13; ++i)
    t.token_embedding(i, 0) = to_rational(f, s.values[static_cast<std::size_t>(i)]);
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

TEST_CASE("search: units, their node counts, and Knuth's estimate of a complete walk") {
  // e2m1 (OCP FP4) has no setting for EQ_4 (n* = 3): the search walks the whole tree.
  const format f = parse_format("e2m1");
  const auto s = search_equality_separation(f, 4, 0, 2);
  REQUIRE_FALSE(s.found);
  REQUIRE(s.complete);
  // 15 distinct finite values (-0 is +0 here): one unit per pair v0 < v1 for Alice's first bit.
  CHECK(separation_units(f) == 105);
  REQUIRE(s.unit_nodes.size() == 105);
  std::uint64_t sum = 0;
  for (auto u : s.unit_nodes) sum += u;
  CHECK(sum == s.nodes);
  // Each unit's subtree, estimated by random root-to-leaf paths, against the nodes it visited:
  // unbiased, so with 256 paths per unit the total is within a few percent (it is 0.05% off).
  std::vector<std::uint64_t> units(105);
  for (std::uint64_t u = 0; u < 105; ++u) units[u] = u;
  const auto e = estimate_separation_search(f, 4, units, 256, 100000, 1, 2);
  REQUIRE(e.nodes.size() == 105);
  CHECK(e.units == 105);
  double total = 0;
  for (double v : e.nodes) total += v;
  CHECK(total == doctest::Approx(static_cast<double>(s.nodes)).epsilon(0.03));
  // Per unit too: the unit of the most nodes is estimated within 10%.
  const auto largest = static_cast<std::size_t>(
      std::max_element(s.unit_nodes.begin(), s.unit_nodes.end()) - s.unit_nodes.begin());
  CHECK(e.nodes[largest] ==
        doctest::Approx(static_cast<double>(s.unit_nodes[largest])).epsilon(0.1));
  // Seeded per unit: one unit asked alone gets the same estimate, on any thread count.
  const std::vector<std::uint64_t> one{37};
  CHECK(estimate_separation_search(f, 4, one, 256, 100000, 1, 1).nodes[0] == e.nodes[37]);
  CHECK_THROWS_AS(estimate_separation_search(f, 4, std::vector<std::uint64_t>{105}, 1, 1, 1),
                  std::invalid_argument);
}

namespace {

// A complete walk with no setting that reaches `reached`, replayed count for count; a
// certificate altered in one count, or in its digest, is refused.
void check_replayed_walk(const std::string& name, int n, std::size_t reached) {
  CAPTURE(name);
  const format f = parse_format(name);
  const auto s = search_equality_separation(f, n, 0, 2);
  REQUIRE_FALSE(s.found);
  REQUIRE(s.complete);
  std::uint64_t total = 0;
  for (auto v : s.level_nodes) total += v;
  CHECK(total == s.nodes);
  CHECK(s.level_nodes[reached] > 0);
  const auto r = check_separation_certificate(f, n, s, 2);
  CHECK_MESSAGE(r.matches, r.reason);
  CHECK(r.nodes == s.nodes);
  auto forged = s;
  forged.level_nodes.back() += 1;
  CHECK_FALSE(check_separation_certificate(f, n, forged, 2).matches);
  forged = s;
  forged.digest ^= 1;
  CHECK_FALSE(check_separation_certificate(f, n, forged, 2).matches);
}

}  // namespace

// The largest walk (about 9 million nodes, 24 s optimised): the sanitize preset, 17 times slower,
// excludes this case by name (tests/CMakeLists.txt); the ci preset runs it.
TEST_CASE("search: the IEEE-style walk with infinities and NaN is replayed count for count (about 9 million nodes)") {
  check_replayed_walk("e2m1_ieee", 2, 4);  // 8,987,913 nodes, to the query
}

TEST_CASE("search: a search that finds nothing is replayed by separate code, count for count") {
  // Complete walks without a setting, each reaching at least the given level (Alice's
  // positions, Bob's, then the query's): fixed point saturating (61,748 nodes) to the query
  // (the IEEE-style walk is its own test case, above); unsigned fixed point under overflow=error,
  // whose sums only grow, so nodes die of overflow inside Alice's and Bob's levels (Z fits); and
  // fixed:s:1:1:overflow=error, whose Z = 3 overflows, so every node dies at level 0.
  struct walk {
    std::string name;
    int n;
    std::size_t reached;
  };
  for (const walk& w : std::vector<walk>{{"fixed:s:2:0", 3, 6},
                                         {"fixed:u:2:0:overflow=error", 1, 1},
                                         {"fixed:u:3:0:overflow=error", 2, 1},
                                         {"fixed:s:1:1:overflow=error", 1, 0}}) {
    check_replayed_walk(w.name, w.n, w.reached);
  }
  // Under overflow=error a denominator that overflows (Z = 5 > 3.5 at n = 2) kills every
  // setting at once: each of Alice's first candidate pairs dies, in the search and in the replay.
  {
    const format f = parse_format("fixed:s:2:1:overflow=error");
    const auto s = search_equality_separation(f, 2, 0, 2);
    CHECK_FALSE(s.found);
    CHECK(s.complete);
    CHECK(s.nodes == 16 * 15 / 2);
    CHECK(s.level_nodes == std::vector<std::uint64_t>{120, 0, 0, 0, 0});
    CHECK(check_separation_certificate(f, 2, s, 2).matches);
  }
  // A search that found a setting has no such certificate.
  const auto found = search_equality_separation(parse_format("fixed:s:1:1"), 3, 0, 2);
  CHECK_FALSE(check_separation_certificate(parse_format("fixed:s:1:1"), 3, found).matches);
}
