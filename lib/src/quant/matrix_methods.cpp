#include "fpx/quant/matrix_methods.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <queue>
#include <stdexcept>

#include "quantizer.hpp"

namespace fpx {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

void check_finite(const MatrixXd& w, std::string_view method) {
  for (Index i = 0; i < w.size(); ++i)
    if (!std::isfinite(w.data()[i]))
      throw std::invalid_argument(std::string(method) + ": weight " + std::to_string(i) + " is not finite");
}

double to_format(const format& f, double x) { return static_cast<double>(detail::rounded(f, rational(x))); }

// The best rank-1 approximation u vᵀ of a nonnegative matrix a, by power iteration from the
// all-ones vector (its Perron vector is nonnegative, so the iteration cannot stall on a sign),
// with v scaled to a largest entry of 1 and rounded to fp16, then u = a v / ‖v‖² (the least
// squares u for that v) rounded to fp16.
void rank_one(const MatrixXd& a, VectorXd& u, VectorXd& v) {
  static const format half = preset("fp16");
  // Iterated on a / max a, so that no product overflows whatever the weights' size.
  const double top_entry = a.maxCoeff();
  if (!(top_entry > 0)) {
    u = VectorXd::Zero(a.rows());
    v = VectorXd::Zero(a.cols());
    return;
  }
  const MatrixXd scaled = a / top_entry;
  v = VectorXd::Ones(a.cols());
  for (int iteration = 0; iteration < 200; ++iteration) {
    VectorXd next = scaled.transpose() * (scaled * v);
    const double top = next.maxCoeff();
    if (!(top > 0)) {  // a = 0: nothing to approximate
      u = VectorXd::Zero(a.rows());
      v = VectorXd::Zero(a.cols());
      return;
    }
    next /= top;
    const double change = (next - v).cwiseAbs().maxCoeff();
    v = next;
    if (change < 1e-15) break;
  }
  for (Index j = 0; j < v.size(); ++j) v(j) = to_format(half, v(j));
  const double norm = v.squaredNorm();
  u = scaled * v / norm * top_entry;
  for (Index i = 0; i < u.size(); ++i) {
    if (!std::isfinite(u(i))) throw std::range_error("bitstack: a rank-1 factor is beyond fp16's range");
    u(i) = to_format(half, u(i));  // range_error beyond fp16's range
  }
}

}  // namespace

quantized_weights bitstack(const MatrixXd& w, int blocks) {
  if (blocks < 1 || blocks > 32)
    throw std::invalid_argument("bitstack: blocks must be 1..32 (32 blocks already cost more than fp32)");
  check_finite(w, "bitstack");
  quantized_weights out;
  out.name = "bitstack:blocks=" + std::to_string(blocks);
  out.values = MatrixXd::Zero(w.rows(), w.cols());
  if (w.size() == 0) return out;
  VectorXd u, v;
  for (int k = 0; k < blocks; ++k) {
    const MatrixXd residual = w - out.values;
    rank_one(residual.cwiseAbs(), u, v);
    for (Index c = 0; c < w.cols(); ++c)
      for (Index r = 0; r < w.rows(); ++r) {
        const double magnitude = u(r) * v(c);  // fp16 x fp16: exact in double
        out.values(r, c) += residual(r, c) >= 0 ? magnitude : -magnitude;
      }
  }
  const double n = static_cast<double>(w.size());
  out.bits_per_parameter = w.size() == 0 ? 0 : blocks * (n + 16.0 * static_cast<double>(w.rows() + w.cols())) / n;
  out.information_bits_per_parameter = out.bits_per_parameter;
  return out;
}

std::uint64_t huffman_bits(const std::vector<std::uint64_t>& counts) {
  std::priority_queue<std::uint64_t, std::vector<std::uint64_t>, std::greater<>> heap;
  for (std::uint64_t c : counts)
    if (c > 0) heap.push(c);
  if (heap.size() == 1) return heap.top();  // one symbol: one bit each
  // Each merge adds its weight once for every level it puts its leaves down: the sum of the
  // merged weights is the sum over symbols of count x code length, the same for any tie order.
  std::uint64_t total = 0;
  while (heap.size() > 1) {
    const std::uint64_t a = heap.top();
    heap.pop();
    const std::uint64_t b = heap.top();
    heap.pop();
    total += a + b;
    heap.push(a + b);
  }
  return total;
}

