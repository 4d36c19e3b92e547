// Throughput of fpx's fast paths against two baselines measured in the same run: native
// float/double operations on the same arrays (the hardware's limit) and fpx's reference path
// (big-integer dyadics, the code the fast paths must agree with). Names are
// GROUP/FORMAT/{fast,native,reference}; bench/report.py turns the JSON into ratios.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "fpx/arith/ops.hpp"
#include "fpx/arith/codec.hpp"
#include "fpx/construct/equality.hpp"
#include "fpx/model/evaluate.hpp"
#include "fpx/fast/elementwise.hpp"
#include "fpx/fast/isa.hpp"
#include "fpx/fast/rounder.hpp"
#include "fpx/arith/round.hpp"

namespace {

constexpr std::size_t batch = 4096;  // 32 KiB of doubles: the loops run from L1/L2

// Normal samples of unit scale: the range where ML values live, every binade of interest.
std::vector<double> samples(std::size_t n, double scale = 1) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal(0, scale);
  std::vector<double> xs(n);
  for (auto& x : xs) x = normal(rng);
  return xs;
}

// Codes of f for samples at a scale that keeps sums and products in range.
std::vector<fpx::code_t> codes(const fpx::format& f, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double top = fpx::to_double(f, fpx::max_code(f, false));
  std::normal_distribution<double> normal(0, std::min(1.0, top / 8));
  std::vector<fpx::code_t> out(n);
  for (auto& c : out) c = fpx::from_double(f, normal(rng));
  return out;
}

