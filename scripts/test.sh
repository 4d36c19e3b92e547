#!/usr/bin/env bash
# Builds fpx (preset ci) and runs every test. Usage: scripts/test.sh [ctest args, e.g. -L quick]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset ci >/dev/null
cmake --build --preset ci -j"$(nproc)"
ctest --preset ci -j"$(nproc)" "$@"
