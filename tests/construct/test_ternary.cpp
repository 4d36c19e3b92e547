// Ternary universality: exact piecewise-linear functions of networks, the ternary construction
// against its certificate, and the exact emulation of ternary networks by signed binary ones.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "fpx/theory/approximation.hpp"
#include "fpx/model/evaluate.hpp"
#include "fpx/model/precision.hpp"
#include "fpx/exact/random_stream.hpp"
#include "fpx/construct/signed_binary.hpp"
#include "fpx/construct/ternary.hpp"
#include "fpx/construct/weight_grid.hpp"

namespace {

using fpx::rational;

// The network's output at x by the evaluator in exact arithmetic: an independent path.
rational exact_output(const fpx::mlp& m, const fpx::rvector& x) {
  const auto spec = fpx::spec_preset("exact");
  return fpx::evaluate(m, x, spec).exact_output.value()(0, 0);
}

// The same by the evaluator in float64 (the constructions' values are exact in double, so this
// is exact too, and much faster than rationals): another path than the certificates' own.
double float64_output(const fpx::mlp& m, const fpx::rvector& x) {
  static const auto spec = fpx::spec_preset("float64");
  return fpx::evaluate(m, x, spec).output(0, 0);
}

fpx::rvector point(std::initializer_list<rational> v) {
  fpx::rvector x(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (const rational& r : v) x(i++) = r;
  return x;
}

// A random network with weights scale * {-1, 0, 1} per layer and dyadic biases.
fpx::mlp random_ternary(std::uint64_t seed, Eigen::Index inputs, std::vector<Eigen::Index> widths,
                        fpx::activation act) {
  fpx::random_stream r(seed, 0);
  fpx::mlp m;
  for (std::size_t l = 0; l < widths.size(); ++l) {
    const rational scale(1 + static_cast<int>(r.next() % 4), 2);
    fpx::dense_layer layer{{fpx::rmatrix(widths[l], inputs), fpx::rvector(widths[l])},
                           l + 1 == widths.size() ? fpx::activation::identity : act};
    for (Eigen::Index i = 0; i < layer.map.weight.size(); ++i)
      layer.map.weight.data()[i] = scale * (static_cast<int>(r.next() % 3) - 1);
    for (Eigen::Index o = 0; o < widths[l]; ++o) layer.map.bias(o) = rational(static_cast<int>(r.next() % 9) - 4, 4);
    m.layers.push_back(layer);
    inputs = widths[l];
  }
  return m;
}

}  // namespace

TEST_CASE("network_function is the network, exactly, between and at its knots") {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    const auto act = seed % 2 ? fpx::activation::relu : fpx::activation::clipped_relu;
    const fpx::mlp m = random_ternary(seed, 1, {5, 4, 1}, act);
    const fpx::piecewise_linear g = fpx::network_function(m, -2, 2);
    for (int k = 0; k <= 64; ++k) {
      const rational x = rational(-2) + rational(k, 16) + rational(1, 97);  // off any dyadic knot
      if (x > 2) break;
      CHECK(g(x) == exact_output(m, point({x})));
    }
    for (const rational& knot : g.knots) CHECK(g(knot) == exact_output(m, point({knot})));
  }
  fpx::mlp stepped = random_ternary(1, 1, {3, 1}, fpx::activation::step);
  CHECK_THROWS_WITH_AS(fpx::network_function(stepped, 0, 1), doctest::Contains("not continuous"),
                       std::invalid_argument);
}


