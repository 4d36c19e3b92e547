// Experiment capacity_census (proofs/ternary_floor.md): how many Boolean
// functions of k inputs the networks with one hidden layer of ReLU units can realise, for
// every weight grid, counted by exhaustive enumeration (census.hpp).
//
// One row per (inputs, grid, width). `status` is "complete" when every network was examined
// (or the count reached every function), "skipped" when the reduced space is larger than
// `budget` (divided by k!: only one multiset per orbit of the input permutations is read out)
// and the previous width had not already reached every function.

#include <fmt/core.h>

#include <cmath>

#include "runner/experiment.hpp"
#include "fpx/theory/census.hpp"

namespace fpx::experiments {
namespace {

const std::vector<std::string> columns{
    "inputs", "grid", "levels", "information_bits", "width", "functions", "possible", "features",
    "reduced_networks", "networks", "status"};

void run_experiment(context& ctx) {
  const nlohmann::json& config = ctx.config();
  const auto inputs_list = config["inputs"].get<std::vector<int>>();
  const auto grids = config["grids"].get<std::vector<std::string>>();
  const int max_width = config["max_width"];
  const double budget = config["budget"];
  const int bias_halves = config["bias_halves"];
  std::vector<rational> biases;
  for (int k = -bias_halves; k <= bias_halves; ++k) biases.push_back(rational(k, 2));
  const unsigned threads = ctx.threads();

  for (int inputs : inputs_list)
    for (const std::string& grid : grids)
      ctx.cell(fmt::format("inputs={} grid={}", inputs, grid), [&](table_rows& rows) {
        const std::vector<rational> levels = census_levels(grid);
        const double information = std::log2(static_cast<double>(levels.size()));
        bool previous_full = false;
        for (int width = 1; width <= max_width; ++width) {
          // The walk reads out about one multiset in k! (the input permutations' orbits).
          double permutations = 1;
          for (int i = 2; i <= inputs; ++i) permutations *= i;
          const double size = census_size(inputs, width, levels, biases);
          std::vector<std::string> r{std::to_string(inputs), grid, std::to_string(levels.size()),
                                     fmt::format("{:.4f}", information), std::to_string(width)};
          if (size / permutations > budget && !previous_full) {
            r.insert(r.end(), {"", std::to_string(std::uint64_t{1} << (1 << inputs)), "",
                               fmt::format("{:.6g}", size), "", "skipped"});
            rows.push_back(r);
            continue;
          }
          const census_result c = census(inputs, width, levels, biases, threads);
          previous_full = c.functions == c.possible;
          r.insert(r.end(), {std::to_string(c.functions), std::to_string(c.possible),
                             std::to_string(c.features), fmt::format("{:.6g}", c.reduced_networks),
                             fmt::format("{:.6g}", c.networks), "complete"});
          rows.push_back(r);
        }
      });
}

}  // namespace

definition capacity_census() { return {columns, run_experiment}; }

}  // namespace fpx::experiments
