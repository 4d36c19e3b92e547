#!/usr/bin/env python3
"""Experiment ptq_predictability (proofs/ptq_predictability.md): post-training quantization of
small character-level language models with fpx's exact formats, and how well the damage can be
predicted.

    fpx run ptq_predictability [--config JSON] [--out DIR]
    /usr/bin/python3 experiments/ptq_predictability/ptq_predictability.py [--config JSON]
        [--out DIR] [--train-only]

Its parameters are in ptq_predictability.json. Trained weights are cached in
DIR/ptq_predictability/models/ (a model is trained, seeded, only when its file is missing or was
trained on another corpus or configuration). Each model's measurements are one cell of the
runner's journal (fpx.runner), so an interrupted run resumes; the tables, summary.json and
manifest.json are written atomically into DIR/ptq_predictability/.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import platform
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import analysis  # noqa: E402
import models  # noqa: E402

NAME = "ptq_predictability"

def model_path(out: Path, config: models.ModelConfig) -> Path:
    return out / NAME / "models" / f"{config.name}.npz"


def model_configs(parameters: dict) -> list[models.ModelConfig]:
    return [models.ModelConfig(family, width, seed=seed, steps=parameters["train_steps"])
            for family, widths in parameters["models"].items() for width in widths
            for seed in parameters["train_seeds"]]


def ensure_models(parameters: dict, out: Path, text: str, log=print) -> list[Path]:
    """The cached weight files, training (seeded) those that are missing or stale."""
    train_codes, val_codes = models.splits(text)
    digest = models.corpus_hash(text)
    history, targets = models.windows(val_codes)
    paths = []
    for config in model_configs(parameters):
        path = model_path(out, config)
        paths.append(path)
        if path.exists():
            _, cached, header = models.load(path)
            if cached == config and header.get("corpus_sha256") == digest:
                continue
            log(f"{config.name}: cached weights are for another corpus or configuration")
        torch.set_num_threads(parameters["train_threads"])
        model, seconds = models.train(config, train_codes)
        loss = models.mean_loss(model.double().eval(), history, targets)
        models.save(model.float(), config, path, {
            "corpus_sha256": digest, "train_seconds": round(seconds, 1),
            "train_threads": parameters["train_threads"], "torch": torch.__version__,
            "validation_loss_float64": stable(loss)})
        log(f"{config.name}: trained in {seconds:.0f} s, validation loss {loss:.4f}")
    return paths


def format_family(quantizer: str) -> str:
    """The kind of grid a quantizer name describes (a categorical feature of the predictors)."""
    head = quantizer.split(":")[0]
    if head == "bitstack":
        return "bitstack"
    if head == "ternary_ec":
        return "ternary_ec"
    if head == "nvfp4":
        return "nvfp4"
    if "outliers=" in quantizer:
        return "int+outliers"
    if head.startswith("mxint"):
        return "mx_int"
    if head.startswith("mxfp"):
        return "mx_fp"
    if head.endswith("_k"):
        return "k_quant"
    if head == "ternary":
        return "ternary"
    if head.startswith("int"):
        return "int_group" if "group=" in quantizer else "int"
    return "minifloat"


def layer_inputs(model: torch.nn.Module, history: torch.Tensor) -> dict[str, np.ndarray]:
    """Each quantized layer's inputs on `history`, as (features x samples) float64 arrays."""
    layers = models.quantized_layers(model)
    captured: dict[str, list] = {name: [] for name in layers}
    hooks = [m.register_forward_hook(lambda m, args, out, name=name: captured[name].append(
        args[0].detach().reshape(-1, args[0].shape[-1]))) for name, m in layers.items()]
    with torch.no_grad():
        model(history)
    for hook in hooks:
        hook.remove()
    return {name: torch.cat(x).numpy().T.copy() for name, x in captured.items()}


