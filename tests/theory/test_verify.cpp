// Checking one's own claims (theory/verify.hpp): input spaces, tasks and readouts by hand; verify
// against a loop over evaluate(); shards and threads; the fewest bits per quantity on a network
// whose answer is derived by hand; an interval bound by hand.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <numeric>

#include "fpx/model/evaluate.hpp"
#include "fpx/model/json.hpp"
#include "fpx/theory/verify.hpp"

using fpx::rational;

namespace {

fpx::rmatrix matrix(std::initializer_list<std::initializer_list<rational>> rows) {
  fpx::rmatrix m(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rows.begin()->size()));
  Eigen::Index i = 0;
  for (const auto& r : rows) {
    Eigen::Index k = 0;
    for (const auto& v : r) m(i, k++) = v;
    ++i;
  }
  return m;
}

// A one-layer transformer for first = last over tokens 0..2 (d_model 2: the token's value and a
// first-position flag). The last query attends to position 0 with logit 8 (others 0), so the
// head returns about t_0; a ReLU pair reads |t_0 - t_last| and the readout 1/2 - that, so that
// the output is >= 0 iff t_0 = t_last when the attention leaks less than 1/2.
fpx::transformer first_equals_last(int length) {
  fpx::transformer t;
  t.token_embedding = matrix({{0, 0}, {1, 0}, {2, 0}});
  t.positional = fpx::rmatrix::Zero(length, 2);
  t.positional(0, 1) = 1;  // the first position's flag
  fpx::attention_layer a;
  // Keys read the flag, the query is constant 8: logit 8 at position 0, 0 elsewhere.
  a.heads.push_back({{matrix({{0, 0}}), fpx::rvector::Constant(1, rational(8))},
                     {matrix({{0, 1}}), {}},
                     {matrix({{1, 0}}), {}}});
  a.output = {matrix({{-1}, {0}}), {}};  // x_0 <- t_last - (attended t_0)
  fpx::mlp ff;
  ff.layers.push_back({{matrix({{1, 0}, {-1, 0}}), {}}, fpx::activation::relu});  // (d)+, (-d)+
  ff.layers.push_back({{matrix({{-1, -1}, {0, 0}}), {}}, fpx::activation::identity});
  t.blocks.push_back({a, true, ff, false});
  fpx::rvector half(1);
  half(0) = rational(1, 2);
  t.readout.layers.push_back({{matrix({{1, 0}}), half}, fpx::activation::identity});  // 1/2 - |d|
  return t;
}

// What verify should find, computed here with a plain loop over evaluate().
struct loop_result {
  std::uint64_t wrong = 0;
  std::vector<std::uint64_t> failing;
};

loop_result check_by_loop(const fpx::transformer& t, const fpx::precision_spec& spec, int vocabulary, int length) {
  loop_result out;
  std::vector<int> tokens(static_cast<std::size_t>(length), 0);
  std::uint64_t k = 0;
  while (true) {
    bool ok = false;
    try {
      const auto e = fpx::evaluate(t, tokens, spec, {false, true, 0});
      ok = e.exact_output && (((*e.exact_output)(0, 0) >= 0) == (tokens.front() == tokens.back()));
    } catch (const std::domain_error&) {
    }
    if (!ok) {
      ++out.wrong;
      out.failing.push_back(k);
    }
    ++k;
    int i = length - 1;
    while (i >= 0 && ++tokens[static_cast<std::size_t>(i)] == vocabulary) tokens[static_cast<std::size_t>(i--)] = 0;
    if (i < 0) break;
  }
  return out;
}

}  // namespace

TEST_CASE("input spaces number their inputs as documented") {
  const auto s = fpx::input_space::sequences(3, 2);
  CHECK(s.size() == 9);
  CHECK(s.tokens(0) == std::vector<int>{0, 0});
  CHECK(s.tokens(5) == std::vector<int>{1, 2});  // position 0 varies slowest: 5 = 1 * 3 + 2
  CHECK(s.describe(7) == "2 1");
  const auto b = fpx::input_space::bit_strings({2, 3});
  CHECK(b.size() == 32);
  CHECK(b.tokens(0b10110) == std::vector<int>{1, 0, 1, 1, 0});
  CHECK(b.vector(0b00001)(4) == 1);
  const auto l = fpx::input_space::token_list({{0, 4}, {2}});
  CHECK((l.size() == 2 && l.vocabulary() == 5 && l.tokens(1) == std::vector<int>{2}));
  CHECK_THROWS_AS(fpx::input_space::sequences(4, 40), std::invalid_argument);
  CHECK_THROWS_AS(fpx::input_space::vector_list({}).tokens(0), std::out_of_range);
}

