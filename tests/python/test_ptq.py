"""Experiment ptq_predictability at a tiny size: its tables, manifest and cache, the analysis
helpers on hand-made inputs, and the quantized model evaluated by fpx's own evaluator."""

import csv
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import fpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments" / "ptq_predictability"))
import analysis  # noqa: E402
import models  # noqa: E402
import ptq_predictability as experiment  # noqa: E402

TINY = {"models": {"mlp": [8], "transformer": [16]}, "train_seeds": [1, 2], "train_steps": 40,
        "quantizers": ["int8:channel", "int3:channel", "mxint4", "q2_k"], "radial_directions": 2,
        "hessian_probes": 4, "calibration_windows": 8, "hessian_windows": 8, "forest_trees": 10,
        "allocation_quantizers": ["int8:channel", "int3:channel"], "allocation_budgets": [5.0, 40.0],
        "matrix_quantizers": ["bitstack:blocks=2"], "rounding_quantizers": ["int3:channel", "mxint4"],
        "rounding_methods": ["gptq_act_order", "discquant", "gsq"], "gsq_steps": 20}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ptq")
    assert experiment.main(["--out", str(out), "--config", json.dumps(TINY)]) == 0
    return out / "ptq_predictability"


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_tables_and_manifest(tiny_run):
    main = rows(tiny_run / "ptq_predictability.csv")
    # architectures x seeds x (quantizers x {rtn, gptq} + 2 x three rounding methods + bitstack)
    assert len(main) == 2 * 2 * (4 * 2 + 2 * 3 + 1)
    assert {r["method"] for r in main} == {"rtn", "gptq", "gptq_act_order", "discquant", "gsq", "direct"}
    # Every method that chooses among int3's per-channel grid neighbours stays on its storage; on
    # MXINT4 (blocks of 32 columns) act-order mixes blocks in the MLP's 256-input layer and stores
    # each column's block index, so it costs more.
    for model in ("mlp_8_seed1", "transformer_16_seed2"):
        int3 = {r["method"]: float(r["bits_per_parameter"]) for r in main if r["quantizer"].startswith("int3") and r["model"] == model}
        assert len(set(int3.values())) == 1 and len(int3) == 5
    mx = {r["method"]: float(r["bits_per_parameter"]) for r in main if r["quantizer"] == "mxint4" and r["model"] == "mlp_8_seed1"}
    assert mx["gptq_act_order"] > mx["rtn"] == mx["gptq"] == mx["discquant"] == mx["gsq"]
    manifest = json.loads((tiny_run / "manifest.json").read_text())
    for r in main:
        # the float64 loss of the cached float32 weights, as measured when they were trained
        assert float(r["trained_loss"]) == pytest.approx(
            manifest["models"][r["model"]]["validation_loss_float64"], rel=1e-12)
        assert float(r["second_order_prediction"]) > 0 and float(r["hessian_trace"]) > 0
    # Fewer bits, more damage: int3 costs more loss than int8 in every model and method.
    increase = {(r["model"], r["quantizer"].split(":")[0], r["method"]): float(r["delta_loss"]) for r in main}
    for (model, q, method), value in increase.items():
        if q == "int3" and method in ("rtn", "gptq"):
            assert value > increase[(model, "int8", method)]
    # Fewer bits, more noise: int3 has a lower SQNR than int8 in every model and method.
    sqnr = {(r["model"], r["quantizer"].split(":")[0], r["method"]): float(r["sqnr_db"]) for r in main}
    for (model, q, method), value in sqnr.items():
        if q == "int3" and method in ("rtn", "gptq"):
            assert value < sqnr[(model, "int8", method)] - 20
    layers = rows(tiny_run / "layers.csv")
    assert {r["layer"] for r in layers if r["family"] == "transformer"} >= {"blocks.0.qkv", "head"}
    assert manifest["parameters"]["quantizers"] == TINY["quantizers"]
    assert manifest["rows"]["ptq_predictability"] == len(main)
    assert set(manifest["models"]) == {"mlp_8_seed1", "mlp_8_seed2", "transformer_16_seed1", "transformer_16_seed2"}
    # The seeds train different models: their trained losses differ.
    assert manifest["models"]["mlp_8_seed1"]["validation_loss_float64"] != \
        manifest["models"]["mlp_8_seed2"]["validation_loss_float64"]
    assert len(manifest["git_commit"]) == 40
    allocation = rows(tiny_run / "allocation.csv")
    assert len(allocation) == 4 * 2 * 2  # models x budgets x methods
    for r in allocation:
        assert float(r["bits_per_parameter"]) <= float(r["budget_bits_per_parameter"])
        # The allocation's estimate is never above a uniform choice within the budget.
        for q in ("int3", "int8"):
            uniform = next(u for u in main if u["model"] == r["model"] and u["method"] == r["method"] and
                           u["quantizer"].startswith(q + ":channel"))
            if float(uniform["bits_per_parameter"]) <= float(r["budget_bits_per_parameter"]):
                assert float(r["second_order_prediction"]) <= float(uniform["second_order_prediction"]) * (1 + 1e-12)
    predictors = rows(tiny_run / "predictors.csv")
    assert {r["held_out"] for r in predictors} == {"family:mlp", "family:transformer", "each architecture"}
    assert {r["predictor"] for r in predictors} >= {"random_forest", "format_identity", "second_order"}
    # No feature is computed from the quantized loss: changing a row's loss, its loss increase
    # (the target) or the forest's own prediction leaves what the forest sees unchanged, while
    # changing a genuine feature (SQNR) does not.
    row = {k: (float(v) if k not in ("model", "architecture", "family", "quantizer", "format_family", "method") else v)
           for k, v in main[0].items()}
    leaked = {**row, "loss": row["loss"] + 1, "delta_loss": row["delta_loss"] * 7 + 1, "forest_prediction": -5.0}
    assert analysis.features(leaked, 1e-4) == analysis.features(row, 1e-4)
    assert analysis.features({**row, "sqnr_db": row["sqnr_db"] + 1}, 1e-4) != analysis.features(row, 1e-4)
    frontier = rows(tiny_run / "pareto.csv")
    assert sum(r["method"] == "none" for r in frontier) == 4  # each model in float32
    for family in ("mlp", "transformer"):
        points = [(float(r["model_bits"]), float(r["loss"]), r["pareto"] == "True")
                  for r in frontier if r["family"] == family]
        assert min(points)[2]  # the smallest model (the least lossy of them) is on the frontier
        for size, loss, on in points:  # and every point off it is beaten by one on it
            assert on or any(s <= size and l <= loss and o for s, l, o in points)


