"""The ptq_predictability experiment's analysis: predictors of the loss increase, evaluated
leave-one-family-out, the size-vs-loss Pareto frontier, and the summary numbers that
proofs/ptq_predictability.md quotes. Pure functions of the measured rows (lists of dicts)."""

from __future__ import annotations

import math

import numpy as np
from sklearn.ensemble import RandomForestRegressor

FAMILIES = ["int", "int_group", "int+outliers", "minifloat", "mx_int", "mx_fp", "nvfp4", "k_quant", "ternary",
            "ternary_ec", "bitstack"]
METHODS = ["rtn", "gptq", "gptq_act_order", "discquant", "gsq", "direct"]


def target(row: dict, floor: float) -> float:
    """log10 of the loss increase, floored (an increase can be zero or negative at 8 bits)."""
    return math.log10(max(row["delta_loss"], floor))


def features(row: dict, floor: float) -> list[float]:
    """What the study's statistical model sees: size, trained loss, SQNR, storage, method, the
    format's family, and the loss landscape (Hessian trace, radial profile, flat radius)."""
    return [math.log10(row["parameters"]), row["trained_loss"], row["sqnr_db"],
            row["bits_per_parameter"],
            math.log10(max(row["second_order_prediction"], floor)),
            math.log10(max(row["radial_prediction"], floor)),
            row["flat_radius"], math.log10(row["hessian_trace"])] + \
        [float(row["format_family"] == f) for f in FAMILIES] + [float(row["method"] == m) for m in METHODS]


def r_squared(observed, predicted) -> float:
    observed, predicted = np.asarray(observed), np.asarray(predicted)
    total = np.sum((observed - observed.mean()) ** 2)
    return float(1 - np.sum((observed - predicted) ** 2) / total)


def r_squared_within(observed, predicted, groups) -> float:
    """R^2 within groups: both sides minus their own group means, so that what a predictor gets
    right only by telling the groups apart (here, formats and methods) does not count. A
    predictor that is right up to a per-group offset scores 1; one that knows only the groups, 0
    or below."""
    observed, predicted = np.asarray(observed, dtype=float), np.asarray(predicted, dtype=float)
    o, p = observed.copy(), predicted.copy()
    for g in set(groups):
        mine = np.array([x == g for x in groups])
        o[mine] -= observed[mine].mean()
        p[mine] -= predicted[mine].mean()
    total = np.sum(o ** 2)
    return float(1 - np.sum((o - p) ** 2) / total)


def format_identity(train: list[dict], test: list[dict], floor: float) -> list[float]:
    """The baseline that knows only the format and the method: for each test row, the mean target
    of the training rows with the same quantizer and method (the overall mean where none has)."""
    groups: dict = {}
    for r in train:
        groups.setdefault((r["quantizer"], r["method"]), []).append(target(r, floor))
    fallback = float(np.mean([target(r, floor) for r in train]))
    return [float(np.mean(groups[(r["quantizer"], r["method"])])) if (r["quantizer"], r["method"]) in groups
            else fallback for r in test]


def fit_line(x, y) -> tuple[float, float]:
    slope, intercept = np.polyfit(np.asarray(x), np.asarray(y), 1)
    return float(slope), float(intercept)


def predictors(rows: list[dict], parameters: dict) -> tuple[list[dict], dict[int, float]]:
    """R^2 of each predictor of log10 delta loss on held-out rows, overall and within formats
    (r_squared_within, groups = quantizer and method), and the forest's out-of-family prediction
    for every row (by row index). Held out: each family in turn (the model is fitted on the
    other), and for the forest also each architecture in turn with all its training seeds
    (fitted on the other architectures, so that no seed of the held-out one is seen)."""
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
            "format_identity": format_identity(train, test, floor),
        }
        groups = [(r["quantizer"], r["method"]) for r in test]
        for name, guess in candidates.items():
            results.append({"predictor": name, "held_out": f"family:{held_out}", "rows": len(test),
                            "r2": r_squared(observed, guess),
                            "r2_within_format": r_squared_within(observed, guess, groups)})

    observed, predicted, groups = [], [], []
    for held_out in sorted({r["architecture"] for r in rows}):
        train = [r for r in rows if r["architecture"] != held_out]
        test = [r for r in rows if r["architecture"] == held_out]
        observed += [target(r, floor) for r in test]
        predicted += list(forest(train).predict([features(r, floor) for r in test]))
        groups += [(r["quantizer"], r["method"]) for r in test]
    results.append({"predictor": "random_forest", "held_out": "each architecture", "rows": len(observed),
                    "r2": r_squared(observed, predicted),
                    "r2_within_format": r_squared_within(observed, predicted, groups)})
    return results, forest_prediction


def pareto(points: list[tuple[float, float]]) -> list[bool]:
    """For (size, loss) points, whether no other point is at most as large and as lossy and
    strictly better in one."""
    return [not any(s2 <= s and l2 <= l and (s2 < s or l2 < l) for s2, l2 in points) for s, l in points]


