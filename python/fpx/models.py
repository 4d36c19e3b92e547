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


# --- a transformer, piece by piece (docs/networks.md has the layout) ---------------------------

def _matrix(m):
    a = np.asarray(m, dtype=object)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    if a.ndim != 2:
        raise ValueError(f"a weight matrix is 2-D (out x in), not of shape {a.shape}")
    return a


def linear(weight, bias=None) -> dict:
    """A linear map y = W x + b, as a dict for attention_head, attention and layer.

    Args:
        weight: out x in (a 1-D row is one output); exact numbers as for fpx.network (floats
            read exactly, ints, Fractions, strings such as "1/3").
        bias: length out, or None for no bias.

    Returns:
        {"weight": out x in object array, "bias": length-out array (only when given)}.
    """
    m = {"weight": _matrix(weight)}
    if bias is not None:
        m["bias"] = np.asarray(bias, dtype=object).reshape(-1)
    return m


def layer(weight, bias=None, activation: str = "identity") -> dict:
    """A dense layer: linear(weight, bias) then an activation.

    Args:
        weight: out x in, as for linear.
        bias: length out, or None.
        activation: one of {ACTIVATIONS}.

    Returns:
        linear's dict with "activation" added.
    """
    return {**linear(weight, bias), "activation": activation}


def _map(m) -> dict:
    return m if isinstance(m, dict) else linear(m)


def attention_head(query, key, value) -> dict:
    """One attention head.

    Args:
        query: d_k x d_model weight matrix or a linear(...) dict (a bias is allowed).
        key: d_k x d_model, the same d_k as the query. The logits are q . k with no implicit
            1/sqrt(d_k): fold a scale into the query.
        value: d_v x d_model (its own width d_v).

    Returns:
        {"query": ..., "key": ..., "value": ...}, each a linear(...) dict.
    """
    return {"query": _map(query), "key": _map(key), "value": _map(value)}


def attention(heads, output=None, kind: str = "softmax", mask: str = "full") -> dict:
    """An attention layer.

    Args:
        heads: attention_head(...) dicts.
        output: d_model x (the heads' total d_v) weight or linear(...); None when the
            concatenated heads already have width d_model.
        kind: "softmax" or "hard" (hard attention's ties as the precision spec says).
        mask: "full" (every position) or "causal" (positions up to the query's).

    Returns:
        {"heads": [...], "kind": ..., "mask": ..., "output": ... (only when given)}.
    """
    a = {"heads": list(heads), "kind": kind, "mask": mask}
    if output is not None:
        a["output"] = _map(output)
    return a


def _layers(layers):
    out = []
    for item in layers:
        if isinstance(item, dict):
            out.append(item)
        else:
            weight, bias, act = item
            out.append(layer(weight, bias, act))
    return out


def block(attention=None, mlp=None, attention_residual: bool = True, mlp_residual: bool = True) -> dict:
    """A transformer block: x -> x + attention(x), then x -> x + mlp(x).

    Args:
        attention: an attention(...) dict, or None for no attention.
        mlp: a list of layers (layer(...) dicts or (weight, bias, activation) triples; hidden
            widths free, the last layer back to d_model), or None for no MLP.
        attention_residual: False for x -> attention(x) (no residual).
        mlp_residual: False for x -> mlp(x).

    Returns:
        The block as a dict for transformer(blocks=[...]).
    """
    b = {"attention_residual": attention_residual, "mlp_residual": mlp_residual}
    if attention is not None:
        b["attention"] = attention
    if mlp:
        b["mlp"] = {"layers": _layers(mlp)}
    return b


def transformer(token_embedding, blocks=(), positional=None, readout=None) -> _core.Network:
    """A transformer Network.

    Args:
        token_embedding: vocabulary x d_model (row t: token t's vector).
        blocks: block(...) dicts, applied in order.
        positional: max_length x d_model, added to the token embedding at each position, or None.
        readout: layers applied at every position after the blocks (layer(...) dicts or
            (weight, bias, activation) triples), or None for the last block's output.

    Raises:
        ValueError: widths that do not match, naming the parameter.
    """
    t = {"type": "transformer", "token_embedding": _matrix(token_embedding), "blocks": list(blocks)}
    if positional is not None:
        t["positional"] = _matrix(positional)
    if readout:
        t["readout"] = {"layers": _layers(readout)}
    return network(t)


layer.__doc__ = layer.__doc__.replace("{ACTIVATIONS}", _core.activation_names())
