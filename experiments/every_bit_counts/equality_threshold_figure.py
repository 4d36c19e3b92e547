#!/usr/bin/env python3
"""Figure for experiment equality_threshold: the largest n at which EQ_n is computed, against
the total bits b of the format, one panel per class (one head and d_v = 1 with position-only
scores, by overflow policy and format family; token scores; H d_v = 2; H = d_v = 2):
constructions (checked on every pair), the search's n* (best format of the class at b) and the
counting bound. Reads only data/equality_threshold/equality_threshold.csv."""
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


def searched(rows, families, record="search", construction=None):
    """n* per b over the formats of the families: the largest n found; and whether every format
    at that b was settled (its next n searched to the end)."""
    found, settled = defaultdict(int), defaultdict(lambda: True)
    for r in rows:
        if r["record"] != record or r["family"] not in families:
            continue
        if construction is not None and r["construction"] != construction:
            continue
        b = int(r["total_bits"])
        found[b] = max(found[b], int(r["n"]) if r["found"] == "1" else 0)
        if r["found"] == "0" and r["complete"] == "0":
            settled[b] = False
    return sorted(found.items()), {b: settled[b] for b in found}


def panel(ax, title, series, max_bits, max_n=None):
    for label, pts, style, marker in series:
        if not pts:
            continue
        xs, ys = zip(*pts)
        ax.plot(xs, ys, linestyle=style or "none", marker=marker, drawstyle="steps-post" if style else "default",
                color="black", label=label, markersize=7 if marker == "*" else 5, markerfacecolor="white")
    ax.set_title(title, fontsize=9)
    ax.set_xlim(1.5, max_bits + 0.5)
    ax.set_ylim(0, (max_n or max_bits) + 0.5)
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
    token_bound = [(int(r["total_bits"]), int(r["n"])) for r in bounds
                   if r["construction"] == "token_scores"]

    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharex=True)
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
    def class_bound(name, cap):
        return [(int(r["total_bits"]), int(r["n"])) for r in rows if r["record"] == "class_bound"
                and r["construction"] == name and int(r["total_bits"]) <= max_bits and int(r["n"]) <= cap]

    def class_construction(name):
        return [(int(r["total_bits"]), int(r["n"])) for r in rows
                if r["record"] == "class_construction" and r["construction"] == name and r["found"] == "1"]

    def class_found(name, families=("fixed",), settled_only=True):
        """n* per b where every format's next n ran to its end (settled_only), else the points
        where some search stopped at its budget (lower bounds)."""
        found, settled = searched(rows, set(families), "class_search", name)
        return [(b, n) for b, n in found if settled[b] == settled_only]

    panel(axes[1][1], "scores that read the tokens, H = d_v = 1", [
        ("counting bound n ≤ 2b (theorem)", token_bound, ":", None),
        ("counting bound of position-only scores, n ≤ b", position_bound, (0, (1, 4)), None),
        ("saturating construction (logits 0)",
         [(int(r["total_bits"]), int(r["n"])) for r in checks], "-", "o"),
        ("search n* (best split holding 1)", class_found("token_h1_dv1"), "", "*"),
        ("search n*, e2m1 (best style)", class_found("token_h1_dv1", ("float_ieee", "float_fn", "float_fnuz",
                                                                      "float_finite")), "", "D"),
        ("search, lower bound (next n stopped at the budget)",
         class_found("token_h1_dv1", ("fixed", "float_ieee", "float_fn", "float_fnuz", "float_finite"), False),
         "", "^"),
    ], max_bits)
    cap = 3 * max_bits
    panel(axes[0][2], "H d_v = 2: one head with d_v = 2, or two heads with d_v = 1", [
        ("bound, position-only scores: 2b", class_bound("position_h1_dv2", cap), ":", None),
        ("bound, token scores, H = 1, d_v = 2: 3b", class_bound("token_h1_dv2", cap), "--", None),
        ("bound, token scores, H = 2, d_v = 1: 4b", class_bound("token_h2_dv1", cap), "-.", None),
        ("construction, every pair (n ≤ 8)", class_construction("position_h1_dv2"), "-", "o"),
        ("search, position-only (both shapes)",
         sorted(set(class_found("position_h1_dv2")) | set(class_found("position_h2_dv1"))), "", "*"),
        ("search, token scores (both shapes)",
         [(b + 0.15, n) for b, n in sorted(set(class_found("token_h1_dv2")) | set(class_found("token_h2_dv1")))],
         "", "x"),
        ("search, lower bound (next n stopped at the budget)",
         [(b + 0.3, n) for b, n in sorted(set(class_found("token_h1_dv2", settled_only=False)) |
                                          set(class_found("token_h2_dv1", settled_only=False)) |
                                          set(class_found("position_h1_dv2", settled_only=False)) |
                                          set(class_found("position_h2_dv1", settled_only=False)))],
         "", "^"),
    ], max_bits, 20)
    panel(axes[1][2], "H = 2, d_v = 2 (not searched)", [
        ("bound, position-only scores: 4b", class_bound("position_h2_dv2", cap), ":", None),
        ("bound, token scores: 6b", class_bound("token_h2_dv2", cap), "--", None),
        ("construction, every pair (n ≤ 8)", class_construction("position_h2_dv2"), "-", "o"),
    ], max_bits, 20)
    for ax in axes[1]:
        ax.set_xlabel("total bits b of every quantity's format")
    for ax in (axes[0][0], axes[1][0]):
        ax.set_ylabel("largest n with EQ_n computed")
    fig.suptitle("Equality in a one-layer softmax transformer: H heads, value width d_v per head", fontsize=11)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    command_line("equality_threshold", draw)
