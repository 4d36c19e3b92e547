"""Rounding into formats and correctly rounded arithmetic on numpy arrays."""

from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from . import _core, _retired

FormatLike = Union[str, _core.Format]
ArrayLike = Union[float, Sequence[float], np.ndarray]


def formats() -> list[_core.Format]:
    """Every preset scalar format, in listing order."""
    return [_core.Format(name) for name in _core.preset_names()]


def mx_formats() -> list[_core.MXFormat]:
    """Every OCP MX block format preset."""
    return [_core.MXFormat(name) for name in _core.mx_names()]


def _as_format(fmt: FormatLike) -> _core.Format:
    return fmt if isinstance(fmt, _core.Format) else _core.Format(fmt)


def _as_mx(fmt) -> Optional[_core.MXFormat]:
    if isinstance(fmt, _core.MXFormat):
        return fmt
    if isinstance(fmt, str) and fmt.startswith("mx"):
        return _core.MXFormat(fmt)
    return None


def _doubles(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _shaped(result: np.ndarray, like: np.ndarray):
    """A scalar in, a Python float out; otherwise an array of the input's shape."""
    return float(result.reshape(())) if like.ndim == 0 else result


_SITE = {"site": "first_site"}


@_retired.renamed(_SITE)
def round(x: ArrayLike, fmt, mode: str = "rne", seed: Optional[int] = None, first_site: int = 0):
    """Each element of x (read exactly) rounded once into fmt, as float64.

    mode is the rounding mode ({MODES}; stochastic needs a seed, and element i uses stochastic
    site `first_site + i` in C order, so results do not depend on how the array is split). For an
    MX block format ({MX}) blocks run along the last axis. Values of grids with a non-dyadic scale
    come back as the nearest double. fmt is a Format or a name: {FORMATS}
    """
    arr = _doubles(x)
    mx = _as_mx(fmt)
    if mx is not None:
        if first_site:
            raise ValueError("first_site is not used by MX formats: each row draws from seed + row")
        return quantize_mx(arr, mx, mode, seed)["values"]
    return _shaped(_core.round(_as_format(fmt), arr, mode, seed, first_site), arr)


def quantize_mx(x: ArrayLike, fmt, mode: str = "rne", seed: Optional[int] = None) -> dict:
    """MX quantization along the last axis: {"values", "scales", "elements", "block_size"}
    (scale and element codes flattened, row by row)."""
    mx = _as_mx(fmt)
    if mx is None:
        raise ValueError(f"{fmt!r} is not an MX format; the MX formats are {_core.mx_names()}")
    return _core.quantize_mx(mx, _doubles(x), mode, seed)


@_retired.renamed(_SITE)
def encode(x: ArrayLike, fmt: FormatLike, mode: str = "rne", seed: Optional[int] = None,
           first_site: int = 0) -> np.ndarray:
    """The bit patterns (uint64) of x rounded into fmt (as fpx.round rounds them)."""
    return _core.encode(_as_format(fmt), _doubles(x), mode, seed, first_site)


def decode(codes, fmt: FormatLike) -> np.ndarray:
    """The values of bit patterns of fmt, as float64 (NaN and infinities as such)."""
    return _core.decode(_as_format(fmt), np.ascontiguousarray(codes, dtype=np.uint64))


def exact_value(code: int, fmt: FormatLike):
    """The exact value of one code of fmt, as a fractions.Fraction."""
    return _core.exact_value(_as_format(fmt), int(code))


def values(fmt: FormatLike) -> np.ndarray:
    """Every finite value of fmt (at most 24 bits) in increasing order, +0 once."""
    return _core.values(_as_format(fmt))


def _elementwise(op, fmt, operands, mode, seed, first_site):
    arrays = np.broadcast_arrays(*[_doubles(a) for a in operands])
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
    result = op(_as_format(fmt), *flat, mode, seed, first_site).reshape(shape)
    return _shaped(result, arrays[0])


def _define(name: str, arity: int):
    op = getattr(_core, name)
    operands = ["a", "b", "c"][:arity]
    signature = f"{name}({', '.join(operands)}, fmt, mode='rne', seed=None, first_site=0)"

    @_retired.renamed(_SITE)
    def function(*args, mode: str = "rne", seed: Optional[int] = None, first_site: int = 0):
        if len(args) != arity + 1:
            raise TypeError(signature)
        return _elementwise(op, args[-1], args[:-1], mode, seed, first_site)

    function.__name__ = name
    function.__doc__ = (
        f"{signature}: correctly rounded {name} of values of fmt, elementwise with numpy "
        "broadcasting. Operands must already be values of fmt (ValueError otherwise; use "
        "fpx.round); element i uses stochastic site `first_site + i`. mode: {MODES}")
    return function


add = _define("add", 2)
sub = _define("sub", 2)
mul = _define("mul", 2)
div = _define("div", 2)
fma = _define("fma", 3)
sqrt = _define("sqrt", 1)
exp = _define("exp", 1)
log = _define("log", 1)
reciprocal = _define("reciprocal", 1)
negate = _define("negate", 1)


@_retired.renamed(_SITE)
def dot(a: ArrayLike, b: ArrayLike, fmt: FormatLike, *, out: Optional[FormatLike] = None,
        where: str = "every_operation", order: str = "left_to_right",
        permutation: Optional[Sequence[int]] = None, product: Optional[FormatLike] = None,
        accumulator: Optional[FormatLike] = None, mode: str = "rne", seed: Optional[int] = None,
        first_site: int = 0):
    """Dot products over the last axis of values of fmt, rounded into `out` (default fmt).

    where: every_operation (products into `product`, partial sums into `accumulator`; both
    default to `out`), fused (fma into `accumulator` each step) or once_per_dot_product (one
    rounding of the exact sum).
    order: left_to_right, pairwise, or given (with `permutation`). Leading axes broadcast; the
    dot product at flat index i uses stochastic sites from first_site + i * (2n + 1).
    """
    x, y = np.broadcast_arrays(_doubles(a), _doubles(b))
    if x.ndim == 0:
        raise ValueError("dot needs arrays, not scalars")
    n = x.shape[-1]
    fmt_of = lambda f: None if f is None else _as_format(f)  # noqa: E731
    result = _core.dot(_as_format(fmt), np.ascontiguousarray(x).reshape(-1),
                       np.ascontiguousarray(y).reshape(-1), n, fmt_of(out), where, order,
                       None if permutation is None else list(permutation), fmt_of(product),
                       fmt_of(accumulator), mode, seed, first_site)
    result = result.reshape(x.shape[:-1])
    return float(result) if result.ndim == 0 else result


# The name lists in the docstrings come from the C++ tables the parsers read.
for _function in (round, encode, add, sub, mul, div, fma, sqrt, exp, log, reciprocal, negate, dot):
    _function.__doc__ = (_function.__doc__.replace("{FORMATS}", _core.format_grammar())
                         .replace("{MODES}", _core.round_mode_names()).replace("{MX}", _core.mx_grammar()))
