// Formats, rounding into them, and bit patterns: fpx.Format, fpx.round, encode, decode, values,
// and the MX block formats.

#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <span>

#include <fmt/core.h>

#include "convert.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/arith/dot.hpp"
#include "fpx/fast/rounder.hpp"
#include "fpx/fast/detail/batches.hpp"
#include "fpx/fast/mx.hpp"
#include "fpx/fast/values.hpp"
#include "fpx/arith/mx.hpp"
#include "fpx/arith/round.hpp"

namespace fpx::python {
namespace {

// Through the name grammar, so the parameters get parse_format's validation and default bias
// (which depends on the special values: 2^(E-1) for fnuz, 2^(E-1) - 1 otherwise). The variant
// is always spelt out: "e2m1" alone is OCP's FP4 preset, "e2m1_ieee" the IEEE-style format.
format make_minifloat(int exponent_bits, int mantissa_bits, std::optional<int> bias,
                      const std::string& specials, bool subnormals, bool is_signed) {
  std::string name = fmt::format("e{}m{}_{}", exponent_bits, mantissa_bits, specials);
  if (bias) name += fmt::format(":bias={}", *bias);
  if (!subnormals) name += ":nosub";
  if (!is_signed) name += ":unsigned";
  return parse_format(name);
}

// The loops below run without the GIL: the arrays are owned by the caller's references.
double_array round_into(const format& f, const double_array& x, const std::string& mode,
                        std::optional<std::uint64_t> seed, std::uint64_t site, unsigned threads) {
  const std::size_t n = static_cast<std::size_t>(x.size());
  const fast_rounder rounder(f, make_rounding(mode, seed));
  double_array out = empty_like(x);
  const std::span<double> values(out.mutable_data(), n);
  py::gil_scoped_release release;
  rounder.round_values(std::span(x.data(), n), values, site, threads);
  return out;
}

code_array encode(const format& f, const double_array& x, const std::string& mode,
                  std::optional<std::uint64_t> seed, std::uint64_t site, unsigned threads) {
  code_array out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  const std::size_t n = static_cast<std::size_t>(x.size());
  const fast_rounder rounder(f, make_rounding(mode, seed));
  const std::span<code_t> codes(out.mutable_data(), n);
  py::gil_scoped_release release;
  rounder(std::span(x.data(), n), codes, site, threads);
  return out;
}

// Exact inputs (ints, Fractions, strings), as text parse_number reads; element i at site
// first_site + i, as the doubles' path numbers them.
std::vector<code_t> round_texts(const format& f, const std::vector<std::string>& texts, const std::string& mode,
                                std::optional<std::uint64_t> seed, std::uint64_t first_site) {
  const rounding r = make_rounding(mode, seed);
  std::vector<code_t> codes;
  codes.reserve(texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) codes.push_back(from_number(f, parse_number(texts[i]), r, first_site + i));
  return codes;
}

// The values of f that exact inputs name, as doubles: each must be a value of f (operands of
// arithmetic are never rounded silently) and exactly a double.
std::vector<double> values_of_texts(const format& f, const std::vector<std::string>& texts, const std::string& what) {
  std::vector<double> out;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const number x = parse_number(texts[i]);
    const code_t c = from_number(f, x, {round_mode::rtz});
    const double d = code_to_double(f, c);
    const bool same = x.what == number::kind::finite ? classify(f, c) != number_class::nan &&
                                                           classify(f, c) != number_class::infinite &&
                                                           fpx::to_rational(f, c) == x.value
                                                     : x.what == number::kind::nan ? std::isnan(d) : std::isinf(d);
    if (!same)
      throw std::invalid_argument(fmt::format("{}[{}] = {} is not a value of {}; round it first (fpx.round)", what, i,
                                              texts[i], f.name()));
    if (x.what == number::kind::finite && exact_rational(d) != x.value)
      throw std::invalid_argument(fmt::format("{}[{}] = {} is a value of {} that no double holds", what, i, texts[i], f.name()));
    out.push_back(x.negative && x.value == 0 && x.what == number::kind::finite ? -0.0 : d);
  }
  return out;
}

double_array decode(const format& f, const code_array& codes, unsigned threads) {
  double_array out = empty_like(codes);
  const std::size_t n = static_cast<std::size_t>(codes.size());
  const fast_decoder decoder(f);
  const std::span<double> values(out.mutable_data(), n);
  py::gil_scoped_release release;
  decoder(std::span(codes.data(), n), values, threads);
  return out;
}

py::array_t<double> values(const format& f) {
  const std::vector<code_t> codes = finite_codes(f);
  py::array_t<double> out(static_cast<py::ssize_t>(codes.size()));
  const fast_decoder decoder(f);
  decoder(codes, std::span(out.mutable_data(), codes.size()));
  return out;
}

// Rows along the last axis, blocks within each row: what an MX-quantized weight matrix is. Row
// i rounds with seed + i, its sites numbered within the row (as fpx::quantize does). values_only:
// the values array alone (fpx.round), without the codes.
py::object quantize_mx_rows(const mx_format& f, const double_array& x, const std::string& mode,
                            std::optional<std::uint64_t> seed, unsigned threads, bool values_only) {
  if (x.ndim() == 0) throw std::invalid_argument("an MX format needs an array with at least one axis");
  const std::size_t row = static_cast<std::size_t>(x.shape(x.ndim() - 1));
  const std::size_t rows = row ? static_cast<std::size_t>(x.size()) / row : 0;
  const std::size_t blocks_per_row = (row + static_cast<std::size_t>(f.block_size) - 1) / static_cast<std::size_t>(f.block_size);
  const rounding r = make_rounding(mode, seed);
  double_array values = empty_like(x);
  code_array scales(static_cast<py::ssize_t>(values_only ? 0 : rows * blocks_per_row));
  code_array elements(static_cast<py::ssize_t>(values_only ? 0 : rows * row));
  double* v = values.mutable_data();
  code_t* s = values_only ? nullptr : scales.mutable_data();
  code_t* e = values_only ? nullptr : elements.mutable_data();
  const double* in = x.data();
  const fast_mx_quantizer quantizer(f, r);
  {
    py::gil_scoped_release release;
    detail::for_each_batch(rows, threads, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t i = lo; i < hi; ++i) {
        const mx_tensor t = quantizer({in + i * row, row}, r.seed + static_cast<std::uint64_t>(i));
        fast_dequantize_mx(t, {v + i * row, row});
        if (values_only) continue;
        std::copy(t.scales.begin(), t.scales.end(), s + i * blocks_per_row);
        std::copy(t.elements.begin(), t.elements.end(), e + i * row);
      }
    }, std::max<std::size_t>(1, detail::batch_range / std::max<std::size_t>(row, 1)));
  }
  if (values_only) return values;
  py::dict out;
  out["values"] = values;
  out["scales"] = scales;
  out["elements"] = elements;
  out["block_size"] = f.block_size;
  return out;
}

}  // namespace

