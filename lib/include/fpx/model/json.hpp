#pragma once
/// JSON for networks, matrices and precision specs: what `fpx eval`, Python's fpx.network and
/// experiment configs read and write. Reading is strict: unknown keys are errors (a misspelt
/// field must not silently fall back to a default), and numbers are read exactly.

#include <string>
#include <string_view>

#include "fpx/model/network.hpp"
#include "fpx/model/precision.hpp"

namespace fpx {

/// Numbers are read exactly as doubles, strings exactly as decimals, p/q or hex-floats
/// ("1/3", "0x1p-5"). A model is {"type": "mlp", "layers": [...]} or
/// {"type": "transformer", "token_embedding": [[...]], "positional": [[...]],
///  "blocks": [{"attention": {"kind", "mask", "heads": [{"query", "key", "value"}], "output"},
///              "attention_residual", "mlp": {"layers": [...]}, "mlp_residual"}],
///  "readout": {"layers": [...]}}, where a layer is {"weight" (out x in), "bias", "activation"}.
/// Writing gives every value as an exact string. The network is validated (network.hpp).
network network_from_json(std::string_view text);
std::string to_json(const mlp& m);
std::string to_json(const transformer& t);

/// A matrix as an array of rows, or a vector (an array of numbers) as one row; written as rows
/// of exact strings.
rmatrix rmatrix_from_json(std::string_view text);
std::string to_json(const rmatrix& m);

/// JSON text of a spec (every field, formats by their canonical names) and back. Reading
/// accepts either a preset name as a JSON string or an object; fields an object leaves out take
/// the defaults of precision_spec, or the preset's values when the object has "preset": NAME.
/// Keys: name, preset, arithmetic, formats (a format name for all, or quantity -> name), mode
/// and seed (the rounding), where, feature_order, position_order, position_permutation,
/// subtract_max, normalization, hard_attention, exact_exp_bits.
std::string to_json(const precision_spec& spec);
precision_spec spec_from_json(std::string_view text);

}  // namespace fpx
