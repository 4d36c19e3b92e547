// Experiment bit_degradation (proofs/ternary_floor.md): how far fixed
// networks move when their weights are quantized to n bits, against the product-of-norms
// bound, with least-squares fits of log2 deviation against n and against log2 K.
//
// Records (column `record`):
//   point  one (network, quantizer): exact sup and RMS deviation over [0, 1] and the bound
//   fit    log2(sup deviation) or log2(bound) against `axis` (bits n, or log2 K with K = 2^n - 1
//          levels) over the intN points of one network and grouping, with a 95% interval
// Interpolant networks are quantized per tensor only (per channel gives the same weights there).

#include <fmt/core.h>

#include <cmath>

#include "runner/experiment.hpp"
#include "fpx/theory/degradation.hpp"

namespace fpx::experiments {
namespace {

const std::vector<std::string> columns{
    "record", "network", "quantizer", "grouping", "bits", "information_bits", "levels",
    "sup_deviation", "rms_deviation", "bound", "quantity", "axis", "slope", "slope_low",
    "slope_high", "r_squared", "points"};

std::string number(double x) { return fmt::format("{}", x); }

struct named_network {
  std::string name;
  mlp model;
  // Interpolants have one hidden weight per row, all 1 (exact under either grouping), and one
  // output row, whose channel is the tensor: per-channel rows would repeat the per-tensor
  // deviations at a higher storage cost, so they are not produced.
  bool per_channel = true;
};

std::vector<named_network> networks(const nlohmann::json& config) {
  std::vector<named_network> out;
  const auto widths = config["random_widths"].get<std::vector<int>>();
  for (auto seed : config["random_seeds"].get<std::vector<std::uint64_t>>())
    out.push_back({fmt::format("random_{}", seed), random_mlp(widths, seed)});
  for (const auto& [name, pieces] : config["interpolants"].get<std::map<std::string, int>>())
    out.push_back({fmt::format("{}_interpolant_{}", name, pieces), interpolant_network(target(name), pieces), false});
  return out;
}

std::vector<std::string> fit_row(const std::string& network, const std::string& grouping,
                                 const std::string& quantity, const std::string& axis,
                                 const std::vector<double>& x, const std::vector<double>& y) {
  const line_fit f = fit_line(x, y);
  return {"fit", network, "", grouping, "", "", "", "", "", "", quantity, axis, number(f.slope),
          number(f.slope_low), number(f.slope_high), number(f.r_squared), std::to_string(f.points)};
}

void run_experiment(context& ctx) {
  const nlohmann::json& config = ctx.config();
  const int min_bits = config["min_bits"], max_bits = config["max_bits"];
  for (const named_network& net : networks(config))
    ctx.cell(net.name, [&](table_rows& rows) {
      for (const std::string grouping : {"tensor", "channel"}) {
        if (grouping == "channel" && !net.per_channel) continue;
        std::vector<double> bits, log_levels, log_sup, log_bound;
        auto measure = [&](const std::string& quantizer, int n) {
          double storage = 0, information = 0;
          const mlp q = quantize_weights(net.model, quantizer + ":" + grouping, &storage, &information);
          const deviation d = measure_deviation(net.model, q);
          const double bound = static_cast<double>(perturbation_bound(net.model, q, 1));
          const double levels = quantizer == "ternary" ? 3 : std::ldexp(1.0, n) - 1;
          rows.push_back({"point", net.name, quantizer, grouping, number(storage), number(information),
                          number(levels), number(static_cast<double>(d.sup)), number(d.rms),
                          number(bound), "", "", "", "", "", "", ""});
          if (quantizer == "ternary" || d.sup == 0) return;
          bits.push_back(n);
          log_levels.push_back(std::log2(levels));
          log_sup.push_back(std::log2(static_cast<double>(d.sup)));
          log_bound.push_back(std::log2(bound));
        };
        measure("ternary", 0);
        for (int n = min_bits; n <= max_bits; ++n) measure(fmt::format("int{}", n), n);
        rows.push_back(fit_row(net.name, grouping, "sup_deviation", "bits", bits, log_sup));
        rows.push_back(fit_row(net.name, grouping, "sup_deviation", "log2_levels", log_levels, log_sup));
        rows.push_back(fit_row(net.name, grouping, "bound", "bits", bits, log_bound));
      }
    });
}

}  // namespace

definition bit_degradation() { return {columns, run_experiment}; }

}  // namespace fpx::experiments
