// The U1 collapse: the monotone certificate, its floor, the best U1 networks against it.
#include <doctest/doctest.h>

#include "fpx/construct/monotone.hpp"
#include "fpx/exact/random_stream.hpp"
#include "fpx/construct/ternary.hpp"
#include "fpx/construct/weight_grid.hpp"

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

// Smooth targets are compared on a grid in double: allow its rounding.
constexpr double rounding_slack = 1e-12;

TEST_CASE("no U1 network beats the floor, and the floor is approached") {
  for (const char* name : {"abs", "descending", "sine"}) {
    CAPTURE(name);
    const fpx::target_function f = fpx::target(name);
    const double floor = fpx::monotone_floor(f);
    for (int width : {1, 2, 4}) {
      const auto random = fpx::search_unsigned_random(f, width, 300, 7, 2);
      CHECK(random.best_error >= floor - rounding_slack);
    }
    const auto all = fpx::search_unsigned_exhaustive(f, 1, 2);
    CHECK(all.networks == 2 * 3 * 3 * 36);
    CHECK(all.best_error >= floor - rounding_slack);
    const double constructed = fpx::certify(fpx::unsigned_interpolant(f, 64, rational(1, 256)), f).sup_error;
    CHECK(constructed >= floor - rounding_slack);
    CHECK(constructed <= floor + 0.02);
  }
  // The exact search finds the floor itself for 1 - x: the constant 1/2 is a U1 network.
  CHECK(fpx::search_unsigned_exhaustive(fpx::target("descending"), 1, 2).best_error == 0.5);
}

TEST_CASE("searches give the same answer on any number of threads") {
  const fpx::target_function f = fpx::target("abs");
  const auto one = fpx::search_unsigned_random(f, 3, 500, 11, 1);
  const auto two = fpx::search_unsigned_random(f, 3, 500, 11, 2);
  CHECK(one.best_error == two.best_error);
  CHECK(one.best_index == two.best_index);
}
