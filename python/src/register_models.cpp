// The model layer: precision specs, networks, evaluation with traces, weight quantizers.

#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include "convert.hpp"
#include "fpx/quant/bit_allocation.hpp"
#include "fpx/model/evaluate.hpp"
#include "fpx/model/divergence.hpp"
#include "fpx/model/json.hpp"
#include "fpx/quant/ggml.hpp"
#include "fpx/quant/gptq.hpp"
#include "fpx/quant/rounding_methods.hpp"
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

// The results of a batch evaluation, as Python's fpx.Evaluations.
struct evaluations {
  std::vector<evaluation> items;
  bool mlp = false;  ///< outputs stack as inputs x outputs (else inputs x positions x outputs)
};

// Exact values as texts (p/q) and back, for pickling.
py::object texts_of(const std::optional<rational>& x) { return x ? py::object(py::str(to_fraction_string(*x))) : py::none(); }

py::tuple evaluation_state(const evaluation& e) {
  py::object exact = py::none();
  if (e.exact_output) {
    py::list texts;
    for (Eigen::Index i = 0; i < e.exact_output->rows(); ++i)
      for (Eigen::Index k = 0; k < e.exact_output->cols(); ++k) texts.append(to_fraction_string((*e.exact_output)(i, k)));
    exact = texts;
  }
  py::list steps;
  for (const auto& step : e.trace) {
    py::list exact_values;
    for (const auto& x : step.exact) exact_values.append(texts_of(x));
    steps.append(py::make_tuple(step.name, step.values, static_cast<int>(step.exact_in), exact_values));
  }
  return py::make_tuple(e.output, exact, steps, e.roundings);
}

evaluation evaluation_from_state(const py::tuple& state) {
  if (state.size() != 4) throw std::invalid_argument("not a pickled fpx.Evaluation");
  evaluation e;
  e.output = state[0].cast<Eigen::MatrixXd>();
  if (!state[1].is_none()) {
    const auto texts = state[1].cast<std::vector<std::string>>();
    rmatrix exact(e.output.rows(), e.output.cols());
    if (texts.size() != static_cast<std::size_t>(exact.size())) throw std::invalid_argument("not a pickled fpx.Evaluation");
    for (Eigen::Index i = 0; i < exact.rows(); ++i)
      for (Eigen::Index k = 0; k < exact.cols(); ++k) exact(i, k) = parse_rational(texts[static_cast<std::size_t>(i * exact.cols() + k)]);
    e.exact_output = std::move(exact);
  }
  for (py::handle item : state[2].cast<py::list>()) {
    const auto t = item.cast<py::tuple>();
    trace_step step{t[0].cast<std::string>(), t[1].cast<Eigen::MatrixXd>(),
                    static_cast<trace_step::exactness>(t[2].cast<int>()), {}};
    for (py::handle x : t[3].cast<py::list>())
      step.exact.push_back(x.is_none() ? std::nullopt : std::optional<rational>(parse_rational(x.cast<std::string>())));
    e.trace.push_back(std::move(step));
  }
  e.roundings = state[3].cast<std::uint64_t>();
  return e;
}

// "2 -> 4 -> 1 (relu, identity)": an MLP's widths and activations.
std::string describe(const mlp& m) {
  std::string widths = std::to_string(m.inputs()), acts;
  for (const auto& layer : m.layers) {
    widths += " -> " + std::to_string(layer.map.outputs());
    acts += (acts.empty() ? "" : ", ") + std::string(to_string(layer.act));
  }
  return widths + " (" + acts + ")";
}

std::string describe(const model& n) {
  if (const auto* m = std::get_if<mlp>(&n.net)) return "mlp " + describe(*m);
  const auto& t = std::get<transformer>(n.net);
  std::string text = "transformer, d_model " + std::to_string(t.d_model());
  if (t.token_embedding.size()) text += ", vocabulary " + std::to_string(t.token_embedding.rows());
  if (t.positional.size()) text += ", " + std::to_string(t.positional.rows()) + " positions";
  text += ", " + std::to_string(t.blocks.size()) + (t.blocks.size() == 1 ? " block" : " blocks");
  std::string heads;
  for (const auto& b : t.blocks)
    heads += (heads.empty() ? "" : "/") + (b.attention ? std::to_string(b.attention->heads.size()) : std::string("0"));
  text += " (heads " + heads + ")";
  if (!t.readout.layers.empty()) text += ", readout " + describe(t.readout);
  return text;
}