def test_cached_models_are_reused_and_stale_ones_retrained(tiny_run, capsys):
    out = tiny_run.parent
    path = out / "ptq_predictability" / "models" / "mlp_8_seed1.npz"
    before = path.read_bytes()
    experiment.main(["--out", str(out), "--config", json.dumps(TINY), "--train-only"])
    assert path.read_bytes() == before and "trained" not in capsys.readouterr().err
    experiment.main(["--out", str(out), "--config", json.dumps({**TINY, "train_steps": 41}), "--train-only"])
    assert "another corpus or configuration" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown parameter 'bogus'"):
        experiment.main(["--out", str(out), "--config", '{"bogus": 1}'])


def test_pareto_and_r_squared_by_hand():
    # (size, loss): (1, 3) and (2, 1) are optimal; (2, 2) is beaten by (2, 1); (3, 1) by (2, 1).
    assert analysis.pareto([(1, 3), (2, 2), (2, 1), (3, 1)]) == [True, False, True, False]
    assert analysis.r_squared([1, 2, 3], [1, 2, 3]) == 1
    assert analysis.r_squared([1, 2, 3], [2, 2, 2]) == 0
    assert experiment.crossing([0.1, 0.2, 0.4], [0.0, 0.05, 0.15], 0.1) == pytest.approx(
        math.exp(math.log(0.2) + math.log(2) * 0.5))
    assert experiment.crossing([0.1, 0.2], [0.0, 0.01], 0.1) == 0.2  # never reached
    below = {"bits_per_parameter": 4.0, "delta_loss": 0.1}
    above = {"bits_per_parameter": 5.0, "delta_loss": 0.01}
    assert experiment.interpolate_ladder(below, above, 4.5) == pytest.approx(math.sqrt(0.001))
    assert experiment.interpolate_ladder(below, below, 4.0) == 0.1


