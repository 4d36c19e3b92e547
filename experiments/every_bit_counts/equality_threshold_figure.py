#!/usr/bin/env python3
"""Figure for experiment equality_threshold: the largest n at which EQ_n is computed, against
the total bits b of the format, one panel per class: constructions (checked on every pair), the
exhaustive search's n* (best format of the class at b; hollow where the search of the next n
stopped at its budget) and the counting bound. Reads only data/equality_threshold/equality_threshold.csv."""
from collections import defaultdict

import matplotlib.pyplot as plt

from fpx.figures import command_line


def best_by_bits(rows):
    """Largest n per total bits over the formats of one family (a split into integer and
    fraction bits, or an exponent width, is the designer's choice)."""
    best = defaultdict(int)
    for r in rows:
        best[int(r["total_bits"])] = max(best[int(r["total_bits"])], int(r["n"]))
    return sorted(best.items())


def searched(rows, families):
    """n* per b over the formats of the families: the largest n found; and whether every format
    at that b was settled (its next n searched to the end)."""
    found, settled = defaultdict(int), defaultdict(lambda: True)
    for r in rows:
        if r["record"] != "search" or r["family"] not in families:
            continue
        b = int(r["total_bits"])
        found[b] = max(found[b], int(r["n"]) if r["found"] == "1" else 0)
        if r["found"] == "0" and r["complete"] == "0":
            settled[b] = False
    return sorted(found.items()), {b: settled[b] for b in found}


def panel(ax, title, series, max_bits):
    for label, pts, style, marker in series:
        if not pts:
            continue
        xs, ys = zip(*pts)
        ax.plot(xs, ys, linestyle=style or "none", marker=marker, drawstyle="steps-post" if style else "default",
                color="black", label=label, markersize=7 if marker == "*" else 5, markerfacecolor="white")
    ax.set_title(title, fontsize=9)
    ax.set_xlim(1.5, max_bits + 0.5)
    ax.set_ylim(0, max_bits + 0.5)
    ax.grid(True, color="0.85")
    ax.legend(fontsize=6.5, loc="upper left")


def draw(rows):
    """The figure from the experiment's CSV rows (the notebook calls this directly)."""
    largest = [r for r in rows if r["record"] == "largest_n"]
    checks = [r for r in rows if r["record"] == "check" and r["construction"] == "saturating"
              and r["failures"] == "0"]
    max_bits = max([int(r["total_bits"]) for r in largest + checks] + [4])
    bounds = [r for r in rows if r["record"] == "bound" and int(r["total_bits"]) <= max_bits]
    position_bound = [(int(r["total_bits"]), int(r["n"])) for r in bounds
                      if r["construction"] == "position_only_scores"]
    token_bound = [(int(r["total_bits"]), min(int(r["n"]), max_bits)) for r in bounds
                   if r["construction"] == "token_scores"]

    fig, axes = plt.subplots(2, 2, figsize=(10, 8), sharex=True, sharey=True)
    found, settled = searched(rows, {"fixed"})
    panel(axes[0][0], "position-only scores, signed fixed point, saturating", [
        ("counting bound n ≤ b (theorem)", position_bound, ":", None),
        ("saturating construction, fixed:s:1:(b−2) (every pair)",
         [(int(r["total_bits"]), int(r["n"])) for r in checks], "-", "o"),
        ("dyadic construction (best split)",
         best_by_bits([r for r in largest if r["family"] == "fixed" and r["construction"] == "dyadic"]), "--", "s"),
        ("integer construction (best split)",
         best_by_bits([r for r in largest if r["family"] == "fixed" and r["construction"] == "integer"]), "-.", "^"),
        ("exhaustive search n* (best split)", found, "", "*"),
    ], max_bits)
    found, settled = searched(rows, {"fixed_error"})
    panel(axes[0][1], "the same formats, overflow = error (any overflow fails)", [
        ("bound n ≤ b − 1 (theorem: a full grid of states overflows)",
         [(b, b - 1) for b, _ in position_bound], ":", None),
        ("exhaustive search n* (best split; budget-limited above b = 3)", found, "", "*"),
    ], max_bits)
    styles = [("float_ieee", "IEEE (inf, NaN)", "o"), ("float_fn", "OCP fn (NaN only)", "s"),
              ("float_fnuz", "FNUZ", "^"), ("float_finite", "finite, saturating (e2m1 = OCP FP4)", "D")]
    series = [("counting bound n ≤ b", position_bound, ":", None),
              ("dyadic construction, narrowest exponent",
               best_by_bits([r for r in largest if r["family"] == "float_min_exponent"]), "-", None)]
    for k, (family, label, marker) in enumerate(styles):  # side by side at each b
        points = [(b + 0.12 * (k - 1.5), n) for b, n in searched(rows, {family})[0]]
        series.append((f"search n*: {label}", points, "", marker))
    panel(axes[1][0], "position-only scores, minifloats eEmM (E ≥ 2, M ≥ 1)", series, max_bits)
    panel(axes[1][1], "scores that read the tokens (not searched)", [
        ("counting bound n ≤ 2b (theorem)", token_bound, ":", None),
        ("saturating construction (position-only scores suffice)",
         [(int(r["total_bits"]), int(r["n"])) for r in checks], "-", "o"),
    ], max_bits)
    for ax in axes[1]:
        ax.set_xlabel("total bits b of every quantity's format")
    for ax in (axes[0][0], axes[1][0]):
        ax.set_ylabel("largest n with EQ_n computed")
    fig.suptitle("Equality in a one-layer softmax transformer, one head, value width 1", fontsize=11)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    command_line("equality_threshold", draw)