def hessian_traces(model: torch.nn.Module, history, targets, probes: int, seed: int) -> dict[str, float]:
    """Hutchinson's estimate of tr(H_l) for each layer's weights: the mean of v_l . (H v)_l over
    Rademacher probes v drawn over all layers at once (cross terms average to zero)."""
    layers = models.quantized_layers(model)
    weights = [m.weight for m in layers.values()]
    loss = torch.nn.functional.cross_entropy(model(history).flatten(0, 1), targets.flatten())
    grads = torch.autograd.grad(loss, weights, create_graph=True)
    generator = torch.Generator().manual_seed(seed)
    sums = [0.0] * len(weights)
    for _ in range(probes):
        vs = [torch.randint(0, 2, w.shape, generator=generator, dtype=torch.float64) * 2 - 1 for w in weights]
        hvs = torch.autograd.grad(grads, weights, grad_outputs=vs, retain_graph=True)
        for i, (v, hv) in enumerate(zip(vs, hvs)):
            sums[i] += float((v * hv).sum())
    return {name: total / probes for name, total in zip(layers, sums)}


@contextlib.contextmanager
def with_weights(model: torch.nn.Module, values: dict[str, np.ndarray]):
    """A context in which the named layers hold `values`; the trained weights come back after."""
    layers = models.quantized_layers(model)
    saved = {name: layers[name].weight.data for name in values}
    try:
        for name, v in values.items():
            layers[name].weight.data = torch.from_numpy(v)
        yield
    finally:
        for name, w in saved.items():
            layers[name].weight.data = w


def radial_profile(model, trained: dict[str, np.ndarray], history, targets, parameters):
    """Validation loss at theta + t d for random Gaussian directions d scaled layer by layer to
    ||theta_l||; rows (direction, t, loss)."""
    rng = np.random.default_rng(parameters["radial_seed"])
    rows = []
    for direction in range(parameters["radial_directions"]):
        d = {}
        for name, w in trained.items():
            u = rng.standard_normal(w.shape)
            d[name] = u * (np.linalg.norm(w) / np.linalg.norm(u))
        for t in parameters["radial_radii"]:
            with with_weights(model, {name: w + t * d[name] for name, w in trained.items()}):
                rows.append((direction, t, models.mean_loss(model, history, targets)))
    return rows


def interpolate_log(radii, losses, r):
    """The radial loss increase at relative distance r: linear in log r between measured radii,
    proportional to r^2 below the first (the quadratic regime)."""
    if r <= radii[0]:
        return losses[0] * (r / radii[0]) ** 2
    if r >= radii[-1]:
        return losses[-1]
    return float(np.interp(math.log(r), np.log(radii), losses))


def crossing(radii, increases, threshold) -> float:
    """The landscape's flat radius: where the mean radial loss increase first reaches the
    threshold, interpolated linearly in log radius (the largest radius if it never does)."""
    for k, (r, dl) in enumerate(zip(radii, increases)):
        if dl >= threshold:
            if k == 0:
                return r
            r0, d0 = radii[k - 1], increases[k - 1]
            return float(math.exp(math.log(r0) + (math.log(r) - math.log(r0)) * (threshold - d0) / (dl - d0)))
    return radii[-1]


