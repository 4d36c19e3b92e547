// The expressivity census against counts derived by hand.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "fpx/theory/census.hpp"

using fpx::rational;

namespace {

std::vector<rational> half_steps() {
  std::vector<rational> b;
  for (int k = -4; k <= 4; ++k) b.push_back(rational(k, 2));
  return b;
}

// Truth table bit p is the value at the point whose input i is bit i of p.
bool monotone(std::uint64_t table, int inputs) {
  for (int p = 0; p < (1 << inputs); ++p)
    for (int i = 0; i < inputs; ++i)
      if (!((p >> i) & 1) && ((table >> p) & 1) && !((table >> (p | (1 << i))) & 1)) return false;
  return true;
}

}  // namespace

TEST_CASE("U1 realises exactly the monotone functions: 6 of 2 inputs, 20 of 3 (Dedekind)") {
  for (int inputs : {2, 3}) {
    std::vector<std::uint64_t> all_monotone;
    for (std::uint64_t t = 0; t < (std::uint64_t{1} << (1 << inputs)); ++t)
      if (monotone(t, inputs)) all_monotone.push_back(t);
    CHECK(all_monotone.size() == (inputs == 2 ? 6u : 20u));
    // Width 1 already makes the six of two inputs (0, 1, x, y, x and y, x or y); three inputs
    // need width 2 for functions like (x and y) or z.
    const auto r = fpx::census(inputs, inputs == 2 ? 1 : 2, fpx::census_levels("u1"), half_steps(), 2);
    CHECK(r.truth_tables == all_monotone);
  }
}

TEST_CASE("U1 with 4 inputs realises only monotone functions (of the 168 there are)") {
  const auto r = fpx::census(4, 2, fpx::census_levels("u1"), half_steps(), 2);
  for (std::uint64_t t : r.truth_tables) CHECK(monotone(t, 4));
  std::uint64_t all = 0;
  for (std::uint64_t t = 0; t < (std::uint64_t{1} << 16); ++t) all += monotone(t, 4);
  CHECK(all == 168);  // the Dedekind number the proof file compares with
}

TEST_CASE("one ternary unit realises the 14 threshold functions of 2 inputs: all but XOR and XNOR") {
  const auto r = fpx::census(2, 1, fpx::census_levels("ternary"), half_steps(), 2);
  CHECK(r.functions == 14);
  CHECK_FALSE(std::binary_search(r.truth_tables.begin(), r.truth_tables.end(), 0b0110u));
  CHECK_FALSE(std::binary_search(r.truth_tables.begin(), r.truth_tables.end(), 0b1001u));
  // Two units make XOR: (x + y)_+ - 2 (x + y - 1)_+ needs weight 2, but (x - y)_+ + (y - x)_+ does not.
  CHECK(fpx::census(2, 2, fpx::census_levels("ternary"), half_steps(), 2).functions == 16);
}

