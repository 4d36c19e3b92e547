// Correctly rounded arithmetic on arrays of values of one format. Operands must already be
// values of the format (fpx.round puts them there); each result is rounded once. The Python
// package broadcasts the operands and passes them flat; element i uses stochastic site site + i.

#include <pybind11/stl.h>

#include <fmt/core.h>

#include "convert.hpp"
#include "fpx/arith/ops.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/arith/dot.hpp"
#include "fpx/fast/values.hpp"

namespace fpx::python {
namespace {

// The operands, flat and of one size (the package broadcasts them), as spans.
std::vector<std::span<const double>> flat(const std::vector<double_array>& operands) {
  std::vector<std::span<const double>> spans;
  for (const auto& x : operands) {
    if (x.size() != operands.front().size()) throw std::invalid_argument("operands differ in size");
    spans.emplace_back(x.data(), static_cast<std::size_t>(x.size()));
  }
  return spans;
}

// Operations on the fast paths (fast/values.hpp), without the GIL.
template <class Call>
double_array on_values(const std::vector<double_array>& operands, Call call) {
  const auto spans = flat(operands);
  double_array out = empty_like(operands.front());
  const std::span<double> result(out.mutable_data(), spans.front().size());
  py::gil_scoped_release release;
  call(spans, result);
  return out;
}

using binary_member = void (value_arith::*)(std::span<const double>, std::span<const double>, std::span<double>,
                                            std::uint64_t, unsigned) const;

void def_binary(py::module_& m, const char* name, binary_member fn) {
  m.def(name, [fn](const format& f, const double_array& a, const double_array& b, const std::string& mode,
                   std::optional<std::uint64_t> seed, std::uint64_t site, unsigned threads) {
    const value_arith arith(f, make_rounding(mode, seed));
    return on_values({a, b}, [&](const auto& x, std::span<double> out) { (arith.*fn)(x[0], x[1], out, site, threads); });
  }, py::arg("format"), py::arg("a"), py::arg("b"), py::arg("mode"), py::arg("seed"), py::arg("site"), py::arg("threads"));
}

// The operations without a fast path (exp, log, reciprocal, negate): operands read by
// value_reader, each result from arith/ops.hpp.
using unary = code_t (*)(const format&, code_t, const rounding&, std::uint64_t);

void def_unary(py::module_& m, const char* name, unary fn) {
  m.def(name, [fn](const format& f, const double_array& a, const std::string& mode,
                   std::optional<std::uint64_t> seed, std::uint64_t site, unsigned threads) {
    const rounding r = make_rounding(mode, seed);
    const value_reader reader(f);
    return on_values({a}, [&](const auto& x, std::span<double> out) {
      std::vector<code_t> codes(out.size());
      reader(x[0], codes, "a", 0, threads);
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = code_to_double(f, fn(f, codes[i], r, site + i));
    });
  }, py::arg("format"), py::arg("a"), py::arg("mode"), py::arg("seed"), py::arg("site"), py::arg("threads"));
}

accumulation make_accumulation(const std::string& where, const std::string& order,
                               std::optional<std::vector<std::size_t>> permutation,
                               std::optional<format> product, std::optional<format> accumulator) {
  accumulation a;
  a.where = parse_rounding_points(where);
  a.sum_order = parse_summation_order(order);
  if (permutation && a.sum_order != accumulation::order::given)
    throw std::invalid_argument("a permutation needs order='given'");
  if (permutation) a.permutation = *permutation;
  a.product = std::move(product);
  a.accumulator = std::move(accumulator);
  return a;
}

// Row i of a and b (rows x n, flattened) gives out[i]; row i's stochastic sites start at
// site + i (2n + 1), past every rounding a dot product of length n can make.
double_array dot_rows(const format& in, const double_array& a, const double_array& b, py::ssize_t n,
                      std::optional<format> out_format, const std::string& where, const std::string& order,
                      std::optional<std::vector<std::size_t>> permutation, std::optional<format> product,
                      std::optional<format> accumulator, const std::string& mode,
                      std::optional<std::uint64_t> seed, std::uint64_t site, unsigned threads) {
  if (a.size() != b.size() || (n == 0 ? a.size() != 0 : a.size() % n != 0))
    throw std::invalid_argument("dot: operands of different shapes");
  const value_dot dot(in, out_format.value_or(in),
                      make_accumulation(where, order, std::move(permutation), std::move(product), std::move(accumulator)),
                      make_rounding(mode, seed));
  const py::ssize_t rows = n ? a.size() / n : 0;
  double_array result(rows);
  const std::span<double> out(result.mutable_data(), static_cast<std::size_t>(rows));
  py::gil_scoped_release release;
  dot.rows(std::span(a.data(), static_cast<std::size_t>(a.size())), std::span(b.data(), static_cast<std::size_t>(b.size())),
           static_cast<std::size_t>(n), out, site, threads);
  return result;
}

}  // namespace

void register_arithmetic(py::module_& m) {
  def_binary(m, "add", &value_arith::add);
  def_binary(m, "sub", &value_arith::sub);
  def_binary(m, "mul", &value_arith::mul);
  def_binary(m, "div", &value_arith::div);
  m.def("sqrt", [](const format& f, const double_array& a, const std::string& mode, std::optional<std::uint64_t> seed,
                   std::uint64_t site, unsigned threads) {
    const value_arith arith(f, make_rounding(mode, seed));
    return on_values({a}, [&](const auto& x, std::span<double> out) { arith.sqrt(x[0], out, site, threads); });
  }, py::arg("format"), py::arg("a"), py::arg("mode"), py::arg("seed"), py::arg("site"), py::arg("threads"));
  m.def("fma", [](const format& f, const double_array& a, const double_array& b, const double_array& c,
                  const std::string& mode, std::optional<std::uint64_t> seed, std::uint64_t site, unsigned threads) {
    const value_arith arith(f, make_rounding(mode, seed));
    return on_values({a, b, c}, [&](const auto& x, std::span<double> out) { arith.fma(x[0], x[1], x[2], out, site, threads); });
  }, py::arg("format"), py::arg("a"), py::arg("b"), py::arg("c"), py::arg("mode"), py::arg("seed"), py::arg("site"),
     py::arg("threads"));
  def_unary(m, "exp", &fpx::exp);
  def_unary(m, "log", &fpx::log);
  def_unary(m, "reciprocal", &fpx::reciprocal);
  def_unary(m, "negate", &fpx::negate);
  m.def("dot", &dot_rows, py::arg("format"), py::arg("a"), py::arg("b"), py::arg("n"), py::arg("out"),
        py::arg("where"), py::arg("order"), py::arg("permutation"), py::arg("product"),
        py::arg("accumulator"), py::arg("mode"), py::arg("seed"), py::arg("site"), py::arg("threads"));
}

}  // namespace fpx::python
