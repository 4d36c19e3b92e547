// Checking one's own claims (theory/verify.hpp): input spaces, tasks and readouts, verify over a
// whole space, the fewest bits per quantity, and intervals. The `fpx` package wraps these
// (fpx/claims.py) with Python tasks (callables, tables) and dict results.

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "convert.hpp"
#include "fpx/theory/verify.hpp"

namespace fpx::python {
namespace {

py::object rows_of(const std::optional<rmatrix>& m) {
  if (!m) return py::none();
  py::list rows;
  for (Eigen::Index i = 0; i < m->rows(); ++i) {
    py::list row;
    for (Eigen::Index k = 0; k < m->cols(); ++k) row.append(to_fraction((*m)(i, k)));
    rows.append(row);
  }
  return rows;
}

py::dict counterexample_dict(const counterexample& c, const input_space& space) {
  py::list expected;
  for (const auto& x : c.expected) expected.append(to_fraction(x));
  py::object input;
  if (space.has_tokens()) {
    input = py::cast(space.tokens(c.index));
  } else {
    py::list v;
    const rvector x = space.vector(c.index);
    for (Eigen::Index i = 0; i < x.size(); ++i) v.append(to_fraction(x(i)));
    input = v;
  }
  const auto divergence_dict = [](const std::optional<fpx::divergence>& d) -> py::object {
    if (!d) return py::none();
    return py::dict(py::arg("step") = d->step, py::arg("row") = d->row, py::arg("col") = d->col,
                    py::arg("first") = d->first, py::arg("second") = d->second);
  };
  const py::object divergence = divergence_dict(c.first_divergence);
  return py::dict(py::arg("index") = c.index, py::arg("input") = input, py::arg("text") = c.input,
                  py::arg("expected") = expected, py::arg("output") = rows_of(c.output),
                  py::arg("error") = c.error.empty() ? py::object(py::none()) : py::object(py::str(c.error)),
                  py::arg("evaluation") = c.traced ? py::cast(*c.traced) : py::object(py::none()),
                  py::arg("divergence") = divergence,
                  py::arg("reference_divergence") = divergence_dict(c.reference_divergence));
}

py::dict check_dict(const task_check& c, const input_space& space) {
  py::dict classes;
  for (const auto& [key, counts] : c.by_class)
    classes[py::str(key)] = py::dict(py::arg("checked") = counts.checked, py::arg("wrong") = counts.wrong);
  py::list examples;
  for (const auto& ce : c.counterexamples) examples.append(counterexample_dict(ce, space));
  return py::dict(py::arg("checked") = c.checked, py::arg("wrong") = c.wrong, py::arg("correct") = c.correct(),
                  py::arg("begin") = c.begin, py::arg("end") = c.end, py::arg("by_class") = classes,
                  py::arg("counterexamples") = examples);
}

}  // namespace

void register_verify(py::module_& m) {
  py::class_<input_space>(m, "InputSpace", R"doc(The inputs of a check, numbered 0 .. len - 1 (input k is a function of k).

Make one with fpx.sequences, fpx.bit_strings or fpx.inputs (an explicit list).)doc")
      .def_static("sequences", &input_space::sequences, py::arg("vocabulary"), py::arg("length"),
                  "Every token sequence of length over 0 .. vocabulary - 1, lexicographically (position 0 slowest).")
      .def_static("bit_strings", &input_space::bit_strings, py::arg("widths"),
                  "The product of bit strings of the widths: input k's bits, most significant first.")
      .def_static("token_list", &input_space::token_list, py::arg("sequences"), "Explicit token sequences.")
      .def_static("vector_list", [](const std::vector<std::vector<std::string>>& texts) {
        std::vector<rvector> vectors;
        for (const auto& row : texts) {
          rvector v(static_cast<Eigen::Index>(row.size()));
          for (std::size_t i = 0; i < row.size(); ++i) v(static_cast<Eigen::Index>(i)) = parse_rational(row[i]);
          vectors.push_back(std::move(v));
        }
        return input_space::vector_list(std::move(vectors));
      }, py::arg("vectors"), "Explicit MLP input vectors, each entry exact text.")
      .def("__len__", &input_space::size)
      .def("tokens", &input_space::tokens, py::arg("k"), "Input k's tokens.")
      .def("describe", &input_space::describe, py::arg("k"), "Input k as text.")
      .def_property_readonly("has_tokens", &input_space::has_tokens, "Whether the inputs are token sequences.")
      .def_property_readonly("vocabulary", &input_space::vocabulary, "The number of distinct tokens.")
      .def_property_readonly("name", &input_space::name, "The space, as text.")
      .def("__repr__", [](const input_space& s) { return "InputSpace(" + s.name() + ")"; });

  m.def("task_names", &task_names);
  m.def("task_grammar", &task_grammar);
  m.def("readout_grammar", &readout_grammar);
  m.def("readout_name", [](const std::string& text) { return readout::parse(text).name(); }, py::arg("readout"));

  // The task as a name, or (every_position, table of exact texts per input).
  const auto task_of = [](const py::object& t) -> task {
    if (py::isinstance<py::str>(t)) return named_task(t.cast<std::string>());
    const auto spec = t.cast<std::pair<bool, std::vector<std::vector<std::string>>>>();
    std::vector<std::vector<rational>> table;
    for (const auto& row : spec.second) {
      auto& r = table.emplace_back();
      for (const auto& text : row) r.push_back(parse_rational(text));
    }
    return table_task(std::move(table), spec.first);
  };
  m.def("task_expected", [task_of](const std::string& name, const input_space& space, std::uint64_t k) {
    py::list out;
    for (const auto& x : named_task(name).expected(space, k)) out.append(to_fraction(x));
    return out;
  }, py::arg("task"), py::arg("space"), py::arg("k"));

  m.def("verify", [task_of](const model& net, const precision_spec& spec, const py::object& task_arg, const input_space& space,
                            const std::string& read, unsigned threads, std::size_t max_counterexamples, bool trace,
                            std::uint64_t first_site, std::uint64_t begin, std::uint64_t end, std::uint64_t unit) {
    const task t = task_of(task_arg);
    verify_options o{threads, max_counterexamples, trace, begin, end, unit, first_site};
    task_check c;
    {
      py::gil_scoped_release release;
      c = verify(net.net, spec, t, space, readout::parse(read), o);
    }
    py::dict d = check_dict(c, space);
    d["task"] = t.name;
    return d;
  }, py::arg("model"), py::arg("spec"), py::arg("task"), py::arg("space"), py::arg("readout"), py::arg("threads"),
     py::arg("max_counterexamples"), py::arg("trace"), py::arg("first_site"), py::arg("begin"), py::arg("end"),
     py::arg("unit"));

  m.def("search_precision", [task_of](const model& net, const precision_spec& spec, const py::object& task_arg,
                                      const input_space& space, const std::string& read,
                                      const std::vector<std::pair<std::string, std::vector<std::string>>>& families,
                                      unsigned threads, int budget_bits, std::uint64_t max_assignments) {
    const task t = task_of(task_arg);
    std::vector<std::pair<quantity, format_family>> fams;
    for (const auto& [q, names] : families) fams.emplace_back(parse_quantity(q), format_family::list(names));
    precision_options o;
    o.check.threads = threads;
    o.budget_bits = budget_bits;
    o.max_assignments = max_assignments;
    precision_search s;
    {
      py::gil_scoped_release release;
      s = search_precision(net.net, spec, t, space, readout::parse(read), fams, o);
    }
    py::dict quantities;
    for (const auto& qp : s.quantities) {
      py::list levels;
      for (const auto& l : qp.levels)
        levels.append(py::dict(py::arg("format") = l.format, py::arg("bits") = l.bits, py::arg("wrong") = l.wrong,
                               py::arg("correct") = l.correct,
                               py::arg("counterexample") = l.first_failure ? py::object(counterexample_dict(*l.first_failure, space))
                                                                           : py::object(py::none())));
      quantities[py::str(std::string(to_string(qp.q)))] = py::dict(
          py::arg("levels") = levels, py::arg("minimal_bits") = qp.minimal_bits,
          py::arg("minimal_format") = qp.minimal_bits ? py::object(py::str(qp.levels[qp.below ? *qp.below + 1 : 0].format)) : py::object(py::none()),
          py::arg("below") = qp.below ? py::object(py::str(qp.levels[*qp.below].format)) : py::object(py::none()),
          py::arg("counterexample_below") = qp.below && qp.levels[*qp.below].first_failure
                                                ? py::object(counterexample_dict(*qp.levels[*qp.below].first_failure, space))
                                                : py::object(py::none()),
          py::arg("non_monotone") = qp.non_monotone);
    }
    py::dict joint(py::arg("found") = s.joint.found, py::arg("formats") = s.joint.formats,
                   py::arg("total_bits") = s.joint.total_bits, py::arg("assignments_checked") = s.joint.assignments_checked);
    return py::dict(py::arg("reference_wrong") = s.reference_wrong, py::arg("quantities") = quantities,
                    py::arg("bottleneck") = s.bottleneck, py::arg("joint") = joint);
  }, py::arg("model"), py::arg("spec"), py::arg("task"), py::arg("space"), py::arg("readout"), py::arg("families"),
     py::arg("threads"), py::arg("budget_bits"), py::arg("max_assignments"));

  m.def("verify_interval", [](const model& net, const precision_spec& spec, const py::object& target, double lipschitz,
                              const py::object& low, const py::object& high, unsigned threads) {
    const auto* mlp_net = std::get_if<mlp>(&net.net);
    if (!mlp_net) throw std::invalid_argument("an interval check takes a one-input MLP");
    target_function f;
    if (py::isinstance<py::str>(target)) {
      f = fpx::target(target.cast<std::string>());
      if (lipschitz > 0) f.lipschitz = lipschitz;
    } else {
      // A Python callable: tabulated here at the values the check needs is not possible before
      // the walk, so the walk calls it with the GIL held (one input at a time).
      f.name = "callable";
      f.lipschitz = lipschitz;
      auto callable = std::make_shared<py::object>(target);
      f.value = [callable](double x, double) {
        py::gil_scoped_acquire acquire;
        return (*callable)(x).cast<double>();
      };
      threads = 1;
    }
    const rational lo = to_rational(low), hi = to_rational(high);  // with the GIL
    interval_check c;
    {
      py::gil_scoped_release release;
      c = verify_interval(*mlp_net, spec, f, lo, hi, threads);
    }
    return py::dict(py::arg("low") = to_fraction(c.low), py::arg("high") = to_fraction(c.high), py::arg("values") = c.values,
                    py::arg("sup_error") = c.sup_error, py::arg("largest_at_values") = c.largest_at_values,
                    py::arg("worst") = to_fraction(c.worst), py::arg("kind") = c.kind);
  }, py::arg("model"), py::arg("spec"), py::arg("target"), py::arg("lipschitz"), py::arg("low"), py::arg("high"),
     py::arg("threads"));
}

}  // namespace fpx::python