void register_formats(py::module_& m) {
  py::class_<format>(m, "Format", "A scalar number format (minifloat or grid) with its overflow policy.")
      .def(py::init([](const std::string& name) { return parse_format(name); }), py::arg("name"),
           "A format by name: a preset (fp16, e4m3, ...), an alias (float8_e4m3fn, bfloat16, ...) or any name\n"
           "of the grammar (e3m2_fn:bias=4, fixed:s:3:4, int4:scale=1/8, ternary; docs/names.md).")
      .def_static("minifloat", &make_minifloat, py::arg("exponent_bits"), py::arg("mantissa_bits"),
                  py::arg("bias") = py::none(), py::arg("specials") = "ieee",
                  py::arg("subnormals") = true, py::arg("signed") = true,
                  "A minifloat with exponent_bits and mantissa_bits stored bits; bias (None: 2^(E-1) - 1, or\n"
                  "2^(E-1) for fnuz); specials: ieee (Inf and NaN), fn (NaN only, OCP E4M3's), fnuz (NaN is\n"
                  "the -0 pattern) or finite; subnormals and a sign bit on or off.")
      .def_static("fixed", &format::fixed_point, py::arg("signed"), py::arg("int_bits"), py::arg("frac_bits"),
                  "Fixed point with int_bits integer and frac_bits fraction bits (and a sign bit when signed),\n"
                  "two's complement, step 2^-frac_bits.")
      .def_static("int", [](int bits, const py::object& scale) { return format::int_symmetric(bits, to_rational(scale)); },
                  py::arg("bits"), py::arg("scale") = 1,
                  "Symmetric INTn: the levels -(2^(bits-1) - 1) .. 2^(bits-1) - 1 times scale (read exactly).")
      .def_static("uint", [](int bits, std::int64_t zero, const py::object& scale) { return format::int_asymmetric(bits, zero, to_rational(scale)); },
                  py::arg("bits"), py::arg("zero_point") = 0, py::arg("scale") = 1,
                  "Asymmetric UINTn: the levels -zero_point .. 2^bits - 1 - zero_point times scale.")
      .def_static("ternary", [](const py::object& scale) { return format::ternary(to_rational(scale)); }, py::arg("scale") = 1,
                  "The ternary grid {-scale, 0, scale} (2 bits of storage, log2 3 of information).")
      .def_static("s1", [](const py::object& scale) { return format::s1(to_rational(scale)); }, py::arg("scale") = 1,
                  "Signed one-bit weights {-scale, +scale}.")
      .def_static("u1", [](const py::object& scale) { return format::u1(to_rational(scale)); }, py::arg("scale") = 1,
                  "Unsigned one-bit weights {0, scale}.")
      .def_property_readonly("name", &format::name, "The canonical name (it parses back to this format).")
      .def_property_readonly("kind", [](const format& f) { return f.kind() == format_kind::minifloat ? "minifloat" : "grid"; },
                             "minifloat or grid.")
      .def_property_readonly("bits", &format::bits, "Bits of storage per value.")
      .def_property_readonly("information_bits", &format::information_bits,
                             "log2 of the number of distinct finite values (1.585 for ternary).")
      .def_property_readonly("overflow", [](const format& f) { return std::string(to_string(f.overflow())); },
                             "What a result beyond the range becomes: saturate, inf, nan or error (OverflowError).")
      .def("with_overflow", [](const format& f, const std::string& p) { return f.with_overflow(parse_overflow_policy(p)); },
           py::arg("policy"), "The same format with another overflow policy (saturate, inf, nan, error).")
      .def_property_readonly("has_inf", &format::has_inf, "Whether the format has infinities.")
      .def_property_readonly("has_nan", &format::has_nan, "Whether the format has a NaN.")
      .def_property_readonly("has_negative_zero", &format::has_negative_zero, "Whether -0 is a value of its own.")
      .def_property_readonly("is_signed", &format::is_signed, "Whether the format has negative values.")
      .def_property_readonly("is_dyadic", &format::is_dyadic,
                             "Whether every value is a dyadic rational (a double can hold it); arithmetic needs this.")
      .def_property_readonly("max", [](const format& f) { return to_fraction(max_value(f)); },
                             "The largest finite value, exactly (a Fraction).")
      .def_property_readonly("lowest", [](const format& f) { return to_fraction(lowest_value(f)); },
                             "The smallest finite value (the most negative), exactly.")
      .def_property_readonly("min_positive", [](const format& f) { return to_fraction(min_positive(f)); },
                             "The smallest positive value (a subnormal where the format has them), exactly.")
      .def_property_readonly("min_normal", [](const format& f) { return to_fraction(min_normal(f)); },
                             "The smallest positive normal value (grids: min_positive), exactly.")
      .def_property_readonly("epsilon", [](const format& f) { return to_fraction(epsilon(f)); },
                             "The distance from 1 to the next larger value (grids: the step), exactly.")
      .def(py::self == py::self)
      .def("__hash__", [](const format& f) { return py::hash(py::str(f.name())); })
      .def("__repr__", [](const format& f) { return "Format('" + f.name() + "')"; })
      .def(py::pickle([](const format& f) { return f.name(); },
                      [](const std::string& name) { return parse_format(name); }));
  py::implicitly_convertible<py::str, format>();

  m.def("preset_names", &preset_names);
  m.def("format_aliases", &format_aliases);
  m.def("round_texts", [](const format& f, const std::vector<std::string>& texts, const std::string& mode,
                          std::optional<std::uint64_t> seed, std::uint64_t first_site) {
    const auto codes = round_texts(f, texts, mode, seed, first_site);
    std::vector<double> values;
    for (code_t c : codes) values.push_back(code_to_double(f, c));
    return values;
  }, py::arg("format"), py::arg("texts"), py::arg("mode"), py::arg("seed"), py::arg("first_site"));
  m.def("encode_texts", &round_texts, py::arg("format"), py::arg("texts"), py::arg("mode"), py::arg("seed"),
        py::arg("first_site"));
  m.def("values_of_texts", &values_of_texts, py::arg("format"), py::arg("texts"), py::arg("what"));
  m.def("format_grammar", &format_grammar);
  m.def("mx_grammar", &mx_grammar);
  m.def("round_mode_names", [] { return round_mode_names(); });
  m.def("rounding_grammar", [] { return rounding_grammar(); });
  m.def("rounding_point_names", [] { return rounding_point_names(); });
  m.def("summation_order_names", [] { return summation_order_names(); });
  m.def("round", &round_into, py::arg("format"), py::arg("x"), py::arg("mode"), py::arg("seed"), py::arg("site"),
        py::arg("threads"));
  m.def("encode", &encode, py::arg("format"), py::arg("x"), py::arg("mode"), py::arg("seed"), py::arg("site"),
        py::arg("threads"));
  m.def("decode", &decode, py::arg("format"), py::arg("codes"), py::arg("threads"));
  m.def("values", &values, py::arg("format"));
  m.def("exact_value", [](const format& f, code_t c) { return to_fraction(fpx::to_rational(f, c)); },
        py::arg("format"), py::arg("code"));
  m.def("stochastic_bias",
        [](const format& f, const py::handle& x, const std::string& mode) {
          return to_fraction(fpx::stochastic_bias(f, to_rational(x), parse_rounding(mode)));
        },
        py::arg("format"), py::arg("x"), py::arg("mode"));

  py::class_<mx_format>(m, "MXFormat", "An OCP MX block format: blocks of block_size elements share one E8M0 scale.")
      .def(py::init([](const std::string& name) { return parse_mx_format(name); }), py::arg("name"),
           "An MX format by name: mxfp8_e4m3, mxfp6_e3m2, mxfp4, mxint8, mxintN, with _K or :block=K for blocks of K "
           "and :scale_rule=floor|ceil|even|rceil for the scale rule (floor, OCP's, by default).")
      .def_readonly("name", &mx_format::name, "The name it was made from.")
      .def_readonly("element", &mx_format::element, "The element Format (saturating to its largest normal).")
      .def_readonly("block_size", &mx_format::block_size, "Elements per block (32 by default).")
      .def_property_readonly("scale_rule", [](const mx_format& f) { return std::string(to_string(f.scale_rule)); },
                             "How a block's E8M0 scale is chosen: floor (OCP, the default), ceil, even or rceil.")
      .def("__repr__", [](const mx_format& f) { return "MXFormat('" + f.name + "')"; })
      .def("__eq__", [](const mx_format& a, const mx_format& b) {
        return a.element == b.element && a.block_size == b.block_size && a.scale_rule == b.scale_rule;
      })
      .def("__hash__", [](const mx_format& f) {
        return py::hash(py::make_tuple(f.element.name(), f.block_size, std::string(to_string(f.scale_rule))));
      })
      .def(py::pickle([](const mx_format& f) { return f.name; },
                      [](const std::string& name) { return parse_mx_format(name); }));
  m.def("mx_names", &mx_preset_names);
  m.def("quantize_mx", &quantize_mx_rows, py::arg("format"), py::arg("x"), py::arg("mode"), py::arg("seed"),
        py::arg("threads"), py::arg("values_only") = false);
}

}  // namespace fpx::python
