// The private extension behind the `fpx` Python package; each area registers itself.

#include <nlohmann/json.hpp>

#include "convert.hpp"

namespace fpx::python {
void register_formats(py::module_& m);
void register_arithmetic(py::module_& m);
void register_models(py::module_& m);
void register_claims(py::module_& m);
void register_experiments(py::module_& m);
void register_verify(py::module_& m);
}  // namespace fpx::python

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "fpx's C++ core; use the `fpx` package, which wraps it.";
  // Malformed JSON (a model, a spec, a config) is bad input, like a bad format name.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nlohmann::json::exception& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  fpx::python::register_formats(m);
  fpx::python::register_arithmetic(m);
  fpx::python::register_models(m);
  fpx::python::register_claims(m);
  fpx::python::register_experiments(m);
  fpx::python::register_verify(m);
}
