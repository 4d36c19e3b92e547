// The best error of tiny grid networks (best_grid_error) against hand-derived values and an
// independent brute force: every ordered setting built as an mlp, its exact function taken from
// network_function, its error computed piece by piece in rationals.
#include <doctest/doctest.h>

#include <cmath>
#include <optional>
#include <set>

#include "fpx/theory/best_error.hpp"
#include "fpx/theory/census.hpp"

using fpx::rational;

namespace {

std::vector<rational> steps(int per_unit, int halfwidth) {  // k / per_unit for |k| <= halfwidth
  std::vector<rational> b;
  for (int k = -halfwidth; k <= halfwidth; ++k) b.push_back(rational(k, per_unit));
  return b;
}

// The error of one network g = d + S sum v_k ReLU(a_k x + c_k) with the best d: (max - min) / 2
// of f - g over [0, 1], from g's exact pieces; for a quadratic f also the vertex of each piece.
struct oracle_error {
  rational error, max, min;
};
oracle_error oracle(const fpx::target_function& f, const std::vector<rational>& a, const std::vector<rational>& c,
                    const std::vector<rational>& v, const rational& scale) {
  const auto w = static_cast<Eigen::Index>(a.size());
  fpx::mlp m;
  fpx::linear hidden{fpx::rmatrix(w, 1), fpx::rvector(w)};
  fpx::linear out{fpx::rmatrix(1, w), fpx::rvector(1)};
  for (Eigen::Index k = 0; k < w; ++k) {
    hidden.weight(k, 0) = a[static_cast<std::size_t>(k)];
    hidden.bias(k) = c[static_cast<std::size_t>(k)];
    out.weight(0, k) = scale * v[static_cast<std::size_t>(k)];
  }
  out.bias(0) = 0;
  m.layers.push_back({hidden, fpx::activation::relu});
  m.layers.push_back({out, fpx::activation::identity});
  const fpx::piecewise_linear g = fpx::network_function(m, 0, 1);
  std::optional<rational> hi, lo;
  auto see = [&](const rational& r) {
    if (!hi || r > *hi) hi = r;
    if (!lo || r < *lo) lo = r;
  };
  if (f.exact) {
    const fpx::piecewise_linear d = *f.exact - g;
    for (const rational& y : d.values) see(y);
  } else {
    const auto& p = *f.polynomial;
    auto fx = [&](const rational& x) { return rational(p[0] + p[1] * x + p[2] * x * x); };
    for (std::size_t i = 0; i < g.knots.size(); ++i) {
      see(fx(g.knots[i]) - g.values[i]);
      if (i == 0) continue;
      const rational slope = (g.values[i] - g.values[i - 1]) / (g.knots[i] - g.knots[i - 1]);
      const rational x = (slope - p[1]) / (2 * p[2]);
      if (x > g.knots[i - 1] && x < g.knots[i]) see(fx(x) - (g.values[i - 1] + slope * (x - g.knots[i - 1])));
    }
  }
  return {(*hi - *lo) / 2, *hi, *lo};
}

// The minimum of oracle() over every ordered setting.
rational brute_force(const fpx::target_function& f, int width, const std::vector<rational>& levels,
                     const std::vector<rational>& biases, const std::vector<rational>& scales) {
  const std::size_t per_unit = levels.size() * biases.size() * levels.size();
  std::size_t settings = 1;
  for (int k = 0; k < width; ++k) settings *= per_unit;
  std::optional<rational> best;
  for (const rational& s : scales)
    for (std::size_t i = 0; i < settings; ++i) {
      std::vector<rational> a, c, v;
      std::size_t digits = i;
      for (int k = 0; k < width; ++k, digits /= per_unit) {
        const std::size_t u = digits % per_unit;
        a.push_back(levels[u % levels.size()]);
        c.push_back(biases[(u / levels.size()) % biases.size()]);
        v.push_back(levels[u / (levels.size() * biases.size())]);
      }
      const rational e = oracle(f, a, c, v, s).error;
      if (!best || e < *best) best = e;
    }
  return *best;
}

}  // namespace

