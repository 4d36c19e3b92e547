#!/usr/bin/env bash
# The main job: build, then regenerate data/ and the figures from the experiments.
# No experiment exists yet (they arrive with the claims); this builds the library and the
# fpx program and prints the format table, which is what can be regenerated today.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
./build/release/lib/cli/fpx formats
