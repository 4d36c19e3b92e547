// The named experiments, run from Python exactly as `fpx run` runs them, and the runner's
// conventions (parameters, journal, atomic outputs, manifest) for experiments written in Python
// (fpx.runner).

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include "convert.hpp"
#include "runner/experiment.hpp"

namespace fpx::python {
namespace {

// Progress lines go to `progress` (a callable taking a line) with the GIL held; a pending
// KeyboardInterrupt stops the run there, and the journal keeps the finished cells.
experiments::progress_sink sink(py::object progress) {
  return [progress](const std::string& line) {
    py::gil_scoped_acquire acquire;
    if (!progress.is_none()) progress(line);
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
}

nlohmann::json parse(const std::string& text, const char* what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string(what) + ": malformed JSON: " + e.what());
  }
}

}  // namespace

void register_experiments(py::module_& m) {
  m.def("source_dir", [] { return std::string(FPX_SOURCE_DIR); });
  m.def("experiments", [] {
    py::list out;
    for (const auto& e : experiments::registry())
      out.append(py::dict(py::arg("name") = e.name, py::arg("claim") = e.claim,
                          py::arg("description") = e.description, py::arg("columns") = e.body.columns,
                          py::arg("defaults") = e.parameters.dump(), py::arg("documentation") = e.documentation.dump(),
                          py::arg("configs") = e.configs.dump(),
                          py::arg("script") = e.script));
    return out;
  });
  m.def("resolve_parameters", [](const std::string& name, const std::string& config) {
    return experiments::resolve_parameters(experiments::find(name), parse(config, "config")).dump();
  }, py::arg("name"), py::arg("config"));
  m.def("run_experiment", [](const std::string& name, const std::string& config, const std::string& out,
                             unsigned threads, const std::vector<std::string>& argv, py::object progress) {
    const auto json = parse(config, "config");
    const auto report = sink(std::move(progress));
    py::gil_scoped_release release;
    return experiments::run(name, json, out, threads, argv, report).string();
  }, py::arg("name"), py::arg("config"), py::arg("out"), py::arg("threads"), py::arg("argv"), py::arg("progress"));

  // One run of a Python experiment: the same context the C++ experiments get.
  py::class_<experiments::context>(m, "ExperimentRun")
      .def(py::init([](const std::string& name, const std::string& config, const std::string& out,
                       unsigned threads, const std::vector<std::string>& argv, py::object progress) {
             return std::make_unique<experiments::context>(experiments::find(name), parse(config, "config"), out,
                                                           threads, argv, sink(std::move(progress)));
           }),
           py::arg("name"), py::arg("config"), py::arg("out"), py::arg("threads"), py::arg("argv"),
           py::arg("progress"))
      .def_property_readonly("parameters", [](const experiments::context& c) { return c.config().dump(); })
      .def_property_readonly("directory", [](const experiments::context& c) { return c.directory().string(); })
      .def_property_readonly("cells_resumed", &experiments::context::cells_resumed)
      .def("cell", [](experiments::context& c, const std::string& key, const std::function<std::string()>& body) {
        return c.cell_text(key, body);
      }, py::arg("key"), py::arg("body"))
      .def("write", &experiments::context::write, py::arg("file"), py::arg("text"))
      .def("finish", [](experiments::context& c, const std::string& extra) {
        return c.finish(parse(extra, "manifest")).string();
      }, py::arg("extra"));
}

}  // namespace fpx::python