TEST_CASE("the named tasks, by hand") {
  const auto seq = fpx::input_space::token_list({{2, 0, 1, 2}, {1, 1, 0, 0}, {0, 3, 3, 1}});
  const auto value = [&](const char* name, std::uint64_t k) { return fpx::named_task(name).expected(seq, k); };
  CHECK(value("first_equals_last", 0) == std::vector<rational>{1});
  CHECK(value("first_equals_last", 1) == std::vector<rational>{0});
  CHECK(value("equality", 0) == std::vector<rational>{0});     // (2, 0) vs (1, 2)
  CHECK(value("parity", 2) == std::vector<rational>{1});       // 3 nonzero
  CHECK(value("majority", 1) == std::vector<rational>{0});     // 2 of 4 is not more than half
  CHECK(value("majority", 2) == std::vector<rational>{1});
  CHECK(value("membership", 0) == std::vector<rational>{1});   // 2 occurs before the end
  CHECK(value("membership", 2) == std::vector<rational>{0});
  CHECK(value("counting", 0) == std::vector<rational>{2});
  CHECK(value("copy", 2) == std::vector<rational>{0, 3, 3, 1});
  CHECK(value("sorting", 0) == std::vector<rational>{0, 1, 2, 2});
  const auto pairs = fpx::input_space::bit_strings({2, 2});
  CHECK(fpx::named_task("equality").expected(pairs, 0b1010) == std::vector<rational>{1});
  CHECK(fpx::named_task("equality").expected(pairs, 0b1011) == std::vector<rational>{0});
  CHECK_THROWS_AS(fpx::named_task("palindrome"), std::invalid_argument);
  CHECK(fpx::named_task("copy").every_position);
}

TEST_CASE("readouts, by hand") {
  using row = std::optional<std::vector<rational>>;
  const auto threshold = fpx::readout::parse("threshold=1/2");
  CHECK(threshold.correct(row{{rational(1, 2)}}, 1));
  CHECK(threshold.correct(row{{rational(1, 3)}}, 0));
  CHECK_FALSE(threshold.correct(row{{rational(1, 3)}}, 1));
  CHECK_FALSE(threshold.correct(std::nullopt, 1));  // NaN or infinite: never right
  const auto argmax = fpx::readout::parse("argmax");
  CHECK(argmax.correct(row{{1, 5, 2}}, 1));
  CHECK_FALSE(argmax.correct(row{{5, 5, 2}}, 0));  // a tie is no class
  CHECK(fpx::readout::parse("sign").correct(row{{0}}, 0));
  CHECK(fpx::readout::parse("tolerance=1/8").correct(row{{rational(9, 8)}}, 1));
  CHECK_FALSE(fpx::readout::parse("tolerance=1/8").correct(row{{rational(10, 8)}}, 1));
  CHECK(fpx::readout::parse("exact").correct(row{{3}}, 3));
  CHECK_THROWS_AS(fpx::readout::parse("exact").correct(row{{1, 2}}, 1), std::invalid_argument);
  CHECK_THROWS_AS(fpx::readout::parse("threshold"), std::invalid_argument);
  CHECK_THROWS_AS(fpx::readout::parse("rounding"), std::invalid_argument);
  CHECK(fpx::readout::parse("threshold=0.25").name() == "threshold=1/4");
}

