// libFuzzer: network JSON. Any text is refused with std::invalid_argument, or it reads to a
// validated network whose JSON reads back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <variant>

#include "fpx/model/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const fpx::network n = fpx::network_from_json(text);
    const std::string once = std::visit([](const auto& m) { return fpx::to_json(m); }, n);
    const fpx::network again = fpx::network_from_json(once);
    if (std::visit([](const auto& m) { return fpx::to_json(m); }, again) != once) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
