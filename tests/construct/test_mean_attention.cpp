// A transformer block on the ternary and S1 grids that computes g(mean of the tokens): the
// attention's output is the mean exactly, so the one-input certificate is the block's.
#include <doctest/doctest.h>

#include "fpx/construct/mean_attention.hpp"
#include "fpx/construct/ternary.hpp"
#include "fpx/exact/random_stream.hpp"
#include "fpx/model/evaluate.hpp"

using fpx::rational;

namespace {

// Every weight of every attention head is s times a level of the grid, one s per matrix.
bool attention_on_grid(const fpx::transformer& t, fpx::weight_grid grid) {
  for (const auto& block : t.blocks)
    for (const auto& head : block.attention->heads)
      for (const fpx::rmatrix* m : {&head.query.weight, &head.key.weight, &head.value.weight}) {
        fpx::mlp one;
        one.layers.push_back({{*m, {}}, fpx::activation::identity});
        if (!fpx::grid_scales(one, grid)) return false;
      }
  return true;
}

}  // namespace

TEST_CASE("the mean-attention block computes g(mean) exactly and carries g's certificate") {
  const auto exact = fpx::spec_preset("exact");
  fpx::random_stream r(7, 0);
  for (const char* name : {"sine", "square"}) {
    CAPTURE(name);
    const fpx::target_function f = fpx::target(name);
    const fpx::construction c = fpx::construct_ternary(f, 0.05);
    REQUIRE(c.met);
    for (fpx::weight_grid grid : {fpx::weight_grid::ternary, fpx::weight_grid::signed_binary}) {
      const fpx::transformer t = fpx::mean_transformer(c.model, grid);
      CHECK(attention_on_grid(t, grid));
      CHECK(fpx::grid_scales(t.blocks[0].feed_forward, grid));  // the construction has no zeros
      const int d = grid == fpx::weight_grid::signed_binary ? 2 : 1;
      for (int n : {1, 2, 5}) {
        for (int trial = 0; trial < 4; ++trial) {
          fpx::rmatrix x(n, d);
          rational sum = 0;
          for (int i = 0; i < n; ++i) {
            const rational v = rational(static_cast<long long>(r.uniform(0, 1) * 1024), 1024);
            for (int j = 0; j < d; ++j) x(i, j) = v;
            sum += v;
          }
          const rational mean = sum / n;
          const rational out = fpx::evaluate(t, x, exact).exact_output.value()(n - 1, 0);
          fpx::rvector m(1);
          m(0) = mean;
          CHECK(out == fpx::evaluate(c.model, m, exact).exact_output.value()(0, 0));
          CHECK(std::abs(static_cast<double>(out) - f.value(static_cast<double>(mean), 0)) <=
                c.proof.sup_error + 1e-12);
        }
      }
    }
  }
}

TEST_CASE("the zero query is what makes the mean: a query weight of 1 (ternary) or (1, 1) (S1) does not") {
  const auto exact = fpx::spec_preset("exact");
  const fpx::construction c = fpx::construct_ternary(fpx::target("square"), 0.05);
  for (fpx::weight_grid grid : {fpx::weight_grid::ternary, fpx::weight_grid::signed_binary}) {
    fpx::transformer t = fpx::mean_transformer(c.model, grid);
    const bool twice = grid == fpx::weight_grid::signed_binary;
    auto& query = t.blocks[0].attention->heads[0].query.weight;
    if (twice) query << rational(1), rational(1);
    else query << rational(1);
    // Tokens 0 and 1: the mean is 1/2, but the scores 0 and 1 weight the second token more.
    fpx::rmatrix x(2, twice ? 2 : 1);
    for (Eigen::Index j = 0; j < x.cols(); ++j) {
      x(0, j) = 0;
      x(1, j) = 1;
    }
    fpx::rvector m(1);
    m(0) = rational(1, 2);
    CHECK(fpx::evaluate(t, x, exact).exact_output.value()(1, 0) !=
          fpx::evaluate(c.model, m, exact).exact_output.value()(0, 0));
  }
}

TEST_CASE("mean_transformer refuses a g with the wrong shape, and its U1 block is on U1") {
  fpx::mlp two;
  two.layers.push_back({{fpx::rmatrix::Constant(1, 2, rational(1)), fpx::rvector::Constant(1, rational(0))},
                        fpx::activation::identity});
  CHECK_THROWS_AS(fpx::mean_transformer(two, fpx::weight_grid::ternary), std::invalid_argument);
  fpx::mlp id;
  id.layers.push_back({{fpx::rmatrix::Constant(1, 1, rational(1)), fpx::rvector::Constant(1, rational(0))},
                       fpx::activation::identity});
  CHECK(attention_on_grid(fpx::mean_transformer(id, fpx::weight_grid::unsigned_binary), fpx::weight_grid::unsigned_binary));
}
