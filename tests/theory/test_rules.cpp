// One rule set for attention (model/detail/rules.hpp): the evaluator, the protocol's partial
// states and the threshold search's tables all apply it. Here the three are run side by side on
// random models, for every spec option the protocol and the search accept, and must agree.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <map>
#include <random>
#include <string>

#include "fpx/arith/codec.hpp"
#include "fpx/model/evaluate.hpp"
#include "fpx/theory/protocol.hpp"
#include "fpx/theory/threshold_search.hpp"
#include "models.hpp"

using namespace fpx;

using fpx_test::random_transformer;

TEST_CASE("the protocol's partial states are the evaluator's sums, for every option it accepts") {
  // Formats of every quantity alike, or products and accumulators in their own formats (so that
  // a term is rounded twice and a partial sum lives in a wider format than the values).
  std::vector<precision_spec> bases;
  for (const char* f : {"fixed:s:3:4", "e4m3", "e3m2", "fixed:s:2:5:overflow=saturate"})
    bases.push_back(spec_preset(std::string("uniform(") + f + ")"));
  precision_spec mixed = spec_preset("uniform(e4m3)");
  mixed.formats[static_cast<std::size_t>(quantity::product)] = parse_format("e5m2");
  mixed.formats[static_cast<std::size_t>(quantity::accumulator)] = parse_format("fp16");
  // A narrow denominator with inf and NaN: an e3m2 one (no NaN) stopped 8 of the 12 options
  // without max-subtraction on every model (the exponentials' NaN has no code there).
  mixed.formats[static_cast<std::size_t>(quantity::denominator)] = parse_format("e3m4");
  bases.push_back(mixed);

  std::mt19937 rng(2026);
  std::size_t checked = 0, arithmetic_errors = 0;
  std::map<std::string, std::size_t> checked_by_option;  // every option must run on some model
  for (std::size_t b = 0; b < bases.size(); ++b)
    for (auto where : {accumulation::rounding_points::every_operation, accumulation::rounding_points::fused})
      for (bool subtract_max : {false, true})
        for (round_mode mode : {round_mode::rne, round_mode::rna, round_mode::rtz, round_mode::up,
                                round_mode::down, round_mode::rto})
          for (int trial = 0; trial < 2; ++trial) {
            precision_spec spec = bases[b];
            spec.where = where;
            spec.subtract_max = subtract_max;
            spec.rule = {mode, 0};
            const transformer t = random_transformer(rng);
            const std::string label = fmt::format("{} {} max={} {}", spec.name, to_string(where), subtract_max,
                                                  to_string(mode));
            CAPTURE(label);
            std::size_t& option_count = checked_by_option[fmt::format("base {}: {}", b, label)];
            try {
              const protocol p(t, spec, split_input::binary(2, 2, {2}));
              for (std::uint64_t x = 0; x < 4; ++x)
                for (std::uint64_t y = 0; y < 4; ++y) {
                  const auto final = p.final_state(p.alice_state(x, p.bob_message(y)), y);
                  // Throws std::logic_error when a simulated sum differs from the evaluator's.
                  CHECK_NOTHROW(p.checked_output(final, x, y));
                  ++checked;
                }
              ++option_count;  // a model compared on all 16 pairs
            } catch (const std::domain_error&) {  // NaN where a format has none: not a rule
              ++arithmetic_errors;
            } catch (const std::overflow_error&) {
              ++arithmetic_errors;
            }
          }
  MESSAGE(checked << " pairs checked, " << arithmetic_errors << " models stopped by their arithmetic");
  // Each of the 5 x 2 x 2 x 6 option settings ran to the end on at least one of its two random
  // models (a model stops only where its arithmetic produces a NaN or overflows where the format
  // has none), and most models ran.
  for (const auto& entry : checked_by_option) {
    const std::string& option = entry.first;
    CAPTURE(option);
    CHECK(entry.second >= 1);
  }
  CHECK(checked >= 16 * 5 * 2 * 2 * 6 * 2 * 3 / 4);
}

TEST_CASE("the search's tables are the evaluator's on random settings of its class") {
  std::mt19937 rng(7);
  std::size_t settings = 0;
  for (const char* name : {"fixed:s:1:1", "fixed:s:0:3", "fixed:s:2:1", "e2m1", "e3m1", "e2m2_fn"}) {
    const format f = parse_format(name);
    std::vector<code_t> finite;  // the values a setting takes: finite, -0 left out
    for (code_t c = 0; c < (code_t{1} << f.bits()); ++c)
      if (is_valid_code(f, c) && classify(f, c) != number_class::nan && classify(f, c) != number_class::infinite &&
          !(classify(f, c) == number_class::zero && is_negative(f, c)))
        finite.push_back(c);
    std::uniform_int_distribution<std::size_t> pick(0, finite.size() - 1);
    const precision_spec spec = separation_spec(f);
    for (int n = 1; n <= 3; ++n)
      for (int trial = 0; trial < 6; ++trial) {
        std::vector<code_t> values;
        for (int i = 0; i < 4 * n + 1; ++i) values.push_back(finite[pick(rng)]);
        const auto tables = separation_outputs(f, n, values);
        const transformer t = separation_model(f, n, values);
        const std::size_t inputs = std::size_t{1} << n;
        for (std::size_t x = 0; x < inputs; ++x)
          for (std::size_t y = 0; y < inputs; ++y) {
            const evaluation e = evaluate(t, separation_tokens(n, x, y), spec, {.last_position_only = true});
            const code_t table = tables[x * inputs + y];
            const std::string label = name;
            CAPTURE(label);
            CAPTURE(n);
            const number_class k = classify(f, table);
            if (k == number_class::nan || k == number_class::infinite) {  // compared as doubles
              const double want = to_double(f, table), got = e.output(0, 0);
              CHECK((std::isnan(want) ? std::isnan(got) : got == want));
            } else {
              REQUIRE(e.exact_output);
              CHECK((*e.exact_output)(0, 0) == to_rational(f, table));
            }
          }
        ++settings;
      }
  }
  CHECK(settings == 6 * 3 * 6);
}
