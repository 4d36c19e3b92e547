// fpx eval: a network evaluated under a precision spec, JSON out.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "fpx/model/evaluate.hpp"
#include "fpx/model/json.hpp"

namespace fpx::cli {
namespace {

nlohmann::json matrix_json(const Eigen::MatrixXd& m) {
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index k = 0; k < m.cols(); ++k) row.push_back(m(i, k));  // NaN prints as null
    rows.push_back(row);
  }
  return rows;
}

// A step's exact values as "p/q" texts (null where masked, NaN or infinite), or null where the
// arithmetic keeps none (float64).
nlohmann::json exact_json(const trace_step& step) {
  if (step.exact_in == trace_step::exactness::none) return nullptr;
  nlohmann::json rows = nlohmann::json::array();
  for (Eigen::Index i = 0; i < step.values.rows(); ++i) {
    nlohmann::json row = nlohmann::json::array();
    for (Eigen::Index k = 0; k < step.values.cols(); ++k) {
      const auto v = step.exact_at(i, k);
      row.push_back(v ? nlohmann::json(to_fraction_string(*v)) : nlohmann::json(nullptr));
    }
    rows.push_back(row);
  }
  return rows;
}

struct request {
  std::string model, spec, inputs;
  std::vector<int> tokens;
  bool last = false, trace = false;
};

void evaluate_network(const request& req) {
  const network net = network_from_json(json_argument(req.model));
  const precision_spec spec = spec_argument(req.spec);
  const evaluation_options options{.trace = req.trace, .last_position_only = req.last};
  evaluation result;
  if (const auto* m = std::get_if<mlp>(&net)) {
    if (req.inputs.empty()) throw std::invalid_argument("an MLP needs --inputs");
    const rmatrix x = rmatrix_from_json(json_argument(req.inputs));
    if (x.rows() != 1) throw std::invalid_argument("an MLP takes one input vector");
    rvector v(x.cols());
    for (Eigen::Index k = 0; k < x.cols(); ++k) v(k) = x(0, k);
    result = evaluate(*m, v, spec, options);
  } else {
    const auto& t = std::get<transformer>(net);
    if (req.inputs.empty() == req.tokens.empty())
      throw std::invalid_argument("a transformer needs exactly one of --tokens and --inputs");
    result = req.tokens.empty() ? evaluate(t, rmatrix_from_json(json_argument(req.inputs)), spec, options)
                                : evaluate(t, req.tokens, spec, options);
  }
  nlohmann::json out;
  out["spec"] = nlohmann::json::parse(to_json(spec));
  out["output"] = matrix_json(result.output);
  out["exact_output"] = result.exact_output ? nlohmann::json::parse(to_json(*result.exact_output))
                                            : nlohmann::json(nullptr);
  out["roundings"] = result.roundings;
  if (req.trace) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : result.trace)
      steps.push_back({{"name", step.name}, {"values", matrix_json(step.values)}, {"exact", exact_json(step)}});
    out["trace"] = steps;
  }
  std::cout << out.dump(1) << "\n";
}

}  // namespace

void add_eval(CLI::App& app) {
  auto req = std::make_shared<request>();
  auto* sub = app.add_subcommand("eval", "Evaluate a network under a precision spec (JSON out)");
  sub->add_option("--model", req->model, "Network JSON (file or text)")->required();
  sub->add_option("--spec", req->spec,
                  std::string("Precision spec: a preset (") + std::string(spec_preset_grammar()) +
                      ") or JSON (file or text)")
      ->required();
  sub->add_option("--tokens", req->tokens, "Token ids for a transformer")->delimiter(',');
  sub->add_option("--inputs", req->inputs, "Input vectors as JSON rows (file or text)");
  sub->add_flag("--last_position_only", req->last,
                "Compute the last block and readout at the last position only");
  sub->add_flag_callback("--last", [] {
       throw CLI::ValidationError("--last", "a retired spelling; use --last_position_only");
     })->group("");
  sub->add_flag("--trace", req->trace,
                "Include every intermediate step: its doubles, and its exact values as p/q texts");
  sub->final_callback([req] { evaluate_network(*req); });
}

}  // namespace fpx::cli
