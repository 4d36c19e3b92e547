#!/usr/bin/env python3
"""Figure for experiment ptq_predictability: the loss increase after quantization against the
weights' SQNR per family, the radial loss profiles, the random forest's out-of-family
predictions against the observed increase, and the size-vs-loss Pareto frontier.
Reads only data/ptq_predictability/*.csv."""
import math

import matplotlib.pyplot as plt

from fpx.figures import command_line, load

NAME = "ptq_predictability"
TABLES = ("ptq_predictability", "radial", "pareto", "predictors")
FLOOR = 1e-4  # the experiment's loss_floor: increases below it are drawn at it


def load_tables(data_dir):
    """Every table of the experiment, numbers as floats where they parse."""
    def value(text):
        try:
            return float(text)
        except ValueError:
            return text
    return {table: [{k: value(v) for k, v in row.items()} for row in load(NAME, data_dir, table)]
            for table in TABLES}


def draw(tables):
    """The figure from the experiment's tables (the notebook calls this directly)."""
    rows = tables["ptq_predictability"]
    families = sorted({r["family"] for r in rows})
    colors = dict(zip(families, ("tab:blue", "tab:orange", "tab:green")))
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))

    ax = axes[0, 0]
    for family in families:
        for methods, marker, label in ((("rtn",), "o", "rtn"), (("gptq",), "^", "gptq"),
                                       (("gptq_act_order", "discquant", "gsq", "direct"), "x",
                                        "act-order GPTQ, DiscQuant, GSQ, whole-matrix")):
            mine = [r for r in rows if r["family"] == family and r["method"] in methods]
            if mine:
                ax.scatter([r["sqnr_db"] for r in mine], [max(r["delta_loss"], FLOOR) for r in mine],
                           s=10, marker=marker, color=colors[family], alpha=0.6, label=f"{family}, {label}")
    ax.set_yscale("log")
    ax.set_xlabel("SQNR of the quantized weights (dB)")
    ax.set_ylabel("validation loss increase (nats/char)")
    ax.set_title("Loss increase against SQNR (every model and format)", fontsize=9)
    ax.legend(fontsize=7)

    ax = axes[0, 1]
    radial = tables["radial"]
    models = list(dict.fromkeys(r["model"] for r in radial))
    labelled = set()
    for model in models:
        mine = [r for r in radial if r["model"] == model]
        # One line per trained model; one legend entry per architecture (its seeds share it).
        architecture = mine[0].get("architecture", model)
        radii = sorted({r["radius"] for r in mine})
        mean = [sum(r["delta_loss"] for r in mine if r["radius"] == t) /
                sum(1 for r in mine if r["radius"] == t) for t in radii]
        family = mine[0]["family"]
        width = 0.6 + 1.6 * math.log10(mine[0]["parameters"]) / 5
        ax.plot(radii, [max(m, FLOOR) for m in mean], "-o", markersize=2, linewidth=width, color=colors[family], alpha=0.75,
                label=None if architecture in labelled else f"{architecture} ({int(mine[0]['parameters'])} params)")
        labelled.add(architecture)
    ax.plot([0.01, 0.5], [1e-3, 1e-3 * 50 ** 2], "--", color="0.4", linewidth=0.8, label="∝ t²")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("distance along random directions, relative to each layer's ||θ||")
    ax.set_ylabel("validation loss increase (mean of directions)")
    ax.set_title("Radial loss profiles (a slope of 2 here is a quadratic)", fontsize=9)
    ax.legend(fontsize=6, ncol=2)

    ax = axes[1, 0]
    for family in families:
        mine = [r for r in rows if r["family"] == family]
        ax.scatter([math.log10(max(r["delta_loss"], FLOOR)) for r in mine],
                   [r["forest_prediction"] for r in mine], s=10, color=colors[family], alpha=0.6,
                   label=f"{family} (forest fitted on the other family)")
    lo = math.log10(FLOOR)
    ax.plot([lo, 0.5], [lo, 0.5], color="0.5", linewidth=0.8)
    ax.set_xlabel("observed log10 loss increase")
    ax.set_ylabel("predicted log10 loss increase")
    def by_family(predictor, column):
        return ", ".join(f"{r['held_out'].split(':')[1]} {r[column]:.2f}" for r in tables["predictors"]
                         if r["predictor"] == predictor and r["held_out"].startswith("family"))
    title = "Random forest, leave one family out: R² " + by_family("random_forest", "r2")
    if any("r2_within_format" in r for r in tables["predictors"]):
        title += (f"\nformat identity alone {by_family('format_identity', 'r2')}; "
                  f"forest within formats {by_family('random_forest', 'r2_within_format')}")
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=7)

    ax = axes[1, 1]
    frontier = tables["pareto"]
    for family in families:
        mine = [r for r in frontier if r["family"] == family]
        ax.scatter([r["model_bits"] / 8192 for r in mine], [r["loss"] for r in mine], s=6,
                   color=colors[family], alpha=0.25)
        best = sorted((r for r in mine if r["pareto"] == "True"), key=lambda r: r["model_bits"])
        ax.plot([r["model_bits"] / 8192 for r in best], [r["loss"] for r in best], "-o", markersize=3,
                color=colors[family], label=f"{family} frontier")
    ax.set_xscale("log")
    ax.set_xlabel("model size (KiB, every weight, scale and outlier counted)")
    ax.set_ylabel("validation loss (nats/char)")
    ax.set_ylim(1.25, 3.5)
    ax.set_title("Size against loss: the Pareto frontier per family (losses above 3.5 not shown)", fontsize=9)
    ax.legend(fontsize=7)
    for ax in axes.flat:
        ax.grid(True, color="0.88")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    command_line(NAME, draw, lambda name, data_dir: load_tables(data_dir))
