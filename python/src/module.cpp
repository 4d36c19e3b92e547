// The private extension behind the `fpx` Python package; each area registers itself.

#include "convert.hpp"

namespace fpx::python {
void register_formats(py::module_& m);
void register_arithmetic(py::module_& m);
void register_models(py::module_& m);
void register_claims(py::module_& m);
void register_experiments(py::module_& m);
}  // namespace fpx::python

PYBIND11_MODULE(_core, m) {
  m.doc() = "fpx's C++ core; use the `fpx` package, which wraps it.";
  fpx::python::register_formats(m);
  fpx::python::register_arithmetic(m);
  fpx::python::register_models(m);
  fpx::python::register_claims(m);
  fpx::python::register_experiments(m);
}
