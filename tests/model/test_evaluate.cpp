// Networks under the three arithmetics: where they must agree, and hand-checked cases where the
// precision spec decides the result.
#include <doctest/doctest.h>

#include <algorithm>

#include <cmath>
#include <optional>
#include <random>
#include <stdexcept>

#include "fpx/model/evaluate.hpp"
#include "fpx/model/divergence.hpp"
#include "fpx/model/json.hpp"

namespace {

using fpx::bigint;
using fpx::rational;
using fpx::rmatrix;

rmatrix rows(std::initializer_list<std::initializer_list<rational>> values) {
  rmatrix m(static_cast<Eigen::Index>(values.size()),
            static_cast<Eigen::Index>(values.begin()->size()));
  Eigen::Index i = 0;
  for (const auto& r : values) {
    Eigen::Index k = 0;
    for (const auto& v : r) m(i, k++) = v;
    ++i;
  }
  return m;
}

fpx::rvector vec(std::initializer_list<rational> values) {
  fpx::rvector v(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (const auto& x : values) v(i++) = x;
  return v;
}

fpx::linear map(rmatrix w, fpx::rvector b = {}) { return {std::move(w), std::move(b)}; }

// One head reading d_model features; no residuals, no MLP, no readout.
fpx::transformer single_head(rmatrix wq, rmatrix wk, rmatrix wv, fpx::attention_kind kind,
                             fpx::attention_mask mask = fpx::attention_mask::full) {
  fpx::attention_layer a;
  a.heads.push_back({map(std::move(wq)), map(std::move(wk)), map(std::move(wv))});
  a.kind = kind;
  a.mask = mask;
  fpx::transformer t;
  t.blocks.push_back({a, false, {}, false});
  return t;
}

fpx::precision_spec with_formats(std::string_view preset) { return fpx::spec_preset(preset); }

// Parameters drawn uniformly from [-bound, bound] (each double read exactly), in draw order.
struct random_parameters {
  std::mt19937_64 rng;
  std::uniform_real_distribution<double> u;
  random_parameters(std::uint64_t seed, double bound) : rng(seed), u(-bound, bound) {}

  rmatrix matrix(int rows, int cols) {
    Eigen::MatrixXd m(rows, cols);
    for (int i = 0; i < rows; ++i)
      for (int k = 0; k < cols; ++k) m(i, k) = u(rng);
    return fpx::to_rmatrix(m);
  }
  fpx::rvector vector(int n) {
    fpx::rvector v(n);
    for (int i = 0; i < n; ++i) v(i) = rational(u(rng));
    return v;
  }
};

// Draws, in this order, token embeddings (5 tokens), positions (6) of width 4 into t, and a
// two-head attention layer without its output projection.
fpx::attention_layer random_embeddings_and_heads(random_parameters& random, fpx::transformer& t) {
  t.token_embedding = random.matrix(5, 4);
  t.positional = random.matrix(6, 4);
  fpx::attention_layer a;
  for (int h = 0; h < 2; ++h)
    a.heads.push_back({map(random.matrix(3, 4)), map(random.matrix(3, 4)), map(random.matrix(2, 4))});
  return a;
}

// Then, in this order, the attention's 4 x 4 output map (causal mask) and an MLP 4 -> 6 (relu,
// with a bias) -> 4: the parts of a random causal block.
struct causal_block {
  fpx::attention_layer attention;
  fpx::mlp mlp;
};
causal_block random_causal_block(random_parameters& random, fpx::transformer& t) {
  causal_block b{random_embeddings_and_heads(random, t), {}};
  b.attention.output = map(random.matrix(4, 4));
  b.attention.mask = fpx::attention_mask::causal;
  b.mlp.layers.push_back({map(random.matrix(6, 4), random.vector(6)), fpx::activation::relu});
  b.mlp.layers.push_back({map(random.matrix(4, 6)), fpx::activation::identity});
  return b;
}

const fpx::trace_step& step(const fpx::evaluation& e, std::string_view suffix) {
  for (const auto& s : e.trace)
    if (s.name.ends_with(suffix)) return s;
  throw std::runtime_error("no traced step " + std::string(suffix));
}

}  // namespace

TEST_CASE("an MLP whose every value is representable: all three arithmetics agree exactly") {
  // Layer 1: [1 -2; 1/2 1] x + [1/4; -1] at x = (3/2, -3/4) gives (13/4, -1); relu -> (13/4, 0).
  // Layer 2: [1 1] h + 1/2 = 15/4.
  fpx::mlp m;
  m.layers.push_back({map(rows({{1, -2}, {rational(1, 2), 1}}), vec({rational(1, 4), -1})),
                      fpx::activation::relu});
  m.layers.push_back({map(rows({{1, 1}}), vec({rational(1, 2)})), fpx::activation::identity});
  const auto x = vec({rational(3, 2), rational(-3, 4)});
  const auto spec = with_formats("uniform(fp16)");
  const auto rounded = fpx::evaluate(m, x, spec);
  const auto exact = fpx::evaluate(m, x, spec.with_arithmetic(fpx::arithmetic::exact));
  const auto f64 = fpx::evaluate(m, x, spec.with_arithmetic(fpx::arithmetic::float64));
  REQUIRE(rounded.exact_output);
  CHECK((*rounded.exact_output)(0, 0) == rational(15, 4));
  CHECK((*exact.exact_output)(0, 0) == rational(15, 4));
  CHECK(f64.output(0, 0) == 3.75);
  CHECK(!f64.exact_output);
  CHECK(rounded.roundings > 0);
}

TEST_CASE("the summation order decides a rounded sum, as the spec states it") {
  // 1 + 2^-11 + 2^-11 in fp16: left to right both additions are ties and go to 1 (even);
  // pairwise adds the small terms first (2^-10, exact) and reaches 1 + 2^-10; so does one
  // rounding of the exact sum.
  fpx::mlp m;
  const rational tiny = fpx::pow2(-11);
  m.layers.push_back({map(rows({{1, tiny, tiny}})), fpx::activation::identity});
  const auto x = vec({1, 1, 1});
  auto spec = with_formats("uniform(fp16)");
  CHECK(fpx::evaluate(m, x, spec).output(0, 0) == 1.0);
  spec.feature_order = fpx::accumulation::order::pairwise;
  CHECK(fpx::evaluate(m, x, spec).output(0, 0) == 1 + std::ldexp(1, -10));
  spec.feature_order = fpx::accumulation::order::left_to_right;
  spec.where = fpx::accumulation::rounding_points::once_per_dot_product;
  CHECK(fpx::evaluate(m, x, spec).output(0, 0) == 1 + std::ldexp(1, -10));
  CHECK(fpx::equal(*fpx::evaluate(m, x, spec.with_arithmetic(fpx::arithmetic::exact)).exact_output,
                   rows({{1 + 2 * tiny}})));
}

TEST_CASE("where rounding happens: every operation, fused, once per dot product") {
  // -(1 + 2^-9) * 1 + (1 + 2^-10)^2 = 2^-20 exactly. Rounding the product first (fp16 keeps
  // 10 fraction bits) loses its 2^-20 and cancels to 0; an fma keeps it; so does one rounding.
  fpx::mlp m;
  const rational a = 1 + fpx::pow2(-10), b = 1 + fpx::pow2(-9);
  m.layers.push_back({map(rows({{-b, a}})), fpx::activation::identity});
  const auto x = vec({1, a});
  auto spec = with_formats("uniform(fp16)");
  CHECK(fpx::evaluate(m, x, spec).output(0, 0) == 0.0);
  spec.where = fpx::accumulation::rounding_points::fused;
  CHECK(fpx::evaluate(m, x, spec).output(0, 0) == std::ldexp(1, -20));
  spec.where = fpx::accumulation::rounding_points::once_per_dot_product;
  CHECK(fpx::evaluate(m, x, spec).output(0, 0) == std::ldexp(1, -20));
}

TEST_CASE("a softmax weight that rounds to zero: the trace shows where 8 bits part from exact") {
  // Inputs x0 = (1, 0), x1 = (0, 1). Query at position 1: q = 1; keys k0 = -8, k1 = 0, so the
  // logits are (-8, 0); values v0 = 1, v1 = 2. Exactly: (e^-8 + 2) / (e^-8 + 1) < 2.
  // In fixed(8,4) (4 fraction bits) exp(-8) = 0.000335 rounds to 0, so the output is v1 = 2.
  const auto t = single_head(rows({{0, 1}}), rows({{-8, 0}}), rows({{1, 2}}),
                             fpx::attention_kind::softmax);
  const auto x = rows({{1, 0}, {0, 1}});
  const auto spec = with_formats("fixed(8,4)");
  fpx::evaluation_options opt{.trace = true, .last_position_only = true};
  const auto low = fpx::evaluate(t, x, spec, opt);
  const auto ref = fpx::evaluate(t, x, spec.with_arithmetic(fpx::arithmetic::exact), opt);
  CHECK(low.output(0, 0) == 2.0);
  const double e8 = std::exp(-8.0);
  CHECK(ref.output(0, 0) == doctest::Approx((e8 + 2) / (e8 + 1)).epsilon(1e-15));
  CHECK(ref.output(0, 0) < 2.0);
  CHECK(step(low, ".exponentials").values(0, 0) == 0.0);

  const auto d = fpx::first_divergence(low, ref);
  REQUIRE(d);
  CHECK(d->step == "blocks[0].attention.heads[0].exponentials");
  CHECK(d->row == 0);
  CHECK(d->col == 0);
  CHECK(d->first == 0.0);
  CHECK(d->second == doctest::Approx(e8));
}

TEST_CASE("uniform attention with representable values: the spec result equals the exact one") {
  // Query weight 0: every logit is 0 and every exponential exactly 1. Values 1, 2, 3, 2 sum to
  // 8, divided by Z = 4 gives 2 at the last position; the residual adds x3 = 2 and a ReLU
  // readout with weight 1 and bias -1/2 gives 7/2. fixed(10,4) holds every intermediate.
  auto t = single_head(rows({{0}}), rows({{1}}), rows({{1}}), fpx::attention_kind::softmax);
  t.blocks[0].attention_residual = true;
  t.readout.layers.push_back({map(rows({{1}}), vec({rational(-1, 2)})), fpx::activation::relu});
  const auto x = rows({{1}, {2}, {3}, {2}});
  for (bool subtract_max : {false, true})
    for (auto norm : {fpx::softmax_normalization::divide_once,
                      fpx::softmax_normalization::normalize_first}) {
      auto spec = with_formats("fixed(10,4)");
      spec.subtract_max = subtract_max;
      spec.normalization = norm;
      const auto rounded = fpx::evaluate(t, x, spec);
      const auto exact = fpx::evaluate(t, x, spec.with_arithmetic(fpx::arithmetic::exact));
      REQUIRE(rounded.exact_output);
      CHECK((*rounded.exact_output)(3, 0) == rational(7, 2));
      CHECK(fpx::equal(*rounded.exact_output, *exact.exact_output));
    }
}

TEST_CASE("hardmax ties resolve as the spec says") {
  // x0 = (1,0,0), x1 = (1,0,1), x2 = (0,1,0); query at x2: q = 1, keys (1, 1, 0): positions 0
  // and 1 tie. Values 1, 3, 0.
  const auto t = single_head(rows({{0, 1, 0}}), rows({{1, 0, 0}}), rows({{1, 0, 2}}),
                             fpx::attention_kind::hard);
  const auto x = rows({{1, 0, 0}, {1, 0, 1}, {0, 1, 0}});
  for (const char* preset : {"uniform(fp16)", "exact", "float64"}) {
    auto spec = with_formats(preset);
    const fpx::evaluation_options last{.last_position_only = true};
    spec.hard_attention = fpx::hard_attention_rule::leftmost;
    CHECK(fpx::evaluate(t, x, spec, last).output(0, 0) == 1.0);
    spec.hard_attention = fpx::hard_attention_rule::rightmost;
    CHECK(fpx::evaluate(t, x, spec, last).output(0, 0) == 3.0);
    spec.hard_attention = fpx::hard_attention_rule::average;
    CHECK(fpx::evaluate(t, x, spec, last).output(0, 0) == 2.0);
  }
  // The selection step traces the weights: 1/2 on the two tied positions, 0 on the third.
  auto spec = with_formats("exact");
  spec.hard_attention = fpx::hard_attention_rule::average;
  const auto traced = fpx::evaluate(t, x, spec, {.trace = true, .last_position_only = true});
  const auto step = std::find_if(traced.trace.begin(), traced.trace.end(), [](const fpx::trace_step& s) {
    return s.name.size() >= 10 && s.name.compare(s.name.size() - 10, 10, ".selection") == 0;
  });
  REQUIRE(step != traced.trace.end());
  REQUIRE(step->values.rows() == 1);
  REQUIRE(step->values.cols() == 3);
  CHECK(step->exact_at(0, 0) == rational(1, 2));
  CHECK(step->exact_at(0, 1) == rational(1, 2));
  CHECK(step->exact_at(0, 2) == rational(0));
  CHECK(step->values(0, 1) == 0.5);
}

TEST_CASE("the average of maximisers is rounded once, after an exact division") {
  // Values 1 and 1 - 15/16 = 2^-4 (every weight representable) tie; their mean 17/32 needs 5 fraction bits. fixed(8,4) rounds it to
  // 8/16 (17/32 is a tie between 8/16 and 9/16; nearest-even picks 8/16).
  const auto t = single_head(rows({{0, 1, 0}}), rows({{1, 0, 0}}), rows({{1, 0, rational(-15, 16)}}),
                             fpx::attention_kind::hard);
  const auto x = rows({{1, 0, 0}, {1, 0, 1}, {0, 1, 0}});
  auto spec = with_formats("fixed(8,4)");
  spec.hard_attention = fpx::hard_attention_rule::average;
  const fpx::evaluation_options last{.last_position_only = true};
  CHECK(fpx::evaluate(t, x, spec, last).output(0, 0) == 0.5);
  CHECK((*fpx::evaluate(t, x, spec.with_arithmetic(fpx::arithmetic::exact), last).exact_output)(0, 0) ==
        rational(17, 32));
}

TEST_CASE("averaging attention: permuting the keys changes nothing") {
  // Random tokens, no positional encoding, full mask: the last position's output depends on the
  // multiset of the other tokens only, exactly, and under a spec whose sums are rounded once.
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> level(-4, 4), token(0, 3);
  auto random_matrix = [&](int r, int c) {
    rmatrix m(r, c);
    for (int i = 0; i < r; ++i)
      for (int k = 0; k < c; ++k) m(i, k) = rational(level(rng), 4);
    return m;
  };
  auto spec_once = with_formats("fixed(12,6)");
  spec_once.where = fpx::accumulation::rounding_points::once_per_dot_product;
  spec_once.hard_attention = fpx::hard_attention_rule::average;
  auto spec_exact = fpx::spec_preset("exact");
  spec_exact.hard_attention = fpx::hard_attention_rule::average;
  int ties_seen = 0;
  for (int trial = 0; trial < 40; ++trial) {
    fpx::transformer t = single_head(random_matrix(2, 3), random_matrix(2, 3), random_matrix(2, 3),
                                     fpx::attention_kind::hard);
    t.token_embedding = random_matrix(4, 3);
    t.blocks[0].attention_residual = false;
    std::vector<int> tokens(6);
    for (int& tk : tokens) tk = token(rng);
    std::vector<int> permuted = tokens;
    std::shuffle(permuted.begin(), permuted.end() - 1, rng);
    const fpx::evaluation_options opt{.trace = true, .last_position_only = true};
    for (const auto& spec : {spec_once, spec_exact}) {
      const auto a = fpx::evaluate(t, tokens, spec, opt);
      const auto b = fpx::evaluate(t, permuted, spec, opt);
      CHECK(fpx::equal(*a.exact_output, *b.exact_output));
      const auto& sel = step(a, ".selection").values;
      ties_seen += (sel.row(0).array() > 0).count() > 1;
    }
  }
  CHECK(ties_seen > 0);  // the property was exercised on real ties, not only unique maxima
}

TEST_CASE("fixed-point overflow follows the format's policy") {
  // 4 * 3/2 + 4 * 3/2 = 12 exceeds fixed:s:3:4's largest value 7.9375.
  fpx::mlp m;
  m.layers.push_back({map(rows({{4, 4}})), fpx::activation::identity});
  const auto x = vec({rational(3, 2), rational(3, 2)});
  CHECK(fpx::evaluate(m, x, with_formats("uniform(fixed:s:3:4)")).output(0, 0) == 7.9375);
  try {
    fpx::evaluate(m, x, with_formats("uniform(fixed:s:3:4:overflow=error)"));
    FAIL("no overflow error");
  } catch (const std::overflow_error& e) {
    CHECK(std::string(e.what()).starts_with("at mlp.layers[0].linear:"));
  }
}

TEST_CASE("a causal mask hides later keys") {
  const auto t = single_head(rows({{1}}), rows({{1}}), rows({{1}}), fpx::attention_kind::softmax,
                             fpx::attention_mask::causal);
  const auto x = rows({{1}, {2}, {3}});
  const auto e = fpx::evaluate(t, x, with_formats("uniform(fp32)"), {.trace = true});
  CHECK(e.output(0, 0) == 1.0);  // position 0 sees only itself
  const auto& logits = step(e, ".logits").values;
  CHECK(std::isnan(logits(0, 1)));
  CHECK(std::isnan(logits(1, 2)));
  CHECK(logits(2, 2) == 9.0);
}

TEST_CASE("float64 and exact agree closely on a random softmax transformer; fp32 nearly") {
  random_parameters random(11, 1);
  fpx::transformer t;
  const causal_block b = random_causal_block(random, t);
  t.blocks.push_back({b.attention, true, b.mlp, true});
  t.blocks.push_back({b.attention, true, {}, false});
  t.readout.layers.push_back({map(random.matrix(2, 4)), fpx::activation::identity});
  const std::vector<int> tokens{0, 3, 1, 4, 2, 2};
  auto spec = fpx::spec_preset("uniform(fp32)");
  spec.subtract_max = true;
  const auto exact = fpx::evaluate(t, tokens, spec.with_arithmetic(fpx::arithmetic::exact));
  const auto f64 = fpx::evaluate(t, tokens, spec.with_arithmetic(fpx::arithmetic::float64));
  const auto f32 = fpx::evaluate(t, tokens, spec);
  REQUIRE(exact.output.rows() == 6);
  const double scale = exact.output.cwiseAbs().maxCoeff();
  CHECK((f64.output - exact.output).cwiseAbs().maxCoeff() <= 1e-13 * scale);
  const double err32 = (f32.output - exact.output).cwiseAbs().maxCoeff();
  CHECK(err32 <= 1e-5 * scale);
  CHECK(err32 > 0);  // fp32 does round somewhere
  const auto last = fpx::evaluate(t, tokens, spec, {.last_position_only = true});
  CHECK(last.output.row(0) == f32.output.row(5));
}

TEST_CASE("stochastic rounding: same seed, same bits; other seeds, other bits") {
  fpx::mlp m;
  m.layers.push_back({map(rows({{rational(1, 3), rational(1, 7), rational(2, 9)}})),
                      fpx::activation::identity});
  const auto x = vec({rational(1, 5), rational(3, 11), rational(5, 13)});
  auto spec = with_formats("uniform(e4m3)");
  spec.rule = {fpx::round_mode::stochastic, 1};
  const double first = fpx::evaluate(m, x, spec).output(0, 0);
  CHECK(fpx::evaluate(m, x, spec).output(0, 0) == first);
  bool differs = false;
  for (std::uint64_t seed = 2; seed < 40 && !differs; ++seed) {
    spec.rule.seed = seed;
    differs = fpx::evaluate(m, x, spec).output(0, 0) != first;
  }
  CHECK(differs);
}

TEST_CASE("a given position order is followed by the softmax sums") {
  // Exponentials 1, 2^-11, 2^-11 (logits 0, log(2^-11) are not exact; use values instead):
  // uniform attention, values 1, 2^-11, 2^-11 with Z = 3. The numerator left to right stays 1
  // in fp16; summed in the order 1, 2, 0 it is 1 + 2^-10.
  const rational tiny = fpx::pow2(-11);
  const auto t = single_head(rows({{0}}), rows({{0}}), rows({{1}}), fpx::attention_kind::softmax);
  const auto x = rows({{1}, {tiny}, {tiny}});
  auto spec = with_formats("uniform(fp16)");
  const fpx::evaluation_options opt{.trace = true, .last_position_only = true};
  CHECK(step(fpx::evaluate(t, x, spec, opt), ".numerator").values(0, 0) == 1.0);
  spec.position_order = fpx::accumulation::order::given;
  spec.position_permutation = {1, 2, 0};
  CHECK(step(fpx::evaluate(t, x, spec, opt), ".numerator").values(0, 0) == 1 + std::ldexp(1, -10));
  spec.position_permutation = {1, 0};
  CHECK_THROWS_AS(fpx::evaluate(t, x, spec, opt), std::invalid_argument);
}

TEST_CASE("shapes, tokens and inputs are checked with the offending path") {
  auto t = single_head(rows({{1, 0}}), rows({{1, 0, 0}}), rows({{1, 0}}), fpx::attention_kind::softmax);
  auto message = [&](auto&& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const auto spec = fpx::spec_preset("exact");
  CHECK(message([&] { fpx::evaluate(t, rows({{1, 0}}), spec); }) ==
        "blocks[0].attention.heads[0].key.weight has 3 columns, expected 2");
  t.blocks[0].attention->heads[0].key = map(rows({{1, 0}}));
  CHECK(message([&] { fpx::evaluate(t, rows({{1, 0, 0}}), spec); }).find("inputs have 3 columns") !=
        std::string::npos);
  t.token_embedding = rows({{1, 0}, {0, 1}});
  const std::vector<int> bad{0, 2};
  CHECK(message([&] { fpx::evaluate(t, bad, spec); }).find("token 2 at position 1") != std::string::npos);
  fpx::mlp m;
  m.layers.push_back({map(rows({{1, 2}}), vec({1, 2})), fpx::activation::relu});
  CHECK(message([&] { fpx::evaluate(m, vec({1, 2}), spec); }) ==
        "mlp.layers[0].bias has 2 entries, expected 1");
}

TEST_CASE("JSON: a network survives a round trip, exactly") {
  fpx::transformer t = single_head(rows({{rational(1, 3), 0}}), rows({{1, rational(-5, 8)}}),
                                   rows({{2, 1}}), fpx::attention_kind::hard, fpx::attention_mask::causal);
  t.token_embedding = rows({{1, 0}, {0, 1}, {rational(1, 2), rational(1, 2)}});
  t.readout.layers.push_back({map(rows({{1}}), vec({rational(-1, 10)})), fpx::activation::step});
  const std::string text = fpx::to_json(t);
  const auto back = std::get<fpx::transformer>(fpx::network_from_json(text));
  CHECK(fpx::to_json(back) == text);
  const std::vector<int> tokens{2, 0, 1};
  const auto spec = fpx::spec_preset("exact");
  CHECK(fpx::equal(*fpx::evaluate(back, tokens, spec).exact_output,
                   *fpx::evaluate(t, tokens, spec).exact_output));

  const auto mlp = std::get<fpx::mlp>(fpx::network_from_json(
      R"J({"type": "mlp", "layers": [{"weight": [[0.5, "1/3"]], "bias": ["0x1p-3"], "activation": "sign"}]})J"));
  CHECK(mlp.layers[0].map.weight(0, 1) == rational(1, 3));
  CHECK(mlp.layers[0].map.bias(0) == rational(1, 8));
  CHECK(mlp.layers[0].act == fpx::activation::sign);
  CHECK_THROWS_WITH_AS(fpx::network_from_json(R"J({"type": "mlp", "layers": [{"weights": [[1]]}]})J"),
                       "mlp.layers[0]: unknown key 'weights'", std::invalid_argument);
  CHECK_THROWS_WITH_AS(fpx::network_from_json(R"J({"type": "mlp", "layers": [{"weight": [[1, 2], [3]]}]})J"),
                       "mlp.layers[0].weight[1]: rows must be arrays of equal length 2",
                       std::invalid_argument);
  CHECK_THROWS_AS(fpx::network_from_json(R"J({"type": "cnn"})J"), std::invalid_argument);
  // An integer above 2^63 is read exactly (it wrapped to a negative long long), and a residual
  // flag must be a boolean (nlohmann's type_error escaped before).
  const auto big = std::get<fpx::mlp>(fpx::network_from_json(
      R"J({"type": "mlp", "layers": [{"weight": [[18446744073709551615]]}]})J"));
  CHECK(big.layers[0].map.weight(0, 0) == rational(fpx::bigint("18446744073709551615")));
  CHECK_THROWS_WITH_AS(fpx::network_from_json(
                           R"J({"type": "transformer", "blocks": [{"attention_residual": 1}]})J"),
                       "blocks[0].attention_residual must be true or false", std::invalid_argument);
}

TEST_CASE("the fast path and the reference path give the same evaluation, step by step") {
  random_parameters random(5, 2);
  auto random_transformer = [&](fpx::attention_kind kind) {
    fpx::transformer t;
    fpx::attention_layer a = random_embeddings_and_heads(random, t);
    a.output = map(random.matrix(4, 4), random.vector(4));
    a.kind = kind;
    fpx::mlp ff;
    ff.layers.push_back({map(random.matrix(6, 4), random.vector(6)), fpx::activation::relu});
    ff.layers.push_back({map(random.matrix(4, 6)), fpx::activation::clipped_relu});
    t.blocks.push_back({a, true, ff, true});
    t.readout.layers.push_back({map(random.matrix(2, 4)), fpx::activation::identity});
    // Parameters no double holds, which each path must round from the rational itself: not
    // dyadic, and dyadic with 61 significant bits.
    t.token_embedding(1, 2) = rational(1, 3);
    t.positional(0, 1) = rational(-2, 5);
    t.readout.layers[0].map.weight(1, 3) = rational((bigint(1) << 60) + 1, bigint(1) << 61);
    return t;
  };
  auto same = [](double x, double y) { return x == y ? std::signbit(x) == std::signbit(y) : std::isnan(x) && std::isnan(y); };

  // Formats of every kind the fast path takes, modes, accumulation rules and softmax options.
  std::vector<fpx::precision_spec> specs;
  for (const char* preset : {"fixed(8)", "fixed(12,6)", "float(4,3)", "uniform(e4m3)", "uniform(e5m2)",
                             "uniform(e4m3fnuz)", "uniform(e2m3)", "uniform(bf16)", "uniform(fp16)",
                             "uniform(int8:scale=1/16)", "uniform(fixed:s:3:4:overflow=error)",
                             "uniform(e3m2_fn:overflow=saturate)"})
    specs.push_back(fpx::spec_preset(preset));
  auto mixed = fpx::spec_preset("uniform(e4m3)");
  mixed.formats[static_cast<std::size_t>(fpx::quantity::product)] = fpx::preset("fp16");
  mixed.formats[static_cast<std::size_t>(fpx::quantity::accumulator)] = fpx::preset("bf16");
  mixed.formats[static_cast<std::size_t>(fpx::quantity::logit)] = fpx::preset("e5m2");
  mixed.formats[static_cast<std::size_t>(fpx::quantity::exponential)] = fpx::parse_format("fixed:u:1:10");
  mixed.formats[static_cast<std::size_t>(fpx::quantity::denominator)] = fpx::parse_format("fixed:s:5:6");
  specs.push_back(mixed);
  const std::size_t presets = specs.size();
  for (std::size_t k = 0; k < presets; ++k) {
    for (fpx::round_mode mode : {fpx::round_mode::rna, fpx::round_mode::rtz, fpx::round_mode::up,
                                 fpx::round_mode::down, fpx::round_mode::rto}) {
      auto s = specs[k];
      s.rule = {mode, 0};
      specs.push_back(s);
    }
    for (unsigned random_bits : {0u, 5u}) {  // stochastic, and stochastic:bits=5
      auto s = specs[k];
      s.rule = {fpx::round_mode::stochastic, 11, random_bits};
      specs.push_back(s);
    }
    auto s = specs[k];
    s.where = fpx::accumulation::rounding_points::fused;
    s.subtract_max = true;
    specs.push_back(s);
    s.where = fpx::accumulation::rounding_points::once_per_dot_product;
    s.normalization = fpx::softmax_normalization::normalize_first;
    s.feature_order = fpx::accumulation::order::pairwise;
    specs.push_back(s);
    s = specs[k];
    s.position_order = fpx::accumulation::order::given;
    s.position_permutation = {3, 1, 5, 0, 2, 4};
    s.hard_attention = fpx::hard_attention_rule::average;
    specs.push_back(s);
  }

  const std::vector<int> tokens{0, 3, 1, 4, 2, 2};
  std::size_t compared = 0, threw = 0;
  for (auto kind : {fpx::attention_kind::softmax, fpx::attention_kind::hard}) {
    const fpx::transformer t = random_transformer(kind);
    for (const auto& spec : specs) {
      CAPTURE(spec.name);
      CAPTURE(fpx::to_string(spec.rule.mode));
      std::optional<fpx::evaluation> fast, reference;
      std::string fast_error, reference_error;
      try {
        fast = fpx::evaluate(t, tokens, spec, {.trace = true});
      } catch (const std::exception& e) {
        fast_error = e.what();
      }
      try {
        reference = fpx::evaluate(t, tokens, spec, {.trace = true, .reference_arithmetic = true});
      } catch (const std::exception& e) {
        reference_error = e.what();
      }
      CHECK(fast_error == reference_error);
      if (!fast || !reference) {
        threw += !fast_error.empty();
        continue;
      }
      CHECK(fast->roundings == reference->roundings);
      CHECK(fast->exact_output.has_value() == reference->exact_output.has_value());
      if (fast->exact_output && reference->exact_output)
        CHECK(fpx::equal(*fast->exact_output, *reference->exact_output));
      REQUIRE(fast->trace.size() == reference->trace.size());
      for (std::size_t i = 0; i < fast->trace.size(); ++i) {
        const auto &x = fast->trace[i], &y = reference->trace[i];
        REQUIRE(x.name == y.name);
        REQUIRE(x.values.size() == y.values.size());
        for (Eigen::Index j = 0; j < x.values.size(); ++j)
          if (!same(x.values.data()[j], y.values.data()[j])) {
            FAIL_CHECK(x.name << "[" << j << "]: fast " << x.values.data()[j] << " reference "
                              << y.values.data()[j]);
            break;
          }
      }
      ++compared;
    }
  }
  MESSAGE(compared << " evaluations compared, " << threw << " threw alike on both paths");
  CHECK(compared > specs.size());
}

TEST_CASE("a batch gives each input the bits it gives alone, at any thread count") {
  // Input k of a batch numbers its stochastic sites from first_site + k 2^32: evaluated alone
  // with that first_site, it must give the same output; a batch that numbered sites another
  // way (or shared them between inputs) gives other bits in stochastic mode.
  random_parameters random(5, 1.0);
  fpx::transformer t;
  fpx::attention_layer a = random_embeddings_and_heads(random, t);
  a.output = map(random.matrix(4, 4));
  t.blocks.push_back({a, true, {}, true});
  fpx::precision_spec spec = with_formats("fixed(8)");
  spec.rule = {fpx::round_mode::stochastic, 77};
  std::vector<std::vector<int>> tokens;
  for (int k = 0; k < 40; ++k) tokens.push_back({k % 5, (k / 5) % 5, (k * 3) % 5, 1});
  const fpx::evaluation_options options{false, false, 1000};
  const auto one = fpx::evaluate_batch(t, tokens, spec, options, 1);
  const auto three = fpx::evaluate_batch(t, tokens, spec, options, 3);
  REQUIRE(one.size() == tokens.size());
  bool stochastic_mattered = false;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    fpx::evaluation_options alone = options;
    alone.first_site = 1000 + k * fpx::batch_site_stride;
    const auto single = fpx::evaluate(t, tokens[k], spec, alone);
    CHECK(fpx::equal(*one[k].exact_output, *single.exact_output));
    CHECK(fpx::equal(*three[k].exact_output, *single.exact_output));
    CHECK(one[k].roundings == single.roundings);
    const auto shifted = fpx::evaluate(t, tokens[k], spec, options);  // the sites of input 0
    stochastic_mattered = stochastic_mattered || !fpx::equal(*shifted.exact_output, *single.exact_output);
  }
  CHECK(stochastic_mattered);
  // MLP inputs and vector sequences take the same path.
  fpx::mlp m;
  m.layers.push_back({map(random.matrix(3, 2), random.vector(3)), fpx::activation::relu});
  m.layers.push_back({map(random.matrix(1, 3)), fpx::activation::identity});
  std::vector<fpx::rvector> inputs;
  for (int k = 0; k < 20; ++k) inputs.push_back(random.vector(2));
  const auto mlp_batch = fpx::evaluate_batch(m, inputs, spec, options, 2);
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    fpx::evaluation_options alone = options;
    alone.first_site = 1000 + k * fpx::batch_site_stride;
    CHECK(fpx::equal(*mlp_batch[k].exact_output, *fpx::evaluate(m, inputs[k], spec, alone).exact_output));
  }
}

