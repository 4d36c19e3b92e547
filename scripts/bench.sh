#!/usr/bin/env bash
# Builds the benchmarks (preset bench) and the Python package (preset release), runs the C++
# benchmarks on one thread and the Python benchmark (bench/bench_python.py, with its C++ parity
# program), and writes bench/RESULTS.md.
# Usage: scripts/bench.sh [extra Google Benchmark flags, e.g. --benchmark_filter=round]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset bench >/dev/null
cmake --build --preset bench -j"$(nproc)" --target fpx_bench fpx_bench_parity
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target _core
json=$(mktemp)
python_json=$(mktemp)
# Five repetitions in random order, reported as medians: this VM's speed drifts by +-15%.
build/bench/bench/fpx_bench --benchmark_min_time=0.2 --benchmark_repetitions=5 \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
  --benchmark_out="$json" --benchmark_out_format=json "$@"
PYTHONPATH=build/release/python /usr/bin/python3 bench/bench_python.py build/bench/bench/fpx_bench_parity 9 > "$python_json"
/usr/bin/python3 bench/report.py "$json" "scripts/bench.sh $*" "$python_json" > bench/RESULTS.md
rm -f "$json" "$python_json"
echo "wrote bench/RESULTS.md"
