// libFuzzer: the quantizer-name grammar. Any text is refused with std::invalid_argument (or, for
// these weights, a scale out of range), or it quantizes a small matrix to finite values and its
// canonical name reads back as itself.
#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fpx/quant/quantize.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Eigen::MatrixXd w(2, 8);
  w << 0.5, -1.25, 3, 0, 0.001, -7, 2.5, 1e-3, -0.25, 4, 0.75, -0.5, 1, 2, -3, 0.125;
  try {
    const fpx::quantized_weights q = fpx::quantize(w, text);
    if (!q.values.allFinite()) __builtin_trap();
    if (fpx::quantize(w, q.name).name != q.name) __builtin_trap();  // the name must round-trip
  } catch (const std::invalid_argument&) {
  } catch (const std::overflow_error&) {  // an MX scale beyond E8M0's range: a clear refusal
  } catch (const std::range_error&) {     // a scale outside its format's range: likewise
  }
  return 0;
}
