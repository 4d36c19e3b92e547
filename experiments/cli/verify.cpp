// fpx verify: a network checked on a task over a whole input space (theory/verify.hpp), JSON out.
#include <fmt/format.h>

#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "processes.hpp"
#include "fpx/model/json.hpp"
#include "fpx/theory/approximation.hpp"
#include "fpx/theory/verify.hpp"

namespace fpx::cli {
namespace {

struct request {
  std::string model, spec, task, table, inputs, readout = "exact";
  unsigned threads = 0;
  std::size_t counterexamples = 4;
  std::uint64_t begin = 0, end = UINT64_MAX;
  double lipschitz = 0;  // interval: overrides the named target's constant when > 0
};

// sequences:V:N, bits:W1,W2,..., or JSON (text or file): token sequences, or an MLP's input rows.
input_space space_argument(const std::string& arg) {
  if (arg.starts_with("sequences:")) {
    const auto colon = arg.find(':', 10);
    if (colon == std::string::npos) throw std::invalid_argument("--inputs sequences:V:N (vocabulary V, length N)");
    return input_space::sequences(std::stoi(arg.substr(10, colon - 10)), std::stoi(arg.substr(colon + 1)));
  }
  if (arg.starts_with("bits:")) {
    std::vector<int> widths;
    std::size_t at = 5;
    while (at <= arg.size()) {
      const auto comma = arg.find(',', at);
      widths.push_back(std::stoi(arg.substr(at, comma == std::string::npos ? std::string::npos : comma - at)));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    return input_space::bit_strings(widths);
  }
  const nlohmann::json j = nlohmann::json::parse(json_argument(arg));
  if (!j.is_array()) throw std::invalid_argument("--inputs: a JSON list of inputs");
  bool tokens = true;
  for (const auto& row : j)
    for (const auto& x : row) tokens = tokens && x.is_number_integer();
  if (tokens) return input_space::token_list(j.get<std::vector<std::vector<int>>>());
  std::vector<rvector> vectors;
  for (const auto& row : j) {
    const rmatrix m = rmatrix_from_json(row.dump());
    rvector v(m.cols());
    for (Eigen::Index k = 0; k < m.cols(); ++k) v(k) = m(0, k);
    vectors.push_back(std::move(v));
  }
  return input_space::vector_list(std::move(vectors));
}

task task_argument(const request& req) {
  if (req.task.empty() == req.table.empty()) throw std::invalid_argument("give exactly one of --task and --table");
  if (!req.task.empty()) return named_task(req.task);
  const nlohmann::json j = nlohmann::json::parse(json_argument(req.table));
  std::vector<std::vector<rational>> table;
  bool every = false;
  for (const auto& row : j) {
    auto& r = table.emplace_back();
    const auto read = [](const nlohmann::json& x) {
      return x.is_string() ? parse_rational(x.get<std::string>()) : parse_rational(x.dump());
    };
    if (row.is_array()) {
      every = true;
      for (const auto& x : row) r.push_back(read(x));
    } else {
      r.push_back(read(row));
    }
  }
  return table_task(std::move(table), every);
}

nlohmann::json texts(const std::vector<rational>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& x : v) out.push_back(to_fraction_string(x));
  return out;
}

// Under MPI the units of `check` go to every rank (no unit files: a verify is one call); rank 0
// gets the result to print, the others nothing.
template <class Check>
auto on_every_rank(Check check) -> std::optional<decltype(check())> {
  experiments::process_group& group = processes();
  experiments::unit_journal ranks(group, {}, [](const std::string&) {});
  std::optional<unit_distributor_scope> scope;
  if (group.size() > 1) scope.emplace(&ranks);
  auto result = check();
  scope.reset();
  if (group.rank() != 0) return std::nullopt;
  return result;
}

// --inputs interval:LOW:HIGH: a one-input MLP against a named target on [LOW, HIGH], at every
// value its inputs round to (verify_interval), with the target's Lipschitz constant.
void verify_on_interval(const request& req, const network& net, const precision_spec& spec) {
  const auto* m = std::get_if<mlp>(&net);
  if (!m) throw std::invalid_argument("--inputs interval: takes a one-input MLP");
  const std::string rest = req.inputs.substr(9);
  const auto colon = rest.find(':');
  if (colon == std::string::npos) throw std::invalid_argument("--inputs interval:LOW:HIGH (exact numbers)");
  if (req.task.empty() || !req.table.empty())
    throw std::invalid_argument("an interval check takes --task TARGET, one of: " + fmt::format("{}", fmt::join(target_names(), ", ")));
  if (req.begin != 0 || req.end != UINT64_MAX || req.readout != "exact")
    throw std::invalid_argument("an interval check takes no --begin, --end or --readout (it bounds the error at every input)");
  target_function f = target(req.task);
  const bool given = req.lipschitz > 0;  // (CLI11 refuses a constant <= 0)
  if (given) f.lipschitz = req.lipschitz;
  const rational low = parse_rational(rest.substr(0, colon)), high = parse_rational(rest.substr(colon + 1));
  const auto c = on_every_rank([&] { return verify_interval(*m, spec, f, low, high, req.threads); });
  if (!c) return;
  const nlohmann::json out{{"target", f.name}, {"low", to_fraction_string(c->low)}, {"high", to_fraction_string(c->high)},
                           {"spec", spec.name}, {"values", c->values}, {"sup_error", c->sup_error},
                           {"largest_at_values", c->largest_at_values}, {"worst", to_fraction_string(c->worst)},
                           {"lipschitz", f.lipschitz}, {"lipschitz_given", given}, {"kind", c->kind}};
  std::cout << out.dump(1) << "\n";
}

void verify_claim(const request& req) {
  const network net = network_from_json(json_argument(req.model));
  const precision_spec spec = spec_argument(req.spec);
  if (req.inputs.starts_with("interval:")) return verify_on_interval(req, net, spec);
  const input_space space = space_argument(req.inputs);
  const task t = task_argument(req);
  const readout r = readout::parse(req.readout);
  const auto checked = on_every_rank([&] {
    return verify(net, spec, t, space, r, {req.threads, req.counterexamples, true, req.begin, req.end, 4096, 0});
  });
  if (!checked) return;
  const task_check& c = *checked;
  nlohmann::json classes = nlohmann::json::object();
  for (const auto& [key, counts] : c.by_class) classes[key] = {{"checked", counts.checked}, {"wrong", counts.wrong}};
  nlohmann::json examples = nlohmann::json::array();
  for (const auto& ce : c.counterexamples) {
    nlohmann::json e{{"index", ce.index}, {"input", ce.input}, {"expected", texts(ce.expected)},
                     {"output", ce.output ? nlohmann::json::parse(to_json(*ce.output)) : nlohmann::json(nullptr)},
                     {"error", ce.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(ce.error)}};
    if (ce.first_divergence)
      e["divergence"] = {{"step", ce.first_divergence->step}, {"row", ce.first_divergence->row},
                         {"col", ce.first_divergence->col}, {"first", ce.first_divergence->first},
                         {"second", ce.first_divergence->second}};
    else
      e["divergence"] = nullptr;
    examples.push_back(e);
  }
  const nlohmann::json out{{"task", t.name}, {"inputs", space.name()}, {"readout", r.name()}, {"spec", spec.name},
                           {"checked", c.checked}, {"wrong", c.wrong}, {"correct", c.correct()},
                           {"begin", c.begin}, {"end", c.end}, {"by_class", classes}, {"counterexamples", examples}};
  std::cout << out.dump(1) << "\n";
}

}  // namespace

void add_verify(CLI::App& app) {
  auto req = std::make_shared<request>();
  auto* sub = app.add_subcommand("verify", "Check a network on a task over a whole input space (JSON out)");
  add_model_and_spec(sub, req->model, req->spec);
  sub->add_option("--task", req->task,
                  "A named task: " + task_grammar() + "; with --inputs interval:, a target: " +
                      fmt::format("{}", fmt::join(target_names(), ", ")));
  sub->add_option("--table", req->table,
                  "Or the expected value of each input, as a JSON list (file or text; a list per input for every position)");
  sub->add_option("--inputs", req->inputs,
                  "sequences:V:N (every sequence of N tokens over V), bits:W1,W2,... (bit strings), a JSON list of "
                  "token sequences or MLP input rows (file or text), or interval:LOW:HIGH (a one-input MLP against "
                  "the target --task names, at every value its inputs round to)")
      ->required();
  sub->add_option("--readout", req->readout, "How an output is read: " + readout_grammar());
  sub->add_option("--threads", req->threads, "Threads (0: every core); the result does not depend on it");
  sub->add_option("--counterexamples", req->counterexamples, "Failing inputs to report (lowest index first)");
  sub->add_option("--begin", req->begin, "First input index checked (a shard)");
  sub->add_option("--end", req->end, "One past the last input index checked");
  sub->add_option("--lipschitz", req->lipschitz,
                  "interval: a Lipschitz constant of the target on the interval, > 0 (default: the named target's); "
                  "the bound is only as sound as this constant")
      ->check(CLI::PositiveNumber);
  sub->final_callback([req] { verify_claim(*req); });
}

}  // namespace fpx::cli
