// The named experiments, run from Python exactly as `fpx run` runs them.

#include <pybind11/stl.h>

#include "convert.hpp"
#include "experiment.hpp"

namespace fpx::python {

void register_experiments(py::module_& m) {
  m.def("experiments", [] {
    py::list out;
    for (const auto& e : experiments::registry())
      out.append(py::dict(py::arg("name") = e.name, py::arg("description") = e.description,
                          py::arg("columns") = e.columns, py::arg("defaults") = e.defaults.dump()));
    return out;
  });
  // Progress lines go to `progress` (a callable taking a line) with the GIL held; a pending
  // KeyboardInterrupt stops the run there, and the journal keeps the finished cells.
  m.def("run_experiment", [](const std::string& name, const std::string& config, const std::string& out,
                             unsigned threads, const std::vector<std::string>& argv, py::object progress) {
    const auto json = nlohmann::json::parse(config);
    const experiments::progress_sink sink = [&progress](const std::string& line) {
      py::gil_scoped_acquire acquire;
      if (!progress.is_none()) progress(line);
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    };
    py::gil_scoped_release release;
    return experiments::run(name, json, out, threads, argv, sink).string();
  }, py::arg("name"), py::arg("config"), py::arg("out"), py::arg("threads"), py::arg("argv"), py::arg("progress"));
}

}  // namespace fpx::python