def measure_model(path: Path, split, parameters: dict, log):
    """Every measurement of one model: per-layer rows, model rows (one per quantizer and
    method, without the predictors) and radial rows."""
    import fpx  # here, so that --train-only runs without a build

    model, config, header = models.load(path)
    train_codes, val_codes = split
    history, targets = models.windows(val_codes)
    # Losses are kept at stable digits before any difference is taken: a loss increase of 3e-5
    # nats carries a loss's last-digit noise (about 1e-15 relative) into its own tenth digit.
    def mean_loss() -> float:
        return stable(models.mean_loss(model, history, targets))

    trained_loss = mean_loss()
    layers = models.quantized_layers(model)
    trained = {name: m.weight.detach().numpy().copy() for name, m in layers.items()}
    n_quantized = sum(w.size for w in trained.values())
    n_total = sum(p.numel() for p in model.parameters())

    calib_history, _ = models.windows(train_codes, parameters["calibration_windows"],
                                      np.random.default_rng(parameters["calibration_seed"]))
    hessians = {name: 2 * x @ x.T for name, x in layer_inputs(model, calib_history).items()}
    h_history, h_targets = models.windows(train_codes, parameters["hessian_windows"],
                                          np.random.default_rng(parameters["hessian_seed"]))
    traces = hessian_traces(model, h_history, h_targets, parameters["hessian_probes"],
                            parameters["hessian_seed"])
    radial = [(d, t, stable(loss)) for d, t, loss in radial_profile(model, trained, history, targets, parameters)]
    radii = parameters["radial_radii"]
    mean_radial = [np.mean([loss for _, t, loss in radial if t == r]) - trained_loss for r in radii]
    flat_radius = crossing(radii, mean_radial, parameters["radial_threshold"])

    layer_rows, model_rows, kept = [], [], {}
    base = {"model": config.name, "architecture": config.architecture, "seed": config.seed,
            "family": config.family, "width": config.width,
            "parameters": n_total, "quantized_parameters": n_quantized}
    signal = sum(float(np.sum(w ** 2)) for w in trained.values())
    for quantizer in [*parameters["quantizers"], *parameters["matrix_quantizers"]]:
        per_method: dict = {}
        first_row = len(layer_rows)
        for name, w in trained.items():
            r, results = quantize_layer(fpx, w, hessians[name], quantizer, parameters)
            for method, values, objective, bits in results:
                error = values - w
                per_method.setdefault(method, {})[name] = values
                layer_rows.append({**base, "layer": name, "quantizer": r["name"], "method": method,
                                   "layer_parameters": w.size, "bits_per_parameter": bits,
                                   "sqnr_db": 10 * math.log10(np.sum(w ** 2) / np.sum(error ** 2)),
                                   "mse": float(np.mean(error ** 2)), "hessian_trace": traces[name],
                                   "layer_objective": objective})
            canonical = r["name"]
        if quantizer in parameters["allocation_quantizers"]:
            kept[quantizer] = {"name": canonical, **per_method}
        for method, values in per_method.items():
            mine = [row for row in layer_rows[first_row:] if row["method"] == method]
            noise = sum(float(np.sum((values[n] - trained[n]) ** 2)) for n in trained)
            with with_weights(model, values):
                loss = mean_loss()
            relative_noise = math.sqrt(noise / signal)
            model_rows.append({
                **base, "trained_loss": trained_loss, "quantizer": canonical,
                "format_family": format_family(quantizer), "method": method,
                "bits_per_parameter": sum(row["bits_per_parameter"] * row["layer_parameters"] for row in mine) / n_quantized,
                "sqnr_db": 10 * math.log10(signal / noise), "relative_noise": relative_noise,
                "loss": loss, "delta_loss": loss - trained_loss,
                "second_order_prediction": 0.5 * sum(row["hessian_trace"] * row["mse"] for row in mine),
                "radial_prediction": interpolate_log(radii, mean_radial, relative_noise),
                "hessian_trace": sum(traces.values()), "flat_radius": flat_radius,
            })
    radial_rows = [{**base, "trained_loss": trained_loss, "direction": d, "radius": t, "loss": loss,
                    "delta_loss": loss - trained_loss} for d, t, loss in radial]
    allocation_rows = []
    for budget in parameters["allocation_budgets"]:
        for method in ("rtn", "gptq"):
            try:
                row = allocate(kept, layer_rows, model_rows, method, budget, base, fpx.allocate_bits)
            except ValueError as e:  # the budget is below the smallest choice
                log(f"{config.name}: no allocation at {budget} bits: {e}")
                continue
            with with_weights(model, row.pop("values")):
                row["loss"] = mean_loss()
            row["delta_loss"] = row["loss"] - trained_loss
            allocation_rows.append(row)
    log(f"{config.name}: trained loss {trained_loss:.4f}, {len(model_rows)} quantized evaluations")
    return layer_rows, model_rows, radial_rows, allocation_rows


def quantize_layer(fpx, w, hessian, quantizer: str, parameters: dict):
    """One layer by one quantizer: its result dict (name) and (method, values, layer objective,
    bits per weight) for every method that applies (GPTQ with act-order stores each column's
    group index where its order mixes groups, so its bits can exceed RTN's). Whole-matrix quantizers (bitstack, ternary_ec)
    have one method, "direct"; the others RTN and GPTQ, and for `rounding_quantizers` also the
    `rounding_methods` (GPTQ with act_order, DiscQuant- and GSQ-style rounding)."""
    if quantizer in parameters["matrix_quantizers"]:
        r = fpx.quantize(w, quantizer)
        delta = w - r["values"]
        return r, [("direct", r["values"], float(0.5 * np.sum((delta @ hessian) * delta)), r["bits_per_parameter"])]
    r = fpx.gptq(w, hessian, quantizer, block_size=parameters["gptq_block_size"], damping=parameters["gptq_damping"])
    results = [("rtn", r["rtn_values"], r["rtn_objective"], r["bits_per_parameter"]),
               ("gptq", r["values"], r["objective"], r["bits_per_parameter"])]
    if quantizer in parameters["rounding_quantizers"]:
        for method in parameters["rounding_methods"]:
            if method == "gptq_act_order":
                m = fpx.gptq(w, hessian, quantizer, block_size=parameters["gptq_block_size"],
                             damping=parameters["gptq_damping"], act_order=True)
            elif method == "discquant":
                m = fpx.discquant(w, hessian, quantizer, subspace=parameters["discquant_subspace"],
                                  seed=parameters["rounding_seed"])
            elif method == "gsq":
                m = fpx.gsq(w, hessian, quantizer, steps=parameters["gsq_steps"], seed=parameters["rounding_seed"])
            else:
                raise ValueError(f"unknown rounding method {method!r} (gptq_act_order, discquant, gsq)")
            results.append((method, m["values"], m["objective"], m["bits_per_parameter"]))
    return r, results


