// Uses the installed package: 0.1 in fp16 is 0x2e66.
#include <fpx/round.hpp>

int main() { return fpx::from_double(fpx::preset("fp16"), 0.1) == 0x2e66 ? 0 : 1; }
