// Uses the installed package through the umbrella header: 0.1 in fp16 is 0x2e66, and in e4m3
// through the fast rounder 0x1d.
#include <fpx/fpx.hpp>

int main() {
  const bool reference = fpx::from_double(fpx::preset("fp16"), 0.1) == 0x2e66;
  const bool fast = fpx::from_doubles(fpx::preset("e4m3"), std::vector<double>{0.1}) == std::vector<fpx::code_t>{0x1d};
  return reference && fast ? 0 : 1;
}
