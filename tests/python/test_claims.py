"""Checking one's own claims from Python: the builder, fpx.verify and fpx.precision_search."""

from fractions import Fraction
import itertools

import numpy as np
import pytest

import fpx


def first_equals_last(n=5, logit=4):
    """A one-layer transformer for t_0 = t_{n-1} over tokens 0, 1, 2: the last query puts logit
    `logit` on position 0 (flagged by the positional encoding), the head returns about t_0, and
    the readout is 1/2 - |t_0 - t_last| (>= 0 iff equal, while the attention leaks < 1/2)."""
    head = fpx.attention_head(query=fpx.linear([[0, 0]], bias=[logit]), key=[[0, 1]], value=[[1, 0]])
    return fpx.transformer(
        token_embedding=[[0, 0], [1, 0], [2, 0]],
        positional=[[0, 1]] + [[0, 0]] * (n - 1),
        blocks=[fpx.block(fpx.attention([head], output=[[-1], [0]]),
                          mlp=[([[1, 0], [-1, 0]], None, "relu"), ([[-1, -1], [0, 0]], None, "identity")],
                          mlp_residual=False)],
        readout=[([[1, 0]], ["1/2"], "identity")])


def test_a_claim_in_ten_lines_checked_against_a_python_loop():
    net = first_equals_last()
    for spec in ("exact", "fixed(8,4)", "fixed(6,3)"):
        check = fpx.verify(net, spec, "first_equals_last", fpx.sequences(3, 5), readout="threshold=0")
        # The same by hand: evaluate every sequence and read it.
        wrong = []
        for k, x in enumerate(itertools.product(range(3), repeat=5)):
            e = net.evaluate(list(x), spec, last_position_only=True)
            if e.exact_output is None or (e.exact_output[-1][0] >= 0) != (x[0] == x[-1]):
                wrong.append(k)
        assert check["checked"] == 243 and check["wrong"] == len(wrong), spec
        assert [c["index"] for c in check["counterexamples"]] == wrong[:4]
        assert sum(c["checked"] for c in check["by_class"].values()) == 243
    assert fpx.verify(net, "exact", "first_equals_last", fpx.sequences(3, 5), readout="threshold=0")["correct"]


def test_tasks_as_names_callables_and_tables_agree():
    net = first_equals_last()
    space = fpx.sequences(3, 5)
    named = fpx.verify(net, "fixed(6,3)", "first_equals_last", space, readout="threshold=0")
    by_callable = fpx.verify(net, "fixed(6,3)", lambda x: int(x[0] == x[-1]), space, readout="threshold=0")
    table = [int(x[0] == x[-1]) for x in itertools.product(range(3), repeat=5)]
    by_table = fpx.verify(net, "fixed(6,3)", table, space, readout="threshold=0")
    assert named["wrong"] == by_callable["wrong"] == by_table["wrong"] > 0
    # A wrong task gives wrong answers: the check is not vacuous.
    assert fpx.verify(net, "exact", lambda x: int(x[0] != x[-1]), space, readout="threshold=0")["wrong"] == 243


def test_counterexamples_come_traced_with_their_divergence_and_threads_change_nothing():
    net = first_equals_last()
    one = fpx.verify(net, "fixed(6,3)", "first_equals_last", fpx.sequences(3, 5), readout="threshold=0", threads=1)
    two = fpx.verify(net, "fixed(6,3)", "first_equals_last", fpx.sequences(3, 5), readout="threshold=0", threads=2)
    assert one["wrong"] == two["wrong"] and [c["index"] for c in one["counterexamples"]] == \
        [c["index"] for c in two["counterexamples"]]
    c = one["counterexamples"][0]
    assert c["text"] == "0 0 0 1 1" and c["input"] == [0, 0, 0, 1, 1] and c["expected"] == [Fraction(0)]
    # 4 is beyond fixed(6,3)'s largest value 3.875: the first departure is the query's bias.
    assert c["divergence"]["step"] == "blocks[0].attention.heads[0].query.bias"
    assert (c["divergence"]["first"], c["divergence"]["second"]) == (3.875, 4.0)
    assert "blocks[0].attention.heads[0].logits" in c["evaluation"].trace
    # Shards add up to the whole.
    first = fpx.verify(net, "fixed(6,3)", "first_equals_last", fpx.sequences(3, 5), readout="threshold=0", end=100)
    rest = fpx.verify(net, "fixed(6,3)", "first_equals_last", fpx.sequences(3, 5), readout="threshold=0", begin=100)
    assert first["wrong"] + rest["wrong"] == one["wrong"] and (first["end"], rest["begin"]) == (100, 100)


