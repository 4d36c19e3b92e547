#pragma once
// How the fast layer's batch functions split an array over threads: ranges of a fixed size
// (so that nothing depends on the thread count), each run with the caller's kernel set, the
// lowest range's exception rethrown (exact/parallel.hpp's for_each_range).

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

#include "fpx/arith/codec.hpp"
#include "fpx/exact/parallel.hpp"
#include "fpx/fast/isa.hpp"

namespace fpx::detail {

/// Elements per range when a batch is split over threads.
inline constexpr std::size_t batch_range = std::size_t{1} << 16;

/// body(begin, end) over [0, n) in ranges of `range` elements on `threads` threads (0: every
/// core), each with the caller's kernel set; one call in the caller's thread when one suffices.
template <class Body>
void for_each_batch(std::size_t n, unsigned threads, Body body, std::size_t range = batch_range) {
  if (threads == 1 || n <= range) {
    body(std::size_t{0}, n);
    return;
  }
  const std::string_view isa = fast_kernel_isa();
  for_each_range(n, range, threads, [&](std::uint64_t lo, std::uint64_t hi) {
    std::optional<fast_kernel_isa_scope> scope;  // worker threads follow the caller's choice
    if (fast_kernel_isa() != isa) scope.emplace(isa);
    body(static_cast<std::size_t>(lo), static_cast<std::size_t>(hi));
  });
}

/// The value of a code as a double: NaN and infinities as such (with the pattern's sign, as
/// the kernels decode them), else to_double.
inline double value_of(const format& f, code_t c) {
  switch (classify(f, c)) {
    case number_class::nan: return std::copysign(std::nan(""), is_negative(f, c) ? -1.0 : 1.0);
    case number_class::infinite: return is_negative(f, c) ? -HUGE_VAL : HUGE_VAL;
    default: return to_double(f, c);
  }
}

}  // namespace fpx::detail
