#include "convert.hpp"

#include <fmt/core.h>

#include <cmath>
#include <stdexcept>

#include "fpx/arith/codec.hpp"
#include "fpx/arith/round.hpp"

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

code_t exact_code(const format& f, double x, const char* what, py::ssize_t index) {
  if (std::isnan(x)) {
    if (!f.has_nan()) throw std::invalid_argument(fmt::format("{}[{}] is NaN, which {} does not have", what, index, f.name()));
    return nan_code(f);
  }
  if (std::isinf(x)) {
    if (!f.has_inf()) throw std::invalid_argument(fmt::format("{}[{}] is infinite, which {} does not have", what, index, f.name()));
    return inf_code(f, x < 0);
  }
  const code_t c = from_double(f, x);
  if (fpx::to_rational(f, c) != rational(x) || (x == 0 && f.has_negative_zero() && std::signbit(x) != is_negative(f, c)))
    throw std::invalid_argument(fmt::format(
        "{}[{}] = {} is not a value of {}; round it first (fpx.round)", what, index, x, f.name()));
  return c;
}

double code_to_double(const format& f, code_t c) {
  switch (classify(f, c)) {
    case number_class::nan: return std::nan("");
    case number_class::infinite: return is_negative(f, c) ? -HUGE_VAL : HUGE_VAL;
    default: return to_double(f, c);
  }
}

double_array empty_like(const py::array& like) {
  return double_array(std::vector<py::ssize_t>(like.shape(), like.shape() + like.ndim()));
}

}  // namespace fpx::python
