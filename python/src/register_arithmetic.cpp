// Correctly rounded arithmetic on arrays of values of one format. Operands must already be
// values of the format (fpx.round puts them there); each result is rounded once. The Python
// package broadcasts the operands and passes them flat; element i uses stochastic site site + i.

#include <pybind11/stl.h>

#include <fmt/core.h>

#include "convert.hpp"
#include "fpx/arith/ops.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/arith/dot.hpp"

namespace fpx::python {
namespace {

template <class Op>
double_array elementwise(const format& f, const std::vector<double_array>& operands, const rounding& r,
                         std::uint64_t site, Op op) {
  static const char* names[] = {"a", "b", "c"};
  const py::ssize_t size = operands.front().size();
  for (const auto& x : operands)
    if (x.size() != size) throw std::invalid_argument("operands differ in size");
  double_array out = empty_like(operands.front());
  double* o = out.mutable_data();
  std::vector<code_t> codes(operands.size());
  for (py::ssize_t i = 0; i < size; ++i) {
    for (std::size_t k = 0; k < operands.size(); ++k) codes[k] = exact_code(f, operands[k].data()[i], names[k], i);
    o[i] = code_to_double(f, op(codes, r, site + i));
  }
  return out;
}

using unary = code_t (*)(const format&, code_t, const rounding&, std::uint64_t);
using binary = code_t (*)(const format&, code_t, code_t, const rounding&, std::uint64_t);

void def_unary(py::module_& m, const char* name, unary fn) {
  m.def(name, [fn](const format& f, const double_array& a, const std::string& mode,
                   std::optional<std::uint64_t> seed, std::uint64_t site) {
    return elementwise(f, {a}, make_rounding(mode, seed), site,
                       [&](const std::vector<code_t>& c, const rounding& r, std::uint64_t s) { return fn(f, c[0], r, s); });
  }, py::arg("format"), py::arg("a"), py::arg("mode"), py::arg("seed"), py::arg("site"));
}

void def_binary(py::module_& m, const char* name, binary fn) {
  m.def(name, [fn](const format& f, const double_array& a, const double_array& b, const std::string& mode,
                   std::optional<std::uint64_t> seed, std::uint64_t site) {
    return elementwise(f, {a, b}, make_rounding(mode, seed), site,
                       [&](const std::vector<code_t>& c, const rounding& r, std::uint64_t s) { return fn(f, c[0], c[1], r, s); });
  }, py::arg("format"), py::arg("a"), py::arg("b"), py::arg("mode"), py::arg("seed"), py::arg("site"));
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
                      std::optional<std::uint64_t> seed, std::uint64_t site) {
  if (a.size() != b.size() || (n == 0 ? a.size() != 0 : a.size() % n != 0))
    throw std::invalid_argument("dot: operands of different shapes");
  const format out = out_format.value_or(in);
  const accumulation rule = make_accumulation(where, order, std::move(permutation), std::move(product), std::move(accumulator));
  const rounding r = make_rounding(mode, seed);
  const py::ssize_t rows = n ? a.size() / n : 0;
  double_array result_values(rows);
  std::vector<code_t> x(n), y(n);
  for (py::ssize_t i = 0; i < rows; ++i) {
    for (py::ssize_t k = 0; k < n; ++k) {
      x[k] = exact_code(in, a.data()[i * n + k], "a", i * n + k);
      y[k] = exact_code(in, b.data()[i * n + k], "b", i * n + k);
    }
    const std::uint64_t first = site + static_cast<std::uint64_t>(i) * (2 * n + 1);
    result_values.mutable_data()[i] = code_to_double(out, dot(in, x, y, out, rule, r, first));
  }
  return result_values;
}

}  // namespace

void register_arithmetic(py::module_& m) {
  def_binary(m, "add", &fpx::add);
  def_binary(m, "sub", &fpx::sub);
  def_binary(m, "mul", &fpx::mul);
  def_binary(m, "div", &fpx::div);
  def_unary(m, "sqrt", &fpx::sqrt);
  def_unary(m, "exp", &fpx::exp);
  def_unary(m, "log", &fpx::log);
  def_unary(m, "reciprocal", &fpx::reciprocal);
  def_unary(m, "negate", &fpx::negate);
  m.def("fma", [](const format& f, const double_array& a, const double_array& b, const double_array& c,
                  const std::string& mode, std::optional<std::uint64_t> seed, std::uint64_t site) {
    return elementwise(f, {a, b, c}, make_rounding(mode, seed), site,
                       [&](const std::vector<code_t>& x, const rounding& r, std::uint64_t s) {
                         return fpx::fma(f, x[0], x[1], x[2], r, s);
                       });
  }, py::arg("format"), py::arg("a"), py::arg("b"), py::arg("c"), py::arg("mode"), py::arg("seed"), py::arg("site"));
  m.def("dot", &dot_rows, py::arg("format"), py::arg("a"), py::arg("b"), py::arg("n"), py::arg("out"),
        py::arg("where"), py::arg("order"), py::arg("permutation"), py::arg("product"),
        py::arg("accumulator"), py::arg("mode"), py::arg("seed"), py::arg("site"));
}

}  // namespace fpx::python
