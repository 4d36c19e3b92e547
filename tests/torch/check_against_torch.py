"""Cross-check fpx's model evaluation against an independent implementation (PyTorch, CPU).

The same small transformer (seeded random weights, exact in JSON) runs in torch and through
`fpx eval`:
  - float64 in torch against fpx's exact arithmetic: the architectures must agree to ~1e-12;
  - float32 in torch against fpx uniform(fp32) rounded once per dot product;
  - bfloat16 in torch (its CPU kernels) against fpx uniform(bf16) once per dot product;
  - float16: torch's CPU has no fp16 matmul or softmax, so torch computes each op in float32
    and rounds the result to fp16; compared with fpx uniform(fp16) once per dot product.
Torch does not state its accumulation order or how many roundings a fused kernel makes, so the
low-precision comparisons are bounded by a tolerance, printed with what was observed.
Usage: check_against_torch.py PATH_TO_FPX   (exit 77 when torch is missing: ctest skips)
"""
import json
import subprocess
import sys

try:
    import numpy as np
    import torch
except ImportError:
    print("torch or numpy not available; skipping")
    sys.exit(77)

FPX = sys.argv[1]
VOCAB, LENGTH, D, HEADS, DK, DV, HIDDEN, OUT = 8, 6, 8, 2, 4, 4, 16, 3
rng = np.random.default_rng(2026)


def weights(*shape):
    return (rng.standard_normal(shape) * 0.5).astype(np.float32).astype(np.float64)


P = {
    "E": weights(VOCAB, D), "P": weights(LENGTH, D),
    "heads": [{n: weights(DK if n in "qk" else DV, D) for n in "qkv"} for _ in range(HEADS)],
    "Wo": weights(D, HEADS * DV), "bo": weights(D),
    "W1": weights(HIDDEN, D), "b1": weights(HIDDEN), "W2": weights(D, HIDDEN), "b2": weights(D),
    "Wr": weights(OUT, D), "br": weights(OUT),
}
TOKENS = [3, 1, 7, 0, 5, 2]


def layer(w, b=None, activation="identity"):
    out = {"weight": w.tolist(), "activation": activation}
    if b is not None:
        out["bias"] = b.tolist()
    return out


MODEL = {
    "type": "transformer", "token_embedding": P["E"].tolist(), "positional": P["P"].tolist(),
    "blocks": [{
        "attention": {"kind": "softmax", "mask": "causal",
                      "heads": [{part: {"weight": h[part[0]].tolist()} for part in ("query", "key", "value")}
                                for h in P["heads"]],
                      "output": {"weight": P["Wo"].tolist(), "bias": P["bo"].tolist()}},
        "attention_residual": True,
        "mlp": {"layers": [layer(P["W1"], P["b1"], "relu"), layer(P["W2"], P["b2"])]},
        "mlp_residual": True}],
    "readout": {"layers": [layer(P["Wr"], P["br"])]},
}


def torch_forward(dtype, emulate=None):
    """The model in torch; `emulate` rounds every op's float32 result to that dtype."""
    work = torch.float32 if emulate else dtype
    r = (lambda t: t.to(emulate).to(torch.float32)) if emulate else (lambda t: t)
    t = {k: v for k, v in P.items() if k != "heads"}
    T = lambda a: r(torch.tensor(a, dtype=torch.float64).to(work))
    x = r(T(t["E"])[TOKENS] + T(t["P"])[: len(TOKENS)])
    mask = torch.triu(torch.ones(len(TOKENS), len(TOKENS), dtype=torch.bool), 1)
    outs = []
    for h in P["heads"]:
        q, k, v = (r(x @ T(h[n]).T) for n in "qkv")
        logits = r(q @ k.T).masked_fill(mask, float("-inf"))
        if work == torch.bfloat16:  # no bf16 softmax kernel either: float32, then rounded
            a = torch.softmax(logits.float(), -1).to(torch.bfloat16)
        else:
            a = r(torch.softmax(logits, -1))
        outs.append(r(a @ v))
    x = r(x + r(torch.nn.functional.linear(torch.cat(outs, -1), T(t["Wo"]), T(t["bo"]))))
    hidden = r(torch.relu(r(torch.nn.functional.linear(x, T(t["W1"]), T(t["b1"])))))
    x = r(x + r(torch.nn.functional.linear(hidden, T(t["W2"]), T(t["b2"]))))
    return r(torch.nn.functional.linear(x, T(t["Wr"]), T(t["br"]))).double().numpy()


def fpx_forward(spec):
    proc = subprocess.run([FPX, "eval", "--model", json.dumps(MODEL), "--spec", json.dumps(spec),
                           "--tokens", ",".join(map(str, TOKENS))],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("fpx eval failed: " + proc.stderr)
    return np.array(json.loads(proc.stdout)["output"])


def per_dot(fmt):
    return {"formats": fmt, "where": "once_per_dot_product", "subtract_max": True,
            "normalization": "normalize_first", "name": fmt + " per dot product"}


failures = []
exact = fpx_forward({"preset": "exact", "subtract_max": True, "normalization": "normalize_first"})
scale = np.abs(exact).max()
cases = [
    ("torch float64 vs fpx exact", torch_forward(torch.float64), exact, 1e-12),
    ("torch float32 vs fpx fp32", torch_forward(torch.float32), fpx_forward(per_dot("fp32")), 1e-6),
    ("torch bfloat16 vs fpx bf16", torch_forward(torch.bfloat16), fpx_forward(per_dot("bf16")), 2e-2),
    ("torch float32->float16 vs fpx fp16", torch_forward(torch.float16, emulate=torch.float16),
     fpx_forward(per_dot("fp16")), 2e-3),
]
for name, theirs, ours, tolerance in cases:
    deviation = np.abs(theirs - ours).max() / scale
    from_exact = np.abs(ours - exact).max() / scale
    print(f"{name}: max |difference| / max |output| = {deviation:.3g} "
          f"(fpx's own error vs exact {from_exact:.3g}; tolerance {tolerance:g})")
    if not deviation <= tolerance:
        failures.append(name)
if failures:
    sys.exit("beyond tolerance: " + ", ".join(failures))
