#!/usr/bin/env python3
"""Figure for experiment first_equals_last: the fewest bits each quantity of the first = last
construction needs (the others at the reference), against the length n, one panel per family
(mantissa bits, exponent bits) and vocabulary. A quantity correct at no level is drawn above the
family's top. Reads only data/first_equals_last/first_equals_last.csv."""
import matplotlib.pyplot as plt

from fpx.figures import command_line

MARKERS = "osD^v<>phx*+"


def minima(rows):
    """(family, vocabulary, quantity) -> {length: minimal bits, or None when no level works}."""
    out = {}
    for r in rows:
        if r["quantity"] == "reference" or r["status"] != "complete":
            continue
        key = (r["family"], int(r["vocabulary"]), r["quantity"])
        out.setdefault(key, {})[int(r["length"])] = int(r["minimal_bits"]) if r["minimal_bits"] else None
    return out


def draw(rows):
    """The figure from the experiment's CSV rows (the notebook calls this directly)."""
    found = minima(rows)
    families = sorted({k[0] for k in found})
    vocabularies = sorted({k[1] for k in found})
    quantities = sorted({k[2] for k in found})
    top = {f: max(int(r["bits"]) for r in rows if r["family"] == f) for f in families}
    fig, axes = plt.subplots(len(families), len(vocabularies), figsize=(4.2 * len(vocabularies), 3.6 * len(families)),
                             squeeze=False)
    for i, family in enumerate(families):
        for j, v in enumerate(vocabularies):
            ax = axes[i][j]
            for k, q in enumerate(quantities):
                points = found.get((family, v, q), {})
                if not points:
                    continue
                ns = sorted(points)
                ys = [points[n] if points[n] is not None else top[family] + 1 for n in ns]
                offset = (k - len(quantities) / 2) * 0.025  # overlapping lines stay visible
                ax.plot([n + offset for n in ns], ys, marker=MARKERS[k % len(MARKERS)], markersize=4,
                        linewidth=0.8, label=q)
            ax.axhline(top[family] + 0.5, color="0.6", linestyle=":", linewidth=0.8)
            ax.set_title(f"{family} family, V = {v}", fontsize=9)
            ax.set_xlabel("length n")
            ax.set_ylabel("fewest bits (above the dotted line: none)")
            ax.grid(True, color="0.88")
    axes[0][-1].legend(fontsize=6, loc="upper left", ncol=2)
    fig.suptitle("first = last, one softmax layer: each quantity's fewest bits with the others at float(8,23); "
                 "every input checked at every level", fontsize=9)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    command_line("first_equals_last", draw)
