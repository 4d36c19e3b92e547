#include "convert.hpp"

#include <fmt/core.h>

#include <cmath>
#include <stdexcept>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"
#include "fpx/fast/detail/batches.hpp"

namespace fpx::python {

py::object to_fraction(const rational& value) {
  static const py::object fraction = py::module_::import("fractions").attr("Fraction");
  return fraction(to_fraction_string(value));
}

rational to_rational(py::handle value) {
  if (py::isinstance<py::str>(value)) return parse_rational(value.cast<std::string>());
  if (py::isinstance<py::bool_>(value))
    throw std::invalid_argument("a number was expected, not a bool");
  if (py::isinstance<py::float_>(value)) {
    const double x = value.cast<double>();
    if (!std::isfinite(x)) throw std::invalid_argument("a finite number was expected");
    return rational(x);
  }
  if (py::hasattr(value, "numerator") && py::hasattr(value, "denominator")) {
    const auto text = [](py::handle v) { return py::str(py::int_(py::reinterpret_borrow<py::object>(v))).cast<std::string>(); };
    return parse_rational(text(value.attr("numerator")) + "/" + text(value.attr("denominator")));
  }
  throw std::invalid_argument("cannot read " + py::repr(value).cast<std::string>() +
                              " as an exact number (use int, float, Fraction or a string)");
}

rounding make_rounding(const std::string& mode, std::optional<std::uint64_t> seed) { return rounding_of(mode, seed); }

double code_to_double(const format& f, code_t c) { return detail::value_of(f, c); }

double_array empty_like(const py::array& like) {
  return double_array(std::vector<py::ssize_t>(like.shape(), like.shape() + like.ndim()));
}

}  // namespace fpx::python
