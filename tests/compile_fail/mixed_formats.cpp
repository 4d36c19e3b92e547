// Must not compile: values of two formats meet without an explicit conversion.
// With FPX_COMPILE_FAIL_CONTROL defined, both are fp16 and it must compile.
#include "fpx/arith/value.hpp"

#ifdef FPX_COMPILE_FAIL_CONTROL
using other = fpx::value<"fp16">;
#else
using other = fpx::value<"bf16">;
#endif

int main() {
  fpx::value<"fp16"> a(1.0);
  other b(2.0);
  auto c = a + b;
  return static_cast<int>(static_cast<double>(c));
}
