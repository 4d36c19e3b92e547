// fpx eval: a network evaluated under a precision spec, JSON out; several inputs are one batch
// (fpx::evaluate_batch), {"spec", "inputs", "results": [one result per input]}.
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
  std::string model, spec, inputs, tokens;
  bool last = false, trace = false;
  unsigned threads = 0;
};

nlohmann::json result_json(const evaluation& result, bool trace) {
  nlohmann::json out;
  out["output"] = matrix_json(result.output);
  out["exact_output"] = result.exact_output ? nlohmann::json::parse(to_json(*result.exact_output))
                                            : nlohmann::json(nullptr);
  out["roundings"] = result.roundings;
  if (trace) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : result.trace)
      steps.push_back({{"name", step.name}, {"values", matrix_json(step.values)}, {"exact", exact_json(step)}});
    out["trace"] = steps;
  }
  return out;
}

// Token ids: "0,1,2" (one sequence) or JSON (text or file): [0, 1, 2], or a batch [[0, 1], [2]].
std::vector<std::vector<int>> token_sequences(const std::string& arg, bool& batch) {
  const std::string text = arg.find_first_of("[{") == std::string::npos && arg.find(',') != std::string::npos
                               ? "[" + arg + "]"
                               : json_argument(arg.find_first_not_of("0123456789") == std::string::npos ? "[" + arg + "]" : arg);
  const nlohmann::json j = nlohmann::json::parse(text);
  const auto sequence = [](const nlohmann::json& row) {
    if (!row.is_array()) throw std::invalid_argument("--tokens: a sequence is a list of token ids");
    std::vector<int> ids;
    for (const auto& t : row) {
      if (!t.is_number_integer()) throw std::invalid_argument("--tokens: token ids are integers, not " + t.dump());
      ids.push_back(t.get<int>());
    }
    return ids;
  };
  batch = j.is_array() && !j.empty() && j.front().is_array();
  std::vector<std::vector<int>> out;
  if (batch)
    for (const auto& row : j) out.push_back(sequence(row));
  else
    out.push_back(sequence(j));
  return out;
}

void evaluate_network(const request& req) {
  const network net = network_from_json(json_argument(req.model));
  const precision_spec spec = spec_argument(req.spec);
  const evaluation_options options{.trace = req.trace, .last_position_only = req.last};
  std::vector<evaluation> results;
  bool batch = false;
  if (const auto* m = std::get_if<mlp>(&net)) {
    if (req.inputs.empty()) throw std::invalid_argument("an MLP needs --inputs");
    if (!req.tokens.empty()) throw std::invalid_argument("an MLP takes --inputs, not --tokens");
    const rmatrix x = rmatrix_from_json(json_argument(req.inputs));  // one input vector per row
    batch = x.rows() > 1;
    std::vector<rvector> rows;
    for (Eigen::Index i = 0; i < x.rows(); ++i) rows.push_back(x.row(i).transpose());
    results = evaluate_batch(*m, rows, spec, options, req.threads);
  } else {
    const auto& t = std::get<transformer>(net);
    if (req.inputs.empty() == req.tokens.empty())
      throw std::invalid_argument("a transformer needs exactly one of --tokens and --inputs");
    if (!req.tokens.empty()) {
      results = evaluate_batch(t, token_sequences(req.tokens, batch), spec, options, req.threads);
    } else {
      // Vectors: positions x d_model rows, or a batch of such matrices.
      const nlohmann::json j = nlohmann::json::parse(json_argument(req.inputs));
      batch = j.is_array() && !j.empty() && j.front().is_array() && !j.front().empty() && j.front().front().is_array();
      std::vector<rmatrix> inputs;
      if (batch)
        for (const auto& sequence : j) inputs.push_back(rmatrix_from_json(sequence.dump()));
      else
        inputs.push_back(rmatrix_from_json(j.dump()));
      results = evaluate_batch(t, inputs, spec, options, req.threads);
    }
  }
  nlohmann::json out;
  out["spec"] = nlohmann::json::parse(to_json(spec));
  if (!batch) {
    out.update(result_json(results.front(), req.trace));
  } else {
    nlohmann::json all = nlohmann::json::array();
    for (const auto& r : results) all.push_back(result_json(r, req.trace));
    out["inputs"] = results.size();
    out["results"] = all;
  }
  std::cout << out.dump(1) << "\n";
}

}  // namespace

void add_eval(CLI::App& app) {
  auto req = std::make_shared<request>();
  auto* sub = app.add_subcommand("eval", "Evaluate a network under a precision spec (JSON out)");
  add_model_and_spec(sub, req->model, req->spec);
  sub->add_option("--tokens", req->tokens,
                  "Token ids for a transformer: 0,1,2, or JSON (text or file): [0, 1, 2], or a batch "
                  "[[0, 1, 2], [1, 0]]");
  sub->add_option("--inputs", req->inputs,
                  "JSON (text or file): an MLP's input vectors, one per row (several rows: a batch); a "
                  "transformer's vectors, positions x d_model (a list of such matrices: a batch)");
  sub->add_option("--threads", req->threads,
                  "Threads for a batch (0: every core); input k's stochastic sites start at k * 2^32");
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
