// Experiment first_equals_last (proofs/first_equals_last.md): a claim of our own, checked with
// the library's claim checker. For each vocabulary V and length n, the construction of
// construct/first_equals_last.hpp is checked on every one of the V^n sequences: at the reference
// spec, then for each quantity at each level of a format family with every other quantity at the
// reference. One row per (V, n, quantity, level); the reference's own row has quantity
// "reference".

#include "fpx/construct/first_equals_last.hpp"

#include <fmt/core.h>

#include <cmath>

#include "fpx/model/json.hpp"
#include "fpx/theory/verify.hpp"
#include "runner/experiment.hpp"

namespace fpx::experiments {
namespace {

const std::vector<std::string> columns{"vocabulary",  "length",          "scale",
                                       "inputs",      "family",          "quantity",
                                       "format",      "level",           "bits",
                                       "wrong",       "correct",         "minimal_bits",
                                       "is_minimal",  "non_monotone",    "counterexample",
                                       "expected",    "divergence_step", "divergence_value",
                                       "reference_value", "status"};

std::string number(double x) { return fmt::format("{}", x); }

void run_experiment(context& ctx) {
  const nlohmann::json& config = ctx.config();
  const auto vocabularies = config["vocabularies"].get<std::vector<int>>();
  const auto lengths = config["lengths"].get<std::vector<int>>();
  const auto quantities = config["quantities"].get<std::vector<std::string>>();
  struct family_levels {
    std::string name, pattern;
    int low = 0, high = 0;
  };
  std::vector<family_levels> families;
  for (const auto& f : config["families"]) {
    const auto levels = f.at("levels").get<std::vector<int>>();
    if (levels.size() != 2)
      throw std::invalid_argument("first_equals_last: a family's levels are [low, high]");
    families.push_back({f.at("name").get<std::string>(), f.at("pattern").get<std::string>(),
                        levels[0], levels[1]});
  }
  const precision_spec reference = config["reference"].is_string()
                                       ? spec_preset(config["reference"].get<std::string>())
                                       : spec_from_json(config["reference"].dump());
  const auto max_inputs = config["max_inputs"].get<std::uint64_t>();
  const readout at_zero = readout::parse("threshold=0");
  const task fel = named_task("first_equals_last");
  for (int v : vocabularies)
    for (int n : lengths)
      ctx.cell(fmt::format("V={} n={}", v, n), [&](table_rows& rows) {
        const int scale = first_equals_last_scale(v, n);
        const long double inputs = std::pow(static_cast<long double>(v), n);
        const auto base = [&](const std::string& family, const std::string& quantity) {
          return std::vector<std::string>{std::to_string(v),
                                          std::to_string(n),
                                          std::to_string(scale),
                                          fmt::format("{:.0f}", static_cast<double>(inputs)),
                                          family,
                                          quantity};
        };
        if (inputs > static_cast<long double>(max_inputs)) {
          auto r = base("", "reference");
          r.insert(r.end(), {"", "", "", "", "", "", "", "", "", "", "", "", "", "skipped"});
          rows.push_back(r);
          return;
        }
        const network model = first_equals_last(v, n, scale);
        const input_space space = input_space::sequences(v, n);
        verify_options check;
        check.threads = ctx.threads();
        const task_check ref = verify(model, reference, fel, space, at_zero, check);
        auto r = base("", "reference");
        r.insert(r.end(), {reference.name, "", "", std::to_string(ref.wrong),
                           ref.correct() ? "1" : "0", "", "", "", "", "", "", "", "", "complete"});
        rows.push_back(r);
        for (const family_levels& family : families) {
          std::vector<std::pair<quantity, format_family>> searched;
          for (const auto& q : quantities)
            searched.emplace_back(parse_quantity(q),
                                  format_family::pattern(family.pattern, family.low, family.high));
          precision_options options;
          options.check = check;
          options.check.max_counterexamples = 1;
          const precision_search search =
              search_precision(model, reference, fel, space, at_zero, searched, options);
          const int min_level = family.low;
          for (const quantity_precision& qp : search.quantities)
            for (std::size_t i = 0; i < qp.levels.size(); ++i) {
              const precision_level& l = qp.levels[i];
              auto row = base(family.name, std::string(to_string(qp.q)));
              const bool minimal =
                  qp.minimal_bits && qp.below ? i == *qp.below + 1 : qp.minimal_bits && i == 0;
              std::string example, expected, step, value, exact;
              if (l.first_failure) {
                example = l.first_failure->input;
                expected = l.first_failure->expected.empty()
                               ? ""
                               : to_fraction_string(l.first_failure->expected.back());
                // Where the quantity under test first changes the reference's evaluation.
                if (l.first_failure->reference_divergence) {
                  step = l.first_failure->reference_divergence->step;
                  value = number(l.first_failure->reference_divergence->first);
                  exact = number(l.first_failure->reference_divergence->second);
                } else if (!l.first_failure->error.empty()) {
                  step = l.first_failure->error;
                }
              }
              row.insert(
                  row.end(),
                  {l.format, std::to_string(min_level + static_cast<int>(i)),
                   std::to_string(l.bits), std::to_string(l.wrong), l.correct ? "1" : "0",
                   qp.minimal_bits ? std::to_string(*qp.minimal_bits) : "", minimal ? "1" : "0",
                   qp.non_monotone ? "1" : "0", example, expected, step, value, exact, "complete"});
              rows.push_back(row);
            }
        }
      });
}

}  // namespace

definition first_equals_last() { return {columns, run_experiment}; }

}  // namespace fpx::experiments
