// Constructions and verifiers of the claims: communication bounds, a one-layer transformer as
// a protocol (exhaustive verification, collision certificates, counting bounds), the equality
// constructions and the exhaustive threshold search.

#include <pybind11/stl.h>

#include "convert.hpp"
#include "fpx/construct/equality.hpp"
#include "fpx/construct/first_equals_last.hpp"
#include "fpx/theory/best_error.hpp"
#include "fpx/theory/census.hpp"
#include "fpx/theory/protocol_checks.hpp"
#include "fpx/theory/class_search.hpp"
#include "fpx/theory/threshold_search.hpp"

namespace fpx::python {
namespace {

// A 2-D array of truth values as a communication matrix.
communication_matrix matrix_of(const py::handle& table) {
  const py::array a = py::module_::import("numpy").attr("asarray")(table, "bool");
  if (a.ndim() != 2) throw std::invalid_argument("a communication matrix is a 2-D array");
  return communication_matrix(a.cast<std::vector<std::vector<bool>>>());
}

// The target of a verification as a table, so that worker threads never call back into
// Python: "equality", a (2^alice_bits x 2^bob_bits) array, or a callable f(x, y) evaluated once
// per pair here.
boolean_function target_of(const protocol& p, const py::object& target) {
  if (py::isinstance<py::str>(target)) {
    if (target.cast<std::string>() != "equality")
      throw std::invalid_argument("the named targets are: equality");
    return equality;
  }
  const std::uint64_t rows = p.split().alice_inputs(), cols = p.split().bob_inputs();
  auto table = std::make_shared<std::vector<std::uint8_t>>(rows * cols);
  if (PyCallable_Check(target.ptr())) {
    for (std::uint64_t x = 0; x < rows; ++x)
      for (std::uint64_t y = 0; y < cols; ++y) (*table)[x * cols + y] = target(x, y).cast<bool>();
  } else {
    const communication_matrix m = matrix_of(target);
    if (m.rows() != rows || m.cols() != cols)
      throw std::invalid_argument("the target table must be " + std::to_string(rows) + " x " + std::to_string(cols));
    for (std::uint64_t x = 0; x < rows; ++x)
      for (std::uint64_t y = 0; y < cols; ++y) (*table)[x * cols + y] = m(x, y);
  }
  return [table, cols](std::uint64_t x, std::uint64_t y) { return (*table)[x * cols + y] != 0; };
}

py::list pairs_list(const std::vector<input_pair>& pairs) {
  py::list out;
  for (const auto& [x, y] : pairs) out.append(py::make_tuple(x, y));
  return out;
}

}  // namespace

void register_claims(py::module_& m) {
  py::class_<communication_bounds>(m, "CommunicationBounds", R"doc(Lower bounds on the deterministic communication of f(x, y), with certificates.

Built from f's communication matrix (a 2-D array of truth values, rows x, columns y); every
bound is in bits.)doc")
      .def(py::init([](const py::object& table) { return communication_bounds(matrix_of(table)); }), py::arg("matrix"),
           "The bounds of the Boolean matrix (rows: Alice's inputs x, columns: Bob's inputs y).")
      .def_property_readonly("distinct_rows", [](const communication_bounds& b) { return b.rows.count(); },
                             "The number of distinct rows: the certificate of the one-way complexity.")
      .def_property_readonly("row_class", [](const communication_bounds& b) { return b.rows.class_of; },
                             "For each row x, the index of its class of equal rows.")
      .def_readonly("one_way_bits", &communication_bounds::one_way_bits,
                    "ceil(log2(distinct rows)): exactly the bits a one-way protocol (Alice speaks) needs.")
      .def_readonly("rank_q", &communication_bounds::rank_q, "The matrix's rank over the rationals.")
      .def_readonly("rank_2", &communication_bounds::rank_2, "Its rank over GF(2) (at most rank_q).")
      .def_readonly("log_rank_bits", &communication_bounds::log_rank_bits, "log2(rank_q): a two-way lower bound, in bits.")
      .def_readonly("fooling_value", &communication_bounds::fooling_value, "The value of f the fooling set is for.")
      .def_property_readonly("fooling_set", [](const communication_bounds& b) { return pairs_list(b.fooling_set); },
                             "The fooling set, as (x, y) pairs (check it with fpx.check_fooling_set).")
      .def_readonly("fooling_bits", &communication_bounds::fooling_bits,
                    "ceil(log2(s + 1)) for a fooling set of s pairs, or ceil(log2 s) when f is constant: a two-way lower bound.")
      .def_property_readonly("two_way_bits", &communication_bounds::two_way_bits,
                             "The best two-way lower bound proved here, in whole bits.");
  m.def("check_fooling_set", [](const py::object& table, const std::vector<input_pair>& pairs, bool value) {
    return check_fooling_set(matrix_of(table), pairs, value);
  }, py::arg("matrix"), py::arg("pairs"), py::arg("value"), R"doc(Checks that pairs is a fooling set of the Boolean matrix for value.

f = value on every pair, and for any two pairs (x1, y1), (x2, y2), f(x1, y2) != value or
f(x2, y1) != value. Returns the first violation in words, or None when the set is valid.)doc");

  py::class_<split_input>(m, "SplitInput", R"doc(How a pair of bit strings (x, y) becomes a token sequence.

Alice's alice_bits bits of x, then Bob's bob_bits bits of y, each bit j written as tokens[j][bit],
then the fixed suffix (the query token).)doc")
      .def(py::init([](std::size_t a, std::size_t b, std::vector<std::array<int, 2>> tokens, std::vector<int> suffix) {
             split_input s{a, b, std::move(tokens), std::move(suffix)};
             s.validate();
             return s;
           }), py::arg("alice_bits"), py::arg("bob_bits"), py::arg("tokens"), py::arg("suffix"),
           "tokens[j] = (token for bit 0, token for bit 1) at position j of x|y; suffix: tokens after them.")
      .def_static("binary", &split_input::binary, py::arg("alice_bits"), py::arg("bob_bits"), py::arg("suffix"),
                  "Bits written as the tokens 0 and 1 at every position.")
      .def_readonly("alice_bits", &split_input::alice_bits, "Bits of x (Alice's input).")
      .def_readonly("bob_bits", &split_input::bob_bits, "Bits of y (Bob's input).")
      .def_readonly("tokens", &split_input::tokens, "Per position of x|y, the tokens of bit 0 and bit 1.")
      .def_readonly("suffix", &split_input::suffix, "The tokens after x|y.")
      .def("sequence", &split_input::sequence, py::arg("x"), py::arg("y"), "The token sequence of the pair (x, y).");

  py::class_<counting_bound>(m, "CountingBound", R"doc(The bits of state a class of one-layer models can pass from Alice to Bob.

From simulation_bound: state_bits (what Alice's part of the sums can hold), message_bits (what
Bob must send for max-subtraction), all in bits.)doc")
      .def_readonly("value_bits", &counting_bound::value_bits,
                    "log2 of the number of finite values of the accumulator format.")
      .def_readonly("state_bits", &counting_bound::state_bits,
                    "(H + value_dim) value_bits, or value_dim value_bits when the scores depend on position only.")
      .def_readonly("message_bits", &counting_bound::message_bits, "H log2(number of logit values) with max-subtraction, else 0.")
      .def_property_readonly("total_bits", &counting_bound::total_bits, "state_bits + message_bits.")
      .def("rules_out", &counting_bound::rules_out, py::arg("bounds"),
           "True when no model of the class computes f (bounds: f's CommunicationBounds): the protocol is\n"
           "shorter than the one-way complexity (no message) or than log2 of the fooling set.");
  m.def("simulation_bound", &simulation_bound, py::arg("spec"), py::arg("heads"), py::arg("value_dim"),
        py::arg("scores_position_only"), R"doc(The counting bound of one-layer models with heads heads of value width value_dim under spec.

scores_position_only: the attention scores depend on positions only (not on tokens). Returns a
CountingBound.)doc");

  // The protocol memoises exponentials and is not thread-safe, so its methods keep the GIL:
  // two Python threads cannot use one protocol at once.
  py::class_<protocol>(m, "Protocol", R"doc(A one-layer softmax transformer read at its query, as a two-party protocol.

Alice holds x, Bob holds y (laid out by a SplitInput); the model's output on x|y|suffix is
computed from Alice's partial sums (her state) and Bob's message, exactly as the evaluator
computes it under the spec.)doc")
      .def(py::init([](const model& net, const precision_spec& spec, const split_input& split) {
             const auto* t = std::get_if<transformer>(&net.net);
             if (!t) throw std::invalid_argument("a protocol needs a transformer, not an MLP");
             return protocol(*t, spec, split);
           }), py::arg("model"), py::arg("spec"), py::arg("split"),
           "model: a one-layer transformer Network; spec: a PrecisionSpec; split: a SplitInput.")
      .def("bob_message", &protocol::bob_message, py::arg("y"), "Bob's message for y (codes of his row maxima).")
      .def("alice_state", &protocol::alice_state, py::arg("x"), py::arg("message"),
           "Alice's state (codes of her partial sums) for x given Bob's message.")
      .def("final_state", &protocol::final_state, py::arg("alice"), py::arg("y"),
           "The state after Bob adds his part to Alice's state.")
      .def("evaluate_pair", &protocol::evaluate_pair, py::arg("x"), py::arg("y"), py::arg("trace") = false,
           "The model evaluated on the pair (an Evaluation), as Network.evaluate would.")
      .def_property_readonly("heads", &protocol::heads, "Attention heads of the model.")
      .def_property_readonly("value_dim", &protocol::value_dim, "Total value width of the heads.")
      .def_property_readonly("scores_position_only", &protocol::scores_position_only,
                             "Whether the attention scores depend on positions only.")
      .def("verify", [](const protocol& p, const py::object& target, std::size_t cap, unsigned threads) {
        const verification v = verify(p, target_of(p, target), cap, threads);
        return py::dict(py::arg("pairs") = v.pairs, py::arg("failures") = v.failures,
                        py::arg("failing") = pairs_list(v.failing), py::arg("alice_states") = v.alice_states,
                        py::arg("final_states") = v.final_states);
      }, py::arg("target") = "equality", py::arg("failure_cap") = 16, py::arg("threads") = 0, R"doc(Checks the model on every pair (x, y).

Args:
    target: "equality", a Boolean table (2^alice_bits x 2^bob_bits), or a callable f(x, y).
    failure_cap: how many failing pairs to return.
    threads: threads (0: every core); the result does not depend on it.

Returns:
    A dict with "pairs" (pairs checked), "failures" (pairs whose output is wrong), "failing"
    (the first failure_cap failing (x, y) pairs), "alice_states" and "final_states" (distinct
    states seen).)doc")
      .def("check_simulation", [](const protocol& p) {
        const simulation_check c = check_simulation(p);
        return py::dict(py::arg("pairs") = c.pairs, py::arg("alice_states") = c.alice_states,
                        py::arg("violation") = c.violation);
      }, R"doc(Checks that the protocol's output equals the evaluator's on every pair.

Returns a dict with "pairs" (checked), "alice_states" (distinct states) and "violation" (the
first disagreement in words, or None).)doc")
      .def("find_collision", [](const protocol& p, const py::object& target) -> py::object {
        const auto c = find_collision(p, target_of(p, target));
        if (!c) return py::none();
        return py::dict(py::arg("x") = c->x, py::arg("x_other") = c->x_other, py::arg("y") = c->y,
                        py::arg("target") = c->target, py::arg("target_other") = c->target_other,
                        py::arg("output") = to_fraction(c->output(0, 0)),
                        py::arg("wrong") = py::make_tuple(c->wrong.first, c->wrong.second));
      }, py::arg("target") = "equality", R"doc(Two inputs of Alice the model cannot tell apart where the target must.

Returns None, or a dict with "x" and "x_other" (Alice's inputs with equal final states), "y"
(Bob's input where their targets differ), "target" and "target_other" (the target's values),
"output" (the model's common output, a Fraction) and "wrong" (the (x, y) pair it gets wrong).)doc");

  m.def("equality_construction", [](int n, const std::string& kind, const std::string& readout, int bits) {
    equality_readout r;
    if (readout == "step") r = equality_readout::step;
    else if (readout == "relu") r = equality_readout::relu;
    else if (readout == "difference") r = equality_readout::difference;
    else throw std::invalid_argument("readout must be step, relu or difference, not '" + readout + "'");
    if (kind != "dyadic" && kind != "integer" && kind != "saturating")
      throw std::invalid_argument("kind must be dyadic, integer or saturating, not '" + kind + "'");
    if (kind == "saturating" ? bits == 0 : bits != 0)
      throw std::invalid_argument("bits (the width of fixed:s:1:(bits-2)) is for the saturating construction only, "
                                  "and it needs it");
    if (kind != "saturating" && r == equality_readout::difference)
      throw std::invalid_argument("the difference readout is the saturating construction's");
    equality_construction c = kind == "dyadic"    ? dyadic_equality(n, r)
                              : kind == "integer" ? integer_equality(n, r)
                                                  : saturating_equality(n, bits, r);
    return py::dict(py::arg("name") = c.name, py::arg("model") = model{std::move(c.model)},
                    py::arg("split") = std::move(c.split));
  }, py::arg("n"), py::arg("kind") = "dyadic", py::arg("readout") = "step", py::arg("bits") = 0,
     "The equality construction for EQ_n; use fpx.equality_construction.");

  m.def("first_equals_last_construction", [](int vocabulary, int length, int scale) {
    return model{first_equals_last(vocabulary, length, scale)};
  }, py::arg("vocabulary"), py::arg("length"), py::arg("scale") = 0, R"doc(The one-layer transformer for first = last (proofs/first_equals_last.md).

Over the tokens 0 .. vocabulary - 1 at the given length; read its last position with the
readout threshold=0. scale: the query's logit on position 0 (0: the smallest integer s with
e^s > 4 (n-1)(V-1) - (n-1), which keeps the attention's leak below 1/4).)doc");
  m.def("first_equals_last_scale", &first_equals_last_scale, py::arg("vocabulary"), py::arg("length"),
        R"doc(The default logit scale of first_equals_last_construction.

vocabulary: V, the number of tokens; length: n, the sequence length. Returns the smallest
integer s with e^s > 4 (n-1)(V-1) - (n-1), which keeps the attention's leak below 1/4.)doc");

  m.def("search_equality_separation", [](const format& f, int n, std::uint64_t budget, unsigned threads) {
    separation_search s;
    {
      py::gil_scoped_release release;
      s = search_equality_separation(f, n, budget, threads);
    }
    std::vector<double> values;
    for (code_t c : s.values) values.push_back(code_to_double(f, c));
    return py::dict(py::arg("n") = s.n, py::arg("found") = s.found, py::arg("complete") = s.complete,
                    py::arg("values") = values, py::arg("nodes") = s.nodes,
                    py::arg("settings_total") = s.settings_total);
  }, py::arg("format"), py::arg("n"), py::arg("node_budget") = 0, py::arg("threads") = 0, R"doc(The exhaustive search for a position-only one-layer model in format that separates EQ_n.

Args:
    format: the one format of every quantity (a Format or a name).
    n: bits of each of x and y.
    node_budget: most search-tree nodes to visit (0: no limit).
    threads: threads (0: every core); the result does not depend on it.

Returns:
    A dict with "n", "found" (a separating setting exists), "complete" (the search ran to the
    end: a "not found" is then a proof for this class and format), "values" (the setting
    found, as floats), "nodes" (nodes visited) and "settings_total" (settings of the class).)doc");

  m.def("best_grid_error", [](const std::string& target_name, int width, const std::string& grid,
                              const std::vector<py::object>& biases, const std::vector<py::object>& scales,
                              double budget, unsigned threads) {
    std::vector<rational> b, s;
    for (const auto& x : biases) b.push_back(to_rational(x));
    for (const auto& x : scales) s.push_back(to_rational(x));
    const target_function f = target(target_name);
    const std::vector<rational> levels = census_levels(grid);
    best_error_result r;
    {
      py::gil_scoped_release release;
      r = best_grid_error(f, width, levels, b, s, budget, threads);
    }
    auto fractions = [](const std::vector<rational>& v) {
      py::list out;
      for (const rational& x : v) out.append(to_fraction(x));
      return out;
    };
    return py::dict(py::arg("error") = to_fraction(r.error), py::arg("a") = fractions(r.a),
                    py::arg("c") = fractions(r.c), py::arg("v") = fractions(r.v),
                    py::arg("scale") = to_fraction(r.scale), py::arg("bias") = to_fraction(r.bias),
                    py::arg("features") = r.features, py::arg("multisets") = r.multisets,
                    py::arg("settings") = r.settings, py::arg("rechecked") = r.rechecked,
                    py::arg("optimal") = r.optimal);
  }, py::arg("target"), py::arg("width"), py::arg("grid"), py::arg("biases"), py::arg("scales"),
     py::arg("budget") = 3e8, py::arg("threads") = 0,
     R"doc(The exact best sup error on [0, 1] of every network d + S sum_k v_k relu(a_k x + c_k).

Every setting is enumerated: a_k and v_k levels of the grid, c_k one of `biases`, S one of
`scales`, d the best real (proofs/ternary_floor.md, section 6).

Args:
    target: "abs", "descending" or "square" (targets with an exact form).
    width: hidden units, 1..4.
    grid: weight grid, a format name of at most 8 bits ("u1", "s1", "ternary", "fixed:s:0:2").
    biases, scales: the hidden biases and output scales (exact numbers; dyadic, |x| <= 16).
    budget: most (multiset of units, scale) pairs to walk; more is refused.
    threads: threads (0: every core); the result does not depend on it.

Returns:
    A dict with "error" (a Fraction, exact), a witness "a", "c", "v", "scale", "bias"
    (Fractions), and the sizes "features", "multisets", "settings", "rechecked" (settings
    recomputed exactly), "optimal" (of those, the ones at the best error).)doc");

  m.def("search_class_separation", [](const format& f, int n, int heads, int value_dim, bool token_scores,
                                      std::uint64_t budget, unsigned threads) {
    const attention_class c{heads, value_dim, token_scores};
    class_search s;
    {
      py::gil_scoped_release release;
      s = search_class_separation(f, c, n, budget, threads);
    }
    std::vector<double> logits, values;
    for (code_t v : s.logits) logits.push_back(code_to_double(f, v));
    for (code_t v : s.values) values.push_back(code_to_double(f, v));
    py::object network = py::none();
    if (s.found) network = py::cast(model{class_separation_model(f, c, n, s.logits, s.values)});
    return py::dict(py::arg("n") = s.n, py::arg("class") = c.name(), py::arg("found") = s.found,
                    py::arg("complete") = s.complete, py::arg("logits") = logits,
                    py::arg("values") = values, py::arg("network") = network,
                    py::arg("nodes") = s.nodes, py::arg("candidates") = s.candidates);
  }, py::arg("format"), py::arg("n"), py::arg("heads") = 1, py::arg("value_dim") = 1,
     py::arg("token_scores") = false, py::arg("node_budget") = 0, py::arg("threads") = 0,
     R"doc(The search of search_equality_separation in a wider class of one-layer models.

H heads with value_dim values each, scores that depend on position only (every score 0) or,
with token_scores, read the tokens (a free logit per position, bit and head, and for the query).

Args:
    format: the one format of every quantity (a Format or a name, at most 8 bits; with
        token_scores it must hold 1).
    n: bits of each of x and y.
    heads, value_dim: H and d_v (H (d_v + 1) at most 7).
    token_scores: free logits instead of scores 0.
    node_budget: most search-tree nodes to visit (0: no limit).
    threads: threads (0: every core); the result does not depend on it.

Returns:
    A dict with "n", "class" (its name), "found", "complete" (the search ran to the end; a
    "not found" is then a result for this class and format, not replayed by a separate
    checker), "logits" and "values" (the setting found as floats: per slot 2j + bit for Alice's
    j, then Bob's, then the query, per head, and per value coordinate), "network" (the setting
    as a Network over the tokens 2j + x_j, 2(n + k) + y_k, 4n, read at the last position under
    uniform(format) with fp32 weights; None when not found), "nodes" and "candidates"
    (candidates per position and bit).)doc");
}

}  // namespace fpx::python
