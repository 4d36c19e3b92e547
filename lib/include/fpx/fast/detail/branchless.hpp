#pragma once
// Selection written as arithmetic, for loops that must vectorise.

#include <bit>
#include <cstdint>

// The kernels' building blocks are forced inline: a call inside a loop stops vectorisation.
#define FPX_KERNEL_INLINE [[gnu::always_inline]] inline

namespace fpx::kernels {

/// cond (0 or 1) ? a : b, as arithmetic: GCC vectorises this where it gives up on nested
/// conditional expressions ("control flow in loop").
FPX_KERNEL_INLINE std::uint64_t pick(std::uint64_t cond, std::uint64_t a, std::uint64_t b) {
  return b ^ ((a ^ b) & (0 - cond));
}
FPX_KERNEL_INLINE double pick(std::uint64_t cond, double a, double b) {
  return std::bit_cast<double>(pick(cond, std::bit_cast<std::uint64_t>(a), std::bit_cast<std::uint64_t>(b)));
}

}  // namespace fpx::kernels
