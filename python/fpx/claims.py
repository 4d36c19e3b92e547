"""Checking one's own claims: a network on a task over a whole input space, exhaustively and in
parallel in C++ (theory/verify.hpp), and the fewest bits each quantity needs.

    import fpx
    net = fpx.transformer(...)
    check = fpx.verify(net, "fixed(8)", "first_equals_last", fpx.sequences(3, 5), readout="threshold=0")
    check["wrong"], check["counterexamples"][0]["divergence"]["step"]
    bits = fpx.precision_search(net, "fixed(16,8)", "first_equals_last", fpx.sequences(3, 5),
                                {"logit": "fixed:s:4:{}", "exponential": "fixed:s:8:{}"}, readout="threshold=0")
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterable, Optional, Sequence, Union

import numpy as np

from . import _core
from .arithmetic import _exact_text, _threads
from .models import spec as _spec


def sequences(vocabulary: int, length: int) -> _core.InputSpace:
    """Every token sequence of a length over a vocabulary, for fpx.verify.

    Args:
        vocabulary: V, the tokens 0 .. V - 1.
        length: n, the tokens per sequence.

    Returns:
        An InputSpace of V^n inputs, numbered lexicographically (position 0 varies slowest).
    """
    return _core.InputSpace.sequences(vocabulary, length)


def bit_strings(*widths: int) -> _core.InputSpace:
    """The product of bit strings of the given widths, for fpx.verify.

    Args:
        *widths: the bits of each string; bit_strings(4, 4) is every pair (x, y) of 4-bit strings.

    Returns:
        An InputSpace of 2^(sum of widths) inputs: input k is the strings' concatenation, k's
        binary digits most significant first, read as the tokens 0 and 1 by a transformer or as
        an input vector of 0s and 1s by an MLP.
    """
    return _core.InputSpace.bit_strings(list(widths))


def inputs(items: Iterable) -> _core.InputSpace:
    """An explicit list of inputs, for fpx.verify.

    Args:
        items: token sequences (lists of ints; lengths may differ) or, for an MLP, input
            vectors (rows of exact numbers: floats read exactly, Fractions, strings).

    Returns:
        An InputSpace whose input k is items[k].
    """
    items = list(items)
    if items and all(np.asarray(x).dtype.kind in "iu" for x in items):
        return _core.InputSpace.token_list([[int(t) for t in x] for x in items])
    return _core.InputSpace.vector_list([[_exact_text(v) for v in np.asarray(x, dtype=object).reshape(-1)] for x in items])


@dataclass(frozen=True)
class interval:
    """The inputs low <= x <= high of a one-input MLP; fpx.verify checks every one of them.

    Attributes:
        low: the least input (an exact number: int, float read exactly, Fraction or string).
        high: the largest input.
    """
    low: Any
    high: Any


InputsLike = Union[_core.InputSpace, interval, Sequence]
TaskLike = Union[str, Callable, Sequence]


def _space(x) -> _core.InputSpace:
    if isinstance(x, _core.InputSpace):
        return x
    return inputs(x)


def _expected_texts(value) -> list[str]:
    values = value if isinstance(value, (list, tuple, np.ndarray)) else [value]
    return [_exact_text(bool(v) * 1 if isinstance(v, (bool, np.bool_)) else v) for v in np.asarray(values, dtype=object).reshape(-1)]


def _task(task: TaskLike, space: _core.InputSpace):
    """A task as _core takes it: a name, or (every_position, table of exact texts)."""
    if isinstance(task, str):
        return task
    n = len(space)
    if callable(task):
        rows = []
        every = None
        for k in range(n):
            x = space.tokens(k) if space.has_tokens else None
            value = task(tuple(x) if x is not None else space.describe(k))
            per_position = isinstance(value, (list, tuple, np.ndarray))
            if every is None:
                every = per_position
            elif every != per_position:
                raise ValueError("the task returns a list for some inputs and a number for others")
            rows.append(_expected_texts(value))
        return (bool(every), rows)
    table = list(task)
    if len(table) != n:
        raise ValueError(f"the task's table has {len(table)} rows for {n} inputs")
    every = any(isinstance(v, (list, tuple, np.ndarray)) for v in table)
    return (every, [_expected_texts(v) for v in table])


def verify(network, spec, task: TaskLike, inputs: InputsLike, readout: str = "exact", *, threads: int = 0,
           counterexamples: int = 4, trace: bool = True, first_site: int = 0, begin: int = 0,
           end: Optional[int] = None, lipschitz: Optional[float] = None) -> dict:
    """Checks a network on a task over every input of a space, in C++, in parallel.

    Args:
        network: a Network (a transformer reads token sequences at its last position, or every
            position for tasks that return a value per position; an MLP reads input vectors).
        spec: the PrecisionSpec (or a preset name or dict) to evaluate under.
        task: a named task (``{TASKS}``); a callable taking the input (a tuple of tokens, or the
            input's text for vector inputs) and returning the expected value (a number, or a
            list with one value per position); or a table with one such value per input. For an
            interval: a named target (abs, descending, square, sine) or a callable f(x).
        inputs: an input space: fpx.sequences(vocabulary, length), fpx.bit_strings(w1, w2, ...), an
            explicit list (fpx.inputs), or fpx.interval(low, high) for a one-input MLP.
        readout: how an output is read: ``{READOUTS}``.
        threads: threads (0: every core); the result does not depend on it.
        counterexamples: how many failing inputs to return (those of lowest index).
        trace: trace the counterexamples and find where they first leave exact arithmetic.
        first_site: stochastic rounding: input k numbers its sites from first_site + k 2^32.
        begin, end: check only inputs begin <= k < end (a shard; results of consecutive shards
            add up).
        lipschitz: for an interval, a Lipschitz constant of the target on it.

    Returns:
        A dict with "checked", "wrong", "correct" (no input wrong), "begin", "end", "task",
        "by_class" (expected value as text -> {"checked", "wrong"}) and "counterexamples", each a
        dict with "index", "input" (tokens or the vector), "text", "expected" (Fractions, per
        read position), "output" (the exact output rows, or None), "error" (the evaluation's
        error, or None), "evaluation" (the traced Evaluation, or None) and "divergence" (where it
        first leaves exact arithmetic: {"step", "row", "col", "first", "second"}, or None).
        For an interval: {"low", "high", "values" (the input format's values checked),
        "sup_error" (a bound on the sup of abs(network - target) over the interval), "largest_at_values",
        "worst", "kind"}.
    """
    s = _spec(spec)
    if isinstance(inputs, interval):
        if lipschitz is None and not isinstance(task, str):
            raise ValueError("an interval check of a callable target needs lipschitz=")
        return _core.verify_interval(network, s, task, float(lipschitz or 0), inputs.low, inputs.high, _threads(threads))
    space = _space(inputs)
    stop = len(space) if end is None else int(end)
    return _core.verify(network, s, _task(task, space), space, readout, _threads(threads), int(counterexamples),
                        bool(trace), int(first_site), int(begin), stop, 4096)


def _family(value, levels) -> list[str]:
    if isinstance(value, str):
        if "{}" not in value:
            raise ValueError(f"a format family is a pattern with {{}} (fixed:s:3:{{}}) or a list of names, not {value!r}")
        return [value.replace("{}", str(k)) for k in levels]
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return _family(value[0], value[1])
    return [str(v) for v in value]


def precision_search(network, spec, task: TaskLike, inputs: InputsLike, families: dict, readout: str = "exact", *,
                     levels: Iterable[int] = range(1, 13), budget_bits: int = 0, threads: int = 0,
                     max_assignments: int = 4096) -> dict:
    """The fewest bits each quantity needs for the network to stay correct on the task.

    For each quantity of `families`, the network is checked on every input at each level of
    its family, every other quantity at `spec`'s format; correctness need not be monotone in
    bits, so every level is checked. With a budget, the assignment of one level per quantity
    with the fewest total bits that is correct is searched too.

    Args:
        network, spec, task, inputs, readout: as for fpx.verify (spec: the reference, rounded).
        families: quantity name ({QUANTITIES}) -> its formats: a pattern with "{}" replaced by
            each of `levels` ("fixed:s:3:{}", "e4m{}"), a (pattern, levels) pair, or a list of
            format names. A level's bits are its format's storage bits.
        levels: the integers a pattern takes by default.
        budget_bits: the joint search's budget, in total bits summed over the quantities (0:
            no joint search).
        threads: threads (0: every core).
        max_assignments: at most this many joint assignments are checked.

    Returns:
        A dict with "reference_wrong" (inputs the network gets wrong at `spec` itself: a level
        is only as correct as its reference, so make this 0 first), "quantities" (name ->
        {"levels": [{"format", "bits", "wrong", "correct",
        "counterexample"}], "minimal_bits" (the fewest bits from which every level up is
        correct, or None), "minimal_format", "below" (the format one level below it),
        "counterexample_below" (its first failing input, traced, with its divergence from exact
        arithmetic and its "reference_divergence": the first step where it departs from the
        reference spec's evaluation of the same input, the quantity under test's doing),
        "non_monotone" (a level below that is correct)}), "bottleneck" (the quantity needing the
        most bits, or the first correct at no level) and "joint" ({"found", "formats",
        "total_bits", "assignments_checked"}).
    """
    s = _spec(spec)
    space = _space(inputs)
    expanded = [(q, _family(v, levels)) for q, v in families.items()]
    return _core.search_precision(network, s, _task(task, space), space, readout, expanded, _threads(threads),
                                  int(budget_bits), int(max_assignments))


verify.__doc__ = (verify.__doc__.replace("{TASKS}", _core.task_grammar())
                  .replace("{READOUTS}", _core.readout_grammar()))
precision_search.__doc__ = precision_search.__doc__.replace(
    "{QUANTITIES}", "weight, bias, embedding, position, activation, product, accumulator, logit, exponential, "
    "denominator, attention_weight, output")
