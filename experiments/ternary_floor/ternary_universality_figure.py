#!/usr/bin/env python3
"""Figure for experiment ternary_universality: certified sup error against parameter count for
ternary and signed-binary (S1) networks, and for unsigned-binary (U1) networks against their
monotone floor. Reads only data/ternary_universality/ternary_universality.csv."""
import matplotlib.pyplot as plt

from fpx.figures import command_line

MARKERS = {"abs": "o", "descending": "v", "square": "s", "sine": "^", "bump": "D"}


def series(rows, record, family, target):
    pts = [(int(r["parameters"]), float(r["sup_error"])) for r in rows
           if r["record"] == record and r["family"] == family and r["target"] == target]
    return sorted(pts)


def draw(rows):
    """The figure from the experiment's CSV rows (the notebook calls this directly)."""
    targets = list(dict.fromkeys(r["target"] for r in rows))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    for t in targets:
        for family, style in (("ternary", "-"), ("s1", "--")):
            pts = [(p, e) for p, e in series(rows, "construction", family, t) if e > 0]
            if pts:
                xs, ys = zip(*pts)
                left.plot(xs, ys, style, marker=MARKERS.get(t, "o"), color="black",
                          markerfacecolor="white" if family == "s1" else "black", markersize=4,
                          label=f"{t}, {family}")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("parameters (nonzero weights + biases)")
    left.set_ylabel("certified sup error")
    left.set_title("Ternary and S1 weights: error → 0\n(|x−½| and 1−x are represented exactly, error 0: not on a log axis)",
                   fontsize=9)
    left.grid(True, color="0.85")
    left.legend(fontsize=7, ncol=2)

    for t in targets:
        pts = series(rows, "u1", "u1", t)
        if not pts:
            continue
        xs, ys = zip(*pts)
        line, = right.plot(xs, ys, "-", marker=MARKERS.get(t, "o"), markersize=4, label=f"{t}, U1 construction")
        floor = float(next(r["floor"] for r in rows if r["target"] == t))
        right.axhline(floor, color=line.get_color(), linestyle=":", linewidth=1)
        searched = [float(r["sup_error"]) for r in rows if r["record"] == "u1_search" and r["target"] == t]
        right.plot([xs[0] / 2] * len(searched), searched, "x", color=line.get_color())
    right.set_xscale("log")
    right.set_xlabel("parameters")
    right.set_ylabel("sup error")
    right.set_title("U1 weights {0, s}: stuck at the monotone floor (dotted)\n× best of random and exhaustive search",
                    fontsize=9)
    right.grid(True, color="0.85")
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    command_line("ternary_universality", draw)
