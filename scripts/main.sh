#!/usr/bin/env bash
# The main job: build the fpx program and the Python package, regenerate data/ from every
# experiment at its canonical size, and draw every figure from data/ (about 14 minutes on 2
# cores from a clean clone; see README).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target fpx_cli _core
for experiment in equality_threshold ternary_universality capacity_census bit_degradation; do
  ./build/release/lib/cli/fpx run "$experiment" --out data
done
# PyTorch-based; reuses the trained models cached in data/ptq_predictability/models.
PYTHONPATH=build/release/python /usr/bin/python3 experiments/ptq_predictability.py --out data
for figure in python/figures/[!_]*.py; do
  /usr/bin/python3 "$figure"
done
