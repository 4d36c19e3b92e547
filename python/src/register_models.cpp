// The model layer: precision specs, networks, evaluation with traces, weight quantizers.

#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "convert.hpp"
#include "fpx/quant/bit_allocation.hpp"
#include "fpx/model/evaluate.hpp"
#include "fpx/model/divergence.hpp"
#include "fpx/model/json.hpp"
#include "fpx/quant/gptq.hpp"
#include "fpx/quant/quantize.hpp"

namespace fpx::python {
namespace {

precision_spec make_spec(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\n");
  if (first != std::string::npos && text[first] == '{') return spec_from_json(text);
  return spec_preset(text);
}

// An exact matrix from a numpy array or nested sequences of exact numbers; a 1-D input is one
// column when `column` (an MLP input), else one row.
rmatrix matrix_from(py::handle x, bool column) {
  const py::array a = py::module_::import("numpy").attr("asarray")(x);
  if (a.ndim() != 1 && a.ndim() != 2)
    throw std::invalid_argument("expected a 1-D or 2-D array, got " + std::to_string(a.ndim()) + " dimensions");
  const py::ssize_t rows = a.ndim() == 2 ? a.shape(0) : (column ? a.shape(0) : 1);
  const py::ssize_t cols = a.ndim() == 2 ? a.shape(1) : (column ? 1 : a.shape(0));
  const py::list flat = a.attr("ravel")().attr("tolist")();
  rmatrix m(rows, cols);
  for (py::ssize_t i = 0; i < rows; ++i)
    for (py::ssize_t k = 0; k < cols; ++k) m(i, k) = to_rational(flat[i * cols + k]);
  return m;
}

py::object exact_matrix(const rmatrix& m) {
  py::list rows;
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    py::list row;
    for (Eigen::Index k = 0; k < m.cols(); ++k) row.append(to_fraction(m(i, k)));
    rows.append(row);
  }
  return rows;
}

// A spec argument: a PrecisionSpec, a preset name or JSON text, or a dict of fields.
precision_spec spec_of(py::handle spec) {
  if (py::isinstance<precision_spec>(spec)) return spec.cast<precision_spec>();
  if (py::isinstance<py::str>(spec)) return make_spec(spec.cast<std::string>());
  if (py::isinstance<py::dict>(spec)) return spec_from_json(py::module_::import("json").attr("dumps")(spec).cast<std::string>());
  throw py::type_error("spec must be a PrecisionSpec, a preset name or a dict of fields, not " +
                       py::str(py::type::of(spec)).cast<std::string>());
}

evaluation evaluate_network(const model& net, py::handle x, py::handle spec_argument,
                            std::optional<std::string> arithmetic_name, bool trace,
                            bool last_position_only, py::handle first_site_argument) {
  if (!py::isinstance<py::int_>(first_site_argument) || first_site_argument.cast<py::int_>() < py::int_(0))
    throw py::value_error("first_site must be a non-negative integer, not " + py::repr(first_site_argument).cast<std::string>());
  const std::uint64_t first_site = first_site_argument.cast<std::uint64_t>();
  const precision_spec spec = spec_of(spec_argument);
  const precision_spec s = arithmetic_name ? spec.with_arithmetic(parse_arithmetic(*arithmetic_name)) : spec;
  const evaluation_options options{trace, last_position_only, first_site};
  if (const auto* m = std::get_if<mlp>(&net.net)) {
    const rmatrix input = matrix_from(x, true);
    if (input.cols() != 1) throw std::invalid_argument("an MLP takes one input vector (a 1-D array)");
    const rvector v = input.col(0);
    py::gil_scoped_release release;
    return evaluate(*m, v, s, options);
  }
  const auto& t = std::get<transformer>(net.net);
  const py::array a = py::module_::import("numpy").attr("asarray")(x);
  const char kind = a.dtype().kind();
  if (a.ndim() == 1 && (kind == 'i' || kind == 'u')) {
    const std::vector<int> tokens = a.cast<std::vector<int>>();
    py::gil_scoped_release release;
    return evaluate(t, tokens, s, options);
  }
  if (a.ndim() != 2)
    throw std::invalid_argument("a transformer takes token ids (a 1-D integer array) or vectors (positions x d_model)");
  const rmatrix inputs = matrix_from(x, false);
  py::gil_scoped_release release;
  return evaluate(t, inputs, s, options);
}

py::dict weights_dict(const quantized_weights& q) {
  return py::dict(py::arg("values") = q.values, py::arg("bits_per_parameter") = q.bits_per_parameter,
                  py::arg("information_bits_per_parameter") = q.information_bits_per_parameter,
                  py::arg("name") = q.name);
}

}  // namespace

