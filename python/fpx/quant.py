"""Weight quantizers, GPTQ and bit allocation (lib/include/fpx/quant/) from numpy arrays."""

from __future__ import annotations

from typing import Optional

import numpy as np

from . import _core


def _weights(weights, what: str = "weights") -> tuple[np.ndarray, bool]:
    """A 2-D float64 matrix (out x in) and whether the input was one row (1-D)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        return w.reshape(1, -1), True
    if w.ndim != 2:
        raise ValueError(f"{what} must be a 1-D row or a 2-D matrix (out x in), not {w.ndim}-D of shape {w.shape}")
    return w, False


def quantize(weights, quantizer: str) -> dict:
    """Rounds a weight matrix by a quantizer (round to nearest, or stochastically if the name
    says so).

    Args:
        weights: a 2-D matrix (out x in), or one row as a 1-D array (its shape is kept); finite.
        quantizer: a quantizer name: QUANTIZERS

    Returns:
        A dict with "values" (the dequantized weights, exact doubles, the input's shape),
        "bits_per_parameter" (storage per weight in bits, every scale, zero point and outlier
        included), "information_bits_per_parameter" (the same with log2 of the number of levels
        per element) and "name" (the canonical quantizer name).
    """
    w, row = _weights(weights)
    result = _core.quantize(w, quantizer)
    if row:
        result["values"] = result["values"].reshape(-1)
    return result


def gptq(weights, hessian, quantizer: str, block_size: int = 128, damping: float = 0.01, *,
         act_order: bool = False, static_groups: bool = False, max_damping: Optional[float] = None) -> dict:
    """GPTQ of one layer for a calibration Hessian.

    Args:
        weights: the layer's weights, out x in (or one row).
        hessian: H = 2 X X^T of the calibration inputs X (in x samples), in x in.
        quantizer: a quantizer name (as for fpx.quantize).
        block_size: the lazy-update block, in columns.
        damping: a fraction of H's mean diagonal added to its diagonal.
        act_order: round the columns in order of decreasing H[j, j] (ties by index).
        static_groups: fit every group's (block's) scales on the original weights first.
        max_damping: if the damped H cannot be Cholesky-factored, damping is multiplied by 10
            and tried again while it stays within this (None: max(1, damping)).

    Returns:
        A dict with "values" (GPTQ's weights), "rtn_values" (round to nearest's),
        "objective" and "rtn_objective" (the layer objective 1/2 tr((W - Q) H (W - Q)^T) of
        each), "damping" (the damping used), "order" (the columns in the order rounded),
        "bits_per_parameter", "information_bits_per_parameter" (with act_order and dynamic
        groups, each column's group index, ceil(log2(groups)) bits per input column, is
        counted) and "name" (as for fpx.quantize).

    Raises:
        ValueError: mismatched shapes, a non-finite or asymmetric H, bad options, or an H that no
            damping up to max_damping makes positive definite.
    """
    w, row = _weights(weights)
    h = np.asarray(hessian, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"hessian must be a 2-D matrix (in x in), not {h.ndim}-D of shape {h.shape}")
    result = _core.gptq(w, h, quantizer, block_size, damping, act_order, static_groups, max_damping)
    if row:
        result["values"], result["rtn_values"] = result["values"].reshape(-1), result["rtn_values"].reshape(-1)
    return result


def _layer(weights, hessian):
    w, row = _weights(weights)
    h = np.asarray(hessian, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"hessian must be a 2-D matrix (in x in), not {h.ndim}-D of shape {h.shape}")
    return w, row, h


def _unrow(result, row):
    if row:
        result["values"], result["rtn_values"] = result["values"].reshape(-1), result["rtn_values"].reshape(-1)
    return result


def discquant(weights, hessian, quantizer: str, subspace: int = 16, seed: int = 0) -> dict:
    """DiscQuant-style discrepancy rounding of one layer (lib/include/fpx/quant/rounding_methods.hpp):
    each weight goes to one of its two grid neighbours (the quantizer's RTN grids), chosen by a
    seeded walk that keeps the error's projection on H's top `subspace` eigenvectors at 0.

    Args and returns as for fpx.gptq (without "damping" and "order"): weights (out x in, or one
    row), H = 2 X X^T (in x in), a quantizer name; "values", "rtn_values", "objective",
    "rtn_objective", "bits_per_parameter", "information_bits_per_parameter", "name".
    """
    w, row, h = _layer(weights, hessian)
    return _unrow(_core.discquant(w, h, quantizer, subspace, seed), row)


def gsq(weights, hessian, quantizer: str, steps: int = 1000, learning_rate: float = 0.2,
        temperature_start: float = 3.0, temperature_end: float = 0.2, seed: int = 0) -> dict:
    """GSQ-style learned rounding of one layer (lib/include/fpx/quant/rounding_methods.hpp): a
    Gumbel-softmax relaxation of each weight's choice between its two grid neighbours, trained by
    Adam on the layer objective while the temperature falls; then the likelier neighbour.

    Args and returns as for fpx.discquant.
    """
    w, row, h = _layer(weights, hessian)
    return _unrow(_core.gsq(w, h, quantizer, steps, learning_rate, temperature_start, temperature_end, seed), row)


def ggml_quantize(type: str, x) -> bytes:
    """ggml's blocks for a row of float32 weights, byte for byte as llama.cpp's reference
    quantizers write them (lib/include/fpx/quant/ggml.hpp).

    Args:
        type: "q4_0", "q8_0", "q2_K", "q3_K", "q4_K", "q5_K" or "q6_K" (the K in either case).
        x: the weights (converted to float32), a whole number of blocks (32, or 256 for the
            k-quants), finite.

    Returns:
        The blocks as bytes (18, 34, 84, 110, 144, 176 or 210 per block).
    """
    return _core.ggml_quantize(type, np.ascontiguousarray(np.asarray(x, dtype=np.float32).reshape(-1)))


def ggml_dequantize(type: str, blocks: bytes) -> np.ndarray:
    """The float32 weights that ggml's blocks decode to, as llama.cpp's dequantizer computes them.

    Args:
        type: as for ggml_quantize.
        blocks: a whole number of blocks in ggml's layout.

    Returns:
        A 1-D float32 array.
    """
    if not isinstance(blocks, (bytes, bytearray, memoryview)):
        raise TypeError(f"ggml_dequantize takes the blocks as bytes, not {blocks.__class__.__name__}")
    return _core.ggml_dequantize(type, bytes(blocks))


quantize.__doc__ = quantize.__doc__.replace("QUANTIZERS", _core.quantizer_grammar())
