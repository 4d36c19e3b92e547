// libFuzzer: the format-name grammar. Any text is refused with std::invalid_argument or parses
// to a format whose canonical name parses back to the same format.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fpx/arith/format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const fpx::format f = fpx::parse_format(text);
    if (!(fpx::parse_format(f.name()) == f)) __builtin_trap();  // the name must round-trip
    (void)fpx::max_value(f), (void)fpx::min_positive(f), (void)f.information_bits();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