void register_models(py::module_& m) {
  py::class_<precision_spec>(m, "PrecisionSpec",
                             "Everything a p-bit result depends on: formats, rounding, order, softmax.")
      .def(py::init(&make_spec), py::arg("spec"),
           "A preset name (exact, float64, fixed(8), fixed(8,4), float(4,3), uniform(e4m3)) or JSON text.")
      .def_readonly("name", &precision_spec::name)
      .def_property_readonly("arithmetic", [](const precision_spec& s) { return std::string(to_string(s.arithmetic)); })
      .def("format_of", [](const precision_spec& s, const std::string& q) { return s.format_of(parse_quantity(q)); },
           py::arg("quantity"))
      .def("with_arithmetic", [](const precision_spec& s, const std::string& a) { return s.with_arithmetic(parse_arithmetic(a)); },
           py::arg("arithmetic"))
      .def("to_json", [](const precision_spec& s) { return to_json(s); })
      .def("__repr__", [](const precision_spec& s) { return "PrecisionSpec('" + s.name + "')"; });
  m.def("spec_preset_grammar", [] { return std::string(spec_preset_grammar()); });
  m.def("activation_names", [] { return activation_names(); });
  m.def("quantizer_grammar", &quantizer_grammar);

  py::class_<model>(m, "Network", "An MLP or a transformer with exact weights.")
      .def(py::init([](const std::string& text) { return model{network_from_json(text)}; }), py::arg("json"))
      .def_property_readonly("kind", [](const model& n) { return std::holds_alternative<mlp>(n.net) ? "mlp" : "transformer"; })
      .def("to_json", [](const model& n) { return std::visit([](const auto& x) { return to_json(x); }, n.net); })
      .def("evaluate", &evaluate_network, py::arg("x"), py::arg("spec"), py::arg("arithmetic") = py::none(),
           py::arg("trace") = false, py::arg("last_position_only") = false, py::arg("first_site") = 0);

  py::class_<evaluation>(m, "Evaluation", "The output of one evaluation and, if asked for, its trace.")
      .def_readonly("output", &evaluation::output)
      .def_property_readonly("exact_output", [](const evaluation& e) -> py::object {
        return e.exact_output ? exact_matrix(*e.exact_output) : py::none();
      })
      .def_property_readonly("trace", [](const evaluation& e) {
        py::dict steps;  // in evaluation order
        for (const auto& s : e.trace) steps[py::str(s.name)] = s.values;
        return steps;
      })
      .def_property_readonly("trace_exact", [](const evaluation& e) {
        py::dict steps;  // the same steps, each entry a Fraction (None: masked, NaN, infinite, or float64)
        for (const auto& s : e.trace) {
          py::list rows;
          for (Eigen::Index i = 0; i < s.values.rows(); ++i) {
            py::list row;
            for (Eigen::Index k = 0; k < s.values.cols(); ++k) {
              const auto& x = s.exact_at(i, k);
              row.append(x ? to_fraction(*x) : py::none());
            }
            rows.append(row);
          }
          steps[py::str(s.name)] = rows;
        }
        return steps;
      })
      .def_readonly("roundings", &evaluation::roundings);
  m.def("first_divergence", [](const evaluation& a, const evaluation& b, double tolerance) -> py::object {
    const auto d = first_divergence(a, b, tolerance);
    if (!d) return py::none();
    return py::dict(py::arg("step") = d->step, py::arg("row") = d->row, py::arg("col") = d->col,
                    py::arg("first") = d->first, py::arg("second") = d->second);
  }, py::arg("a"), py::arg("b"), py::arg("tolerance") = 0.0);

  m.def("quantize", [](const Eigen::MatrixXd& w, const std::string& name) { return weights_dict(quantize(w, name)); },
        py::arg("weights"), py::arg("quantizer"));
  m.def("gptq", [](const Eigen::MatrixXd& w, const Eigen::MatrixXd& hessian, const std::string& name,
                   Eigen::Index block_size, double damping) {
    gptq_result r;
    {
      py::gil_scoped_release release;
      r = gptq(w, hessian, name, {block_size, damping});
    }
    py::dict d = weights_dict(r.weights);
    d["rtn_values"] = r.rtn_values;
    d["objective"] = r.objective;
    d["rtn_objective"] = r.rtn_objective;
    return d;
  }, py::arg("weights"), py::arg("hessian"), py::arg("quantizer"), py::arg("block_size") = 128,
     py::arg("damping") = 0.01);
  m.def("allocate_bits", [](const std::vector<std::pair<std::int64_t, std::vector<std::pair<double, double>>>>& layers,
                            double budget_bits) {
    std::vector<layer_choices> choices;
    for (const auto& [parameters, options] : layers) {
      layer_choices& c = choices.emplace_back(layer_choices{parameters, {}});
      for (const auto& [bits, cost] : options) c.options.push_back({bits, cost});
    }
    const bit_allocation a = allocate_bits(choices, budget_bits);
    return py::dict(py::arg("choice") = a.choice, py::arg("total_bits") = a.total_bits,
                    py::arg("total_cost") = a.total_cost);
  }, py::arg("layers"), py::arg("budget_bits"));
}

}  // namespace fpx::python
