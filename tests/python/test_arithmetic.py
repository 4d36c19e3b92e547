"""fpx's arithmetic from Python, against an exact rounding written with fractions."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpx
from exact_rounding import MODES, Fixed, Minifloat, same

minifloats = st.builds(Minifloat, st.integers(2, 6), st.integers(1, 5))  # IEEE NaN needs M >= 1
fixed_points = st.builds(Fixed, st.integers(0, 6), st.integers(0, 8))
formats = st.one_of(minifloats, fixed_points)


def fpx_format(f):
    # Built from parameters: a name like "e2m1" is OCP's FP4 preset, not the IEEE-style format.
    return fpx.Format.minifloat(f.e, f.m) if isinstance(f, Minifloat) else fpx.Format(f.name)


@st.composite
def format_and_inputs(draw):
    """A format and doubles around it: anywhere in (and beyond) its range, and one double-ulp
    away from a rounding boundary (a value or a midpoint), where double rounding goes wrong."""
    f = draw(formats)
    top = float(f.max) * 3
    anywhere = st.floats(-top, top, allow_nan=False)
    grid = fpx.values(fpx_format(f))

    def around_boundary(i, midpoint, step):
        x = (grid[i] + grid[min(i + 1, len(grid) - 1)]) / 2 if midpoint else grid[i]
        return float(np.nextafter(x, math.copysign(math.inf, step))) if step else float(x)

    near = st.builds(around_boundary, st.integers(0, len(grid) - 1), st.booleans(), st.integers(-1, 1))
    xs = draw(st.lists(st.one_of(anywhere, near), min_size=1, max_size=20))
    return f, xs


@settings(max_examples=300, deadline=None)
@given(format_and_inputs(), st.sampled_from(MODES))
def test_round_is_the_exact_rounding(case, mode):
    f, xs = case
    fmt = fpx_format(f)
    got = fpx.round(np.array(xs), fmt, mode=mode)
    for x, r in zip(xs, got):
        assert same(r, f.round(Fraction(x), mode)), (fmt, mode, x.hex(), r)


@settings(max_examples=200, deadline=None)
@given(formats, st.sampled_from(MODES), st.lists(st.fractions(max_denominator=10 ** 30), min_size=1, max_size=8),
       st.sampled_from(["fraction", "text", "int"]))
def test_exact_inputs_are_rounded_once_from_their_exact_value(f, mode, xs, kind):
    # Fractions, "p/q" text and big ints never pass through float64 (which would round first).
    fmt = fpx_format(f)
    if kind == "int":
        xs = [Fraction(round(x * 2 ** 70)) for x in xs]  # beyond 2^53, so a double would round them
    given = {"fraction": xs, "text": [f"{x.numerator}/{x.denominator}" for x in xs],
             "int": [int(x) for x in xs]}[kind]
    got = fpx.round(given, fmt, mode=mode) if len(xs) > 1 else [fpx.round(given[0], fmt, mode=mode)]
    for x, r in zip(xs, got):
        assert same(r, f.round(x, mode)), (fmt, mode, x, r)


def test_exact_inputs_by_hand():
    # 1 + 1/16 + 2^-60 is above the e4m3 tie 1 + 1/16 between 1 and 1.125: it rounds up. Read
    # through float64 it would be the tie itself, which goes to the even 1.
    x = Fraction(1) + Fraction(1, 16) + Fraction(1, 2 ** 60)
    assert fpx.round(x, "e4m3") == 1.125
    assert fpx.round(float(x), "e4m3") == 1.0
    # A long double holds it exactly (64 significant bits on x86): read as its own ratio, not cast.
    if np.finfo(np.longdouble).nmant >= 60:
        long = np.longdouble(1) + np.longdouble(1) / 16 + np.longdouble(2) ** -60
        assert fpx.round(long, "e4m3") == 1.125
        assert fpx.round(np.array([long, -long]), "e4m3").tolist() == [1.125, -1.125]
        assert fpx.round(np.array([long], dtype=object), "e4m3").tolist() == [1.125]
    assert fpx.round("1/3", "e4m3") == 0.34375  # 1/3 = 1.333 x 2^-2: 1.375 x 2^-2 is nearest
    assert fpx.round(["0x1.8p-1", "0.75", Fraction(3, 4), 0.75], "e4m3").tolist() == [0.75] * 4
    # A mixed list keeps each element's own reading: 0.1 the double, "0.1" the decimal 1/10.
    both = fpx.encode([0.1, "0.1"], "fp64")
    assert both[0] == both[1]  # 1/10 rounds to the same double
    assert fpx.encode(2 ** 60 + 1, "fixed:s:62:0") == 2 ** 60 + 1  # a double would drop the 1
    assert fpx.round("-0", "fp16") == 0 and math.copysign(1, fpx.round("-0", "fp16")) == -1
    assert math.isinf(fpx.round("inf", "fp16")) and math.isnan(fpx.round("nan", "fp16"))
    assert fpx.add(Fraction(1, 2), "1/4", "e4m3") == 0.75
    with pytest.raises(ValueError, match="not a value of e4m3"):
        fpx.add(Fraction(1, 3), 0, "e4m3")
    for bad in (1j, None, object()):
        with pytest.raises(TypeError, match="exact number|complex"):
            fpx.round(bad, "e4m3")
    with pytest.raises(ValueError, match="not a number literal"):
        fpx.round("one third", "e4m3")


def test_seeds_and_sites_are_checked_with_one_line_messages():
    with pytest.raises(ValueError, match="seed must be an integer in"):
        fpx.round([0.3], "e2m1", mode="stochastic", seed=-1)
    with pytest.raises(ValueError, match="stochastic rounding needs a seed"):
        fpx.round([0.3], "e2m1", mode="stochastic")
    with pytest.raises(ValueError, match="seed is used by stochastic rounding only"):
        fpx.round([0.3], "e2m1", seed=3)
    with pytest.raises(ValueError, match="first_site must be"):
        fpx.add([0.5], [0.5], "e2m1", first_site=-2)


@settings(max_examples=200, deadline=None)
@given(minifloats, st.sampled_from(["rne", "rtz", "up", "down"]), st.data())
def test_add_and_mul_are_the_exact_result_rounded_once(f, mode, data):
    fmt = fpx_format(f)
    grid = [float(v) for v in fpx.values(fmt)]
    a = data.draw(st.sampled_from(grid))
    b = data.draw(st.sampled_from(grid))
    assert same(fpx.add(a, b, fmt, mode=mode), f.round(Fraction(a) + Fraction(b), mode))
    assert same(fpx.mul(a, b, fmt, mode=mode), f.round(Fraction(a) * Fraction(b), mode))


def test_values_are_the_textbook_values_of_e2m1():
    # OCP FP4 E2M1: no inf or NaN, bias 1, subnormal 0.5.
    positive = [0, 0.5, 1, 1.5, 2, 3, 4, 6]
    expected = sorted({-v for v in positive} | set(positive))
    assert fpx.values("e2m1").tolist() == expected


def test_encode_decode_round_trip_every_code_of_e4m3():
    codes = np.arange(256, dtype=np.uint64)
    values = fpx.decode(codes, "e4m3")
    finite = np.isfinite(values)
    assert np.count_nonzero(~finite) == 2  # OCP E4M3: only S.1111.111 is NaN
    assert fpx.decode(fpx.encode(values[finite], "e4m3"), "e4m3").tolist() == values[finite].tolist()
    # 0x01 is the smallest subnormal 2^-9; 0x7e is the largest value, 1.75 * 2^8.
    assert (fpx.exact_value(0x01, "e4m3"), fpx.exact_value(0x7E, "e4m3")) == (Fraction(1, 512), 448)


def test_shapes_and_scalars():
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    assert fpx.round(x, "e4m3").shape == (3, 4)
    assert isinstance(fpx.round(0.1, "fp16"), float)
    assert fpx.add(fpx.round(x, "fp16"), 1.0, "fp16").shape == (3, 4)
    assert fpx.dot(np.ones((2, 5)), np.ones(5), "e4m3").tolist() == [5.0, 5.0]


def test_stochastic_rounding_is_a_function_of_seed_and_site():
    x = np.full(1000, 0.3)
    first = fpx.round(x, "e2m1", mode="stochastic", seed=7)
    assert np.array_equal(first, fpx.round(x, "e2m1", mode="stochastic", seed=7))
    assert np.array_equal(first[10:], fpx.round(x[10:], "e2m1", mode="stochastic", seed=7, first_site=10))
    with pytest.raises(TypeError, match="retired spelling; use .first_site."):
        fpx.round(x, "e2m1", mode="stochastic", seed=7, site=10)
    assert set(first.tolist()) == {0.0, 0.5}
    assert 0.45 < np.mean(first == 0.5) < 0.75  # P(up) = 0.3 / 0.5 = 0.6


def test_stochastic_rounding_with_k_random_bits():
    # e2m1 at 0.2 lies 0.4 of the way from 0 to 0.5: with one random bit floor(0.8) = 0, so it
    # never rounds up; with three bits floor(3.2) / 8 = 3/8 of the time; the exact rule 0.4.
    x = np.full(4000, 0.2)
    assert not fpx.round(x, "e2m1", mode="stochastic:bits=1", seed=7).any()
    three = fpx.round(x, "e2m1", mode="stochastic:bits=3", seed=7)
    assert abs(np.mean(three == 0.5) - 3 / 8) < 5 * np.sqrt(3 / 8 * 5 / 8 / x.size)
    assert np.array_equal(three, fpx.round(x, "e2m1", mode="stochastic:bits=3", seed=7))
    assert fpx.stochastic_bias(Fraction(1, 5), "e2m1", "stochastic:bits=3") == Fraction(3, 8) / 2 - Fraction(1, 5)
    assert fpx.stochastic_bias(-0.5, "e2m1", "stochastic:bits=3") == 0
    with pytest.raises(ValueError, match="K in 1..32"):
        fpx.round(x, "e2m1", mode="stochastic:bits=0", seed=7)
    with pytest.raises(ValueError, match="not stochastic"):
        fpx.stochastic_bias(0.2, "e2m1", "rne")
    with pytest.raises(ValueError, match="beyond the finite values"):
        fpx.stochastic_bias(7, "e2m1", "stochastic")


def test_dot_rounds_in_the_stated_order():
    # In e2m1 (step 2 between 4 and 6, 1 up to 4): 4 + 1 = 5 ties to 4 each step left to right,
    # while the exact sum 4 + 1 + 1 = 6 is a value.
    a, b = [4.0, 1.0, 1.0], [1.0, 1.0, 1.0]
    assert fpx.dot(a, b, "e2m1") == 4.0
    assert fpx.dot(a, b, "e2m1", where="once_per_dot_product") == 6.0
    assert fpx.dot(a, b, "e2m1", order="given", permutation=[1, 2, 0]) == 6.0


def test_mx_blocks_share_a_power_of_two_scale():
    q = fpx.quantize_mx(np.arange(64.0).reshape(2, 32) / 8, "mxfp4:block=16")
    assert q["scales"].shape == (4,) and q["elements"].shape == (64,)
    assert q["values"].shape == (2, 32)
    assert np.array_equal(fpx.round(np.arange(64.0).reshape(2, 32) / 8, "mxfp4:block=16"), q["values"])
    # MX reads doubles: an exact input is refused, not cast (quantize_mx cast 1/3 to a double).
    exact_inputs = [[Fraction(1, 3)] * 32, ["1/3"] * 32]
    if np.finfo(np.longdouble).nmant > 52:
        exact_inputs.append(np.full(32, np.longdouble(1) / 3))
    for exact in exact_inputs:
        for call in (fpx.quantize_mx, fpx.round):
            with pytest.raises(TypeError, match="MX rounding reads float64"):
                call(exact, "mxfp4")


def test_format_properties_are_exact():
    f = fpx.Format("e4m3")
    assert (f.max, f.min_normal, f.min_positive, f.bits) == (448, Fraction(1, 64), Fraction(1, 512), 8)
    assert fpx.Format.minifloat(4, 3, specials="fn") == f
    # FNUZ formats have bias 2^(E-1) = 8, so the largest value is 1.875 * 2^7 = 240.
    assert fpx.Format.minifloat(4, 3, specials="fnuz").max == 240
    assert fpx.Format.minifloat(2, 1) != fpx.Format("e2m1")  # IEEE-style, not OCP FP4
    assert fpx.Format.int(4, Fraction(1, 8)).max == Fraction(7, 8)
    assert fpx.Format.ternary().information_bits == pytest.approx(math.log2(3))
    assert [g.name for g in fpx.formats()][:4] == ["fp64", "fp32", "tf32", "bf16"]


@pytest.mark.parametrize("call, message", [
    (lambda: fpx.Format("e9m99"), "mantissa"),
    (lambda: fpx.round(1.0, "e4m3", mode="nearest"), "rne"),
    (lambda: fpx.round(1.0, "e4m3", mode="stochastic"), "seed"),
    (lambda: fpx.round(math.nan, "e2m1"), "NaN"),
    (lambda: fpx.add(0.1, 1.0, "e4m3"), "not a value of e4m3"),
    (lambda: fpx.decode([0xFF], "e2m1"), "not a code"),
    (lambda: fpx.dot([1.0, 2.0], [1.0, 2.0], "e4m3", permutation=[1, 0]), "given"),
    (lambda: fpx.quantize_mx([1.0], "e4m3"), "not an MX format"),
    (lambda: fpx.values("fp32"), "2\\^24 codes"),
])
def test_bad_input_is_a_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_mismatched_shapes_are_a_value_error():
    with pytest.raises(ValueError):
        fpx.add(np.ones(3), np.ones(4), "fp16")


@pytest.mark.parametrize("fmt, oracle", [
    (fpx.Format.minifloat(4, 3), Minifloat(4, 3)),  # IEEE-style e4m3: a byte table in C++
    (fpx.Format.minifloat(5, 10), Minifloat(5, 10)),  # fp16's layout: the float64 kernels
    (fpx.Format("fixed:s:3:4:overflow=saturate"), Fixed(3, 4)),
])
@pytest.mark.parametrize("mode", ["rne", "rtz", "up", "down", "rna", "rto"])
def test_array_operations_are_the_exact_results_rounded_once(fmt, oracle, mode):
    # Arrays long enough for the batch kernels (and the ranges threads split), against the
    # Fraction oracle: add, sub, mul, div, fma and sqrt on values, and round on any doubles.
    rng = np.random.default_rng(4)
    x = rng.standard_normal(3000) * 4
    a = fpx.round(x, fmt)
    b = fpx.round(rng.standard_normal(3000) * 2, fmt)
    c = fpx.round(rng.standard_normal(3000), fmt)
    b[b == 0] = 1.0
    with np.errstate(over="ignore"):
        results = {
            "round": (fpx.round(x, fmt, mode=mode), [Fraction(v) for v in x]),
            "add": (fpx.add(a, b, fmt, mode=mode), [Fraction(p) + Fraction(q) for p, q in zip(a, b)]),
            "sub": (fpx.sub(a, b, fmt, mode=mode), [Fraction(p) - Fraction(q) for p, q in zip(a, b)]),
            "mul": (fpx.mul(a, b, fmt, mode=mode), [Fraction(p) * Fraction(q) for p, q in zip(a, b)]),
            "div": (fpx.div(a, b, fmt, mode=mode), [Fraction(p) / Fraction(q) for p, q in zip(a, b)]),
            "fma": (fpx.fma(a, b, c, fmt, mode=mode),
                    [Fraction(p) * Fraction(q) + Fraction(r) for p, q, r in zip(a, b, c)]),
        }
    for name, (got, exact) in results.items():
        wrong = [i for i, (g, e) in enumerate(zip(got, exact)) if not same(g, oracle.round(e, mode))]
        assert not wrong, (name, fmt, mode, wrong[:3], got[wrong[0]])
    # sqrt: the oracle rounds the exact root, bracketed by Fractions.
    positive = np.minimum(np.abs(a), float(fmt.max))  # fixed point: -8 has no positive twin
    roots = fpx.sqrt(positive, fmt, mode=mode)
    for v, r in zip(positive, roots):
        if v == 0:
            assert r == 0
            continue
        assert same(r, oracle.round(_sqrt_fraction(Fraction(v), oracle), mode)), (fmt, mode, v, r)


def _sqrt_fraction(v: Fraction, oracle) -> Fraction:
    """A Fraction within 2^-80 relative of sqrt(v) that is not itself a rounding boundary of the
    oracle's format: rounding it rounds sqrt(v) (an exact root is returned exactly)."""
    from math import isqrt
    scale = 2 ** 200
    n = v.numerator * scale * scale // v.denominator
    s = isqrt(n)
    if s * s == n and Fraction(s, scale) ** 2 == v:
        return Fraction(s, scale)
    return Fraction(2 * s + 1, 2 * scale)  # strictly between s / scale and (s + 1) / scale


