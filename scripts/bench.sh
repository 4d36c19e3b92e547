#!/usr/bin/env bash
# Builds the benchmarks (preset bench), runs them on one thread and writes bench/RESULTS.md.
# Usage: scripts/bench.sh [extra Google Benchmark flags, e.g. --benchmark_filter=round]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset bench >/dev/null
cmake --build --preset bench -j"$(nproc)" --target fpx_bench
json=$(mktemp)
# Five repetitions in random order, reported as medians: this VM's speed drifts by +-15%.
build/bench/bench/fpx_bench --benchmark_min_time=0.2 --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
  --benchmark_out="$json" --benchmark_out_format=json "$@"
/usr/bin/python3 bench/report.py "$json" "scripts/bench.sh $*" > bench/RESULTS.md
rm -f "$json"
echo "wrote bench/RESULTS.md"