def test_honest_metrics_by_hand():
    # Within formats: both sides minus their group means. A predictor right up to a per-group
    # offset scores 1 within (not overall); one that knows only the groups scores 0 within.
    observed = [1.0, 2.0, 5.0, 7.0]
    groups = ["a", "a", "b", "b"]
    assert analysis.r_squared_within(observed, [0.0, 1.0, 9.0, 11.0], groups) == 1
    assert analysis.r_squared([0.0, 1.0, 9.0, 11.0], observed) < 1
    assert analysis.r_squared_within(observed, [1.5, 1.5, 6.0, 6.0], groups) == 0
    # Group a's deviations (-1/2, 1/2) guessed as (1/2, -1/2), b's (-1, 1) exactly: SSE 2 over 2.5.
    assert analysis.r_squared_within(observed, [2.0, 1.0, 5.0, 7.0], groups) == pytest.approx(1 - 2 / 2.5)
    # Format identity: the mean target of the training rows of the same quantizer and method.
    train = [{"quantizer": "q", "method": "rtn", "delta_loss": 0.1}, {"quantizer": "q", "method": "rtn", "delta_loss": 10.0},
             {"quantizer": "q", "method": "gptq", "delta_loss": 10.0}]
    test = [{"quantizer": "q", "method": "rtn"}, {"quantizer": "q", "method": "gptq"}, {"quantizer": "p", "method": "rtn"}]
    # log10 targets -1, 1 (rtn) and 1 (gptq): (-1 + 1) / 2, 1, and for an unseen pair the mean 1/3.
    assert analysis.format_identity(train, test, 1e-4) == pytest.approx([0.0, 1.0, 1 / 3])
    # GPTQ against RTN over seeds: ratio of means overall, per seed, per architecture.
    pairs = [{"architecture": "a", "seed": 1, "bits": 4.0, "rtn": 1.0, "gptq": 0.5},
             {"architecture": "a", "seed": 2, "bits": 4.0, "rtn": 1.0, "gptq": 1.5},
             {"architecture": "b", "seed": 1, "bits": 4.5, "rtn": 3.0, "gptq": 1.5},
             {"architecture": "b", "seed": 2, "bits": 4.5, "rtn": -0.5, "gptq": 0.5}]
    g = analysis.gptq_gain(pairs)
    assert g["gptq_to_rtn"] == round(4.0 / 4.5, 3)  # rounded to 3 digits, as summary.json keeps it
    assert g["gptq_to_rtn_by_seed"] == [pytest.approx(0.5), pytest.approx(4.0)]  # 2/4, 2/0.5
    assert g["per_model_ratio_range"] == [0.5, 1.5] and g["models_without_rtn_increase"] == 1
    assert g["architectures_better_in_every_seed"] == 1 and g["architectures_worse_in_every_seed"] == 0
    assert g["bits"] == [4.0, 4.5] and g["gptq_better_in"] == 2 and g["models"] == 4


def test_the_quantized_mlp_through_fpx_evaluator_matches_torch(tiny_run):
    # The char MLP after its embedding is an fpx MLP: evaluate one quantized model's logits for a
    # few contexts in fpx's float64 arithmetic and in torch.
    model, config, _ = models.load(tiny_run / "models" / "mlp_8_seed1.npz")
    layers = models.quantized_layers(model)
    quantized = {name: fpx.quantize(m.weight.detach().numpy(), "q2_k")["values"] for name, m in layers.items()}
    with experiment.with_weights(model, quantized):
        history = torch.from_numpy(models.splits(models.corpus_text())[1][:models.MLP_CONTEXT + models.CONTEXT])[None]
        logits = model(history)[0].detach().numpy()  # (CONTEXT, V)
        net = fpx.mlp([(quantized["fc1"], model.fc1.bias.detach().numpy(), "relu"),
                       (quantized["fc2"], model.fc2.bias.detach().numpy(), "relu"),
                       (quantized["head"], model.head.bias.detach().numpy(), "identity")])
        embedded = model.embed(history[0]).detach().numpy()
    for position in (0, 17, models.CONTEXT - 1):
        x = embedded[position + 1:position + 1 + models.MLP_CONTEXT].reshape(-1)
        out = np.asarray(net.evaluate(x, fpx.spec("float64")).output).reshape(-1)
        assert np.allclose(out, logits[position], rtol=1e-12, atol=1e-12)


def test_ggml_blocks_through_python_match_ggml():
    # ggml's own output (tests/data/ggml_quants.json): every row's bytes from fpx.ggml_quantize and
    # the decoded values from fpx.ggml_dequantize, bit for bit, and fpx.quantize's values with them.
    # Catches a binding that converts to float64 before float32, or drops the K-case mapping.
    data = json.loads((Path(__file__).resolve().parents[1] / "data" / "ggml_quants.json").read_text())
    assert len(data["rows"]) == 84
    for row in data["rows"]:
        x = np.array([float.fromhex(v) for v in row["x"]], dtype=np.float32)
        expected = np.array([float.fromhex(v) for v in row["dequantized"]], dtype=np.float32)
        blocks = fpx.ggml_quantize(row["type"], x)
        assert blocks.hex() == row["blocks_hex"], (row["type"], row["row"])
        decoded = fpx.ggml_dequantize(row["type"], bytes.fromhex(row["blocks_hex"]))
        assert decoded.dtype == np.float32
        assert np.array_equal(decoded.view(np.uint32), expected.view(np.uint32)), (row["type"], row["row"])
        q = fpx.quantize(x.astype(np.float64).reshape(1, -1), row["type"].lower())
        assert np.array_equal(np.asarray(q["values"]).reshape(-1), expected.astype(np.float64))
    with pytest.raises(ValueError):
        fpx.ggml_quantize("q4_1", np.zeros(32))
    with pytest.raises(ValueError):
        fpx.ggml_dequantize("q8_0", bytes(35))


def test_ggml_dequantize_refuses_what_is_not_blocks():
    # An int became that many zero bytes and decoded to zeros; a float array was read as raw bytes.
    with pytest.raises(TypeError):
        fpx.ggml_dequantize("q4_0", 18)
    with pytest.raises(TypeError):
        fpx.ggml_dequantize("q8_0", np.zeros(34))