TEST_CASE("best_grid_error equals the brute force over every ordered setting") {
  const std::vector<rational> scales{rational(1, 2), 2};
  struct cell {
    const char* target;
    const char* grid;
    int width;
    int bias_steps;  // biases k / bias_steps in [-1, 1]
  };
  for (const cell& k : {cell{"square", "ternary", 2, 4}, cell{"square", "s1", 2, 4}, cell{"square", "fixed:s:0:1", 2, 2},
                        cell{"abs", "ternary", 2, 4}, cell{"abs", "u1", 2, 4}, cell{"square", "fixed:s:0:2", 1, 4},
                        cell{"descending", "u1", 2, 4}}) {
    CAPTURE(k.target);
    CAPTURE(k.grid);
    const auto f = fpx::target(k.target);
    const auto levels = fpx::census_levels(k.grid);
    const auto biases = steps(k.bias_steps, k.bias_steps);
    const auto r = fpx::best_grid_error(f, k.width, levels, biases, scales, 1e9, 2);
    CHECK(r.error == brute_force(f, k.width, levels, biases, scales));
    // The witness reaches the error, with the bias it names.
    const oracle_error w = oracle(f, r.a, r.c, r.v, r.scale);
    CHECK(w.error == r.error);
    CHECK(r.bias == (w.max + w.min) / 2);
  }
}

TEST_CASE("best_grid_error's features are the distinct functions v relu(a x + c) on [0, 1]") {
  // Counted here by value vectors: every such function is linear between the points 0, 1 and the
  // knots -c/a inside, so its values there determine it.
  for (const char* grid : {"fixed:s:0:1", "fixed:s:0:2", "ternary", "u1"}) {
    CAPTURE(grid);
    const auto levels = fpx::census_levels(grid);
    const auto biases = steps(8, 8);
    std::set<rational> points{0, 1};
    for (const rational& a : levels)
      for (const rational& c : biases)
        if (a != 0 && -c / a > 0 && -c / a < 1) points.insert(-c / a);
    std::set<std::vector<rational>> functions;
    for (const rational& a : levels)
      for (const rational& c : biases)
        for (const rational& v : levels) {
          std::vector<rational> values;
          for (const rational& x : points) {
            const rational z = a * x + c;
            values.push_back(z > 0 ? rational(v * z) : rational(0));
          }
          functions.insert(values);
        }
    const auto r = fpx::best_grid_error(fpx::target("square"), 1, levels, biases, {1});
    CHECK(r.features == functions.size());
  }
}

TEST_CASE("best_grid_error on hand-derived cells") {
  const auto square = fpx::target("square");
  // Features {0, x}: the best is x^2 - x shifted by 1/8 (error 1/8), not x^2 (1/2), and not the
  // unshifted 1/4.
  CHECK(fpx::best_grid_error(square, 1, {0, 1}, {0}, {1}).error == rational(1, 8));
  // relu(x - 1/8): x^2 - g is 0 .. 1/64 on [0, 1/8] and x^2 - x + 1/8 on [1/8, 1], whose vertex
  // at 1/2 is -1/8 (inside a piece, at no knot) and end value 1/8: error 1/8 (1/16 without the vertex).
  const auto r = fpx::best_grid_error(square, 1, {1}, {rational(-1, 8)}, {1});
  CHECK(r.error == rational(1, 8));
  CHECK(r.bias == 0);
  // U1 (positive scale) cannot beat the monotone floor (1/4 for |x - 1/2|, 1/2 for 1 - x) at any
  // width, and reaches it with the zero function.
  for (int width = 1; width <= 4; ++width) {
    CHECK(fpx::best_grid_error(fpx::target("abs"), width, fpx::census_levels("u1"), steps(4, 4), {1, 2}).error ==
          rational(1, 4));
    CHECK(fpx::best_grid_error(fpx::target("descending"), width, fpx::census_levels("u1"), steps(4, 4), {1}).error ==
          rational(1, 2));
  }
  // S1 makes |x - 1/2| = relu(x - 1/2) + relu(1/2 - x) exactly with two units, not with one.
  CHECK(fpx::best_grid_error(fpx::target("abs"), 2, fpx::census_levels("s1"), steps(2, 2), {1}).error == 0);
  CHECK(fpx::best_grid_error(fpx::target("abs"), 1, fpx::census_levels("s1"), steps(2, 2), {1}).error > 0);
}

TEST_CASE("best_grid_error gives the same result and witness on 1 and 2 threads") {
  const auto f = fpx::target("square");
  const auto levels = fpx::census_levels("fixed:s:0:1");
  const auto one = fpx::best_grid_error(f, 3, levels, steps(4, 4), {1, 2}, 1e9, 1);
  const auto two = fpx::best_grid_error(f, 3, levels, steps(4, 4), {1, 2}, 1e9, 2);
  CHECK(one.error == two.error);
  CHECK(one.a == two.a);
  CHECK(one.c == two.c);
  CHECK(one.v == two.v);
  CHECK(one.scale == two.scale);
  CHECK(one.optimal == two.optimal);
  CHECK(one.rechecked == two.rechecked);
  // More units never hurt (the grid has 0, so a narrower network is in the wider class).
  const auto narrower = fpx::best_grid_error(f, 2, levels, steps(4, 4), {1, 2});
  CHECK(one.error <= narrower.error);
}

