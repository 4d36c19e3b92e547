// The kernel instruction sets: which exist, how one is chosen, and that a name outside them is
// refused. (Every fast-path suite runs each set; this one checks the choosing.)
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "fpx/fast/isa.hpp"
#include "fpx/fast/rounder.hpp"

TEST_CASE("the baseline set always exists; the environment or the API chooses") {
  const auto isas = fpx::fast_kernel_isas();
  REQUIRE(!isas.empty());
  CHECK(isas.front() == "baseline");
  // ctest runs this suite once more with FPX_KERNEL_ISA=baseline (fast_test_isa_baseline).
  if (const char* env = std::getenv("FPX_KERNEL_ISA"); env && *env) CHECK(fpx::fast_kernel_isa() == env);
  else CHECK(fpx::fast_kernel_isa() == isas.back());  // the best the CPU runs
  const std::string before(fpx::fast_kernel_isa());
  {
    const fpx::fast_kernel_isa_scope scope("baseline");
    CHECK(fpx::fast_kernel_isa() == "baseline");
  }
  CHECK(fpx::fast_kernel_isa() == before);
  for (auto isa : isas) {
    fpx::use_fast_kernel_isa(isa);
    CHECK(fpx::fast_kernel_isa() == isa);
    // The kernels in use round like the reference path.
    CHECK(fpx::from_doubles(fpx::preset("e4m3"), std::vector<double>{0.1, 464})
          == std::vector<fpx::code_t>{0x1d, 0x7e});
  }
  CHECK_THROWS_WITH_AS(fpx::use_fast_kernel_isa("avx512"), doctest::Contains("no kernel set 'avx512'"),
                       std::invalid_argument);
  CHECK_THROWS_AS(fpx::fast_kernel_isa_scope("sse"), std::invalid_argument);
  fpx::use_fast_kernel_isa(before);
}