def interpolate_ladder(below: dict, above: dict, bits: float) -> float:
    """The loss increase between two uniform quantizers at `bits`, linear in log increase."""
    lo, hi = below["delta_loss"], above["delta_loss"]
    if below is above or lo <= 0 or hi <= 0:
        return lo
    w = (bits - below["bits_per_parameter"]) / (above["bits_per_parameter"] - below["bits_per_parameter"])
    return math.exp((1 - w) * math.log(lo) + w * math.log(hi))


def allocate(kept, layer_rows, model_rows, method, budget, base, allocate_bits):
    """Mixed precision at `budget` bits per quantized weight: per layer the quantizer (among
    those kept) that minimises 1/2 sum tr(H_l) mse_l under the storage budget, and the best
    uniform choice within the same budget for comparison."""
    names = list(next(iter(kept.values()))["rtn"])
    stats = {(r["layer"], r["quantizer"]): r for r in layer_rows
             if r["model"] == base["model"] and r["method"] == method}
    options = [[stats[(n, kept[q]["name"])] for q in kept] for n in names]
    layers = [(o[0]["layer_parameters"], [(r["bits_per_parameter"], 0.5 * r["hessian_trace"] * r["mse"]) for r in o])
              for o in options]
    a = allocate_bits(layers, budget * base["quantized_parameters"])
    choice = [list(kept)[k] for k in a["choice"]]
    ladder = sorted((r for r in model_rows if r["model"] == base["model"] and r["method"] == method and
                     any(r["quantizer"] == kept[q]["name"] for q in kept)), key=lambda r: r["bits_per_parameter"])
    uniform = [r for r in ladder if r["bits_per_parameter"] <= budget]
    best = uniform[-1] if uniform else None
    bits = a["total_bits"] / base["quantized_parameters"]
    below = [r for r in ladder if r["bits_per_parameter"] <= bits]
    above = [r for r in ladder if r["bits_per_parameter"] >= bits]
    return {**base, "method": method, "budget_bits_per_parameter": budget,
            "choice": " ".join(f"{n}={q.split(':')[0]}" for n, q in zip(names, choice)),
            "bits_per_parameter": bits,
            "second_order_prediction": a["total_cost"],
            "uniform_quantizer": best["quantizer"] if best else "",
            "uniform_bits_per_parameter": best["bits_per_parameter"] if best else math.nan,
            "uniform_delta_loss": best["delta_loss"] if best else math.nan,
            # the uniform ladder at the allocation's own storage: log loss increase linear in bits
            "uniform_interpolated_delta_loss": interpolate_ladder(below[-1], above[0], bits) if below and above else math.nan,
            "values": {n: kept[q][method][n] for n, q in zip(names, choice)}}


# Losses, Hessian traces and the layers' inputs go through torch's and numpy's BLAS, whose
# kernels (chosen per CPU) sum in their own orders: the same run differs between machines in
# the last digits. Every measurement is kept, and every float written, with this many
# significant digits, which such differences (about 1e-15 relative) reach only for a value that
# close to a rounding boundary of its tenth digit (about one in 10^5), so the tables are the
# same bytes on another machine but for such rare flips (proofs/ptq_predictability.md).
SIGNIFICANT_DIGITS = 10


def stable(value):
    """Floats at SIGNIFICANT_DIGITS (lists and dicts throughout); anything else as it is."""
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [stable(v) for v in value]
    return value