void round_fast(benchmark::State& state, const char* name) {
  const auto xs = samples(batch);
  std::vector<fpx::code_t> out(batch);
  const fpx::fast_rounder rounder(fpx::parse_format(name));
  for (auto _ : state) {
    rounder(xs, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

void round_reference(benchmark::State& state, const char* name) {
  const auto xs = samples(batch);
  const auto f = fpx::parse_format(name);
  std::vector<fpx::code_t> out(batch);
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) out[i] = fpx::from_double(f, xs[i]);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

// The hardware's own narrowing conversion, double to float.
void round_native(benchmark::State& state) {
  const auto xs = samples(batch);
  std::vector<float> out(batch);
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) out[i] = static_cast<float>(xs[i]);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

enum class op { add, mul };

// Code: code_t, or std::uint8_t for the overloads on codes stored in bytes (the table path).
template <class Code>
void arith_fast(benchmark::State& state, const char* name, op o) {
  const auto f = fpx::parse_format(name);
  const auto wide_a = codes(f, batch, 1), wide_b = codes(f, batch, 2);
  const std::vector<Code> a(wide_a.begin(), wide_a.end()), b(wide_b.begin(), wide_b.end());
  std::vector<Code> out(batch);
  const fpx::fast_arith arith(f);
  state.SetLabel(std::string(fpx::to_string(arith.path())));
  for (auto _ : state) {
    if (o == op::add) arith.add(a, b, out);
    else arith.mul(a, b, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

void arith_reference(benchmark::State& state, const char* name, op o) {
  const auto f = fpx::parse_format(name);
  const auto a = codes(f, batch, 1), b = codes(f, batch, 2);
  std::vector<fpx::code_t> out(batch);
  for (auto _ : state) {
    for (std::size_t i = 0; i < batch; ++i) out[i] = o == op::add ? fpx::add(f, a[i], b[i]) : fpx::mul(f, a[i], b[i]);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

void arith_native(benchmark::State& state, op o) {
  const auto x = samples(batch), y = samples(batch);
  std::vector<float> a(x.begin(), x.end()), b(y.begin(), y.end()), out(batch);
  for (auto _ : state) {
    if (o == op::add)
      for (std::size_t i = 0; i < batch; ++i) out[i] = a[i] + b[i];
    else
      for (std::size_t i = 0; i < batch; ++i) out[i] = a[i] * b[i];
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}

// One forward pass of an equality construction (proofs/every_bit_counts.md) on random strings of
// length n (equality_threshold runs n = 1 .. the format's bits).
void equality_pass(benchmark::State& state, bool integer, int n, const char* spec_name, bool reference) {
  const auto c = integer ? fpx::integer_equality(n) : fpx::dyadic_equality(n);
  const auto spec = fpx::spec_preset(spec_name);
  std::mt19937_64 rng(7);
  std::vector<std::vector<int>> inputs;
  for (int k = 0; k < 64; ++k) {
    std::vector<int> tokens;
    for (std::size_t i = 0; i < c.split.tokens.size(); ++i) tokens.push_back(c.split.tokens[i][rng() & 1]);
    tokens.insert(tokens.end(), c.split.suffix.begin(), c.split.suffix.end());
    inputs.push_back(tokens);
  }
  std::size_t k = 0;
  for (auto _ : state) {
    auto e = fpx::evaluate(c.model, inputs[k++ % inputs.size()], spec, {.reference_arithmetic = reference});
    benchmark::DoNotOptimize(e.output.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void equality_native(benchmark::State& state, bool integer, int n, const char* spec_name) {
  const auto c = integer ? fpx::integer_equality(n) : fpx::dyadic_equality(n);
  const auto spec = fpx::spec_preset(spec_name).with_arithmetic(fpx::arithmetic::float64);
  std::vector<int> tokens;
  for (const auto& t : c.split.tokens) tokens.push_back(t[0]);
  tokens.insert(tokens.end(), c.split.suffix.begin(), c.split.suffix.end());
  for (auto _ : state) {
    auto e = fpx::evaluate(c.model, tokens, spec);
    benchmark::DoNotOptimize(e.output.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void register_all() {
  benchmark::RegisterBenchmark("round/double_to_float/native", round_native);
  for (const char* f : {"fp16", "bf16", "e5m2", "e4m3", "e2m1", "fixed:s:7:8", "fixed:s:15:16"}) {
    benchmark::RegisterBenchmark((std::string("round/") + f + "/fast").c_str(), round_fast, f);
    benchmark::RegisterBenchmark((std::string("round/") + f + "/reference").c_str(), round_reference, f);
  }
  for (auto [o, name] : {std::pair{op::add, "add"}, std::pair{op::mul, "mul"}}) {
    benchmark::RegisterBenchmark((std::string(name) + "/float/native").c_str(), arith_native, o);
    for (const char* f : {"e4m3", "e5m2", "e2m1", "int8", "fp16", "bf16", "fixed:s:7:8", "fixed:s:15:16"}) {
      benchmark::RegisterBenchmark((std::string(name) + "/" + f + "/fast").c_str(), arith_fast<fpx::code_t>, f, o);
      benchmark::RegisterBenchmark((std::string(name) + "/" + f + "/reference").c_str(), arith_reference, f, o);
    }
    for (const char* f : {"e4m3", "e5m2", "e2m1", "int8"}) {
      const std::string row = std::string(name) + "/" + f + " (uint8 codes)";
      benchmark::RegisterBenchmark((row + "/fast").c_str(), arith_fast<std::uint8_t>, f, o);
      benchmark::RegisterBenchmark((row + "/reference").c_str(), arith_reference, f, o);
    }
  }
  for (int n : {4, 8})
    for (auto [integer, spec] : {std::pair{false, "uniform(e4m3)"}, std::pair{true, "uniform(fixed:s:4:3)"}}) {
      const std::string group = std::string("equality_forward/") + (integer ? "integer" : "dyadic") + "_n" +
                                std::to_string(n) + "_" + spec;
      benchmark::RegisterBenchmark((group + "/native").c_str(), equality_native, integer, n, spec);
      benchmark::RegisterBenchmark((group + "/fast").c_str(), equality_pass, integer, n, spec, false);
      benchmark::RegisterBenchmark((group + "/reference").c_str(), equality_pass, integer, n, spec, true);
    }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::AddCustomContext("fpx_isa", std::string(fpx::fast_kernel_isa()));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
