"""Rounding into formats and correctly rounded arithmetic on numpy arrays."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Optional, Sequence, Union

import numpy as np

from . import _core, _retired

FormatLike = Union[str, _core.Format]
ArrayLike = Union[float, Sequence[float], np.ndarray]


def formats() -> list[_core.Format]:
    """Every preset scalar format (fp64, fp32, ..., e8m0) as a Format, in listing order."""
    return [_core.Format(name) for name in _core.preset_names()]


def mx_formats() -> list[_core.MXFormat]:
    """Every OCP MX block format preset (mxfp8_e4m3, ..., mxint8) as an MXFormat."""
    return [_core.MXFormat(name) for name in _core.mx_names()]


def _as_format(fmt: FormatLike) -> _core.Format:
    return fmt if isinstance(fmt, _core.Format) else _core.Format(fmt)


def _as_mx(fmt) -> Optional[_core.MXFormat]:
    if isinstance(fmt, _core.MXFormat):
        return fmt
    if isinstance(fmt, str) and fmt.startswith("mx"):
        return _core.MXFormat(fmt)
    return None


_MX_READS_DOUBLES = ("MX rounding reads float64 values (its scales are chosen from doubles): "
                      "pass floats, not Fractions, strings, long doubles or ints beyond 2^53")


def _exact_text(v) -> str:
    """One element as text that parse_number reads exactly."""
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"cannot read {v!r} as a number (a bool)")
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, np.floating) and np.dtype(type(v)).itemsize > 8:  # long double: its own ratio
        if not np.isfinite(v):
            return str(float(v))
        n, d = v.as_integer_ratio()
        return "-0.0" if v == 0 and np.signbit(v) else f"{n}/{d}"
    if isinstance(v, (float, np.floating)):
        return float(v).hex() if np.isfinite(v) else str(float(v))
    if isinstance(v, Fraction):
        return f"{v.numerator}/{v.denominator}"
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, str):
        return v
    raise TypeError(f"cannot read {type(v).__name__} {v!r} as an exact number "
                    "(use float, int, fractions.Fraction, decimal.Decimal or a string: decimal, p/q or hex-float)")


def _read(x):
    """The input as float64 (every element a double, or an integer a double holds exactly), or
    as exact texts with the input's shape: ints beyond 2^53, Fractions, Decimals and strings
    never pass through float64."""
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    if arr.dtype.kind in "US" and not isinstance(x, np.ndarray):
        arr = np.asarray(x, dtype=object)  # numpy would turn the floats of a mixed list into text
    if arr.dtype.kind in "fb" and arr.dtype.itemsize <= 8:
        return arr.astype(np.float64, copy=False), None
    if arr.dtype.kind in "iu" and all(abs(int(v)) <= 2 ** 53 for v in arr.flat):
        return arr.astype(np.float64), None
    if arr.dtype.kind == "c":
        raise TypeError("complex numbers have no value in a format")
    if arr.dtype.kind == "O" and all(isinstance(v, (float, np.floating)) and np.dtype(type(v)).itemsize <= 8
                                     for v in arr.flat):
        return arr.astype(np.float64), None
    if arr.dtype.kind == "O" and all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                                     and abs(int(v)) <= 2 ** 53 for v in arr.flat):
        return arr.astype(np.float64), None
    return None, (arr.shape, [_exact_text(v) for v in arr.flat])


def _seed(seed):
    """A stochastic seed as the C++ library takes it: None or an integer in [0, 2^64)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2 ** 64:
        raise ValueError(f"seed must be an integer in [0, 2^64), not {seed!r}")
    return int(seed)


def _first_site(first_site):
    if isinstance(first_site, bool) or not isinstance(first_site, (int, np.integer)) or not 0 <= int(first_site) < 2 ** 64:
        raise ValueError(f"first_site must be an integer in [0, 2^64), not {first_site!r}")
    return int(first_site)


def _threads(threads) -> int:
    """A thread count as the C++ library takes it: 0 (every core) or a positive integer."""
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or not 0 <= int(threads) < 2 ** 16:
        raise ValueError(f"threads must be 0 (every core) or a positive integer, not {threads!r}")
    return int(threads)


def _shaped(result: np.ndarray, like: np.ndarray):
    """A scalar in, a Python float out; otherwise an array of the input's shape."""
    return float(result.reshape(())) if like.ndim == 0 else result


_SITE = {"site": "first_site"}