TEST_CASE("verify counts what a loop over evaluate() counts, on any threads and in shards") {
  const int length = 5, vocabulary = 3;
  const fpx::transformer t = first_equals_last(length);
  const auto space = fpx::input_space::sequences(vocabulary, length);
  const auto task = fpx::named_task("first_equals_last");
  const auto at_zero = fpx::readout::parse("threshold=0");  // 1 iff the output is >= 0
  for (const char* preset : {"exact", "fixed(12,6)", "fixed(8,4)", "fixed(6,2)", "float(4,3)"}) {
    const auto spec = fpx::spec_preset(preset);
    CAPTURE(preset);
    const auto want = check_by_loop(t, spec, vocabulary, length);
    fpx::verify_options o;
    o.unit = 17;  // units that do not divide the space
    o.threads = 1;
    const auto one = fpx::verify(t, spec, task, space, at_zero, o);
    o.threads = 3;
    const auto three = fpx::verify(t, spec, task, space, at_zero, o);
    CHECK(one.checked == space.size());
    CHECK(one.wrong == want.wrong);
    CHECK(three.wrong == want.wrong);
    REQUIRE(one.counterexamples.size() == std::min<std::size_t>(4, want.failing.size()));
    for (std::size_t i = 0; i < one.counterexamples.size(); ++i) {
      CHECK(one.counterexamples[i].index == want.failing[i]);
      CHECK(three.counterexamples[i].index == want.failing[i]);
      CHECK(one.counterexamples[i].input == space.describe(want.failing[i]));
    }
    // Two shards joined in order are the whole.
    o.end = 100;
    auto first = fpx::verify(t, spec, task, space, at_zero, o);
    o.begin = 100;
    o.end = UINT64_MAX;
    first.merge(fpx::verify(t, spec, task, space, at_zero, o), 4);
    CHECK(first.wrong == one.wrong);
    CHECK(first.by_class.at("1").wrong == one.by_class.at("1").wrong);
    CHECK(first.counterexamples.size() == one.counterexamples.size());
    for (std::size_t i = 0; i < first.counterexamples.size(); ++i)
      CHECK(first.counterexamples[i].index == one.counterexamples[i].index);
    MESSAGE(fmt::format("{}: {} wrong of {}", preset, one.wrong, one.checked));
    if (std::string(preset) == "exact") CHECK(one.correct());
  }
}