TEST_CASE("the census is the same on any number of threads, and rejects bad input") {
  const auto one = fpx::census(3, 2, fpx::census_levels("s1"), half_steps(), 1);
  const auto two = fpx::census(3, 2, fpx::census_levels("s1"), half_steps(), 2);
  CHECK(one.truth_tables == two.truth_tables);
  CHECK(fpx::census_levels("fixed:s:0:2").size() == 8);  // k/4 for k = -4..3
  CHECK(fpx::census_levels("fixed:s:0:2").front() == -1);
  CHECK(fpx::census_levels("fixed:s:0:2").back() == fpx::rational(3, 4));
  // The census's old name for that grid is refused with the format it meant (int3 elsewhere is
  // the symmetric grid of 7 levels).
  CHECK_THROWS_WITH_AS(fpx::census_levels("int3"), doctest::Contains("the format fixed:s:0:2"),
                       std::invalid_argument);
  CHECK(fpx::census_levels("int3:scale=1/4").size() == 7);  // the symmetric grid, named as everywhere
  CHECK(fpx::census_levels("e2m1").size() == 15);  // 0 and +-{0.5, 1, 1.5, 2, 3, 4, 6}
  CHECK_THROWS_WITH_AS(fpx::census_levels("int3x"), doctest::Contains("int3x"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::census_levels("fp16"), std::invalid_argument);  // more than 8 bits
  CHECK_THROWS_AS(fpx::census(5, 1, {0, 1}, half_steps()), std::invalid_argument);
  CHECK_THROWS_AS(fpx::census(2, 1, {rational(1, 3)}, half_steps()), std::invalid_argument);
  CHECK_THROWS_AS(fpx::census(2, 1, {rational(1, 512)}, half_steps()), std::invalid_argument);
  CHECK(fpx::census(2, 1, fpx::census_levels("fixed:s:0:7"), half_steps()).functions == 14);
}

TEST_CASE("the census with its symmetry reduction equals a brute force over every network") {
  // Every weight and bias setting, no reduction: the truth tables realised, as a sorted set.
  auto brute = [](int inputs, int width, const std::vector<rational>& levels, const std::vector<rational>& biases) {
    const int points = 1 << inputs;
    const std::size_t L = levels.size(), B = biases.size();
    std::size_t per_unit = B;
    for (int i = 0; i < inputs; ++i) per_unit *= L;
    std::size_t hidden = 1, outputs = B;
    for (int k = 0; k < width; ++k) {
      hidden *= per_unit;
      outputs *= L;
    }
    std::set<std::uint64_t> tables;
    for (std::size_t h = 0; h < hidden; ++h) {
      std::vector<std::vector<rational>> values(static_cast<std::size_t>(width), std::vector<rational>(static_cast<std::size_t>(points)));
      std::size_t digits = h;
      for (int k = 0; k < width; ++k, digits /= per_unit) {
        std::size_t u = digits % per_unit;
        const rational bias = biases[u % B];
        u /= B;
        std::vector<rational> w;
        for (int i = 0; i < inputs; ++i, u /= L) w.push_back(levels[u % L]);
        for (int p = 0; p < points; ++p) {
          rational z = bias;
          for (int i = 0; i < inputs; ++i)
            if ((p >> i) & 1) z += w[static_cast<std::size_t>(i)];
          values[static_cast<std::size_t>(k)][static_cast<std::size_t>(p)] = z > 0 ? z : rational(0);
        }
      }
      for (std::size_t o = 0; o < outputs; ++o) {
        std::size_t d = o;
        const rational c = biases[d % B];
        d /= B;
        std::vector<rational> v;
        for (int k = 0; k < width; ++k, d /= L) v.push_back(levels[d % L]);
        std::uint64_t t = 0;
        for (int p = 0; p < points; ++p) {
          rational y = c;
          for (int k = 0; k < width; ++k) y += v[static_cast<std::size_t>(k)] * values[static_cast<std::size_t>(k)][static_cast<std::size_t>(p)];
          if (y > 0) t |= std::uint64_t{1} << p;
        }
        tables.insert(t);
      }
    }
    return std::vector<std::uint64_t>(tables.begin(), tables.end());
  };
  const std::vector<rational> biases{-1, 0, 1};
  // Three inputs (6 permutations) and four (24): the orbits must bring back what the reduction skips.
  CHECK(fpx::census(3, 2, fpx::census_levels("s1"), biases, 2).truth_tables ==
        brute(3, 2, fpx::census_levels("s1"), biases));
  CHECK(fpx::census(3, 2, fpx::census_levels("ternary"), biases, 2).truth_tables ==
        brute(3, 2, fpx::census_levels("ternary"), biases));
  CHECK(fpx::census(4, 1, fpx::census_levels("fixed:s:0:1"), biases, 2).truth_tables ==
        brute(4, 1, fpx::census_levels("fixed:s:0:1"), biases));
  // Width 3 (canonical images of three features) and 4 inputs at width 2 (24 permutations).
  CHECK(fpx::census(3, 3, fpx::census_levels("s1"), biases, 2).truth_tables ==
        brute(3, 3, fpx::census_levels("s1"), biases));
  CHECK(fpx::census(4, 2, fpx::census_levels("s1"), biases, 2).truth_tables ==
        brute(4, 2, fpx::census_levels("s1"), biases));
}
