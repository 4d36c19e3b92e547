#!/usr/bin/env python3
"""Figure for experiment bit_degradation: exact sup deviation of quantized networks against
the grid's bits n, with the product-of-norms bound and the fitted slopes of log2 deviation.
Reads only data/bit_degradation/bit_degradation.csv."""
import math

import matplotlib.pyplot as plt

from fpx.figures import command_line


def grid_bits(quantizer):
    return math.log2(3) if quantizer == "ternary" else int(quantizer[3:])


def draw(rows, grouping="tensor"):
    """The figure from the experiment's CSV rows (the notebook calls this directly)."""
    points = [r for r in rows if r["record"] == "point" and r["grouping"] == grouping]
    fits = {(r["network"], r["quantity"], r["axis"]): r for r in rows
            if r["record"] == "fit" and r["grouping"] == grouping}
    networks = list(dict.fromkeys(r["network"] for r in points))
    fig, ax = plt.subplots(figsize=(6.8, 4.8))
    for net in networks:
        mine = sorted(((grid_bits(r["quantizer"]), float(r["sup_deviation"]), float(r["bound"]))
                       for r in points if r["network"] == net))
        xs, dev, bound = zip(*mine)
        fit = fits[(net, "sup_deviation", "bits")]
        line, = ax.plot(xs, dev, "-o", markersize=3,
                        label=f"{net}: slope {float(fit['slope']):.2f} "
                              f"[{float(fit['slope_low']):.2f}, {float(fit['slope_high']):.2f}]")
        ax.plot(xs, bound, ":", color=line.get_color(), linewidth=1)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("grid bits n (ternary at log2 3 ≈ 1.58; intN has 2^n − 1 levels)")
    ax.set_ylabel("sup |quantized − original| on [0, 1] (exact)")
    ax.set_title(f"Weight quantization per {grouping}: deviation (solid) and bound (dotted)\n"
                 "slope of log2 deviation per bit, 95% interval", fontsize=9)
    ax.grid(True, color="0.85")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    command_line("bit_degradation", draw)
