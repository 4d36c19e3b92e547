#pragma once
// Conversions between Python values and fpx's exact types, shared by the register_*.cpp files.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>

#include "fpx/arith/format.hpp"
#include "fpx/model/network.hpp"
#include "fpx/exact/rational.hpp"

namespace fpx::python {

namespace py = pybind11;

/// A network as Python sees it. (Binding std::variant itself would collide with pybind11's
/// variant caster, which converts to the alternative instead.)
struct model {
  network net;
};

/// A C-contiguous float64 array, converted from whatever numpy accepts.
using double_array = py::array_t<double, py::array::c_style | py::array::forcecast>;
using code_array = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>;

/// An exact value as fractions.Fraction.
py::object to_fraction(const rational& value);
/// An exact rational from int, float (read exactly), fractions.Fraction, numpy scalars, or a
/// string ("1/3", "0.1", "0x1p-5"); throws std::invalid_argument for anything else.
rational to_rational(py::handle value);

/// The rounding rule for a mode name; stochastic rounding requires a seed, so that a result is
/// never silently tied to a default one.
rounding make_rounding(const std::string& mode, std::optional<std::uint64_t> seed);

/// The value of a code as a double, with NaN and infinities as such (fast/detail/batches.hpp).
double code_to_double(const format& f, code_t c);

/// A new float64 array with the shape of `like`.
double_array empty_like(const py::array& like);

}  // namespace fpx::python
