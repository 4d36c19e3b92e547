#!/usr/bin/python3
"""Turns fpx_bench's JSON into bench/RESULTS.md: each fast path's rate and its ratios to the
native and reference baselines of its group, measured in the same run.

Usage: bench/report.py RESULTS.json COMMAND [PYTHON.json] > bench/RESULTS.md
(PYTHON.json: bench/bench_python.py's output, the Python section with its targets)
"""
import json
import subprocess
import sys
from collections import OrderedDict


def cpu_model():
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def rate(entry):
    return entry["items_per_second"]


def human(r):
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if r >= scale:
            return f"{r / scale:.3g} {unit}/s"
    return f"{r:.3g} /s"


def main(path, command):
    data = json.load(open(path))
    # With repetitions, the median of each benchmark's runs (the machine's noise is one-sided:
    # a run is only ever slowed down by what else the host does).
    medians = [b for b in data["benchmarks"] if b.get("aggregate_name") == "median"]
    runs = medians or [b for b in data["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    runs.sort(key=lambda b: b.get("family_index", 0))  # registration order, not run order
    groups = OrderedDict()
    for b in runs:
        name = b.get("run_name", b["name"])
        op, fmt, kind = name.rsplit("/", 2) if name.count("/") >= 2 else (name, "", "")
        groups.setdefault(op, OrderedDict()).setdefault(fmt, {})[kind] = b
    ctx = data["context"]
    print("# Benchmark results\n")
    print("Each fast path against two baselines measured in the same run of the same binary:")
    print("native float operations on the same arrays (the hardware's limit) and fpx's")
    print("reference path (exact big-integer dyadics). Batches of 4096 elements from normal")
    print("samples; one thread.", end=" ")
    if medians:
        print(f"Each rate is the median of {medians[0]['repetitions']} repetitions, run in random order.", end="")
    print("\n")
    print(f"- command: `{command}`")
    print(f"- machine: {cpu_model()} ({ctx['num_cpus']} CPUs at {ctx['mhz_per_cpu']} MHz as reported)")
    print(f"- date: {ctx['date']}")
    print(f"- fast kernels: {ctx.get('fpx_isa', '?')}\n")
    for op, formats in groups.items():
        native = next((k["native"] for k in formats.values() if "native" in k), None)
        print(f"## {op}\n")
        print("| format | path | fast | reference | fast / reference | fast / native |")
        print("|---|---|---|---|---|---|")
        for fmt, kinds in formats.items():
            if "fast" not in kinds:
                continue
            fast = kinds["fast"]
            ref = kinds.get("reference")
            nat = kinds.get("native", native)
            cells = [fmt, fast.get("label", ""), human(rate(fast)),
                     human(rate(ref)) if ref else "-",
                     f"{rate(fast) / rate(ref):.0f}x" if ref else "-",
                     f"{rate(fast) / rate(nat):.2f}" if nat else "-"]
            print("| " + " | ".join(cells) + " |")
        if native and not all("native" in k for k in formats.values() if "fast" in k):
            print(f"\nnative baseline: `{native.get('run_name', native['name'])}` {human(rate(native))}")
        print()


# The Python package's targets (issue 22): rates in elements per second, ratios to a baseline
# timed in the same run.
ROUND_TARGET, ADD_TARGET, TORCH_RATIO, CPP_RATIO = 0.5e9, 0.5e9, 0.4, 0.5


def python_section(path):
    data = json.load(open(path))
    py, cpp, ev = data["python"], data["cpp"], data["evaluations"]
    torch16 = py.get("torch f64->f16->f64")
    print("## Python\n")
    print(f"The package's calls on {data['elements']:,} float64 inputs (`bench/bench_python.py`), each rate the")
    print(f"median of {data['repetitions']} rounds in random order, against baselines timed in the same run:")
    print("PyTorch's casts (f64 -> f16 -> f64 and f64 -> bf16 -> f64, one thread) and the same operation")
    print("called from C++ on the same inputs (`bench/bench_parity.cpp`). Targets: `fpx.round` into e4m3,")
    print("fp16 and bf16 at least 0.5 G/s and 0.4x torch's f64 -> f16 -> f64; `fpx.add` in e4m3 at least")
    print("0.5 G/s; `fpx.dot` and `fpx.quantize` at least half the C++ rate.\n")
    print("| call | Python | baseline | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    met_all = True

    def row(call, rate, baseline_name, baseline, target_text, met):
        nonlocal met_all
        met_all = met_all and met
        ratio = f"{rate / baseline:.2f}" if baseline else "-"
        print(f"| {call} | {human(rate)} | {baseline_name} {human(baseline) if baseline else ''} | {ratio} | "
              f"{target_text} | {'yes' if met else '**no**'} |")

    for fmt in ("e4m3", "fp16", "bf16"):
        r = py[f"round/{fmt}"]
        ok = r >= ROUND_TARGET and (torch16 is None or r >= TORCH_RATIO * torch16)
        row(f"`fpx.round` {fmt}", r, "torch f16", torch16, ">= 0.5 G/s, >= 0.4x torch", ok)
        row(f"`fpx.round` {fmt} (C++ parity)", r, "C++", cpp[f"round/{fmt}"], "-", True)
    if "torch f64->bf16->f64" in py:
        print(f"| torch f64 -> bf16 -> f64 | {human(py['torch f64->bf16->f64'])} | | | | |")
    row("`fpx.round` e4m3, threads=2", py["round/e4m3 threads=2"], "1 thread", py["round/e4m3"], "-", True)
    row("`fpx.add` e4m3", py["add/e4m3"], "C++", cpp["add/e4m3"], ">= 0.5 G/s", py["add/e4m3"] >= ADD_TARGET)
    row("`fpx.add` e4m3, threads=2", py["add/e4m3 threads=2"], "1 thread", py["add/e4m3"], "-", True)
    for key, name in (("dot/e4m3", "`fpx.dot` e4m3, rows of 64, fp32 accumulator (terms)"),
                      ("quantize/int4:group=32:scale=fp16", "`fpx.quantize` int4:group=32:scale=fp16"),
                      ("round/mxfp4", "`fpx.round` mxfp4 (1024 rows)")):
        target = key != "round/mxfp4"
        row(name, py[key], "C++", cpp[key], ">= 0.5x C++" if target else "-",
            (py[key] >= CPP_RATIO * cpp[key]) if target else True)
    print(f"\nAll targets met in this run: {'yes' if met_all else '**no**'}.\n")
    loop = ev["Python loop"]
    print("Batch evaluation (`Network.evaluate` on a 2-D array: an MLP 16 -> 32 -> 32 -> 1, relu, under")
    print("fixed(8)), evaluations per second against `Network.evaluate` called in a Python loop:\n")
    print("| call | evaluations/s | / Python loop |")
    print("|---|---|---|")
    for name in ("batch, 1 thread", "batch, 2 threads", "Python loop"):
        print(f"| {name} | {ev[name]:,.0f} | {ev[name] / loop:.2f} |")
    print()
    if "verify" in data:
        v = data["verify"]
        loop = v["Network.evaluate in a Python loop"]
        print(f"Checking a claim (`fpx.verify`): a one-layer, 2-head, d = 8 transformer with an MLP, every one of")
        print(f"the {data['verify_inputs']:,} sequences of 10 tokens over 4, under fixed(12,8), inputs per second:\n")
        print("| call | inputs/s | seconds for all | / Python loop |")
        print("|---|---|---|---|")
        for name, rate in v.items():
            print(f"| {name} | {rate:,.0f} | {data['verify_inputs'] / rate:.1f} | {rate / loop:.2f} |")
        print()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
    if len(sys.argv) > 3:
        python_section(sys.argv[3])
