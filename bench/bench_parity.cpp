// The C++ side of the Python benchmark (bench/bench_python.py): the operations the Python
// package runs, called from C++ on the same inputs (raw float64 files the Python side writes),
// each timed as the median of repetitions on one thread. Prints one JSON object of rates
// (elements per second).
//   fpx_bench_parity X.f64 Y.f64 REPETITIONS
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "fpx/fast/mx.hpp"
#include "fpx/fast/rounder.hpp"
#include "fpx/fast/values.hpp"
#include "fpx/quant/quantize.hpp"

namespace {

std::vector<double> read_doubles(const char* path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error(std::string("cannot read ") + path);
  std::vector<double> x(static_cast<std::size_t>(in.tellg()) / sizeof(double));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(x.data()), static_cast<std::streamsize>(x.size() * sizeof(double)));
  return x;
}

// Elements per second: the median over `repetitions` timed calls, after one warm-up call.
double rate(std::size_t elements, int repetitions, const std::function<void()>& call) {
  call();
  std::vector<double> seconds;
  for (int r = 0; r < repetitions; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return static_cast<double>(elements) / seconds[seconds.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: fpx_bench_parity X.f64 Y.f64 REPETITIONS\n");
    return 2;
  }
  const std::vector<double> x = read_doubles(argv[1]), y = read_doubles(argv[2]);
  const int repetitions = std::stoi(argv[3]);
  const std::size_t n = x.size();
  std::map<std::string, double> rates;
  std::vector<double> out(n);
  for (const char* name : {"e4m3", "fp16", "bf16"}) {
    const fpx::fast_rounder rounder(fpx::parse_format(name));
    rates[std::string("round/") + name] = rate(n, repetitions, [&] { rounder.round_values(x, out); });
  }
  const auto e4m3 = fpx::preset("e4m3");
  std::vector<double> a(n), b(n);
  fpx::fast_rounder(e4m3).round_values(x, a);
  fpx::fast_rounder(e4m3).round_values(y, b);
  const fpx::value_arith arith(e4m3);
  rates["add/e4m3"] = rate(n, repetitions, [&] { arith.add(a, b, out); });
  // Dot products of 64 terms, products and sums in fp32 (rounded once more into fp32).
  fpx::accumulation rule;
  rule.accumulator = fpx::preset("fp32");
  const fpx::value_dot dot(e4m3, fpx::preset("fp32"), rule);
  std::vector<double> dots(n / 64);
  rates["dot/e4m3"] = rate(n, repetitions, [&] { dot.rows(a, b, 64, dots); });
  // A 1024 x (n / 1024) weight matrix (row-major in the file, as numpy holds it).
  const Eigen::Index rows = 1024, cols = static_cast<Eigen::Index>(n / 1024);
  const Eigen::MatrixXd w = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(x.data(), rows, cols);
  rates["quantize/int4:group=32:scale=fp16"] =
      rate(n, repetitions, [&] { fpx::quantize(w, "int4:group=32:scale=fp16"); });
  const fpx::fast_mx_quantizer mx(fpx::parse_mx_format("mxfp4"));
  rates["round/mxfp4"] = rate(n, repetitions, [&] {
    for (Eigen::Index r = 0; r < rows; ++r) {
      const std::span<const double> row(x.data() + r * cols, static_cast<std::size_t>(cols));
      fpx::fast_dequantize_mx(mx(row, static_cast<std::uint64_t>(r)), std::span(out.data() + r * cols, static_cast<std::size_t>(cols)));
    }
  });
  std::printf("{");
  bool first = true;
  for (const auto& [key, value] : rates) {
    std::printf("%s\"%s\": %.6g", first ? "" : ", ", key.c_str(), value);
    first = false;
  }
  std::printf("}\n");
}