TEST_CASE("best_grid_error refuses what it cannot walk exactly") {
  const auto square = fpx::target("square");
  const std::vector<rational> levels{-1, 1};
  CHECK_THROWS_AS(fpx::best_grid_error(square, 0, levels, {0}, {1}), std::invalid_argument);
  CHECK_THROWS_AS(fpx::best_grid_error(square, 5, levels, {0}, {1}), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::best_grid_error(square, 1, {rational(1, 3)}, {0}, {1}), doctest::Contains("dyadic"),
                       std::invalid_argument);
  CHECK_THROWS_AS(fpx::best_grid_error(square, 1, levels, {32}, {1}), std::invalid_argument);
  CHECK_THROWS_AS(fpx::best_grid_error(square, 1, levels, {0}, {0}), std::invalid_argument);
  CHECK_THROWS_AS(fpx::best_grid_error(square, 1, levels, {}, {1}), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::best_grid_error(fpx::target("sine"), 1, levels, {0}, {1}),
                       doctest::Contains("no exact form"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::best_grid_error(fpx::target("bump"), 1, levels, {0}, {1}), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::best_grid_error(square, 4, fpx::census_levels("fixed:s:0:3"), steps(8, 8), {1}, 1e6),
                       doctest::Contains("budget"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::best_grid_error(square, 1, levels, {0}, {1}, std::nan("")), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::best_grid_error(square, 1, {rational(1) / fpx::pow2(2000)}, {0}, {1}),
                       doctest::Contains("dyadic"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::best_grid_error(square, 1, {fpx::pow2(2000)}, {0}, {1}), std::invalid_argument);
  // An exact form that does not cover [0, 1] is refused before the walk.
  fpx::target_function half;
  half.name = "half";
  half.exact = fpx::piecewise_linear{{0, rational(1, 2)}, {0, 1}};
  CHECK_THROWS_WITH_AS(fpx::best_grid_error(half, 1, levels, {0}, {1}), doctest::Contains("[0, 1]"),
                       std::invalid_argument);
}

TEST_CASE("the counting bound holds: a small class against every zigzag") {
  // S1 levels, biases {-1/2, 0}, one scale, width 1: a, c, v one bit each, so B = 3 (the
  // scale's log2 1 = 0), and the class cannot be within less than 1/8 of all 2^4 zigzags with
  // slopes +-1 on 4 pieces (each up to a constant). The worst zigzag's best error (exact, from
  // the enumeration, with no `value` function: the exact form alone is read) must be at least
  // the bound.
  const std::vector<rational> levels{-1, 1}, biases{rational(-1, 2), 0};
  const double class_bits = 2 * 1.0 + 1.0;  // a, v one bit each, c one bit
  const int m = static_cast<int>(std::floor(class_bits)) + 1;
  rational worst = 0;
  for (int signs = 0; signs < (1 << m); ++signs) {
    std::vector<rational> knots, values;
    rational y = 0;
    for (int i = 0; i <= m; ++i) {
      knots.push_back(rational(i, m));
      values.push_back(y);
      if (i < m) y += ((signs >> i) & 1) ? rational(1, m) : rational(-1, m);
    }
    fpx::target_function zigzag;
    zigzag.name = "zigzag";
    zigzag.exact = fpx::piecewise_linear{knots, values};
    const auto r = fpx::best_grid_error(zigzag, 1, levels, biases, {1});
    if (r.error > worst) worst = r.error;
  }
  CHECK(static_cast<double>(worst) >= fpx::lipschitz_counting_bound(class_bits));
  CHECK(fpx::lipschitz_counting_bound(class_bits) == 0.125);
}

TEST_CASE("the counting bound over 1-Lipschitz targets") {
  // One function (0 bits) cannot be within eps < 1/2 of both x and -x up to a constant.
  CHECK(fpx::lipschitz_counting_bound(0) == 0.5);
  CHECK(fpx::lipschitz_counting_bound(3.5) == 0.125);
  CHECK_THROWS_AS(fpx::lipschitz_counting_bound(-1), std::invalid_argument);
}
