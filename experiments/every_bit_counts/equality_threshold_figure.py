#!/usr/bin/env python3
"""Figure for experiment equality_threshold: the largest n at which equality is computed,
against the total bits of the format, for the constructions, the counting bound and the
exhaustive search. Reads only data/equality_threshold/equality_threshold.csv."""
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


def draw(rows):
    """The figure from the experiment's CSV rows (the notebook calls this directly)."""
    largest = [r for r in rows if r["record"] == "largest_n"]
    series = [
        ("dyadic construction, float (narrowest exponent)",
         best_by_bits([r for r in largest if r["family"] == "float_min_exponent"]), "-", "o"),
        ("dyadic construction, fixed point (best split)",
         best_by_bits([r for r in largest if r["family"] == "fixed" and r["construction"] == "dyadic"]), "--", "s"),
        ("integer construction, fixed point (best split)",
         best_by_bits([r for r in largest if r["family"] == "fixed" and r["construction"] == "integer"]), "-.", "^"),
    ]
    max_bits = max(b for _, pts, _, _ in series for b, _ in pts)
    bounds = [r for r in rows if r["record"] == "bound" and int(r["total_bits"]) <= max_bits]
    series.append(("counting bound, scores by position only (n ≤ b)",
                   [(int(r["total_bits"]), int(r["n"])) for r in bounds
                    if r["construction"] == "position_only_scores"], ":", None))
    found = [r for r in rows if r["record"] == "search" and r["found"] == "1"]
    series.append(("exhaustive search n*, uniform scores", best_by_bits(found), "", "*"))

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for label, pts, style, marker in series:
        if not pts:
            continue
        xs, ys = zip(*pts)
        ax.plot(xs, ys, linestyle=style or "none", marker=marker, drawstyle="steps-post" if style else "default",
                color="black", label=label, markersize=7 if marker == "*" else 5, markerfacecolor="white")
    ax.set_xlabel("total bits b of every quantity's format")
    ax.set_ylabel("largest n with EQ_n computed exactly")
    ax.set_title("Equality in a one-layer softmax transformer")
    ax.set_xlim(1.5, max_bits + 0.5)
    ax.set_ylim(0, max_bits + 0.5)
    ax.grid(True, color="0.85")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    command_line("equality_threshold", draw)
