// libFuzzer: precision-spec JSON. Any text is refused with std::invalid_argument, or it reads
// to a spec whose JSON reads back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fpx/model/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const fpx::precision_spec s = fpx::spec_from_json(text);
    const std::string once = fpx::to_json(s);
    if (fpx::to_json(fpx::spec_from_json(once)) != once) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
