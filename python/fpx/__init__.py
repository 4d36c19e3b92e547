"""fpx: exact finite-precision arithmetic and expressivity experiments.

Numbers go in and come out as numpy float64 arrays; formats are named as in the C++ library
("e4m3", "fp16", "fixed:s:3:4", "int4:scale=1/8", "ternary") or given as `Format` objects.
Every result is correctly rounded once, bit for bit as the C++ library computes it.

    >>> import fpx
    >>> fpx.round([0.1, 464.0], "e4m3")
    array([  0.1015625, 448.       ])
    >>> fpx.add(fpx.round(0.1, "fp16"), 1.0, "fp16")
    1.099609375
"""

from ._core import (
    CommunicationBounds,
    CountingBound,
    Evaluation,
    Evaluations,
    Format,
    InputSpace,
    MXFormat,
    Network,
    PrecisionSpec,
    Protocol,
    SplitInput,
    allocate_bits,
    best_grid_error,
    check_fooling_set,
    first_divergence,
    first_equals_last_construction,
    first_equals_last_scale,
    search_class_separation,
    search_equality_separation,
    simulation_bound,
)
from .arithmetic import (
    add,
    decode,
    div,
    dot,
    encode,
    exact_value,
    exp,
    fma,
    formats,
    log,
    mul,
    mx_formats,
    negate,
    quantize_mx,
    reciprocal,
    round,
    stochastic_bias,
    sqrt,
    sub,
    values,
)
from . import _retired, figures, runner
from .experiments import experiments, run_experiment
from .claims import bit_strings, inputs, interval, precision_search, sequences, verify
from .models import attention, attention_head, block, layer, linear, mlp, network, spec, transformer
from .quant import discquant, ggml_dequantize, ggml_quantize, gptq, gsq, quantize


def equality_construction(n: int, kind: str = "dyadic", readout: str | None = None, bits: int = 0) -> dict:
    """The equality construction for EQ_n (proofs/every_bit_counts.md).

    Args:
        n: bits of each of x and y.
        kind: "dyadic" (values x_j 2^-j, exact in floats of precision n), "integer" (values in
            fixed point) or "saturating" (the b-bit signed fixed-point format fixed:s:1:(b-2),
            exact for every n <= b: n = b meets the counting bound).
        readout: "step" or "relu" (default "step"), or for the saturating construction
            "difference" (its default: exact in the same b-bit format).
        bits: b, the width of the saturating construction's format (that construction only).

    Returns:
        A dict with "name", "model" (a Network: a one-layer transformer) and "split" (the
        SplitInput that lays a pair (x, y) out as tokens).
    """
    if readout is None:
        readout = "difference" if kind == "saturating" else "step"
    return _retired.Keys(_core.equality_construction(n, kind, readout, bits), {"network": "model"})


def __getattr__(name: str):
    return _retired.attribute(name)


__all__ = [
    "CommunicationBounds", "CountingBound", "Evaluation", "Evaluations", "Format", "InputSpace",
    "attention", "attention_head", "bit_strings", "block", "inputs", "interval", "layer", "linear",
    "precision_search", "sequences", "transformer", "verify", "MXFormat", "Network",
    "PrecisionSpec", "Protocol", "SplitInput", "add", "allocate_bits", "best_grid_error", "check_fooling_set",
    "decode", "div", "dot", "encode", "equality_construction", "first_equals_last_construction",
    "first_equals_last_scale",
    "discquant", "exact_value", "exp", "experiments", "first_divergence", "fma", "formats", "ggml_dequantize", "ggml_quantize", "gptq", "gsq", "log", "mlp",
    "mul", "mx_formats", "negate", "network", "quantize", "quantize_mx", "reciprocal", "round",
    "run_experiment", "search_class_separation", "search_equality_separation", "simulation_bound", "spec", "sqrt", "stochastic_bias", "sub",
    "values",
]
