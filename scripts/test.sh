#!/usr/bin/env bash
# Every test, as .ci/run runs them:
#   1. the ci preset (optimised, warnings as errors): build, then every ctest label;
#   2. the sanitize preset (clang, AddressSanitizer + UBSan): the quick C++ tests, then each
#      libFuzzer harness for FPX_FUZZ_SECONDS (default 60) from its seed corpus.
# Usage: scripts/test.sh                 everything
#        scripts/test.sh [ctest args]    only step 1's tests, e.g. scripts/test.sh -L quick
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake --preset ci >/dev/null
cmake --build --preset ci -j"$jobs"
if (($#)); then
  ctest --preset ci -j"$jobs" "$@"
  exit
fi
ctest --preset ci -j"$jobs"
cmake --preset sanitize -DFPX_FUZZ_SECONDS="${FPX_FUZZ_SECONDS:-60}" >/dev/null
cmake --build --preset sanitize -j"$jobs"
ctest --preset sanitize -j"$jobs" -L quick
ctest --preset sanitize -L fuzz
