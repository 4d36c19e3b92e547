"""The ptq_predictability experiment's analysis: predictors of the loss increase, evaluated
leave-one-family-out, the size-vs-loss Pareto frontier, and the summary numbers that
proofs/ptq_predictability.md quotes. Pure functions of the measured rows (lists of dicts)."""

from __future__ import annotations

import math

import numpy as np
from sklearn.ensemble import RandomForestRegressor

FAMILIES = ["int", "int_group", "int+outliers", "minifloat", "mx_int", "mx_fp", "k_quant", "ternary"]


def target(row: dict, floor: float) -> float:
    """log10 of the loss increase, floored (an increase can be zero or negative at 8 bits)."""
    return math.log10(max(row["delta_loss"], floor))


def features(row: dict, floor: float) -> list[float]:
    """What the study's statistical model sees: size, trained loss, SQNR, storage, method, the
    format's family, and the loss landscape (Hessian trace, radial profile, flat radius)."""
    return [math.log10(row["parameters"]), row["trained_loss"], row["sqnr_db"],
            row["bits_per_parameter"], float(row["method"] == "gptq"),
            math.log10(max(row["second_order_prediction"], floor)),
            math.log10(max(row["radial_prediction"], floor)),
            row["flat_radius"], math.log10(row["hessian_trace"])] + \
        [float(row["format_family"] == f) for f in FAMILIES]


def r_squared(observed, predicted) -> float:
    observed, predicted = np.asarray(observed), np.asarray(predicted)
    total = np.sum((observed - observed.mean()) ** 2)
    return float(1 - np.sum((observed - predicted) ** 2) / total)


def fit_line(x, y) -> tuple[float, float]:
    slope, intercept = np.polyfit(np.asarray(x), np.asarray(y), 1)
    return float(slope), float(intercept)


def predictors(rows: list[dict], parameters: dict) -> tuple[list[dict], dict[int, float]]:
    """R^2 of each predictor of log10 delta loss on held-out rows, and the forest's out-of-family
    prediction for every row (by row index). Held out: each family in turn (the model is fitted
    on the other), and for the forest also each model in turn (fitted on all other models)."""
    floor = parameters["loss_floor"]
    families = sorted({r["family"] for r in rows})
    results, forest_prediction = [], {}

    def forest(train):
        f = RandomForestRegressor(n_estimators=parameters["forest_trees"],
                                  random_state=parameters["forest_seed"], n_jobs=1, min_samples_leaf=2)
        return f.fit([features(r, floor) for r in train], [target(r, floor) for r in train])

    for held_out in families:
        train = [r for r in rows if r["family"] != held_out]
        test_index = [i for i, r in enumerate(rows) if r["family"] == held_out]
        test = [rows[i] for i in test_index]
        observed = [target(r, floor) for r in test]
        predicted = forest(train).predict([features(r, floor) for r in test])
        forest_prediction.update(zip(test_index, map(float, predicted)))
        slope, intercept = fit_line([r["sqnr_db"] for r in train], [target(r, floor) for r in train])
        log_second = [math.log10(max(r["second_order_prediction"], floor)) for r in test]
        a, b = fit_line([math.log10(max(r["second_order_prediction"], floor)) for r in train],
                        [target(r, floor) for r in train])
        candidates = {
            "random_forest": predicted,
            "linear_in_sqnr": [slope * r["sqnr_db"] + intercept for r in test],
            "second_order": log_second,
            "second_order_fitted": [a * x + b for x in log_second],
            "radial_profile": [math.log10(max(r["radial_prediction"], floor)) for r in test],
        }
        for name, guess in candidates.items():
            results.append({"predictor": name, "held_out": f"family:{held_out}", "rows": len(test),
                            "r2": r_squared(observed, guess)})

    observed, predicted = [], []
    for held_out in sorted({r["model"] for r in rows}):
        train = [r for r in rows if r["model"] != held_out]
        test = [r for r in rows if r["model"] == held_out]
        observed += [target(r, floor) for r in test]
        predicted += list(forest(train).predict([features(r, floor) for r in test]))
    results.append({"predictor": "random_forest", "held_out": "each model", "rows": len(observed),
                    "r2": r_squared(observed, predicted)})
    return results, forest_prediction


