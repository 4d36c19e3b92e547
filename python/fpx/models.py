"""Networks and precision specs from Python values (dicts, numpy arrays, Fractions)."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Sequence, Union

import numpy as np

from . import _core


def _json_default(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    raise TypeError(f"cannot put {type(value).__name__} into a model description")


def _text(description) -> str:
    if isinstance(description, str):
        return description
    try:
        return json.dumps(description, default=_json_default, allow_nan=False)
    except ValueError:
        raise ValueError("a model's numbers must be finite (found NaN or infinity)") from None


def spec(description: Union[str, dict]) -> _core.PrecisionSpec:
    """A PrecisionSpec from a preset name or a dict of fields.

    Args:
        description: a preset name ({PRESETS}), a dict of fields such as
            {"preset": "fixed(8)", "subtract_max": True, "mode": "rtz"} (docs/precision-model.md;
            unknown keys are errors), JSON text, or a PrecisionSpec (returned as it is).
    """
    if isinstance(description, _core.PrecisionSpec):
        return description
    if isinstance(description, dict):
        return _core.PrecisionSpec(_text(description))
    return _core.PrecisionSpec(description)


def network(description: Union[str, dict]) -> _core.Network:
    """A Network from its JSON text or a dict in the same layout (docs/networks.md).

    Args:
        description: JSON text, or a dict whose numbers may be numpy arrays, floats (read
            exactly), ints, Fractions and strings such as "1/3" or "0x1p-5". Weights are out x in;
            attention logits have no implicit 1/sqrt(d).

    Raises:
        ValueError: an unknown key, mismatched widths (naming the parameter), NaN or infinity.
    """
    return _core.Network(_text(description))


def mlp(layers: Sequence) -> _core.Network:
    """An MLP Network from its layers.

    Args:
        layers: (weight, bias, activation) triples in order: weight out x in (exact numbers as
            for fpx.network), bias of length out or None, activation one of {ACTIVATIONS}.
    """
    described = []
    for weight, bias, activation in layers:
        layer = {"weight": np.atleast_2d(np.asarray(weight, dtype=object)), "activation": activation}
        if bias is not None:
            layer["bias"] = np.asarray(bias, dtype=object).reshape(-1)
        described.append(layer)
    return network({"type": "mlp", "layers": described})


# The name lists in the docstrings come from the C++ tables the parsers read.
spec.__doc__ = spec.__doc__.replace("{PRESETS}", _core.spec_preset_grammar())
mlp.__doc__ = mlp.__doc__.replace("{ACTIVATIONS}", _core.activation_names())