def test_threads_give_the_same_bits():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(300_000) * 100
    for mode, seed in (("rne", None), ("stochastic", 5)):
        a = fpx.round(x, "e4m3", mode=mode, seed=seed)
        b = fpx.round(x[::-1].copy(), "e4m3", mode=mode, seed=seed)
        for threads in (2, 0):
            assert np.array_equal(fpx.round(x, "e4m3", mode=mode, seed=seed, threads=threads), a, equal_nan=True)
            assert np.array_equal(fpx.add(a, b, "e4m3", mode=mode, seed=seed, threads=threads),
                                  fpx.add(a, b, "e4m3", mode=mode, seed=seed), equal_nan=True)
            assert np.array_equal(fpx.encode(x, "bf16", threads=threads), fpx.encode(x, "bf16"))
            codes = fpx.encode(x, "fp16")
            assert np.array_equal(fpx.decode(codes, "fp16", threads=threads), fpx.decode(codes, "fp16"))
            rows = a.reshape(-1, 30), b.reshape(-1, 30)
            assert np.array_equal(fpx.dot(*rows, "e4m3", out="fp32", mode=mode, seed=seed, threads=threads),
                                  fpx.dot(*rows, "e4m3", out="fp32", mode=mode, seed=seed))
    with pytest.raises(ValueError, match="threads must be"):
        fpx.round(x, "e4m3", threads=-1)
    # An operand that is not a value: the lowest index is named at any thread count.
    bad = fpx.round(x, "fp16")
    bad[250_000], bad[100_000] = 0.1, 0.3
    for threads in (1, 2, 3):
        with pytest.raises(ValueError, match=r"a\[100000\] = 0.3 is not a value of fp16"):
            fpx.add(bad, bad, "fp16", threads=threads)