def test_precision_search_names_the_fewest_bits_and_the_input_one_bit_below():
    # y = 3x/8 read exactly on x in {0, 1}: the weight needs fixed:s:0:3 (3/8 = 0.011b); one
    # bit fewer, 3/8 ties between 1/4 and 1/2 and rounds to 1/2, so x = 1 fails at the weight.
    net = fpx.mlp([([["3/8"]], None, "identity")])
    result = fpx.precision_search(net, "fixed(16,8)", [0, Fraction(3, 8)], fpx.bit_strings(1),
                                  {"weight": "fixed:s:0:{}"}, readout="exact", levels=range(1, 7))
    w = result["quantities"]["weight"]
    assert (w["minimal_bits"], w["minimal_format"], w["below"]) == (4, "fixed:s:0:3", "fixed:s:0:2")
    assert w["counterexample_below"]["input"] == [Fraction(1)]
    assert w["counterexample_below"]["divergence"]["step"] == "mlp.layers[0].linear.weight"
    assert result["bottleneck"] == "weight" and result["reference_wrong"] == 0
    joint = fpx.precision_search(net, "fixed(16,8)", [0, Fraction(3, 8)], fpx.bit_strings(1),
                                 {"weight": "fixed:s:0:{}", "output": "fixed:s:1:{}"}, levels=range(1, 7),
                                 budget_bits=16)
    assert joint["joint"]["found"] and joint["joint"]["total_bits"] == 9


def test_an_interval_is_checked_at_every_value_its_inputs_round_to():
    # y = x against f(x) = x with inputs in fixed:s:2:4 (step 1/16), to nearest: 1/32 at most.
    net = fpx.mlp([([[1]], None, "identity")])
    c = fpx.verify(net, "uniform(fixed:s:2:4)", lambda x: x, fpx.interval(0, 1), lipschitz=1)
    assert c["values"] == 17 and c["sup_error"] == pytest.approx(1 / 32)
    # Against x^2 (L = 2 on [0, 1]): the largest |v - v^2| is 1/4 at v = 1/2, plus 2 * 1/32.
    square = fpx.verify(net, "uniform(fixed:s:2:4)", "square", fpx.interval(0, 1))
    assert square["sup_error"] == pytest.approx(1 / 4 + 1 / 16) and square["worst"] == Fraction(1, 2)
    with pytest.raises(ValueError, match="lipschitz"):
        fpx.verify(net, "uniform(fixed:s:2:4)", lambda x: x, fpx.interval(0, 1))


def test_the_builder_refuses_what_does_not_fit_and_says_where():
    head = fpx.attention_head(query=[[1, 0]], key=[[1, 0, 0]], value=[[1, 0]])
    with pytest.raises(ValueError, match=r"blocks\[0\]\.attention\.heads\[0\]\.key\.weight has 3 columns"):
        fpx.transformer([[0, 0], [1, 0]], [fpx.block(fpx.attention([head]))])
    with pytest.raises(ValueError, match="unknown task"):
        fpx.verify(first_equals_last(), "exact", "palindrome", fpx.sequences(3, 5))
    with pytest.raises(ValueError, match="vocabulary has 3"):
        fpx.verify(first_equals_last(), "exact", "first_equals_last", fpx.sequences(4, 5))