TEST_CASE("a batch's error is its lowest failing input's, whatever the thread count") {
  random_parameters random(6, 1.0);
  fpx::transformer t;
  fpx::attention_layer a = random_embeddings_and_heads(random, t);
  a.output = map(random.matrix(4, 4));
  t.blocks.push_back({a, true, {}, true});
  std::vector<std::vector<int>> tokens(100, std::vector<int>{0, 1, 2});
  tokens[70] = {0, 9};  // token 9: the vocabulary has 5
  tokens[30] = {7};
  for (unsigned threads : {1u, 2u, 4u}) {
    try {
      fpx::evaluate_batch(t, tokens, with_formats("fixed(8)"), {}, threads);
      FAIL("no error");
    } catch (const std::invalid_argument& e) {
      CHECK(std::string(e.what()).starts_with("input 30: "));
    }
  }
}

TEST_CASE("the evaluator's cache (rounded weights, repeated rows) gives evaluate()'s bits and sites") {
  // Two blocks (the second's rows differ between inputs, the first's repeat), a causal mask, a
  // hard-attention variant, an MLP and a readout, under deterministic rules where the cache is
  // on: every input, evaluated through one evaluator on 1 and 3 threads, against evaluate().
  random_parameters random(9, 1.0);
  fpx::transformer t;
  const causal_block b = random_causal_block(random, t);
  fpx::attention_layer second = b.attention;
  second.kind = fpx::attention_kind::hard;
  t.blocks.push_back({b.attention, true, b.mlp, true});
  t.blocks.push_back({second, true, {}, true});
  t.readout.layers.push_back({map(random.matrix(2, 4), random.vector(2)), fpx::activation::identity});
  std::vector<std::vector<int>> tokens;
  for (int k = 0; k < 125; ++k) tokens.push_back({k % 5, (k / 5) % 5, (k / 25) % 5, k % 5});
  for (const char* preset : {"fixed(12,6)", "float(4,5)"})
    for (fpx::round_mode mode : {fpx::round_mode::rne, fpx::round_mode::down}) {
      fpx::precision_spec spec = with_formats(preset);
      spec.rule = {mode, 0};
      spec.subtract_max = true;  // the largest exponential is 1: no 0 / 0
      for (bool last_only : {false, true}) {
        const fpx::evaluation_options options{false, last_only, 0};
        const auto one = fpx::evaluate_batch(t, tokens, spec, options, 1);
        const auto three = fpx::evaluate_batch(t, tokens, spec, options, 3);
        for (std::size_t k = 0; k < tokens.size(); ++k) {
          fpx::evaluation_options alone = options;
          alone.first_site = k * fpx::batch_site_stride;
          const auto single = fpx::evaluate(t, tokens[k], spec, alone);
          CAPTURE(preset);
          CAPTURE(k);
          REQUIRE(single.exact_output);
          CHECK(fpx::equal(*one[k].exact_output, *single.exact_output));
          CHECK(fpx::equal(*three[k].exact_output, *single.exact_output));
          CHECK(one[k].roundings == single.roundings);
          CHECK(three[k].roundings == single.roundings);
        }
      }
    }
}
