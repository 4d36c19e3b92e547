// Experiment best_error (proofs/ternary_floor.md, section 6): the best sup error that any
// network of a tiny class reaches on a target as the weight bits drop, by exhaustive
// enumeration with exact arithmetic (theory/best_error.hpp), against the counting bound.
//
// Records (column `record`):
//   point  one (target, grid, width): `status` "complete" when every (multiset, scale) pair was
//          walked, "skipped" when there are more than `budget` of them
//   fit    per (target, width), over the complete signed grids (U1 and exact zeros left out):
//          log2(best error) against `axis` "bits" (a straight line: error exponential in bits,
//          i.e. a power of the number of levels) or "log2_bits" (a power of the bits), with a
//          95% interval that is descriptive only (the errors are exact, not samples); none when
//          the error is the same at every grid

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "runner/experiment.hpp"
#include "fpx/theory/best_error.hpp"
#include "fpx/theory/census.hpp"
#include "fpx/theory/statistics.hpp"

namespace fpx::experiments {
namespace {

const std::vector<std::string> columns{
    "record", "target", "grid", "levels", "weight_bits", "width", "status", "best_error", "best_error_exact",
    "class_bits", "counting_bound", "features", "multisets", "settings", "rechecked", "optimal", "witness",
    "axis", "slope", "slope_low", "slope_high", "r_squared", "points"};

std::string list(const std::vector<rational>& v) {
  std::string s;
  for (const rational& x : v) s += (s.empty() ? "" : " ") + to_fraction_string(x);
  return s;
}

void run_experiment(context& ctx) {
  const nlohmann::json& config = ctx.config();
  const auto targets = config["targets"].get<std::vector<std::string>>();
  const auto grids = config["grids"].get<std::vector<std::string>>();
  const int max_width = config["max_width"];
  const double budget = config["budget"];
  const int bias_bits = config["bias_fraction_bits"];
  const auto exponents = config["scale_exponents"].get<std::vector<int>>();
  if (bias_bits < 0 || bias_bits > 16) throw std::invalid_argument("best_error: bias_fraction_bits must be 0..16");
  std::vector<rational> biases, scales;
  for (int k = -(1 << bias_bits); k <= (1 << bias_bits); ++k) biases.push_back(rational(k) / pow2(bias_bits));
  for (int e : exponents) scales.push_back(pow2(e));
  const unsigned threads = ctx.threads();

  for (const std::string& name : targets)
    ctx.cell(fmt::format("target={}", name), [&](table_rows& rows) {
      const target_function f = target(name);
      // Per width, the complete signed grids' (bits, log2 best error) for the fits.
      std::map<int, std::pair<std::vector<double>, std::vector<double>>> fits;
      for (const std::string& grid : grids) {
        const std::vector<rational> levels = census_levels(grid);
        const double weight_bits = std::log2(static_cast<double>(levels.size()));
        for (int width = 1; width <= max_width; ++width) {
          // Every weight and bias of the class, and the scale, counted in bits (d is free).
          const double class_bits =
              width * (2 * weight_bits + std::log2(static_cast<double>(biases.size()))) +
              std::log2(static_cast<double>(scales.size()));
          std::vector<std::string> r{"point", name, grid, std::to_string(levels.size()),
                                     fmt::format("{:.4f}", weight_bits), std::to_string(width)};
          const std::vector<std::string> no_fit(6, "");
          const double size = best_grid_error_size(width, levels, biases, scales);
          if (size > budget) {
            r.insert(r.end(), {"skipped", "", "", fmt::format("{:.4f}", class_bits),
                               fmt::format("{:.6g}", lipschitz_counting_bound(class_bits)), "",
                               fmt::format("{:.6g}", size / static_cast<double>(scales.size())), "", "", "", ""});
            r.insert(r.end(), no_fit.begin(), no_fit.end());
            rows.push_back(r);
            continue;
          }
          const best_error_result b = best_grid_error(f, width, levels, biases, scales, budget, threads);
          const std::string witness = fmt::format("a=[{}] c=[{}] v=[{}] scale={} bias={}", list(b.a), list(b.c),
                                                  list(b.v), to_fraction_string(b.scale), to_fraction_string(b.bias));
          const double error = static_cast<double>(b.error);
          r.insert(r.end(), {"complete", fmt::format("{:.17g}", error), to_fraction_string(b.error),
                             fmt::format("{:.4f}", class_bits), fmt::format("{:.6g}", lipschitz_counting_bound(class_bits)),
                             std::to_string(b.features), fmt::format("{:.6g}", b.multisets),
                             fmt::format("{:.6g}", b.settings), std::to_string(b.rechecked), std::to_string(b.optimal),
                             witness});
          r.insert(r.end(), no_fit.begin(), no_fit.end());
          rows.push_back(r);
          if (grid != "u1" && b.error > 0) {
            fits[width].first.push_back(weight_bits);
            fits[width].second.push_back(std::log2(error));
          }
        }
      }
      for (const auto& [width, points] : fits) {
        // A flat series (the same error at every grid) has no line to fit: no row.
        if (points.first.size() < 3 ||
            std::all_of(points.second.begin(), points.second.end(), [&](double y) { return y == points.second.front(); }))
          continue;
        std::vector<double> log_bits;
        for (double x : points.first) log_bits.push_back(std::log2(x));
        for (const auto& [axis, xs] : {std::pair{std::string("bits"), points.first}, std::pair{std::string("log2_bits"), log_bits}}) {
          const line_fit fit = fit_line(xs, points.second);
          std::vector<std::string> r{"fit", name, "", "", "", std::to_string(width)};
          r.resize(columns.size() - 6);
          r.insert(r.end(), {axis, fmt::format("{:.6g}", fit.slope), fmt::format("{:.6g}", fit.slope_low),
                             fmt::format("{:.6g}", fit.slope_high), fmt::format("{:.6g}", fit.r_squared),
                             std::to_string(fit.points)});
          rows.push_back(r);
        }
      }
    });
}

}  // namespace

definition best_error() { return {columns, run_experiment}; }

}  // namespace fpx::experiments