@_retired.renamed(_SITE)
def round(x: ArrayLike, fmt, mode: str = "rne", seed: Optional[int] = None, first_site: int = 0,
          threads: int = 1):
    """Each element of x, read exactly, rounded once into fmt.

    Args:
        x: a number or an array of them: floats (read as their exact binary value), ints,
            fractions.Fraction, decimal.Decimal or strings ("1/3", "0.1", "0x1p-5"), which never
            pass through float64.
        fmt: a Format, an MXFormat, or a name. Scalar formats: {FORMATS}. MX block formats
            (blocks run along the last axis; x must be float64): {MX}.
        mode: the rounding mode, one of {MODES}.
        seed: the seed of stochastic rounding (required by it, refused without it).
        first_site: the stochastic site of element 0; element i (in C order) uses
            first_site + i, so results do not depend on how an array is split.
        threads: threads to use (0: every core); the bits do not depend on it.

    Returns:
        The rounded values as float64 with x's shape (a float for a scalar); NaN and infinities
        as such; values of grids with a non-dyadic scale as the nearest double.

    Raises:
        ValueError: a bad name or mode, NaN into a format without NaN.
        OverflowError: overflow under the `error` policy.
    """
    mx = _as_mx(fmt)
    arr, exact = _read(x)
    if mx is not None:
        if first_site:
            raise ValueError("first_site is not used by MX formats: each row draws from seed + row")
        if exact is not None:
            raise TypeError(_MX_READS_DOUBLES)
        if arr.ndim == 0:
            raise ValueError("an MX format needs an array with at least one axis")
        return _core.quantize_mx(mx, arr, mode, _seed(seed), _threads(threads), True)
    if exact is not None:
        shape, texts = exact
        values = np.array(_core.round_texts(_as_format(fmt), texts, mode, _seed(seed), _first_site(first_site)),
                          dtype=np.float64).reshape(shape)
        return float(values) if values.ndim == 0 else values
    return _shaped(_core.round(_as_format(fmt), arr, mode, _seed(seed), _first_site(first_site), _threads(threads)), arr)


def quantize_mx(x: ArrayLike, fmt, mode: str = "rne", seed: Optional[int] = None, threads: int = 1) -> dict:
    """MX quantization of x (float64, at least 1-D) along its last axis, blocks of
    fmt.block_size within each row, row i rounding with seed + i and sites numbered within
    the row. Returns {"values" (float64, x's shape: each element times its block's scale,
    exactly), "scales" (uint64 E8M0 codes, one per block, row by row), "elements" (uint64
    element codes, row by row), "block_size" (int)}. A block holding NaN or an infinity gets
    the NaN scale and NaN values; threads: 0 for every core (the bits do not depend on it)."""
    mx = _as_mx(fmt)
    if mx is None:
        raise ValueError(f"{fmt!r} is not an MX format; the MX formats are {_core.mx_names()}")
    arr, exact = _read(x)
    if exact is not None:
        raise TypeError(_MX_READS_DOUBLES)
    return _core.quantize_mx(mx, arr, mode, _seed(seed), _threads(threads), False)


@_retired.renamed(_SITE)
def encode(x: ArrayLike, fmt: FormatLike, mode: str = "rne", seed: Optional[int] = None,
           first_site: int = 0, threads: int = 1) -> np.ndarray:
    """The bit patterns of x rounded into fmt, as fpx.round rounds them (exact inputs included).

    Args:
        x, fmt, mode, seed, first_site, threads: as for fpx.round (scalar formats only).

    Returns:
        A uint64 array of codes with x's shape.
    """
    arr, exact = _read(x)
    if exact is not None:
        shape, texts = exact
        return np.array(_core.encode_texts(_as_format(fmt), texts, mode, _seed(seed), _first_site(first_site)),
                        dtype=np.uint64).reshape(shape)
    return _core.encode(_as_format(fmt), arr, mode, _seed(seed), _first_site(first_site), _threads(threads))


def decode(codes, fmt: FormatLike, threads: int = 1) -> np.ndarray:
    """The values of bit patterns of fmt.

    Args:
        codes: integer codes (any shape).
        fmt: a Format or a name.
        threads: threads to use (0: every core).

    Returns:
        float64 values with the codes' shape (NaN and infinities as such).

    Raises:
        ValueError: a pattern fmt does not use (ternary's 0b10, int8's 0x80).
    """
    return _core.decode(_as_format(fmt), np.ascontiguousarray(codes, dtype=np.uint64), _threads(threads))


def exact_value(code: int, fmt: FormatLike):
    """The exact value of one code of a format.

    Args:
        code: the code (an unsigned integer below 2^bits).
        fmt: a format name or Format.

    Returns:
        A fractions.Fraction.

    Raises:
        ValueError: the code is NaN, an infinity or unused.
    """
    return _core.exact_value(_as_format(fmt), int(code))


def stochastic_bias(x, fmt: FormatLike, mode: str = "stochastic"):
    """The exact bias of stochastic rounding at x: E[round(x)] - x over the random bits.

    With f the fraction of the ulp between x and its neighbour toward zero, the mean moves away
    from that neighbour by P ulp, where P = ceil(2^32 f) / 2^32 for "stochastic" (32 bits
    compared exactly) and floor(2^K f) / 2^K for "stochastic:bits=K", as accelerators round with
    K random bits: the bias is sign(x) (P - f) ulp, away from zero by less than 2^-32 ulp for
    "stochastic", toward zero by less than 2^-K ulp for "stochastic:bits=K". On the binary grid
    {-s, s} (no zero) f is measured from -s, so the bias is toward -s for K bits.

    Args:
        x: an exact number (int, float read exactly, Fraction, or text such as "1/3").
        fmt: a format name or Format.
        mode: "stochastic" or "stochastic:bits=K" (no seed: the bias does not depend on it).

    Returns:
        A fractions.Fraction (0 where x is a value of fmt).

    Raises:
        ValueError: a mode that is not stochastic, or x beyond fmt's finite values.
    """
    return _core.stochastic_bias(_as_format(fmt), x, mode)


