// libFuzzer: the exact number reader (decimal, p/q, hex-float, inf, nan) that the CLI, Python
// and the JSON readers share. Any text is refused with std::invalid_argument, or it reads to a
// number whose exact text reads back to the same value.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fpx/exact/rational.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const fpx::number n = fpx::parse_number(text);
    if (n.what == fpx::number::kind::finite &&
        fpx::parse_rational(fpx::to_fraction_string(n.value)) != n.value)
      __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