// Rows of a 2-D array as exact vectors: float64 rows are read from the buffer (each double
// exactly), other dtypes element by element.
std::vector<rvector> rows_of(const py::array& a) {
  const py::ssize_t rows = a.shape(0), cols = a.shape(1);
  std::vector<rvector> out(static_cast<std::size_t>(rows), rvector(cols));
  if (a.dtype().kind() == 'f' && a.dtype().itemsize() == 8) {
    const auto d = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
    for (py::ssize_t i = 0; i < rows; ++i)
      for (py::ssize_t k = 0; k < cols; ++k) {
        const double x = d.at(i, k);
        if (!std::isfinite(x)) throw std::invalid_argument("inputs must be finite numbers");
        out[static_cast<std::size_t>(i)](k) = exact_rational(x);
      }
    return out;
  }
  const rmatrix m = matrix_from(a, false);
  for (py::ssize_t i = 0; i < rows; ++i) out[static_cast<std::size_t>(i)] = m.row(i).transpose();
  return out;
}

bool is_integer_kind(const py::array& a) { return a.dtype().kind() == 'i' || a.dtype().kind() == 'u'; }

// A list or tuple whose items are sequences: a batch of token sequences (lengths may differ)
// or of vector sequences.
bool is_ragged_batch(py::handle x) {
  if (!py::isinstance<py::list>(x) && !py::isinstance<py::tuple>(x)) return false;
  const py::sequence items = py::reinterpret_borrow<py::sequence>(x);
  if (items.size() == 0) return false;
  for (py::handle item : items)
    if (!(py::isinstance<py::list>(item) || py::isinstance<py::tuple>(item) || py::isinstance<py::array>(item)))
      return false;
  return true;
}

evaluation_options options_of(bool trace, bool last_position_only, py::handle first_site_argument) {
  if (!py::isinstance<py::int_>(first_site_argument) || first_site_argument.cast<py::int_>() < py::int_(0))
    throw py::value_error("first_site must be a non-negative integer, not " + py::repr(first_site_argument).cast<std::string>());
  return {trace, last_position_only, first_site_argument.cast<std::uint64_t>()};
}

unsigned threads_of(py::handle threads) {
  if (!py::isinstance<py::int_>(threads) || py::isinstance<py::bool_>(threads) || threads.cast<py::int_>() < py::int_(0))
    throw py::value_error("threads must be 0 (every core) or a positive integer, not " + py::repr(threads).cast<std::string>());
  return threads.cast<unsigned>();
}

