#!/usr/bin/python3
"""The Python package's speed: 1M float64 inputs, one thread unless a row says otherwise, each
rate the median of repetitions run in random order, against baselines timed in the same run:
PyTorch's casts (what users would otherwise call) and the same operations called from C++ on
the same inputs (fpx_bench_parity). Prints one JSON object for bench/report.py.

Usage: bench_python.py PATH/TO/fpx_bench_parity [REPETITIONS]
"""
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import fpx

N = 1 << 20


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def timed_rounds(calls, repetitions):
    """Elements per second of each call (name -> (elements, function)), the median over
    `repetitions` rounds, each round calling every function once in a random order."""
    for _, call in calls.values():  # warm-up: tables, page faults
        call()
    seconds = {name: [] for name in calls}
    order = list(calls)
    rng = random.Random(1)
    for _ in range(repetitions):
        rng.shuffle(order)
        for name in order:
            t0 = time.perf_counter()
            calls[name][1]()
            seconds[name].append(time.perf_counter() - t0)
    return {name: calls[name][0] / median(seconds[name]) for name in calls}


def main(parity_program, repetitions=7):
    rng = np.random.default_rng(42)
    x, y = rng.standard_normal(N), rng.standard_normal(N)
    with tempfile.TemporaryDirectory() as tmp:
        xf, yf = Path(tmp) / "x.f64", Path(tmp) / "y.f64"
        x.tofile(xf)
        y.tofile(yf)
        cpp = json.loads(subprocess.run([parity_program, str(xf), str(yf), str(repetitions)], check=True,
                                        capture_output=True, text=True).stdout)
    a, b = fpx.round(x, "e4m3"), fpx.round(y, "e4m3")
    rows_a, rows_b = a.reshape(-1, 64), b.reshape(-1, 64)
    w = x.reshape(1024, -1)
    calls = {
        "round/e4m3": (N, lambda: fpx.round(x, "e4m3")),
        "round/fp16": (N, lambda: fpx.round(x, "fp16")),
        "round/bf16": (N, lambda: fpx.round(x, "bf16")),
        "round/e4m3 threads=2": (N, lambda: fpx.round(x, "e4m3", threads=2)),
        "add/e4m3": (N, lambda: fpx.add(a, b, "e4m3")),
        "add/e4m3 threads=2": (N, lambda: fpx.add(a, b, "e4m3", threads=2)),
        "dot/e4m3": (N, lambda: fpx.dot(rows_a, rows_b, "e4m3", accumulator="fp32", out="fp32")),
        "quantize/int4:group=32:scale=fp16": (N, lambda: fpx.quantize(w, "int4:group=32:scale=fp16")),
        "round/mxfp4": (N, lambda: fpx.round(w, "mxfp4")),
    }
    try:
        import torch
        tx = torch.from_numpy(x)
        torch.set_num_threads(1)
        calls["torch f64->f16->f64"] = (N, lambda: tx.to(torch.float16).to(torch.float64))
        calls["torch f64->bf16->f64"] = (N, lambda: tx.to(torch.bfloat16).to(torch.float64))
    except ImportError:
        pass
    python = timed_rounds(calls, repetitions)

    # Batch evaluation: an MLP 16 -> 32 -> 32 -> 1 (relu) under fixed(8), one C++ call for the
    # batch against Network.evaluate called in a Python loop.
    net = fpx.mlp([(rng.standard_normal((32, 16)) / 4, rng.standard_normal(32) / 4, "relu"),
                   (rng.standard_normal((32, 32)) / 6, None, "relu"),
                   (rng.standard_normal((1, 32)) / 6, None, "identity")])
    inputs = rng.standard_normal((4000, 16))
    spec = fpx.spec("fixed(8)")
    loop_inputs = inputs[:400]
    evaluations = timed_rounds({
        "batch, 1 thread": (len(inputs), lambda: net.evaluate(inputs, spec, threads=1)),
        "batch, 2 threads": (len(inputs), lambda: net.evaluate(inputs, spec, threads=2)),
        "Python loop": (len(loop_inputs), lambda: [net.evaluate(v, spec) for v in loop_inputs]),
    }, max(3, repetitions // 2))
    # Checking a claim (fpx.verify): a one-layer, 2-head, d = 8 transformer on every sequence of
    # 10 tokens over 4 (2^20 inputs), on 1 and 2 threads, against Network.evaluate in a loop.
    import itertools
    w = lambda r, c: rng.standard_normal((r, c)) / 3  # noqa: E731
    heads = [fpx.attention_head(w(4, 8), w(4, 8), w(4, 8)) for _ in range(2)]
    claim_net = fpx.transformer(w(4, 8), [fpx.block(fpx.attention(heads, output=w(8, 8)),
                                                    mlp=[(w(16, 8), None, "relu"), (w(8, 16), None, "identity")])],
                                positional=w(10, 8), readout=[(w(1, 8), None, "identity")])
    claim_spec = fpx.spec("fixed(12,8)")
    space = fpx.sequences(4, 10)
    checks = {}
    for threads in (1, 2):
        t0 = time.perf_counter()
        fpx.verify(claim_net, claim_spec, "first_equals_last", space, readout="sign", threads=threads)
        checks[f"verify, {threads} thread{'s' if threads > 1 else ''}"] = len(space) / (time.perf_counter() - t0)
    sample = list(itertools.islice(itertools.product(range(4), repeat=10), 2000))
    t0 = time.perf_counter()
    for x in sample:
        claim_net.evaluate(list(x), claim_spec, last_position_only=True)
    checks["Network.evaluate in a Python loop"] = len(sample) / (time.perf_counter() - t0)
    print(json.dumps({"elements": N, "repetitions": repetitions, "python": python, "cpp": cpp,
                      "evaluations": evaluations, "verify": checks, "verify_inputs": len(space)}))


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:]))