quantized_weights ternary_entropy_coded(const MatrixXd& w, double threshold) {
  if (!(threshold >= 0 && std::isfinite(threshold)))
    throw std::invalid_argument("ternary_ec: the threshold must be a finite fraction >= 0 of mean |w|");
  check_finite(w, "ternary_ec");
  quantized_weights out;
  out.name = fmt::format("ternary_ec:threshold={}", threshold);
  out.values = MatrixXd::Zero(w.rows(), w.cols());
  if (w.size() == 0) return out;
  // Row-major order throughout (the order the digits are coded in).
  double sum = 0;
  for (Index r = 0; r < w.rows(); ++r)
    for (Index c = 0; c < w.cols(); ++c) sum += std::abs(w(r, c));
  if (!std::isfinite(sum)) throw std::range_error("ternary_ec: the sum of |w| overflows a double");
  const double t = threshold * sum / static_cast<double>(w.size());
  double kept = 0;
  std::size_t nonzero = 0;
  for (Index r = 0; r < w.rows(); ++r)
    for (Index c = 0; c < w.cols(); ++c)
      if (std::abs(w(r, c)) > t) {
        kept += std::abs(w(r, c));
        ++nonzero;
      }
  static const format fp32 = preset("fp32");
  const double a = nonzero == 0 ? 0.0 : to_format(fp32, kept / static_cast<double>(nonzero));
  std::vector<std::uint64_t> counts(243, 0);
  unsigned group = 0, digit = 0, place = 1;
  for (Index r = 0; r < w.rows(); ++r)
    for (Index c = 0; c < w.cols(); ++c) {
      unsigned d = 0;
      if (std::abs(w(r, c)) > t) {
        out.values(r, c) = w(r, c) > 0 ? a : -a;
        d = w(r, c) > 0 ? 1 : 2;
      }
      group += d * place;
      place *= 3;
      if (++digit == 5) {
        ++counts[group];
        group = digit = 0;
        place = 1;
      }
    }
  if (digit > 0) ++counts[group];  // padded with 0 digits
  const double bits = static_cast<double>(huffman_bits(counts)) + 243 * 6 + 32;
  out.bits_per_parameter = out.information_bits_per_parameter = bits / static_cast<double>(w.size());
  return out;
}

namespace detail {

namespace {

std::string_view head_of(std::string_view name) { return name.substr(0, name.find(':')); }

}  // namespace

bool is_matrix_method(std::string_view name) {
  const std::string_view head = head_of(name);
  return head == "bitstack" || head == "ternary_ec";
}

std::string matrix_method_grammar() {
  return "whole-matrix methods (not for GPTQ): bitstack:blocks=K (K sign-and-rank-1 blocks, about K bits per "
         "weight), ternary_ec[:threshold=D] (ternary, threshold D mean|w| (0.7), Huffman-coded in groups of 5)";
}

std::optional<quantized_weights> matrix_method(const MatrixXd& w, std::string_view name) {
  if (!is_matrix_method(name)) return std::nullopt;
  const std::string_view head = head_of(name);
  std::optional<int> blocks;
  std::optional<double> threshold;
  std::string_view rest = name.substr(head.size());
  while (!rest.empty()) {
    rest.remove_prefix(1);  // ':'
    const std::string_view opt = rest.substr(0, rest.find(':'));
    rest.remove_prefix(opt.size());
    auto number = [&](std::string_view prefix, auto& value) {
      if (!opt.starts_with(prefix)) return false;
      const std::string_view digits = opt.substr(prefix.size());
      std::remove_reference_t<decltype(*value)> x{};
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), x);
      if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size())
        bad_quantizer(name, "'" + std::string(opt) + "' is not " + std::string(prefix) + "a number");
      value = x;
      return true;
    };
    if (head == "bitstack" && number("blocks=", blocks)) continue;
    if (head == "ternary_ec" && number("threshold=", threshold)) continue;
    bad_quantizer(name, "unknown option '" + std::string(opt) + "'");
  }
  try {
    if (head == "bitstack") {
      if (!blocks) bad_quantizer(name, "bitstack needs :blocks=K");
      return bitstack(w, *blocks);
    }
    return ternary_entropy_coded(w, threshold.value_or(0.7));
  } catch (const std::invalid_argument& e) {
    if (std::string_view(e.what()).starts_with("quantizer")) throw;
    bad_quantizer(name, e.what());
  }
}

}  // namespace detail

}  // namespace fpx
