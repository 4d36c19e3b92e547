#!/usr/bin/env python3
"""Figure for experiment capacity_census: the number of Boolean functions that networks with
one hidden layer realise, against the information bits of the weight grid, per width. Reads
only data/capacity_census/capacity_census.csv."""
import matplotlib.pyplot as plt

from fpx.figures import command_line


def draw(rows):
    """The figure from the experiment's CSV rows (the notebook calls this directly)."""
    inputs = sorted({int(r["inputs"]) for r in rows})
    fig, axes = plt.subplots(1, len(inputs), figsize=(5.2 * len(inputs), 4.2), squeeze=False)
    for ax, k in zip(axes[0], inputs):
        mine = [r for r in rows if int(r["inputs"]) == k and r["status"] == "complete"]
        for width, marker in ((1, "o"), (2, "s"), (3, "^")):
            pts = [(float(r["information_bits"]), int(r["functions"]), r["grid"]) for r in mine
                   if int(r["width"]) == width]
            if not pts:
                continue
            xs, ys, names = zip(*pts)
            ax.plot(xs, ys, linestyle="none", marker=marker, color="black", markerfacecolor="white",
                    label=f"hidden width {width}")
            for x, y, name in zip(xs, ys, names):
                if width == 1:
                    ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
        possible = int(mine[0]["possible"])
        ax.axhline(possible, color="0.5", linestyle=":", linewidth=1)
        ax.set_xlabel("weight grid information bits (log2 levels; u1 and s1 both 1)")
        ax.set_ylabel(f"functions realised (of {possible})")
        ax.set_title(f"{k} Boolean inputs, one hidden ReLU layer, every network enumerated", fontsize=9)
        ax.grid(True, color="0.85")
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    command_line("capacity_census", draw)
