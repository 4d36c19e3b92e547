// Picks the kernels: the best the CPU runs, or the set FPX_KERNEL_ISA or use_fast_kernel_isa
// names.
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "batch_kernels.hpp"
#include "fpx/fast/isa.hpp"

namespace fpx::kernels {

namespace baseline {
extern const batch kernels;
}
#ifdef FPX_AVX2_KERNELS
namespace avx2 {
extern const batch kernels;
}
#endif

namespace {

std::vector<const batch*> runnable() {
  std::vector<const batch*> sets{&baseline::kernels};
#ifdef FPX_AVX2_KERNELS
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) sets.push_back(&avx2::kernels);
#endif
  return sets;
}

const batch* named(std::string_view name, const char* source) {
  std::string valid;
  for (const batch* b : runnable()) {
    if (b->isa == name) return b;
    valid += (valid.empty() ? "" : ", ") + std::string(b->isa);
  }
  throw std::invalid_argument(std::string(source) + ": no kernel set '" + std::string(name) +
                              "' on this machine (" + valid + ")");
}

std::atomic<const batch*>& chosen() {
  static std::atomic<const batch*> set = [] {
    if (const char* env = std::getenv("FPX_KERNEL_ISA"); env && *env) return named(env, "FPX_KERNEL_ISA");
    return runnable().back();
  }();
  return set;
}

thread_local const batch* scoped = nullptr;  // fast_kernel_isa_scope's choice for this thread

}  // namespace

const batch& best_batch() { return scoped ? *scoped : *chosen().load(std::memory_order_relaxed); }

}  // namespace fpx::kernels

namespace fpx {

std::vector<std::string_view> fast_kernel_isas() {
  std::vector<std::string_view> names;
  for (const kernels::batch* b : kernels::runnable()) names.push_back(b->isa);
  return names;
}

std::string_view fast_kernel_isa() { return kernels::best_batch().isa; }

void use_fast_kernel_isa(std::string_view name) {
  kernels::chosen().store(kernels::named(name, "use_fast_kernel_isa"), std::memory_order_relaxed);
}

fast_kernel_isa_scope::fast_kernel_isa_scope(std::string_view name) : previous_(kernels::scoped) {
  kernels::scoped = kernels::named(name, "fast_kernel_isa_scope");
}

fast_kernel_isa_scope::~fast_kernel_isa_scope() { kernels::scoped = static_cast<const kernels::batch*>(previous_); }

}  // namespace fpx