TEST_CASE("stacks of blocks: verify and the precision search on a two-block transformer") {
  // first = last, then a second block: its head averages the first coordinate over every
  // position (all logits 0) and adds 3/16 of it to the first coordinate; its MLP has four units
  // relu(x_0 + 1) and adds (-9/10, 1/5, 1/5, 1/2) . h = 0 to x_0, exactly. So the exact answer
  // is block 0's: equal ends give x_0 = 0 and at most -3/8 after the head, unequal ones
  // x_0 <= -1. Rounded, the second block's weights need not cancel (below); in the reference,
  // float(8,23), they cancel to within 2^-24.
  const int length = 4, vocabulary = 3;
  fpx::transformer t = first_equals_last(length);
  fpx::attention_layer a;
  a.heads.push_back({{matrix({{0, 0}}), {}}, {matrix({{0, 0}}), {}}, {matrix({{1, 0}}), {}}});
  a.output = {matrix({{rational(3, 16)}, {0}}), {}};
  fpx::mlp ff;
  ff.layers.push_back({{matrix({{1, 0}, {1, 0}, {1, 0}, {1, 0}}), fpx::rvector::Constant(4, rational(1))},
                       fpx::activation::relu});
  ff.layers.push_back({{matrix({{rational(-9, 10), rational(1, 5), rational(1, 5), rational(1, 2)}, {0, 0, 0, 0}}), {}},
                       fpx::activation::identity});
  t.blocks.push_back({a, true, ff, true});
  REQUIRE(t.blocks.size() == 2);
  const auto space = fpx::input_space::sequences(vocabulary, length);
  const auto task = fpx::named_task("first_equals_last");
  const auto at_zero = fpx::readout::parse("threshold=0");
  bool some_wrong = false;
  for (const char* preset : {"exact", "fixed(12,6)", "fixed(8,4)", "fixed(6,2)", "float(4,3)", "float(3,2)"}) {
    CAPTURE(preset);
    const auto spec = fpx::spec_preset(preset);
    const auto want = check_by_loop(t, spec, vocabulary, length);
    fpx::verify_options o;
    o.unit = 7;
    o.threads = 2;
    const auto got = fpx::verify(t, spec, task, space, at_zero, o);
    CHECK(got.wrong == want.wrong);
    if (!want.failing.empty()) {
      REQUIRE_FALSE(got.counterexamples.empty());
      CHECK(got.counterexamples.front().index == want.failing.front());
    }
    if (std::string(preset) == "exact") CHECK(got.correct());
    some_wrong = some_wrong || want.wrong > 0;
  }
  CHECK(some_wrong);  // the loop above compared something that can fail

  // The precision search on the stack: each level's verdict is verify's with that quantity's
  // format set by hand in the reference spec (every block's weights take it).
  const auto reference = fpx::spec_preset("float(8,23)");
  fpx::precision_options options;
  options.check.threads = 2;
  const auto family = fpx::format_family::pattern("fixed:s:2:{}", 0, 5);
  const auto result = fpx::search_precision(t, reference, task, space, at_zero, {{fpx::quantity::weight, family}}, options);
  CHECK(result.reference_wrong == 0);
  REQUIRE(result.quantities.size() == 1);
  bool some_level_fails = false;
  for (const auto& level : result.quantities[0].levels) {
    CAPTURE(level.format);
    fpx::precision_spec spec = reference;
    spec.formats[static_cast<std::size_t>(fpx::quantity::weight)] = fpx::parse_format(level.format);
    const auto by_hand = fpx::verify(t, spec, task, space, at_zero, options.check);
    CHECK(level.correct == by_hand.correct());
    some_level_fails = some_level_fails || !by_hand.correct();
  }
  CHECK(some_level_fails);
  // By hand: the MLP's weights round to -1, 0, 0, 0 in fixed:s:2:0 and to -1, 0, 0, 1/2 in
  // fixed:s:2:1 (the head's 3/16 to 0 in both). With equal ends and some other token, x_0 = -e (e > 0:
  // block 0's attention leaks a little) and h = 1 - e, so the output is 1/2 - e - (1 - e) or
  // 1/2 - e - (1 - e)/2 = -e/2: below 0, wrong, first at the second block's weights. In
  // fixed:s:2:2 they are -1, 1/4, 1/4, 1/2 and cancel. So 5 bits, fixed:s:2:1 one below.
  const auto& w = result.quantities[0];
  REQUIRE(w.minimal_bits);
  CHECK(*w.minimal_bits == 5);
  REQUIRE(w.below);
  const auto& below = w.levels[*w.below];
  CHECK(below.format == "fixed:s:2:1");
  REQUIRE(below.first_failure);
  REQUIRE(below.first_failure->reference_divergence);
  CHECK(below.first_failure->reference_divergence->step.starts_with("blocks[1]."));
  CHECK_FALSE(w.non_monotone);
}

TEST_CASE("a counterexample comes with its trace and the step where it leaves exact arithmetic") {
  const fpx::transformer t = first_equals_last(5);
  const auto c = fpx::verify(t, fpx::spec_preset("fixed(6,2)"), fpx::named_task("first_equals_last"),
                             fpx::input_space::sequences(3, 5), fpx::readout::parse("threshold=0"));
  REQUIRE_FALSE(c.correct());
  const auto& first = c.counterexamples.front();
  REQUIRE(first.traced);
  REQUIRE(first.first_divergence);
  CHECK_FALSE(first.first_divergence->step.empty());
  CHECK(first.expected.size() == 1);
}