def gptq_rtn_pairs(model_rows: list[dict], quantizer: str, method: str = "gptq") -> list[dict]:
    """One entry per trained model: its architecture, seed, bits and the loss increases of RTN
    ("rtn") and of `method` (under the key "gptq", the method compared)."""
    mine = {(r["model"], r["method"]): r for r in model_rows if r["quantizer"] == quantizer}
    return [{"architecture": r["architecture"], "seed": r["seed"], "bits": r["bits_per_parameter"],
             "rtn": r["delta_loss"], "gptq": mine[(m, method)]["delta_loss"]}
            for (m, kind), r in mine.items() if kind == "rtn" and (m, method) in mine]


def gptq_gain(pairs: list[dict]) -> dict:
    """GPTQ's loss increase over RTN's for one quantizer: the ratio of means over every model, per
    seed (over the architectures) and per architecture (over the seeds), with min-max ranges."""
    def ratio(ps):
        return float(np.mean([p["gptq"] for p in ps]) / np.mean([p["rtn"] for p in ps]))
    seeds = sorted({p["seed"] for p in pairs})
    architectures = list(dict.fromkeys(p["architecture"] for p in pairs))
    by_seed = [ratio([p for p in pairs if p["seed"] == s]) for s in seeds]
    # A model whose RTN loss increase is not positive (8 bits can leave the loss as it was, or
    # lower it) has no ratio: counted, left out of the per-model ranges.
    by_architecture = {a: [p["gptq"] / p["rtn"] for p in pairs if p["architecture"] == a and p["rtn"] > 0]
                       for a in architectures}
    per_model = [x for v in by_architecture.values() for x in v]
    bits = [p["bits"] for p in pairs]
    return {"bits": [round(min(bits), 3), round(max(bits), 3)],
            "mean_delta_loss_rtn": round(float(np.mean([p["rtn"] for p in pairs])), 4),
            "mean_delta_loss_gptq": round(float(np.mean([p["gptq"] for p in pairs])), 4),
            "gptq_to_rtn": round(ratio(pairs), 3),
            "gptq_to_rtn_by_seed": [round(x, 3) for x in by_seed],
            "gptq_to_rtn_seed_range": [round(min(by_seed), 3), round(max(by_seed), 3)],
            "per_model_ratio_range": [round(min(per_model), 3), round(max(per_model), 3)] if per_model else [],
            "models_without_rtn_increase": len(pairs) - len(per_model),
            "architectures_better_in_every_seed": sum(bool(v) and all(x < 1 for x in v) for v in by_architecture.values()),
            "architectures_worse_in_every_seed": sum(bool(v) and all(x > 1 for x in v) for v in by_architecture.values()),
            "architectures": len(architectures), "seeds": len(seeds),
            "gptq_better_in": sum(p["gptq"] < p["rtn"] for p in pairs), "models": len(pairs)}


def summary(model_rows: list[dict], layer_rows: list[dict], predictor_rows: list[dict],
            allocation_rows: list[dict]) -> dict:
    """The numbers the proof file quotes."""
    out: dict = {"predictors": {f"{r['predictor']} | {r['held_out']}": round(r["r2"], 3) for r in predictor_rows},
                 "predictors_within_format": {f"{r['predictor']} | {r['held_out']}": round(r["r2_within_format"], 3)
                                              for r in predictor_rows}}
    # dB per bit: SQNR of each RTN layer against N for intN per channel.
    slopes = {}
    for family in sorted({r["family"] for r in layer_rows}):
        pts = [(int(r["quantizer"].split(":")[0][3:]), r["sqnr_db"]) for r in layer_rows
               if r["family"] == family and r["method"] == "rtn" and r["quantizer"].endswith(":channel:scale=fp32")
               and r["quantizer"].startswith("int")]
        slopes[family] = round(fit_line(*zip(*pts))[0], 2)
    out["sqnr_db_per_bit_int_channel_rtn"] = slopes
    # GPTQ against RTN per quantizer: the ratio of mean loss increases (over every trained
    # model), the same ratio for each training seed alone (over the architectures), and each
    # architecture's ratio across its seeds: min-max ranges, descriptive (3 seeds give no more).
    gain = {}
    others: dict = {}
    for q in dict.fromkeys(r["quantizer"] for r in model_rows if r["method"] == "rtn"):
        gain[q] = gptq_gain(gptq_rtn_pairs(model_rows, q))
        for method in METHODS[2:]:
            pairs = gptq_rtn_pairs(model_rows, q, method)
            if pairs:
                others[f"{q} | {method}"] = gptq_gain(pairs)
    out["gptq_vs_rtn"] = gain
    # The other rounding methods against RTN, the same way (their loss increase over RTN's).
    out["method_vs_rtn"] = others
    # Whole-matrix quantizers: mean loss increase and bits per weight (min-max over models).
    direct = {}
    for q in dict.fromkeys(r["quantizer"] for r in model_rows if r["method"] == "direct"):
        mine = [r for r in model_rows if r["quantizer"] == q and r["method"] == "direct"]
        bits = [r["bits_per_parameter"] for r in mine]
        direct[q] = {"bits": [round(min(bits), 3), round(max(bits), 3)],
                     "mean_delta_loss": round(float(np.mean([r["delta_loss"] for r in mine])), 4), "models": len(mine)}
    out["whole_matrix"] = direct
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