py::object evaluate_network(const model& net, const py::object& x, const py::object& spec_argument,
                            std::optional<std::string> arithmetic_name, bool trace,
                            bool last_position_only, const py::object& first_site_argument,
                            const py::object& threads_argument) {
  const evaluation_options options = options_of(trace, last_position_only, first_site_argument);
  const unsigned threads = threads_of(threads_argument);
  const precision_spec spec = spec_of(spec_argument);
  const precision_spec s = arithmetic_name ? spec.with_arithmetic(parse_arithmetic(*arithmetic_name)) : spec;
  const bool is_mlp = std::holds_alternative<mlp>(net.net);
  const auto batch_result = [&](std::vector<evaluation> results) { return py::cast(evaluations{std::move(results), is_mlp}); };
  if (const auto* m = std::get_if<mlp>(&net.net)) {
    const py::array a = py::module_::import("numpy").attr("asarray")(x);
    if (a.ndim() == 2) {  // a batch: one input per row
      const std::vector<rvector> inputs = rows_of(a);
      std::vector<evaluation> results;
      {
        py::gil_scoped_release release;
        results = evaluate_batch(*m, inputs, s, options, threads);
      }
      return batch_result(std::move(results));
    }
    const rmatrix input = matrix_from(a, true);
    if (input.cols() != 1)
      throw std::invalid_argument("an MLP takes one input vector (a 1-D array) or a batch (a 2-D array, one input per row)");
    const rvector v = input.col(0);
    py::gil_scoped_release release;
    return py::cast(evaluate(*m, v, s, options));
  }
  const auto& t = std::get<transformer>(net.net);
  if (is_ragged_batch(x)) {
    const py::sequence items = py::reinterpret_borrow<py::sequence>(x);
    const py::object asarray = py::module_::import("numpy").attr("asarray");
    std::vector<std::vector<int>> tokens;
    std::vector<rmatrix> vectors;
    for (py::handle item : items) {
      const py::array a = asarray(item);
      if (a.ndim() == 1 && (is_integer_kind(a) || a.size() == 0)) tokens.push_back(a.cast<std::vector<int>>());
      else if (a.ndim() == 2) vectors.push_back(matrix_from(a, false));
      else throw std::invalid_argument("each item of a batch is a token sequence (integers) or a sequence of vectors (positions x d_model)");
    }
    if (!tokens.empty() && !vectors.empty())
      throw std::invalid_argument("a batch mixes token sequences and vector sequences");
    std::vector<evaluation> results;
    {
      py::gil_scoped_release release;
      results = tokens.empty() ? evaluate_batch(t, vectors, s, options, threads) : evaluate_batch(t, tokens, s, options, threads);
    }
    return batch_result(std::move(results));
  }
  const py::array a = py::module_::import("numpy").attr("asarray")(x);
  if (a.ndim() == 1 && is_integer_kind(a)) {
    const std::vector<int> tokens = a.cast<std::vector<int>>();
    py::gil_scoped_release release;
    return py::cast(evaluate(t, tokens, s, options));
  }
  if (a.ndim() == 2 && is_integer_kind(a)) {  // a batch of token sequences of one length
    const auto tokens = a.cast<std::vector<std::vector<int>>>();
    std::vector<evaluation> results;
    {
      py::gil_scoped_release release;
      results = evaluate_batch(t, tokens, s, options, threads);
    }
    return batch_result(std::move(results));
  }
  if (a.ndim() == 3) {  // a batch of vector sequences
    std::vector<rmatrix> vectors;
    for (py::ssize_t k = 0; k < a.shape(0); ++k) vectors.push_back(matrix_from(a[py::int_(k)], false));
    std::vector<evaluation> results;
    {
      py::gil_scoped_release release;
      results = evaluate_batch(t, vectors, s, options, threads);
    }
    return batch_result(std::move(results));
  }
  if (a.ndim() != 2)
    throw std::invalid_argument("a transformer takes token ids (1-D integers), vectors (positions x d_model), or a batch of either");
  const rmatrix inputs = matrix_from(a, false);
  py::gil_scoped_release release;
  return py::cast(evaluate(t, inputs, s, options));
}

py::dict weights_dict(const quantized_weights& q) {
  return py::dict(py::arg("values") = q.values, py::arg("bits_per_parameter") = q.bits_per_parameter,
                  py::arg("information_bits_per_parameter") = q.information_bits_per_parameter,
                  py::arg("name") = q.name);
}

}  // namespace