def pareto(points: list[tuple[float, float]]) -> list[bool]:
    """For (size, loss) points, whether no other point is at most as large and as lossy and
    strictly better in one."""
    return [not any(s2 <= s and l2 <= l and (s2 < s or l2 < l) for s2, l2 in points) for s, l in points]


def summary(model_rows: list[dict], layer_rows: list[dict], predictor_rows: list[dict],
            allocation_rows: list[dict]) -> dict:
    """The numbers the proof file quotes."""
    out: dict = {"predictors": {f"{r['predictor']} | {r['held_out']}": round(r["r2"], 3) for r in predictor_rows}}
    # dB per bit: SQNR of each RTN layer against N for intN per channel.
    slopes = {}
    for family in sorted({r["family"] for r in layer_rows}):
        pts = [(int(r["quantizer"].split(":")[0][3:]), r["sqnr_db"]) for r in layer_rows
               if r["family"] == family and r["method"] == "rtn" and r["quantizer"].endswith(":channel:scale=fp32")
               and r["quantizer"].startswith("int")]
        slopes[family] = round(fit_line(*zip(*pts))[0], 2)
    out["sqnr_db_per_bit_int_channel_rtn"] = slopes
    # GPTQ against RTN: the ratio of loss increases per quantizer (averaged over models), and
    # its layer objective ratio.
    gain = {}
    for q in dict.fromkeys(r["quantizer"] for r in model_rows if r["method"] == "rtn"):
        ratios = []
        for m in dict.fromkeys(r["model"] for r in model_rows):
            rtn = next(r for r in model_rows if r["model"] == m and r["quantizer"] == q and r["method"] == "rtn")
            gptq = next(r for r in model_rows if r["model"] == m and r["quantizer"] == q and r["method"] == "gptq")
            ratios.append((rtn["delta_loss"], gptq["delta_loss"], rtn["bits_per_parameter"]))
        rtn_mean, gptq_mean = float(np.mean([a for a, _, _ in ratios])), float(np.mean([b for _, b, _ in ratios]))
        gain[q] = {"bits": round(ratios[0][2], 3), "mean_delta_loss_rtn": round(rtn_mean, 4),
                   "mean_delta_loss_gptq": round(gptq_mean, 4), "gptq_to_rtn": round(gptq_mean / rtn_mean, 3),
                   "gptq_better_in": sum(b < a for a, b, _ in ratios), "models": len(ratios)}
    out["gptq_vs_rtn"] = gain
    gptq_layers = [r for r in layer_rows if r["method"] == "gptq"]
    rtn_objective = {(r["model"], r["layer"], r["quantizer"]): r["layer_objective"]
                     for r in layer_rows if r["method"] == "rtn"}
    out["gptq_layer_objective_worse_than_rtn"] = [
        f"{r['model']} {r['layer']} {r['quantizer']}" for r in gptq_layers
        if r["layer_objective"] > rtn_objective[(r["model"], r["layer"], r["quantizer"])]]
    out["layer_objectives_compared"] = len(gptq_layers)
    out["flat_radius"] = {r["model"]: r["flat_radius"] for r in model_rows}
    # Mixed precision against the best uniform intN within the same budget.
    allocation = {}
    for budget in sorted({r["budget_bits_per_parameter"] for r in allocation_rows}):
        for method in ("rtn", "gptq"):
            mine = [r for r in allocation_rows if r["budget_bits_per_parameter"] == budget and r["method"] == method
                    and r["uniform_quantizer"]]
            allocation[f"{budget:g} bits, {method}"] = {
                "models": len(mine), "mixed_better_in": sum(r["delta_loss"] < r["uniform_delta_loss"] for r in mine),
                "mean_delta_loss_mixed": round(float(np.mean([r["delta_loss"] for r in mine])), 4),
                "mean_delta_loss_uniform": round(float(np.mean([r["uniform_delta_loss"] for r in mine])), 4),
                "mixed_better_than_interpolated_uniform_in": sum(
                    r["delta_loss"] < r["uniform_interpolated_delta_loss"] for r in mine),
                "mean_delta_loss_interpolated_uniform": round(float(np.mean(
                    [r["uniform_interpolated_delta_loss"] for r in mine])), 4)}
    out["allocation_vs_uniform"] = allocation
    return out
