#!/usr/bin/env bash
# The main job: build the fpx program and the Python package, install the package into .venv
# (`pip install .`, as a user would), regenerate data/ from every experiment at its canonical
# size (fpx run --all: the experiments register themselves), and draw every figure from data/
# (each experiment's NAME_figure.py) with the installed package. About 15 minutes on 2 cores
# from a clean clone; see README.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target fpx_cli _core
[ -x .venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages .venv
FPX_BUILD_DIR=build/release PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 .venv/bin/pip install --quiet .
.venv/bin/fpx run --all --out data
for figure in experiments/*/*_figure.py; do
  .venv/bin/python "$figure"
done