def test_names_users_know_are_the_presets():
    for alias, preset in [("float8_e4m3fn", "e4m3"), ("e4m3fn", "e4m3"), ("float8_e5m2", "e5m2"),
                          ("float8_e4m3fnuz", "e4m3fnuz"), ("float8_e5m2fnuz", "e5m2fnuz"),
                          ("float8_e8m0fnu", "e8m0"), ("float6_e2m3fn", "e2m3"), ("float6_e3m2fn", "e3m2"),
                          ("float4_e2m1fn", "e2m1"), ("bfloat16", "bf16"), ("float16", "fp16"),
                          ("float32", "fp32")]:
        assert fpx.Format(alias) == fpx.Format(preset)
        assert fpx.Format(alias).name == preset
    assert fpx.round([464.0], "float8_e4m3fn").tolist() == [448.0]  # OCP's saturating E4M3
    assert fpx.Format("float8_e4m3fnuz").max == 240


def test_formats_pickle_and_say_what_they_are():
    import pickle
    for obj in (fpx.Format("fixed:s:3:4"), fpx.MXFormat("mxfp4:block=16")):
        again = pickle.loads(pickle.dumps(obj))
        assert repr(again) == repr(obj) and again.name == obj.name
    assert repr(fpx.MXFormat("mxfp4")) == "MXFormat('mxfp4')"


def test_mx_scale_rules_by_name():
    # mxfp4 block 7, 1.1, -0.3, 0.2: OCP's floor gives the scale 1 and clips 7 to 6; rceil
    # (ceil(log2(7 / 6))) gives 2, and 7 / 2 = 3.5 is a tie that goes to 4 (even).
    floor = fpx.MXFormat("mxfp4")
    rceil = fpx.MXFormat("mxfp4:scale_rule=rceil")
    assert floor.scale_rule == "floor" and rceil.scale_rule == "rceil"
    assert floor != rceil and hash(floor) != hash(rceil)
    assert fpx.MXFormat("mxfp4:scale_rule=floor") == floor
    x = [7.0, 1.1, -0.3, 0.2]
    assert fpx.round(x, "mxfp4").tolist() == [6.0, 1.0, -0.5, 0.0]
    assert fpx.round(x, "mxfp4:scale_rule=rceil").tolist() == [8.0, 1.0, 0.0, 0.0]
    assert fpx.quantize(np.array([x]), "mxfp4:scale_rule=ceil")["values"].tolist() == [[8.0, 1.0, 0.0, 0.0]]
    with pytest.raises(ValueError, match="unknown scale rule"):
        fpx.MXFormat("mxfp4:scale_rule=round")
