"""An exact rounding oracle written with Python's fractions, independent of fpx: the textbook
definition of IEEE-style minifloats eXmY and of signed fixed point."""

import math
from fractions import Fraction

MODES = ["rne", "rna", "rtz", "up", "down", "rto"]


def _round_integer(q: Fraction, mode: str, negative: bool) -> int:
    """q >= 0 rounded to an integer; `negative` says the value being rounded is -q."""
    low = math.floor(q)
    rest = q - low
    if rest == 0:
        return low
    if mode == "rne":
        return low + (rest > Fraction(1, 2) or (rest == Fraction(1, 2) and low % 2 == 1))
    if mode == "rna":
        return low + (rest >= Fraction(1, 2))
    if mode == "rtz":
        return low
    if mode == "up":
        return low if negative else low + 1
    if mode == "down":
        return low + 1 if negative else low
    if mode == "rto":
        return low if low % 2 == 1 else low + 1
    raise ValueError(mode)


class Minifloat:
    """IEEE-style eXmY: bias 2^(X-1)-1, subnormals, the all-ones exponent for inf and NaN."""

    def __init__(self, e: int, m: int):
        self.e, self.m = e, m
        bias = 2 ** (e - 1) - 1
        self.emin, emax = 1 - bias, 2 ** e - 2 - bias
        self.max = (2 - Fraction(1, 2 ** m)) * Fraction(2) ** emax

    def round(self, x: Fraction, mode: str):
        """The rounded value as a Fraction, or +-inf (the `inf` overflow policy)."""
        if x == 0:
            return Fraction(0)
        a, negative = abs(x), x < 0
        exponent = max(math.floor(math.log2(a)), self.emin)
        while Fraction(2) ** exponent > a and exponent > self.emin:  # log2 of a Fraction may be off by one
            exponent -= 1
        while Fraction(2) ** (exponent + 1) <= a:
            exponent += 1
        ulp = Fraction(2) ** (exponent - self.m)
        r = _round_integer(a / ulp, mode, negative) * ulp
        if r > self.max:
            toward_zero = mode in ("rtz", "rto") or (mode == "up" and negative) or (mode == "down" and not negative)
            r = self.max if toward_zero else math.inf
        return -r if negative else r


class Fixed:
    """Signed fixed point: I integer and F fraction bits plus a sign; saturating."""

    def __init__(self, i: int, f: int):
        self.name = f"fixed:s:{i}:{f}:overflow=saturate"  # parse_format's grammar
        self.ulp = Fraction(1, 2 ** f)
        self.kmin, self.kmax = -(2 ** (i + f)), 2 ** (i + f) - 1
        self.max = self.kmax * self.ulp

    def round(self, x: Fraction, mode: str):
        q, negative = abs(x) / self.ulp, x < 0
        k = _round_integer(q, mode, negative)
        k = -k if negative else k
        return min(max(k, self.kmin), self.kmax) * self.ulp


def same(result: float, expected) -> bool:
    """A double from fpx against the oracle's Fraction or infinity."""
    if isinstance(expected, float):
        return result == expected
    return math.isfinite(result) and Fraction(result) == expected
