#!/usr/bin/env bash
# The main job: build the fpx program and the Python package, regenerate data/ from every
# experiment at its canonical size (fpx run --all: the experiments register themselves), and
# draw every figure from data/ (each experiment's NAME_figure.py). About 15 minutes on 2 cores
# from a clean clone; see README.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target fpx_cli _core
./build/release/fpx run --all --out data
for figure in experiments/*/*_figure.py; do
  PYTHONPATH=build/release/python /usr/bin/python3 "$figure"
done
