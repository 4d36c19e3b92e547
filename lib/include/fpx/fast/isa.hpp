#pragma once
/// The instruction sets of the fast kernels. They are compiled for the baseline x86-64 set and,
/// on x86-64, once more with AVX2 and FMA; the best one the CPU runs is used unless the
/// environment variable FPX_KERNEL_ISA or use_fast_kernel_isa() chooses another. Every set
/// gives the same bits (the tests run the fast paths under each).

#include <string_view>
#include <vector>

namespace fpx {

/// The sets compiled in that this CPU runs, baseline first: {"baseline"} or {"baseline", "avx2"}.
std::vector<std::string_view> fast_kernel_isas();
/// The set in use.
std::string_view fast_kernel_isa();
/// Uses `name` (one of fast_kernel_isas()) from now on, in every thread; throws
/// std::invalid_argument for any other name.
void use_fast_kernel_isa(std::string_view name);

/// While it lives, the calling thread uses `name` (one of fast_kernel_isas()) whatever the
/// process-wide choice: for tests that run every set on the same inputs in parallel.
class fast_kernel_isa_scope {
 public:
  explicit fast_kernel_isa_scope(std::string_view name);
  ~fast_kernel_isa_scope();
  fast_kernel_isa_scope(const fast_kernel_isa_scope&) = delete;
  fast_kernel_isa_scope& operator=(const fast_kernel_isa_scope&) = delete;

 private:
  const void* previous_;
};

}  // namespace fpx
