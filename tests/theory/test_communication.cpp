// Communication matrices and their lower bounds, on functions whose bounds are known by hand.
#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "fpx/theory/communication.hpp"

using namespace fpx;

namespace {
communication_matrix eq(int n) {
  return communication_matrix(std::size_t{1} << n, std::size_t{1} << n,
                              [](std::uint64_t x, std::uint64_t y) { return x == y; });
}
// Inner product mod 2: rank 2^n - 1 over the rationals, n over GF(2).
communication_matrix ip(int n) {
  return communication_matrix(std::size_t{1} << n, std::size_t{1} << n, [](std::uint64_t x, std::uint64_t y) {
    return __builtin_popcountll(x & y) % 2 == 1;
  });
}
}  // namespace

TEST_CASE("EQ_n: 2^n distinct rows, full rank, the diagonal fools, n + 1 bits two-way") {
  for (int n = 1; n <= 6; ++n) {
    CAPTURE(n);
    const auto m = eq(n);
    const std::size_t size = std::size_t{1} << n;
    const communication_bounds b(m);
    CHECK(b.rows.count() == size);
    CHECK(b.one_way_bits == static_cast<std::size_t>(n));
    CHECK(b.rank_q == size);
    CHECK(b.rank_2 == size);
    CHECK(b.fooling_value == true);
    CHECK(b.fooling_set.size() == size);
    CHECK_FALSE(check_fooling_set(m, b.fooling_set, true));
    CHECK(b.fooling_bits == static_cast<std::size_t>(n + 1));  // 2^n one-rectangles and a zero one
    CHECK(b.two_way_bits() == static_cast<std::size_t>(n + 1));
  }
}

TEST_CASE("rank over Q and over GF(2) part ways on inner product") {
  for (int n = 1; n <= 5; ++n) {
    CAPTURE(n);
    const auto m = ip(n);
    CHECK(rank_rational(m) == (std::size_t{1} << n) - 1);
    CHECK(rank_gf2(m) == static_cast<std::size_t>(n));
  }
  // Greater-than is triangular: full rank, and only 2^n distinct rows of 2^n.
  const communication_matrix gt(8, 8, [](std::uint64_t x, std::uint64_t y) { return x >= y; });
  CHECK(rank_rational(gt) == 8);
  const communication_matrix ones(5, 7, [](std::uint64_t, std::uint64_t) { return true; });
  CHECK(rank_rational(ones) == 1);
  CHECK(distinct_rows(ones).count() == 1);
  CHECK(communication_bounds(ones).one_way_bits == 0);
}

TEST_CASE("a fooling set that is not one is refused with the rectangle") {
  const auto m = eq(3);
  const std::vector<input_pair> bad{{1, 1}, {2, 3}};
  const auto why = check_fooling_set(m, bad, true);
  REQUIRE(why);
  CHECK(why->find("(2, 3)") != std::string::npos);
  // (0,1) and (1,0) are zeros whose crossings (0,0) and (1,1) are ones: a fooling set for 0.
  const std::vector<input_pair> zeros{{0, 1}, {1, 0}};
  CHECK_FALSE(check_fooling_set(m, zeros, false));
  const std::vector<input_pair> crossing{{0, 1}, {0, 2}};  // crossings are (0,2), (0,1): zeros
  CHECK(check_fooling_set(m, crossing, false));
}

TEST_CASE("tables with ragged rows are refused") {
  CHECK_THROWS_WITH_AS(communication_matrix({{true, false}, {true}}),
                       doctest::Contains("row 1 has 1 entries"), std::invalid_argument);
  const communication_matrix t({{true, false}, {false, true}, {true, false}});
  CHECK(distinct_rows(t).count() == 2);
  CHECK(distinct_rows(t).class_of == std::vector<std::size_t>{0, 1, 0});
}