void register_models(py::module_& m) {
  // Classes first, so that every signature names them as Python sees them.
  py::class_<precision_spec> spec_class(m, "PrecisionSpec", R"doc(Everything a p-bit result depends on.

The format of each of the twelve quantities (weight, bias, embedding, position, activation,
product, accumulator, logit, exponential, denominator, attention_weight, output), the rounding
mode and seed, where rounding happens, the summation orders, max-subtraction, the softmax order
and the hard-attention rule (docs/precision-model.md). Build one with fpx.spec(); it pickles
as its JSON text.)doc");
  py::class_<model> network_class(m, "Network", R"doc(An MLP or a transformer with exact rational weights.

Build one with fpx.mlp(), fpx.network() (JSON text or a dict in the JSON layout of
docs/networks.md) or fpx.transformer(); evaluate it with Network.evaluate(). It pickles as its
JSON text.)doc");
  py::class_<evaluation> evaluation_class(m, "Evaluation", R"doc(The result of evaluating one input.

Attributes:
    output: float64 array; positions x outputs for a transformer (one row per computed
        position), outputs x 1 for an MLP. Values of the output format exactly as doubles.
    exact_output: the same as a list of rows of fractions.Fraction, or None (float64
        arithmetic, or an output that is NaN or infinite).
    trace: dict from step name (in evaluation order) to a float64 array (rows: positions,
        columns: features; masked attention entries NaN); empty unless trace=True.
    trace_exact: the same steps with each entry a Fraction (None where masked, NaN,
        infinite, or in float64 arithmetic).
    roundings: the number of rounding sites the evaluation used (rounded arithmetic).)doc");
  py::class_<evaluations> evaluations_class(m, "Evaluations", R"doc(The results of evaluating a batch, in input order.

len(e) is the batch size and e[k] the Evaluation of input k; e.output stacks the outputs
(inputs x outputs for an MLP, inputs x positions x outputs for a transformer whose inputs have
one length); e.roundings lists each input's rounding sites.)doc");

  spec_class
      .def(py::init(&make_spec), py::arg("spec"),
           "A preset name (exact, float64, fixed(8), fixed(8,4), float(4,3), uniform(e4m3)) or JSON text.")
      .def_readonly("name", &precision_spec::name, "The preset's name, or the name given in JSON.")
      .def_property_readonly("arithmetic", [](const precision_spec& s) { return std::string(to_string(s.arithmetic)); },
                             "rounded, exact or float64.")
      .def("format_of", [](const precision_spec& s, const std::string& q) { return s.format_of(parse_quantity(q)); },
           py::arg("quantity"), "The Format of a quantity (weight, bias, ..., output).")
      .def("with_arithmetic", [](const precision_spec& s, const std::string& a) { return s.with_arithmetic(parse_arithmetic(a)); },
           py::arg("arithmetic"), "The same model choices in another arithmetic (rounded, exact, float64).")
      .def("to_json", [](const precision_spec& s) { return to_json(s); }, "The spec as JSON text (every field).")
      .def("__repr__", [](const precision_spec& s) { return "PrecisionSpec('" + s.name + "')"; })
      .def("__eq__", [](const precision_spec& a, const precision_spec& b) { return to_json(a) == to_json(b); })
      .def("__hash__", [](const precision_spec& s) { return py::hash(py::str(to_json(s))); })
      .def(py::pickle([](const precision_spec& s) { return to_json(s); },
                      [](const std::string& text) { return spec_from_json(text); }));
  m.def("spec_preset_grammar", [] { return std::string(spec_preset_grammar()); });
  m.def("activation_names", [] { return activation_names(); });
  m.def("quantizer_grammar", &quantizer_grammar);

  network_class
      .def(py::init([](const std::string& text) { return model{network_from_json(text)}; }), py::arg("json"),
           "A network from its JSON text (docs/networks.md).")
      .def_property_readonly("kind", [](const model& n) { return std::holds_alternative<mlp>(n.net) ? "mlp" : "transformer"; },
                             "mlp or transformer.")
      .def("to_json", [](const model& n) { return std::visit([](const auto& x) { return to_json(x); }, n.net); },
           "The network as JSON text, with exact weights (p/q where not dyadic).")
      .def("evaluate", &evaluate_network, py::arg("x"), py::arg("spec"), py::arg("arithmetic") = py::none(),
           py::arg("trace") = false, py::arg("last_position_only") = false, py::arg("first_site") = 0,
           py::arg("threads") = 0, R"doc(Evaluates the network on one input or on a batch, in one C++ call.

Args:
    x: for an MLP, one input vector (1-D) or a batch (2-D, one input per row); for a
        transformer, token ids (1-D integers), vectors (2-D, positions x d_model), or a batch:
        a 2-D integer array, a list of token sequences (lengths may differ), or a 3-D array
        of vector sequences. Numbers are read exactly: a float as its binary value, ints,
        fractions.Fraction and strings such as "1/3" as written.
    spec: a PrecisionSpec, a preset name ("fixed(8)") or a dict of fields (fpx.spec).
    arithmetic: None for the spec's own, or "rounded", "exact", "float64".
    trace: record every intermediate step (Evaluation.trace, Evaluation.trace_exact).
    last_position_only: compute the last block and the readout at the last position only.
    first_site: the first stochastic rounding site. Input k of a batch numbers its sites
        from first_site + k * 2**32, so it gives the bits it gives alone with that first_site.
    threads: threads for a batch (0: every core); the results do not depend on it.

Returns:
    An Evaluation for one input, an Evaluations for a batch.

Raises:
    ValueError: shapes, tokens out of range, an incomplete spec, NaN where a format has
        none (prefixed with the step, and for a batch with "input k: ").
    OverflowError: overflow under the `error` policy.)doc")
      .def("__repr__", [](const model& n) { return "Network(" + describe(n) + ")"; })
      .def(py::pickle([](const model& n) { return std::visit([](const auto& x) { return to_json(x); }, n.net); },
                      [](const std::string& text) { return model{network_from_json(text)}; }));

  evaluation_class
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
      .def_readonly("roundings", &evaluation::roundings)
      .def("__repr__", [](const evaluation& e) {
        const py::object out = py::cast(e.output).attr("tolist")();
        std::string text = "Evaluation(output=" + py::repr(out).cast<std::string>() +
                           ", roundings=" + std::to_string(e.roundings);
        if (!e.trace.empty()) text += ", " + std::to_string(e.trace.size()) + " trace steps";
        return text + ")";
      })
      .def(py::pickle(&evaluation_state, &evaluation_from_state));

  evaluations_class
      .def("__len__", [](const evaluations& b) { return b.items.size(); })
      .def("__getitem__", [](const evaluations& b, py::ssize_t k) {
        const auto n = static_cast<py::ssize_t>(b.items.size());
        if (k < 0) k += n;
        if (k < 0 || k >= n) throw py::index_error("evaluation index out of range");
        return b.items[static_cast<std::size_t>(k)];
      })
      .def_property_readonly("output", [](const evaluations& b) {
        // MLPs: inputs x outputs; transformers: inputs x positions x outputs.
        if (b.items.empty()) return py::array_t<double>(std::vector<py::ssize_t>{0});
        if (b.mlp) {
          const auto outputs = b.items.front().output.rows();
          py::array_t<double> out(std::vector<py::ssize_t>{static_cast<py::ssize_t>(b.items.size()), outputs});
          auto o = out.mutable_unchecked<2>();
          for (std::size_t k = 0; k < b.items.size(); ++k)
            for (Eigen::Index i = 0; i < outputs; ++i) o(static_cast<py::ssize_t>(k), i) = b.items[k].output(i, 0);
          return out;
        }
        const auto rows = b.items.front().output.rows(), cols = b.items.front().output.cols();
        for (const auto& e : b.items)
          if (e.output.rows() != rows || e.output.cols() != cols)
            throw std::invalid_argument("the outputs of this batch differ in shape (inputs of different lengths): index the evaluations");
        py::array_t<double> out(std::vector<py::ssize_t>{static_cast<py::ssize_t>(b.items.size()), rows, cols});
        auto o = out.mutable_unchecked<3>();
        for (std::size_t k = 0; k < b.items.size(); ++k)
          for (Eigen::Index i = 0; i < rows; ++i)
            for (Eigen::Index j = 0; j < cols; ++j) o(static_cast<py::ssize_t>(k), i, j) = b.items[k].output(i, j);
        return out;
      })
      .def_property_readonly("exact_output", [](const evaluations& b) {
        py::list out;
        for (const auto& e : b.items) out.append(e.exact_output ? exact_matrix(*e.exact_output) : py::none());
        return out;
      })
      .def_property_readonly("roundings", [](const evaluations& b) {
        std::vector<std::uint64_t> r;
        for (const auto& e : b.items) r.push_back(e.roundings);
        return r;
      })
      .def("__repr__", [](const evaluations& b) { return "Evaluations(" + std::to_string(b.items.size()) + " inputs)"; })
      .def(py::pickle([](const evaluations& b) {
                        py::list states;
                        for (const auto& e : b.items) states.append(evaluation_state(e));
                        return py::make_tuple(states, b.mlp);
                      },
                      [](const py::tuple& state) {
                        evaluations b;
                        for (py::handle s : state[0].cast<py::list>()) b.items.push_back(evaluation_from_state(s.cast<py::tuple>()));
                        b.mlp = state[1].cast<bool>();
                        return b;
                      }));

  m.def("first_divergence", [](const evaluation& a, const evaluation& b, double tolerance) -> py::object {
    const auto d = first_divergence(a, b, tolerance);
    if (!d) return py::none();
    return py::dict(py::arg("step") = d->step, py::arg("row") = d->row, py::arg("col") = d->col,
                    py::arg("first") = d->first, py::arg("second") = d->second);
  }, py::arg("a"), py::arg("b"), py::arg("tolerance") = 0.0, R"doc(Where two evaluations of one network first differ.

The first traced step (in evaluation order), row and column whose exact values differ (or,
with tolerance > 0, whose doubles differ by more than tolerance): a dict {"step", "row",
"col", "first", "second"} (the two values as floats), or None when they agree everywhere.
Both evaluations need trace=True.)doc");

  m.def("quantize", [](const Eigen::MatrixXd& w, const std::string& name) { return weights_dict(quantize(w, name)); },
        py::arg("weights"), py::arg("quantizer"));
  m.def("ggml_quantize", [](const std::string& name, py::array_t<float, py::array::c_style | py::array::forcecast> x) {
    const auto t = ggml::type_of(name);
    std::vector<std::uint8_t> bytes;
    {
      py::gil_scoped_release release;
      bytes = ggml::quantize(t, std::span<const float>(x.data(), static_cast<std::size_t>(x.size())));
    }
    return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }, py::arg("type"), py::arg("x"));
  m.def("ggml_dequantize", [](const std::string& name, const py::bytes& blocks) {
    const auto t = ggml::type_of(name);
    const std::string_view b = blocks;
    const std::vector<float> v =
        ggml::dequantize(t, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(b.data()), b.size()));
    return py::array_t<float>(static_cast<py::ssize_t>(v.size()), v.data());
  }, py::arg("type"), py::arg("blocks"));
  m.def("gptq", [](const Eigen::MatrixXd& w, const Eigen::MatrixXd& hessian, const std::string& name,
                   Eigen::Index block_size, double damping, bool act_order, bool static_groups,
                   std::optional<double> max_damping) {
    gptq_result r;
    {
      py::gil_scoped_release release;
      r = gptq(w, hessian, name, {block_size, damping, act_order, static_groups, max_damping});
    }
    py::dict d = weights_dict(r.weights);
    d["rtn_values"] = r.rtn_values;
    d["objective"] = r.objective;
    d["rtn_objective"] = r.rtn_objective;
    d["damping"] = r.damping;
    d["order"] = r.order;
    return d;
  }, py::arg("weights"), py::arg("hessian"), py::arg("quantizer"), py::arg("block_size") = 128,
     py::arg("damping") = 0.01, py::arg("act_order") = false, py::arg("static_groups") = false,
     py::arg("max_damping") = py::none());
  auto layer_dict = [](layer_rounding_result&& r) {
    py::dict d = weights_dict(r.weights);
    d["rtn_values"] = r.rtn_values;
    d["objective"] = r.objective;
    d["rtn_objective"] = r.rtn_objective;
    return d;
  };
  m.def("discquant", [layer_dict](const Eigen::MatrixXd& w, const Eigen::MatrixXd& hessian, const std::string& name,
                                  Eigen::Index subspace, std::uint64_t seed) {
    layer_rounding_result r;
    {
      py::gil_scoped_release release;
      r = discquant(w, hessian, name, {subspace, seed});
    }
    return layer_dict(std::move(r));
  }, py::arg("weights"), py::arg("hessian"), py::arg("quantizer"), py::arg("subspace") = 16, py::arg("seed") = 0);
  m.def("gsq", [layer_dict](const Eigen::MatrixXd& w, const Eigen::MatrixXd& hessian, const std::string& name, int steps,
                            double learning_rate, double temperature_start, double temperature_end, std::uint64_t seed) {
    layer_rounding_result r;
    {
      py::gil_scoped_release release;
      r = gsq(w, hessian, name, {steps, learning_rate, temperature_start, temperature_end, seed});
    }
    return layer_dict(std::move(r));
  }, py::arg("weights"), py::arg("hessian"), py::arg("quantizer"), py::arg("steps") = 1000, py::arg("learning_rate") = 0.2,
     py::arg("temperature_start") = 3.0, py::arg("temperature_end") = 0.2, py::arg("seed") = 0);
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
  }, py::arg("layers"), py::arg("budget_bits"), R"doc(One choice per layer under a storage budget, minimising the total cost.

Args:
    layers: per layer, (parameters, options): the layer's number of parameters and its options
        as (bits_per_parameter, cost) pairs (cost: any additive damage, e.g. a loss increase).
    budget_bits: the budget in total bits over all layers (sum of parameters x bits per
        parameter), not bits per parameter.

Returns:
    A dict with "choice" (the option index chosen per layer), "total_bits" (the total storage
    in bits) and "total_cost".)doc");
}

}  // namespace fpx::python
