// Experiment threshold_search (proofs/every_bit_counts.md): the exhaustive search of the class
// "uniform scores, free values" (theory/threshold_search.hpp) for chosen formats and n, with
// every unit's node count, for searches larger than equality_threshold's and for measuring how
// the search spreads over threads and MPI ranks (bench/scaling.sh).
//
// One cell per (format, n); one row per cell. A search that found nothing and ran to its end
// has its certificate (nodes per level, digest) replayed by check_separation_certificate
// (`replayed` = 1). `unit_nodes` lists the nodes of each unit (one unit per pair of Alice's
// first values) so that a run's unit costs (unit_costs.json) can be set against the work each
// unit did.

#include "fpx/theory/threshold_search.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include "fpx/arith/codec.hpp"
#include "runner/experiment.hpp"

namespace fpx::experiments {
namespace {

const std::vector<std::string> columns{
    "format", "total_bits",     "n",       "found",      "complete", "nodes",   "units",
    "settings_total", "witness", "unit_nodes", "level_nodes", "digest", "replayed"};

void run_experiment(context& ctx) {
  const nlohmann::json& config = ctx.config();
  const auto formats = config["formats"].get<std::vector<std::string>>();
  const int n_from = config["n_from"], n_to = config["n_to"];
  const auto budget = config["node_budget"].get<std::uint64_t>();
  if (n_from < 1 || n_to < n_from || n_to > 12)
    throw std::invalid_argument("threshold_search: 1 <= n_from <= n_to <= 12");
  for (const auto& name : formats) {
    const format f = parse_format(name);
    if (f.bits() > 8)
      throw std::invalid_argument("threshold_search: " + name + " has more than 8 bits");
    for (int n = n_from; n <= n_to; ++n)
      ctx.cell(fmt::format("search {} n={}", name, n), [&](table_rows& rows) {
        const separation_search s = search_equality_separation(f, n, budget, ctx.threads());
        std::string witness, nodes;
        for (code_t c : s.values)
          witness += (witness.empty() ? "" : " ") + to_fraction_string(to_rational(f, c));
        for (auto u : s.unit_nodes) nodes += (nodes.empty() ? "" : " ") + std::to_string(u);
        // A complete "no setting": its certificate replayed by separate code (the run stops if
        // it does not match).
        std::string replayed = "0";
        if (!s.found && s.complete) {
          const separation_replay r = check_separation_certificate(f, n, s, ctx.threads());
          if (!r.matches)
            throw std::logic_error("search " + name + " n=" + std::to_string(n) +
                                   ": the certificate does not replay: " + r.reason);
          replayed = "1";
        }
        rows.push_back({name, std::to_string(f.bits()), std::to_string(n), s.found ? "1" : "0",
                        s.complete ? "1" : "0", std::to_string(s.nodes),
                        std::to_string(s.unit_nodes.size()), std::to_string(s.settings_total),
                        witness, nodes, fmt::format("{}", fmt::join(s.level_nodes, " ")),
                        fmt::format("{:016x}", s.digest), replayed});
      });
  }
}

}  // namespace

definition threshold_search() { return {columns, run_experiment}; }

}  // namespace fpx::experiments
