#pragma once
// Building the kernels' per-format parameters from a format, and which formats they cover.

#include <memory>
#include <optional>

#include "fpx/fast/detail/codec_kernel.hpp"

namespace fpx::kernels {

/// The encoder for f under r, or nullopt when the kernels do not cover f: minifloats need a
/// sign, a zero, subnormals, M <= 52 and emin >= -1022; grids a power-of-two scale 2^e with
/// |e| <= 900 and at most 50 bits (not the binary grid).
std::optional<encoder> make_encoder(const format& f, const rounding& r);
/// The decoder for f, under the same conditions.
std::optional<decoder> make_decoder(const format& f);

/// make_encoder and make_decoder built once per format, overflow policy and mode for the
/// process (building an encoder asks the reference path how overflow and the specials round):
/// what the batch classes use, so that a call on a short array does not pay for it. The
/// encoder carries r's seed. nullptr where the kernels do not cover f.
std::shared_ptr<const encoder> shared_encoder(const format& f, const rounding& r);
std::shared_ptr<const decoder> shared_decoder(const format& f);

/// True when exact sums, products and quotients of f's values, rounded to odd in double, keep
/// the two spare bits and the exponent range that exact_to_odd needs: at most 50 significant
/// bits (M <= 49, grids of <= 50 bits) and magnitudes within 2^-500 .. 2^500 (grids: scales
/// 2^-240 .. 2^240).
bool double_arithmetic_is_exact(const format& f);

}  // namespace fpx::kernels