// The construction stops on its certificate; for one input that is a proven bound, and the
// network's exact values at 2001 points (the evaluator in exact arithmetic, a path the
// certificate does not use) never exceed it. For two inputs too (certify_interpolant).
TEST_CASE("the ternary construction meets epsilon on its certificate, for every target") {
  for (const std::string& name : fpx::target_names()) {
    const fpx::target_function f = fpx::target(name);
    for (double epsilon : f.inputs == 1 ? std::vector{0.05, 0.01} : std::vector{0.1}) {
      CAPTURE(name);
      CAPTURE(epsilon);
      const fpx::construction c = fpx::construct_ternary(f, epsilon);
      REQUIRE(c.met);
      const auto scales = fpx::grid_scales(c.model, fpx::weight_grid::ternary);
      REQUIRE(scales);
      CHECK(scales->back() == c.quantum);
      if (f.inputs == 1) {
        CHECK(c.proof.kind != "grid");
        double dense = 0;
        for (int i = 0; i <= 2000; ++i) {
          const rational x(i, 2000);
          const double g = float64_output(c.model, point({x}));
          dense = std::max(dense, std::abs(g - f.value(static_cast<double>(x), 0)));
        }
        CHECK(dense <= c.proof.sup_error + 1e-12);
      } else {
        // A bound (proofs/ternary_floor.md): the network proven to be the interpolant of its
        // vertex values. Its error at every point of a grid 2 times finer, off the vertices,
        // evaluated by the evaluator (another path), stays below it.
        CHECK(c.proof.kind == "interpolant");
        const int n = 2 * c.pieces;
        double seen = 0;
        for (int i = 0; i <= n; ++i)
          for (int j = 0; j <= n; ++j) {
            const rational x(i, n), y(j, n);
            const double g = float64_output(c.model, point({x, y}));
            seen = std::max(seen, std::abs(g - f.value(static_cast<double>(x), static_cast<double>(y))));
          }
        CHECK(seen <= c.proof.sup_error);
        CHECK(seen >= c.proof.grid_max);  // the vertices are among the points
      }
      // The construction stopped at the first grid that passes: half as many pieces fail.
      if (c.pieces > 1) {
        const fpx::mlp coarser = fpx::ternary_interpolant(f, c.pieces / 2, c.quantum);
        const fpx::certificate worse = f.inputs == 1
                                           ? fpx::certify(coarser, f, fpx::certificate_grid(f, c.pieces / 2))
                                           : fpx::certify_interpolant(coarser, f, c.pieces / 2);
        CHECK(worse.sup_error > epsilon);
      }
    }
  }
}

TEST_CASE("certificates are upper bounds: the exact error of a smooth target's network stays below") {
  // x^2 against its ternary network: the true sup error on each piece is attained where the
  // slopes match (x = slope / 2), which the grid certificate never sees exactly.
  const fpx::target_function f = fpx::target("square");
  const fpx::mlp m = fpx::ternary_interpolant(f, 8, rational(1, 64));
  const fpx::piecewise_linear g = fpx::network_function(m, 0, 1);
  const fpx::certificate c = fpx::certify(m, f);
  rational worst = 0;
  for (std::size_t i = 0; i + 1 < g.knots.size(); ++i) {
    const rational slope = (g.values[i + 1] - g.values[i]) / (g.knots[i + 1] - g.knots[i]);
    for (rational x : {g.knots[i], rational(slope / 2)})
      if (x >= g.knots[i] && x <= g.knots[i + 1]) worst = std::max(worst, rational(abs(x * x - g(x))));
  }
  CHECK(static_cast<double>(worst) <= c.sup_error);
  // Nor is it loose: above the truth by at most its curvature term M h^2 / 8 (M = 2, h = 1/4096)
  // and the double slack, which a certificate on a coarser grid, or a wrong term, would exceed.
  CHECK(c.sup_error <= static_cast<double>(worst) + 2.0 / (8.0 * 4096 * 4096) + 1e-12);
}

TEST_CASE("the curvature term is the bound, and tight: x^2 against the chord g(x) = x") {
  // |x^2 - x| peaks at 1/4 at x = 1/2. On the one-interval grid {0, 1} the error seen is 0, so
  // the certificate is the term M h^2 / 8 alone (M = 2, h = 1): 1/4, the truth. On {0, 1/2, 1}
  // the grid sees the peak: 1/4 + 2 (1/2)^2 / 8 = 5/16. A smaller term is no upper bound.
  fpx::mlp chord;
  chord.layers.push_back({{fpx::rmatrix::Constant(1, 1, 1), fpx::rvector::Zero(1)}, fpx::activation::relu});
  chord.layers.push_back({{fpx::rmatrix::Constant(1, 1, 1), fpx::rvector::Zero(1)}, fpx::activation::identity});
  const fpx::target_function f = fpx::target("square");
  const fpx::certificate one = fpx::certify(chord, f, 1);
  CHECK(one.kind == "curvature");
  CHECK(one.grid_max == 0);
  CHECK(one.sup_error >= 0.25);
  CHECK(one.sup_error <= 0.25 + 1e-12);
  const fpx::certificate two = fpx::certify(chord, f, 2);
  CHECK(two.grid_max == 0.25);
  CHECK(two.sup_error == doctest::Approx(5.0 / 16).epsilon(1e-12));
}