TEST_CASE("the fewest bits of a weight, derived by hand: 3/8 needs three fraction bits") {
  // y = w x with w = 3/8, read exactly against 3x/8 on x in {0, 1}. In fixed:s:0:F (step 2^-F)
  // 3/8 is a value from F = 3; at F = 2 it is the tie between 1/4 and 1/2 and rounds to 1/2
  // (even), so x = 1 is wrong there, at the weight step.
  fpx::mlp m;
  m.layers.push_back({{matrix({{rational(3, 8)}}), {}}, fpx::activation::identity});
  const auto space = fpx::input_space::bit_strings({1});
  const auto expected = fpx::table_task({{0}, {rational(3, 8)}});
  fpx::precision_options options;
  options.check.threads = 1;
  const auto result = fpx::search_precision(m, fpx::spec_preset("fixed(16,8)"), expected, space, fpx::readout::parse("exact"),
                                            {{fpx::quantity::weight, fpx::format_family::pattern("fixed:s:0:{}", 1, 6)}},
                                            options);
  CHECK(result.reference_wrong == 0);
  REQUIRE(result.quantities.size() == 1);
  const auto& w = result.quantities[0];
  REQUIRE(w.minimal_bits);
  CHECK(*w.minimal_bits == 4);  // fixed:s:0:3: a sign bit and 3 fraction bits
  REQUIRE(w.below);
  const auto& below = w.levels[*w.below];
  CHECK(below.format == "fixed:s:0:2");
  CHECK_FALSE(below.correct);
  REQUIRE(below.first_failure);
  CHECK(below.first_failure->index == 1);
  REQUIRE(below.first_failure->first_divergence);
  CHECK(below.first_failure->first_divergence->step == "mlp.layers[0].linear.weight");
  CHECK(below.first_failure->first_divergence->first == 0.5);
  CHECK_FALSE(w.non_monotone);
  CHECK(result.bottleneck == "weight");

  // An explicit list where more bits can be worse: int5 (integers) holds no 3/8.
  const auto listed = fpx::search_precision(
      m, fpx::spec_preset("fixed(16,8)"), expected, space, fpx::readout::parse("exact"),
      {{fpx::quantity::weight, fpx::format_family::list({"fixed:s:0:2", "fixed:s:0:3", "int5", "fixed:s:1:5"})}}, options);
  CHECK(*listed.quantities[0].minimal_bits == 7);
  CHECK(listed.quantities[0].levels[*listed.quantities[0].below].format == "int5");
  CHECK(listed.quantities[0].non_monotone);

  // Jointly with the output (which must hold 3/8 too: fixed:s:1:F needs F >= 3, 5 bits): the
  // fewest total bits are 4 + 5 = 9.
  options.budget_bits = 16;
  const auto joint = fpx::search_precision(
      m, fpx::spec_preset("fixed(16,8)"), expected, space, fpx::readout::parse("exact"),
      {{fpx::quantity::weight, fpx::format_family::pattern("fixed:s:0:{}", 1, 6)},
       {fpx::quantity::output, fpx::format_family::pattern("fixed:s:1:{}", 1, 6)}},
      options);
  REQUIRE(joint.joint.found);
  CHECK(joint.joint.total_bits == 9);
  CHECK(joint.joint.formats.at("weight") == "fixed:s:0:3");
  CHECK(joint.joint.formats.at("output") == "fixed:s:1:3");
  CHECK(joint.bottleneck == "output");  // 5 bits against the weight's 4
}

TEST_CASE("an interval, by hand: y = x against f(x) = x is off by the inputs' rounding only") {
  // Inputs round into fixed:s:2:4 (step 1/16): to nearest, an input is within 1/32 of its value;
  // toward zero, within 1/16. N(v) = v exactly, so the bound is L = 1 times that.
  fpx::mlp m;
  m.layers.push_back({{matrix({{1}}), {}}, fpx::activation::identity});
  fpx::target_function identity;
  identity.name = "identity";
  identity.value = [](double x, double) { return x; };
  identity.lipschitz = 1;
  fpx::precision_spec spec = fpx::spec_preset("uniform(fixed:s:2:4)");
  const auto nearest = fpx::verify_interval(m, spec, identity, 0, 1);
  CHECK(nearest.sup_error == doctest::Approx(1.0 / 32).epsilon(1e-9));
  CHECK(nearest.largest_at_values == 0);
  CHECK(nearest.values == 17);  // 0, 1/16, ..., 1
  // From 1/25, not a value: inputs round to 1/16, ..., 1 only (0's inputs end at 1/32 < 1/25).
  const auto inside = fpx::verify_interval(m, spec, identity, fpx::rational(1, 25), 1);
  CHECK(inside.values == 16);
  CHECK(inside.sup_error == doctest::Approx(1.0 / 32).epsilon(1e-9));
  spec.rule = {fpx::round_mode::rtz, 0};
  CHECK(fpx::verify_interval(m, spec, identity, 0, 1).sup_error == doctest::Approx(1.0 / 16).epsilon(1e-9));
  identity.lipschitz = 0;
  CHECK_THROWS_AS(fpx::verify_interval(m, spec, identity, 0, 1), std::invalid_argument);
  CHECK_THROWS_AS(fpx::verify_interval(m, fpx::spec_preset("exact"), fpx::target("square"), 0, 1), std::invalid_argument);
}
