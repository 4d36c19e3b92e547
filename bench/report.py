#!/usr/bin/python3
"""Turns fpx_bench's JSON into bench/RESULTS.md: each fast path's rate and its ratios to the
native and reference baselines of its group, measured in the same run.

Usage: bench/report.py RESULTS.json COMMAND > bench/RESULTS.md
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


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
