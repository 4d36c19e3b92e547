// Experiment ternary_universality (proofs/ternary_floor.md): how large a
// ternary, signed-binary (S1) or unsigned-binary (U1) network must be to approximate a target
// to sup error epsilon, with every error certified.
//
// Records (column `record`):
//   construction  the ternary construction for each epsilon, and an S1 network computing the
//                 same function: the construction itself when it has no zero weight, else its
//                 exact S1 emulation (certified again as a network of its own for one input)
//   u1            the U1 interpolant of the best monotone approximation at 2..max pieces
//   u1_search     the best U1 network found by random and exhaustive search (after the best
//                 output shift), against the monotone floor
// `floor` is the monotone floor max drop / 2: no U1 network can do better.
// Storage: `dense_weights` counts every entry of every weight matrix, `zero_weights` those that
// are 0 (the role of 0: a ternary network's zeros are wires it does not need), and
// `weight_bits` is dense_weights * log2(levels of the family's grid) + 16 bits per layer scale
// (information bits; biases are not counted, they are listed in `parameters` with the nonzero
// weights).

#include <fmt/core.h>

#include <cmath>
#include <stdexcept>

#include "runner/experiment.hpp"
#include "fpx/construct/monotone.hpp"
#include "fpx/construct/signed_binary.hpp"
#include "fpx/construct/ternary.hpp"
#include "fpx/construct/weight_grid.hpp"