def csv_text(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: repr(stable(v)) if isinstance(v, float) else v for k, v in row.items()})
    return buffer.getvalue()


def run(experiment, text: str, paths: list[Path]) -> Path:
    """Measures every model (a cell each), fits the predictors, writes the tables and the manifest."""
    parameters, log = experiment.parameters, experiment.log
    torch.set_num_threads(1)  # same bits whatever the machine's core count
    split = models.splits(text)
    layer_rows, model_rows, radial_rows, allocation_rows = [], [], [], []
    for path in paths:
        # Stable digits from the measurement on, so that what the predictors see (a random forest
        # breaks ties between equally good splits by such digits) is the same on any machine.
        layers, rows, radial, allocation = experiment.cell(
            f"measure {path.stem}", lambda: stable(list(measure_model(path, split, parameters, log))))
        layer_rows += layers
        model_rows += rows
        radial_rows += radial
        allocation_rows += allocation
    predictor_rows, forest = analysis.predictors(model_rows, parameters)
    for i, row in enumerate(model_rows):
        row["forest_prediction"] = forest[i]
    # The size-vs-loss frontier per family, with each trained model in float32 as a point.
    baselines = {r["model"]: {**{k: r[k] for k in ("model", "architecture", "seed", "family", "width", "parameters", "quantized_parameters",
                                                  "trained_loss")}, "quantizer": "fp32", "method": "none",
                              "bits_per_parameter": 32.0, "loss": r["trained_loss"]} for r in model_rows}
    frontier_rows = [{**{k: r[k] for k in ("model", "architecture", "seed", "family", "width", "parameters", "quantized_parameters",
                                           "trained_loss", "quantizer", "method", "bits_per_parameter", "loss")}}
                     for r in [*model_rows, *baselines.values()]]
    for row in frontier_rows:
        row["model_bits"] = row["quantized_parameters"] * row["bits_per_parameter"] + \
            32 * (row["parameters"] - row["quantized_parameters"])
    for family in sorted({r["family"] for r in frontier_rows}):
        mine = [r for r in frontier_rows if r["family"] == family]
        for row, on_frontier in zip(mine, analysis.pareto([(r["model_bits"], r["loss"]) for r in mine])):
            row["pareto"] = on_frontier

    tables = {"ptq_predictability": model_rows, "layers": layer_rows, "radial": radial_rows,
              "predictors": predictor_rows, "pareto": frontier_rows, "allocation": allocation_rows}
    for name, rows in tables.items():
        experiment.write(f"{name}.csv", csv_text(rows))
    findings = analysis.summary(model_rows, layer_rows, predictor_rows, allocation_rows)
    experiment.write("summary.json", json.dumps(stable(findings), indent=2, sort_keys=True) + "\n")
    import sklearn
    directory = experiment.finish(
        threads=1, rows={name: len(rows) for name, rows in tables.items()},
        models={p.stem: models.load(p)[2] for p in paths}, corpus_sha256=models.corpus_hash(text),
        versions={"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                  "sklearn": sklearn.__version__})
    log(f"wrote {directory}")
    return directory


def main(argv: list[str]) -> int:
    from fpx import runner

    parser = runner.arguments(NAME)
    parser.add_argument("--train-only", action="store_true", help="only train missing models")
    args = parser.parse_args(argv)
    parameters = runner.parameters(NAME, args.config)
    missing = set(parameters["allocation_quantizers"]) - set(parameters["quantizers"])
    if missing:
        raise SystemExit(f"{NAME}: allocation_quantizers {sorted(missing)} are not among the quantizers")
    missing = set(parameters["rounding_quantizers"]) - set(parameters["quantizers"])
    if missing:
        raise SystemExit(f"{NAME}: rounding_quantizers {sorted(missing)} are not among the quantizers")
    unknown = set(parameters["rounding_methods"]) - {"gptq_act_order", "discquant", "gsq"}
    if unknown:
        raise SystemExit(f"{NAME}: unknown rounding_methods {sorted(unknown)} (gptq_act_order, discquant, gsq)")
    text = models.corpus_text()
    log = lambda line: print(f"{NAME}: {line}", file=sys.stderr, flush=True)  # noqa: E731
    paths = ensure_models(parameters, Path(args.out), text, log=log)
    if args.train_only:
        return 0
    run(runner.start(NAME, args, argv), text, paths)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