TEST_CASE("a piecewise-linear target is certified exactly: 0 when representable, else the true gap") {
  const fpx::target_function abs_target = fpx::target("abs");
  CHECK(fpx::certify(fpx::ternary_interpolant(abs_target, 2, 1), abs_target).sup_error == 0);
  // One piece: the interpolant of |x - 1/2| at 0 and 1 is the constant 1/2, off by 1/2 at x = 1/2.
  const fpx::certificate one = fpx::certify(fpx::ternary_interpolant(abs_target, 1, rational(1, 2)), abs_target);
  CHECK(one.kind == "exact");
  CHECK(one.sup_error == 0.5);
}

namespace {
// relu(2x - 1) as a one-hidden-unit network of two inputs (or relu(x + y - 1/2) with `diagonal`).
fpx::mlp kink(bool diagonal) {
  fpx::mlp m;
  fpx::dense_layer hidden, out;
  hidden.map.weight = fpx::rmatrix::Zero(1, 2);
  hidden.map.weight(0, 0) = diagonal ? 1 : 2;
  hidden.map.weight(0, 1) = diagonal ? 1 : 0;
  hidden.map.bias = fpx::rvector::Constant(1, diagonal ? rational(-1, 2) : rational(-1));
  hidden.act = fpx::activation::relu;
  out.map.weight = fpx::rmatrix::Constant(1, 1, rational(1));
  m.layers = {hidden, out};
  return m;
}
}  // namespace

TEST_CASE("certify_interpolant proves linearity on the triangles, or says where it fails") {
  fpx::target_function f;
  f.name = "kink";
  f.inputs = 2;
  f.value = [](double x, double) { return std::max(2 * x - 1, 0.0); };
  f.mixed_curvature = 0;
  // relu(2x - 1) bends on x = 1/2: a grid line at N = 2, so the network is the interpolant there
  // and, against itself with no curvature, the bound is 0 (plus the double slack).
  const fpx::certificate two = fpx::certify_interpolant(kink(false), f, 2);
  CHECK(two.kind == "interpolant");
  CHECK(two.grid_max == 0);
  CHECK(two.sup_error == 1e-12);
  CHECK(two.points == 8);  // the 8 triangles, none cut
  // At N = 1 the bend is inside both triangles: no certificate.
  CHECK_THROWS_WITH_AS(fpx::certify_interpolant(kink(false), f, 1),
                       doctest::Contains("not the linear interpolant"), std::domain_error);
  // relu(x + y - 1/2) bends on an anti-diagonal, which cuts the lower triangle of square (0, 0)
  // at N = 2 even though it meets the grid's vertices.
  CHECK_THROWS_WITH_AS(fpx::certify_interpolant(kink(true), f, 2),
                       doctest::Contains("lower triangle of the square (0, 0)"), std::domain_error);
  // z = x + y - 1/2 written as relu(z) - relu(-z): both units bend on the anti-diagonal, inside
  // triangles, yet the network is linear. Proven only by cutting the triangles there (more
  // leaves than the 8 triangles); a checker that took a bending unit as linear would see 2z.
  fpx::mlp line;
  fpx::dense_layer both, difference;
  both.map.weight = fpx::rmatrix::Ones(2, 2);
  both.map.weight.row(1) *= -1;
  both.map.bias = fpx::rvector::Constant(2, rational(-1, 2));
  both.map.bias(1) = rational(1, 2);
  both.act = fpx::activation::relu;
  difference.map.weight = fpx::rmatrix::Ones(1, 2);
  difference.map.weight(0, 1) = -1;
  line.layers = {both, difference};
  fpx::target_function plane = f;
  plane.value = [](double x, double y) { return x + y - 0.5; };
  const fpx::certificate cut = fpx::certify_interpolant(line, plane, 2);
  CHECK(cut.sup_error == 1e-12);
  CHECK(cut.points > 8);
  // The bound by hand: x^2 against its chord g = x at N = 1 (vertex errors 0): A = C = 2, B = 0
  // give (2 + 0 + 2) / 8 = 1/2, above the true gap 1/4 at x = 1/2.
  fpx::target_function square = f;
  square.value = [](double x, double) { return x * x; };
  square.curvature = 2;
  fpx::mlp chord;
  fpx::dense_layer identity;
  identity.map.weight = fpx::rmatrix::Zero(1, 2);
  identity.map.weight(0, 0) = 1;
  chord.layers = {identity};
  const fpx::certificate c = fpx::certify_interpolant(chord, square, 1);
  CHECK(c.grid_max == 0);
  CHECK(c.sup_error == 0.5 + 1e-12);
  CHECK_THROWS_AS(fpx::certify_interpolant(chord, square, 3), std::invalid_argument);
  square.mixed_curvature.reset();  // no bound on f_xy stated: no certificate
  CHECK_THROWS_WITH_AS(fpx::certify_interpolant(chord, square, 1), doctest::Contains("mixed_curvature"),
                       std::invalid_argument);
  // relu(x - y - 1/2) at N = 1 agrees with its interpolant at the three corners of the lower
  // triangle and differs only inside (at the cut point (1/2, 0) it is 0, the interpolant 1/4):
  // a checker that compared corners only would pass it.
  fpx::mlp ridge;
  fpx::dense_layer slope, readout;
  slope.map.weight = fpx::rmatrix::Zero(1, 2);
  slope.map.weight(0, 0) = 1;
  slope.map.weight(0, 1) = -1;
  slope.map.bias = fpx::rvector::Constant(1, rational(-1, 2));
  slope.act = fpx::activation::relu;
  readout.map.weight = fpx::rmatrix::Constant(1, 1, rational(1));
  ridge.layers = {slope, readout};
  CHECK_THROWS_WITH_AS(fpx::certify_interpolant(ridge, f, 1), doctest::Contains("lower triangle"),
                       std::domain_error);
  // Only ReLU and identity layers.
  fpx::mlp clipped = ridge;
  clipped.layers[0].act = fpx::activation::clipped_relu;
  CHECK_THROWS_AS(fpx::certify_interpolant(clipped, f, 1), std::invalid_argument);
}