namespace fpx::experiments {
namespace {

const std::vector<std::string> columns{
    "record", "target", "family", "epsilon", "pieces", "quantum", "width", "depth", "parameters",
    "sup_error", "certificate", "floor", "networks", "met", "dense_weights", "zero_weights", "weight_bits"};

struct row {
  std::string record, target, family, epsilon, pieces, quantum, width, depth, parameters,
      sup_error, certificate, floor, networks, met, dense_weights, zero_weights, weight_bits;
  std::vector<std::string> fields() const {
    return {record, target, family, epsilon, pieces, quantum, width, depth, parameters,
            sup_error, certificate, floor, networks, met, dense_weights, zero_weights, weight_bits};
  }
};

std::string number(double x) { return fmt::format("{}", x); }

row network_row(std::string record, const target_function& f, std::string family, const mlp& m,
                const certificate& c, double floor) {
  const network_size s = size_of(m);
  row r;
  r.record = std::move(record);
  r.target = f.name;
  r.family = std::move(family);
  r.width = std::to_string(s.width);
  r.depth = std::to_string(s.depth);
  r.parameters = std::to_string(s.parameters);
  r.sup_error = number(c.sup_error);
  r.certificate = c.kind;
  r.floor = number(floor);
  std::uint64_t dense = 0, zeros = 0;
  for (const dense_layer& layer : m.layers)
    for (Eigen::Index i = 0; i < layer.map.weight.size(); ++i) {
      ++dense;
      zeros += layer.map.weight.data()[i] == 0;
    }
  const double levels = r.family == to_string(weight_grid::ternary) ? 3 : 2;
  r.dense_weights = std::to_string(dense);
  r.zero_weights = std::to_string(zeros);
  r.weight_bits = fmt::format("{:.1f}", static_cast<double>(dense) * std::log2(levels) + 16.0 * static_cast<double>(m.layers.size()));
  return r;
}

void run_experiment(context& ctx) {
  const nlohmann::json& config = ctx.config();
  const auto targets = config["targets"].get<std::vector<std::string>>();
  const auto epsilons = config["epsilons"].get<std::vector<double>>();
  const auto epsilons_2d = config["epsilons_2d"].get<std::vector<double>>();
  const int u1_max_pieces = config["u1_max_pieces"];
  const auto search_count = config["u1_search_networks"].get<std::uint64_t>();
  const int search_max_width = config["u1_search_max_width"];
  const int exhaustive_max_width = config["u1_exhaustive_max_width"];
  const auto seed = config["seed"].get<std::uint64_t>();
  const unsigned threads = ctx.threads();

  for (const std::string& name : targets) {
    const target_function f = target(name);
    const double floor = monotone_floor(f, f.inputs == 1 ? 4096 : 256);
    ctx.cell("construction " + name, [&](table_rows& rows) {
      for (double epsilon : f.inputs == 1 ? epsilons : epsilons_2d) {
        const construction c = construct_ternary(f, epsilon, f.inputs == 1 ? 4096 : 32);
        row t = network_row("construction", f, std::string(to_string(weight_grid::ternary)), c.model, c.proof, floor);
        t.epsilon = number(epsilon);
        t.pieces = std::to_string(c.pieces);
        t.quantum = to_fraction_string(c.quantum);
        t.met = c.met ? "1" : "0";
        rows.push_back(t.fields());
        // The S1 row. A construction with no zero weight (every one-input one) is an S1 network
        // already: the row is the same network, at one bit per weight. Otherwise the exact S1
        // emulation (section 2), which is dense (its parameters grow with the square of the
        // width): for two inputs it is built only up to 16 pieces (about 6 million parameters).
        // It is one S1 network, not the smallest one.
        certificate proof = c.proof;
        mlp s1_model;
        rational s1_quantum = c.quantum;
        if (grid_scales(c.model, weight_grid::signed_binary)) {
          s1_model = c.model;
        } else {
          if (f.inputs == 2 && c.pieces > 16) continue;
          const signed_binary_emulation s = emulate_with_signed_binary(c.model);
          if (s.duplicated_input) throw std::logic_error("the construction's first layer has zero weights");
          s1_model = s.model;
          s1_quantum = c.quantum / 2;
          // The S1 network computes the ternary one's function exactly (section 2 of the proof
          // file), so the ternary row's bound is its bound: for one input it is certified again
          // as a network of its own; for two, a grid maximum would be a measurement, and
          // checking the dense network again costs minutes.
          if (f.inputs == 1) proof = certify(s1_model, f, certificate_grid(f, c.pieces));
          else proof.kind = "interpolant_by_exact_emulation";
        }
        row e = network_row("construction", f, std::string(to_string(weight_grid::signed_binary)), s1_model, proof, floor);
        e.epsilon = t.epsilon;
        e.pieces = t.pieces;
        e.quantum = to_fraction_string(s1_quantum);
        e.met = proof.sup_error <= epsilon ? "1" : "0";
        rows.push_back(e.fields());
      }
    });
    if (f.inputs != 1) continue;
    ctx.cell("u1 " + name, [&](table_rows& rows) {
      for (int pieces = 2; pieces <= u1_max_pieces; pieces *= 2) {
        const rational quantum = pow2(-2 - static_cast<long long>(std::log2(pieces)));  // 1/(4N)
        const mlp m = unsigned_interpolant(f, pieces, quantum);
        row r = network_row("u1", f, std::string(to_string(weight_grid::unsigned_binary)), m, certify(m, f), floor);
        r.pieces = std::to_string(pieces);
        r.quantum = to_fraction_string(quantum);
        rows.push_back(r.fields());
      }
    });
    ctx.cell("u1_search " + name, [&](table_rows& rows) {
      auto add = [&](const std::string& family, int width, const unsigned_search& s) {
        row r;
        r.record = "u1_search";
        r.target = f.name;
        r.family = family;
        r.width = std::to_string(width);
        r.depth = "1";
        r.sup_error = number(s.best_error);
        r.certificate = s.exact ? "exact" : "grid";
        r.floor = number(floor);
        r.networks = std::to_string(s.networks);
        rows.push_back(r.fields());
      };
      for (int width = 1; width <= search_max_width; ++width)
        add("u1_random", width, search_unsigned_random(f, width, search_count, seed, threads));
      for (int width = 1; width <= exhaustive_max_width; ++width)
        add("u1_exhaustive", width, search_unsigned_exhaustive(f, width, threads));
    });
  }
}

}  // namespace

definition ternary_universality() { return {columns, run_experiment}; }

}  // namespace fpx::experiments
