// Picks the kernels the CPU can run, once.
#include "batch_kernels.hpp"

namespace fpx::kernels {

namespace baseline {
extern const batch kernels;
}
#ifdef FPX_AVX2_KERNELS
namespace avx2 {
extern const batch kernels;
}
#endif

const batch& best_batch() {
#ifdef FPX_AVX2_KERNELS
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) return avx2::kernels;
#endif
  return baseline::kernels;
}

}  // namespace fpx::kernels
