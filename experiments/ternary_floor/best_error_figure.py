#!/usr/bin/env python3
"""Figure for experiment best_error. Top row: the exact best sup error of one-hidden-layer
networks against the weight grid's bits, one panel per target, one line per width (U1 in red,
apart: it has 1 bit like S1). Bottom row: the same errors against the bits of the whole class
(every weight, bias and the scale), one line per grid: at equal error, the grid further left
stores less. Reads only data/best_error/best_error.csv."""
import matplotlib.pyplot as plt

from fpx.figures import command_line

FLOOR = 2.0 ** -12  # where an exact 0 is drawn (log axis)
MARKERS = ("o", "s", "^", "D", "v", "P")


def draw(rows):
    """The figure from the experiment's CSV rows (the notebook calls this directly)."""
    rows = [r for r in rows if r["record"] == "point" and r["status"] == "complete"]
    targets = list(dict.fromkeys(r["target"] for r in rows))
    grids = list(dict.fromkeys(r["grid"] for r in rows))
    fig, axes = plt.subplots(2, len(targets), figsize=(4.8 * len(targets), 8), squeeze=False)
    for column, name in enumerate(targets):
        mine = [r for r in rows if r["target"] == name]
        top, bottom = axes[0][column], axes[1][column]
        widths = sorted({int(r["width"]) for r in mine})
        for width, marker in zip(widths, MARKERS):
            pts = sorted((float(r["weight_bits"]), max(float(r["best_error"]), FLOOR))
                         for r in mine if int(r["width"]) == width and r["grid"] != "u1")
            if pts:
                xs, ys = zip(*pts)
                top.plot(xs, ys, marker=marker, color="black", markerfacecolor="white", linewidth=0.8,
                         label=f"width {width}")
            u1 = [max(float(r["best_error"]), FLOOR) for r in mine if int(r["width"]) == width and r["grid"] == "u1"]
            if u1:
                top.plot([0.9], u1, marker=marker, color="tab:red", linestyle="none",
                         label="U1 (positive scale)" if width == widths[0] else None)
        top.set_xlabel("weight bits: log2 levels (fixed:s:I:0 has I + 1)")
        top.set_title(f"{name}: every setting enumerated", fontsize=9)
        for grid, marker in zip(grids, MARKERS):
            pts = sorted((float(r["class_bits"]), max(float(r["best_error"]), FLOOR))
                         for r in mine if r["grid"] == grid)
            if pts:
                xs, ys = zip(*pts)
                bottom.plot(xs, ys, marker=marker, linewidth=0.8, label=grid,
                            color="tab:red" if grid == "u1" else None)
        bottom.set_xlabel("bits of the class: width (2 weights + bias) + scale")
        bottom.set_title(f"{name}: error against storage, widths 1 to 4", fontsize=9)
        for ax in (top, bottom):
            ax.set_yscale("log", base=2)
            ax.axhline(FLOOR, color="0.6", linestyle=":", linewidth=1)
            ax.set_ylabel("best sup error (exact; dotted line: 0)")
            ax.grid(True, color="0.85")
            ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    command_line("best_error", draw)
