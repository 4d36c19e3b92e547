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
// certificate does not use) never exceed it. For two inputs the certificate is a grid maximum, a
// measurement: recomputed here at the same points by the evaluator, it is the same number.
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
        CHECK(c.proof.kind == "grid");  // a measurement, not a bound (proofs/ternary_floor.md)
        const int n = fpx::certificate_grid(f, c.pieces);
        double seen = 0;
        for (int i = 0; i <= n; ++i)
          for (int j = 0; j <= n; ++j) {
            const rational x(i, n), y(j, n);
            const double g = float64_output(c.model, point({x, y}));
            seen = std::max(seen, std::abs(g - f.value(static_cast<double>(x), static_cast<double>(y))));
          }
        CHECK(seen == doctest::Approx(c.proof.grid_max).epsilon(1e-12));
      }
      // The construction stopped at the first grid that passes: half as many pieces fail.
      if (c.pieces > 1) {
        const fpx::mlp coarser = fpx::ternary_interpolant(f, c.pieces / 2, c.quantum);
        CHECK(fpx::certify(coarser, f, fpx::certificate_grid(f, c.pieces / 2)).sup_error > epsilon);
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
