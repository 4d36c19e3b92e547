// Mixed-precision bit allocation: hand-solved budgets, a non-convex case where greedy slopes
// fail, agreement with brute force on random instances, and errors.
#include <doctest/doctest.h>

#include <limits>
#include <random>
#include <stdexcept>

#include "fpx/quant/bit_allocation.hpp"

using fpx::allocate_bits;
using fpx::layer_choices;

TEST_CASE("two layers by hand: the budget goes where it buys the most") {
  // Layer 0 (100 weights) is sensitive, layer 1 (100 weights) is not. Options 2, 4, 8 bits.
  const std::vector<layer_choices> layers = {
      {100, {{2, 10}, {4, 1}, {8, 0.1}}},
      {100, {{2, 0.5}, {4, 0.2}, {8, 0.01}}},
  };
  CHECK(allocate_bits(layers, 400).choice == std::vector<std::size_t>{0, 0});     // only 2 + 2 fits
  CHECK(allocate_bits(layers, 600).choice == std::vector<std::size_t>{1, 0});     // cost 1.5, not 10.2
  CHECK(allocate_bits(layers, 1000).choice == std::vector<std::size_t>{2, 0});    // 0.6 beats 4+4's 1.2
  const auto all = allocate_bits(layers, 1600);
  CHECK(all.choice == std::vector<std::size_t>{2, 2});
  CHECK(all.total_bits == 1600);
  CHECK(all.total_cost == doctest::Approx(0.11));
}

TEST_CASE("exact where the cost is not convex in bits") {
  // Option 1 is poor value, option 2 excellent: a marginal-gain greedy stops at option 0 under a
  // budget that affords option 2.
  const std::vector<layer_choices> layers = {{10, {{1, 100}, {2, 99}, {3, 1}}}, {10, {{1, 5}, {3, 4}}}};
  CHECK(allocate_bits(layers, 40).choice == std::vector<std::size_t>{2, 0});
}

TEST_CASE("the same optimum as brute force on random instances") {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> unit(0, 1);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<layer_choices> layers(4);
    for (auto& l : layers) {
      l.parameters = 1 + static_cast<std::int64_t>(unit(rng) * 50);
      for (int k = 0; k < 3; ++k) l.options.push_back({1 + 7 * unit(rng), unit(rng)});
    }
    const double budget = 4 * 50 * 8 * unit(rng);
    double best = std::numeric_limits<double>::infinity();
    for (int code = 0; code < 81; ++code) {
      double bits = 0, cost = 0;
      for (int l = 0, c = code; l < 4; ++l, c /= 3) {
        bits += static_cast<double>(layers[l].parameters) * layers[l].options[c % 3].bits_per_parameter;
        cost += layers[l].options[c % 3].cost;
      }
      if (bits <= budget) best = std::min(best, cost);
    }
    CAPTURE(trial);
    if (best == std::numeric_limits<double>::infinity()) {
      CHECK_THROWS_AS(allocate_bits(layers, budget), std::invalid_argument);
    } else {
      const auto a = allocate_bits(layers, budget);
      CHECK(a.total_cost == doctest::Approx(best).epsilon(1e-12));
      CHECK(a.total_bits <= budget);
    }
  }
}

TEST_CASE("bad allocations are refused") {
  CHECK_THROWS_AS(allocate_bits({{10, {}}}, 100), std::invalid_argument);
  CHECK_THROWS_AS(allocate_bits({{10, {{-1, 1}}}}, 100), std::invalid_argument);
  CHECK_THROWS_AS(allocate_bits({{10, {{1, std::nan("")}}}}, 100), std::invalid_argument);
  CHECK_THROWS_AS(allocate_bits({{10, {{4, 1}}}}, 39), std::invalid_argument);
  CHECK(allocate_bits({}, 0).choice.empty());
}
