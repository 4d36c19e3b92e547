// Constructions and verifiers of the claims: communication bounds, a one-layer transformer as
// a protocol (exhaustive verification, collision certificates, counting bounds), the equality
// constructions and the exhaustive threshold search.

#include <pybind11/stl.h>

#include "convert.hpp"
#include "fpx/construct/equality.hpp"
#include "fpx/theory/protocol_checks.hpp"
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
  py::class_<communication_bounds>(m, "CommunicationBounds", "Lower bounds on deterministic communication, with certificates.")
      .def(py::init([](const py::handle& table) { return communication_bounds(matrix_of(table)); }), py::arg("matrix"))
      .def_property_readonly("distinct_rows", [](const communication_bounds& b) { return b.rows.count(); })
      .def_property_readonly("row_class", [](const communication_bounds& b) { return b.rows.class_of; })
      .def_readonly("one_way_bits", &communication_bounds::one_way_bits)
      .def_readonly("rank_q", &communication_bounds::rank_q)
      .def_readonly("rank_2", &communication_bounds::rank_2)
      .def_readonly("log_rank_bits", &communication_bounds::log_rank_bits)
      .def_readonly("fooling_value", &communication_bounds::fooling_value)
      .def_property_readonly("fooling_set", [](const communication_bounds& b) { return pairs_list(b.fooling_set); })
      .def_readonly("fooling_bits", &communication_bounds::fooling_bits)
      .def_property_readonly("two_way_bits", &communication_bounds::two_way_bits);
  m.def("check_fooling_set", [](const py::handle& table, const std::vector<input_pair>& pairs, bool value) {
    return check_fooling_set(matrix_of(table), pairs, value);
  }, py::arg("matrix"), py::arg("pairs"), py::arg("value"));

  py::class_<split_input>(m, "SplitInput", "How a pair of bit strings (x, y) becomes a token sequence.")
      .def(py::init([](std::size_t a, std::size_t b, std::vector<std::array<int, 2>> tokens, std::vector<int> suffix) {
             split_input s{a, b, std::move(tokens), std::move(suffix)};
             s.validate();
             return s;
           }), py::arg("alice_bits"), py::arg("bob_bits"), py::arg("tokens"), py::arg("suffix"))
      .def_static("binary", &split_input::binary, py::arg("alice_bits"), py::arg("bob_bits"), py::arg("suffix"))
      .def_readonly("alice_bits", &split_input::alice_bits)
      .def_readonly("bob_bits", &split_input::bob_bits)
      .def_readonly("tokens", &split_input::tokens)
      .def_readonly("suffix", &split_input::suffix)
      .def("sequence", &split_input::sequence, py::arg("x"), py::arg("y"));

  py::class_<counting_bound>(m, "CountingBound", "The bits of state a class of models can pass from Alice to Bob.")
      .def_readonly("value_bits", &counting_bound::value_bits)
      .def_readonly("state_bits", &counting_bound::state_bits)
      .def_readonly("message_bits", &counting_bound::message_bits)
      .def_property_readonly("total_bits", &counting_bound::total_bits)
      .def("rules_out", &counting_bound::rules_out, py::arg("bounds"));
  m.def("simulation_bound", &simulation_bound, py::arg("spec"), py::arg("heads"), py::arg("value_dim"),
        py::arg("scores_position_only"));

  // The protocol memoises exponentials and is not thread-safe, so its methods keep the GIL:
  // two Python threads cannot use one protocol at once.
  py::class_<protocol>(m, "Protocol", "A one-layer softmax transformer read at its query, as a protocol.")
      .def(py::init([](const model& net, const precision_spec& spec, const split_input& split) {
             const auto* t = std::get_if<transformer>(&net.net);
             if (!t) throw std::invalid_argument("a protocol needs a transformer, not an MLP");
             return protocol(*t, spec, split);
           }), py::arg("model"), py::arg("spec"), py::arg("split"))
      .def("bob_message", &protocol::bob_message, py::arg("y"))
      .def("alice_state", &protocol::alice_state, py::arg("x"), py::arg("message"))
      .def("final_state", &protocol::final_state, py::arg("alice"), py::arg("y"))
      .def("evaluate_pair", &protocol::evaluate_pair, py::arg("x"), py::arg("y"), py::arg("trace") = false)
      .def_property_readonly("heads", &protocol::heads)
      .def_property_readonly("value_dim", &protocol::value_dim)
      .def_property_readonly("scores_position_only", &protocol::scores_position_only)
      .def("verify", [](const protocol& p, const py::object& target, std::size_t cap, unsigned threads) {
        const verification v = verify(p, target_of(p, target), cap, threads);
        return py::dict(py::arg("pairs") = v.pairs, py::arg("failures") = v.failures,
                        py::arg("failing") = pairs_list(v.failing), py::arg("alice_states") = v.alice_states,
                        py::arg("final_states") = v.final_states);
      }, py::arg("target") = "equality", py::arg("failure_cap") = 16, py::arg("threads") = 0)
      .def("check_simulation", [](const protocol& p) {
        const simulation_check c = check_simulation(p);
        return py::dict(py::arg("pairs") = c.pairs, py::arg("alice_states") = c.alice_states,
                        py::arg("violation") = c.violation);
      })
      .def("find_collision", [](const protocol& p, const py::object& target) -> py::object {
        const auto c = find_collision(p, target_of(p, target));
        if (!c) return py::none();
        return py::dict(py::arg("x") = c->x, py::arg("x_other") = c->x_other, py::arg("y") = c->y,
                        py::arg("target") = c->target, py::arg("target_other") = c->target_other,
                        py::arg("output") = to_fraction(c->output(0, 0)),
                        py::arg("wrong") = py::make_tuple(c->wrong.first, c->wrong.second));
      }, py::arg("target") = "equality");

  m.def("equality_construction", [](int n, const std::string& kind, const std::string& readout) {
    equality_readout r;
    if (readout == "step") r = equality_readout::step;
    else if (readout == "relu") r = equality_readout::relu;
    else throw std::invalid_argument("readout must be step or relu, not '" + readout + "'");
    if (kind != "dyadic" && kind != "integer")
      throw std::invalid_argument("kind must be dyadic or integer, not '" + kind + "'");
    equality_construction c = kind == "dyadic" ? dyadic_equality(n, r) : integer_equality(n, r);
    return py::dict(py::arg("name") = c.name, py::arg("model") = model{std::move(c.model)},
                    py::arg("split") = std::move(c.split));
  }, py::arg("n"), py::arg("kind") = "dyadic", py::arg("readout") = "step");

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
  }, py::arg("format"), py::arg("n"), py::arg("node_budget") = 0, py::arg("threads") = 0);
}

}  // namespace fpx::python
