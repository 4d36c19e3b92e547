#!/usr/bin/env bash
# The threshold search on MPI ranks (issue: exhaustive search on many machines): measures the
# scaling config of threshold_search on one process (1 thread), on two ranks (1 thread each) and on
# one process with two threads, estimates the units of that search and of larger ones
# (fpx_scaling), and writes bench/SCALING.md (bench/scaling.py). About 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset bench >/dev/null
cmake --build --preset bench -j"$(nproc)" --target fpx_cli fpx_scaling
fpx=build/bench/fpx
estimate=build/bench/bench/fpx_scaling
work=$(mktemp -d)
"$fpx" run threshold_search --config scaling --threads 1 --out "$work/k1" 2>/dev/null >/dev/null
mpirun --oversubscribe --allow-run-as-root -n 2 "$fpx" run threshold_search --config scaling --threads 1 \
  --out "$work/k2" 2>/dev/null >/dev/null
"$fpx" run threshold_search --config scaling --threads 2 --out "$work/t2" 2>/dev/null >/dev/null
{
  echo "["
  "$estimate" fixed:s:2:1 4 0 64 100000 1 2
  echo ","
  "$estimate" e3m1 4 0 64 100000 1 2
  for b in 5 6 7 8; do
    for seed in 1 2; do  # two independent estimates: their spread shows the estimator's variance
      echo ","
      "$estimate" "fixed:s:1:$((b - 2))" "$b" 128 64 256 "$seed" 2 | sed "s/^{/{\"bits\": $b, \"seed\": $seed, /"
    done
  done
  echo "]"
} >"$work/estimates.json"
/usr/bin/python3 bench/scaling.py "$work/k1/threshold_search" "$work/k2/threshold_search" \
  "$work/t2/threshold_search" "$work/estimates.json" "bench/scaling.sh" >bench/SCALING.md
rm -rf "$work"
echo "wrote bench/SCALING.md"