TEST_CASE("double evaluation refuses what it cannot do exactly") {
  fpx::mlp m = random_ternary(3, 1, {2, 1}, fpx::activation::relu);
  m.layers[0].map.weight(0, 0) = rational(1, 3);
  Eigen::MatrixXd x(1, 1);
  x << 0.5;
  CHECK_THROWS_WITH_AS(fpx::evaluate_exactly_in_double(m, x), doctest::Contains("1/3"),
                       std::invalid_argument);
  m.layers[0].map.weight(0, 0) = fpx::pow2(60) + 1;
  CHECK_THROWS_AS(fpx::evaluate_exactly_in_double(m, x), std::invalid_argument);
}

TEST_CASE("signed binary networks emulate ternary ones exactly") {
  for (std::uint64_t seed = 0; seed < 12; ++seed) {
    const Eigen::Index inputs = 1 + static_cast<Eigen::Index>(seed % 3);
    const fpx::mlp t = random_ternary(seed, inputs, {4, 3, 2}, fpx::activation::relu);
    const fpx::signed_binary_emulation s = fpx::emulate_with_signed_binary(t);
    REQUIRE(fpx::grid_scales(s.model, fpx::weight_grid::signed_binary));
    CHECK(fpx::size_of(s.model).width == 2 * fpx::size_of(t).width);
    fpx::random_stream r(seed, 1);
    for (int trial = 0; trial < 8; ++trial) {
      fpx::rvector x(inputs), doubled(2 * inputs);
      for (Eigen::Index i = 0; i < inputs; ++i) doubled(i) = doubled(inputs + i) = x(i) = rational(r.uniform(-2, 2));
      const fpx::rvector& fed = s.duplicated_input ? doubled : x;
      const auto a = fpx::evaluate(t, x, fpx::spec_preset("exact")).exact_output.value();
      const auto b = fpx::evaluate(s.model, fed, fpx::spec_preset("exact")).exact_output.value();
      CHECK(fpx::equal(a, b));
    }
  }
  // The construction's first layer has no zeros, so its emulation reads x once.
  const fpx::construction c = fpx::construct_ternary(fpx::target("sine"), 0.05);
  const fpx::signed_binary_emulation s = fpx::emulate_with_signed_binary(c.model);
  CHECK_FALSE(s.duplicated_input);
  CHECK(fpx::certify(s.model, fpx::target("sine")).sup_error == c.proof.sup_error);
  fpx::mlp not_ternary = c.model;
  not_ternary.layers[1].map.weight(0, 0) *= 3;
  CHECK_THROWS_AS(fpx::emulate_with_signed_binary(not_ternary), std::invalid_argument);
}