def values(fmt: FormatLike) -> np.ndarray:
    """Every finite value of fmt (of at most 24 bits), in increasing order, +0 once, as a
    float64 array."""
    return _core.values(_as_format(fmt))


def _operand(x, fmt, what: str) -> np.ndarray:
    """An operand as float64: exact inputs must name values of fmt (never rounded silently)."""
    arr, exact = _read(x)
    if exact is None:
        return arr
    shape, texts = exact
    return np.array(_core.values_of_texts(_as_format(fmt), texts, what), dtype=np.float64).reshape(shape)


def _elementwise(op, fmt, operands, mode, seed, first_site, threads):
    arrays = [_operand(a, fmt, name) for a, name in zip(operands, "abc")]
    if any(a.shape != arrays[0].shape for a in arrays):
        arrays = np.broadcast_arrays(*arrays)
    shape = arrays[0].shape
    flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
    result = op(_as_format(fmt), *flat, mode, _seed(seed), _first_site(first_site), _threads(threads)).reshape(shape)
    return _shaped(result, arrays[0])


def _define(name: str, arity: int):
    op = getattr(_core, name)
    operands = ["a", "b", "c"][:arity]
    signature = f"{name}({', '.join(operands)}, fmt, mode='rne', seed=None, first_site=0, threads=1)"

    @_retired.renamed(_SITE)
    def function(*args, mode: str = "rne", seed: Optional[int] = None, first_site: int = 0, threads: int = 1):
        if len(args) != arity + 1:
            raise TypeError(signature)
        return _elementwise(op, args[-1], args[:-1], mode, seed, first_site, threads)

    function.__name__ = name
    function.__doc__ = (
        f"{signature}\n\n"
        f"Correctly rounded {name} of values of fmt, element by element with numpy broadcasting.\n\n"
        "Args:\n"
        f"    {', '.join(operands)}: values of fmt (floats holding them exactly, or exact numbers that name "
        "them); anything else is a ValueError: round it first with fpx.round.\n"
        "    fmt: a Format or a name.\n"
        "    mode: the rounding mode, one of {MODES}.\n"
        "    seed: the stochastic seed (required by stochastic rounding, refused without it).\n"
        "    first_site: element i (in C order) uses stochastic site first_site + i.\n"
        "    threads: threads to use (0: every core); the bits do not depend on it.\n\n"
        "Returns:\n"
        "    float64 results with the broadcast shape (a float for scalars).\n\n"
        "Raises:\n"
        "    ValueError: an operand that is not a value, NaN where fmt has none.\n"
        "    OverflowError: overflow under the `error` policy.\n")
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
        first_site: int = 0, threads: int = 1):
    """Dot products over the last axis of values of fmt, each rounded as the rule says.

    Args:
        a, b: arrays of values of fmt (ValueError for anything else); leading axes broadcast.
        fmt: the operands' format (a Format or a name).
        out: the result's format (default fmt).
        where: where rounding happens, one of {WHERE}: every_operation rounds each product into
            `product` and each partial sum into `accumulator` (both default to `out`), fused
            rounds an fma into `accumulator` each step, once_per_dot_product rounds the exact
            sum once into `out`.
        order: the summation order, one of {ORDERS}; given takes `permutation` (of 0..n-1).
        mode, seed: the rounding mode and stochastic seed, as for fpx.round.
        first_site: the dot product at flat index i uses stochastic sites from
            first_site + i * (2n + 1) (n: the length of the last axis).
        threads: threads to use (0: every core); the bits do not depend on it.

    Returns:
        float64 results with the broadcast shape less the last axis (a float for one pair).
    """
    x, y = np.broadcast_arrays(_operand(a, fmt, "a"), _operand(b, fmt, "b"))
    if x.ndim == 0:
        raise ValueError("dot needs arrays, not scalars")
    n = x.shape[-1]
    fmt_of = lambda f: None if f is None else _as_format(f)  # noqa: E731
    result = _core.dot(_as_format(fmt), np.ascontiguousarray(x).reshape(-1),
                       np.ascontiguousarray(y).reshape(-1), n, fmt_of(out), where, order,
                       None if permutation is None else list(permutation), fmt_of(product),
                       fmt_of(accumulator), mode, _seed(seed), _first_site(first_site), _threads(threads))
    result = result.reshape(x.shape[:-1])
    return float(result) if result.ndim == 0 else result


# The name lists in the docstrings come from the C++ tables the parsers read.
for _function in (round, encode, add, sub, mul, div, fma, sqrt, exp, log, reciprocal, negate, dot):
    _function.__doc__ = (_function.__doc__.replace("{FORMATS}", _core.format_grammar())
                         .replace("{MODES}", _core.rounding_grammar()).replace("{MX}", _core.mx_grammar())
                         .replace("{WHERE}", _core.rounding_point_names())
                         .replace("{ORDERS}", _core.summation_order_names()))
